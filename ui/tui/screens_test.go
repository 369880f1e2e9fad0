package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
)

func TestSessionExportHasNoSecrets(t *testing.T) {
	hs := newHarness(t, 120, 40)
	guestTok, _ := gateway.MintGuestToken(testSecret, testNow.Add(15*time.Minute))
	j := newFakeJourney(guestSteps...).
		on(flow.MintToken, func(s *flow.Step) {
			s.Token = guestTok
			s.TokenInfo, _ = gateway.InspectToken(guestTok, testNow)
		}).
		on(flow.CreateTransaction, func(s *flow.Step) {
			created(s)
			// A response that echoes both secrets must not leak them.
			s.Exchanges[0].ResponseBody = `{"debug":"` + testSecret + `","h":"` + testAPISecret + `"}`
		}).
		on(flow.AwaitSDK, sdkError(1010, "user_cancelled"))
	hs.startGuest("alice", j)
	hs.key("X")
	entries, _ := os.ReadDir(hs.m.cfg.ExportDir)
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ".md") {
		t.Fatalf("export dir holds %v", entries)
	}
	b, err := os.ReadFile(filepath.Join(hs.m.cfg.ExportDir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, secret := range []string{testSecret, testAPISecret, gateway.MaskSecret(testAPISecret)} {
		if strings.Contains(md, secret) {
			t.Fatalf("the export contains the secret %q", secret)
		}
	}
	if strings.Contains(md, guestTok) {
		t.Fatal("the export contains a replayable token")
	}
	mustContain(t, md, "# gatewalk session", "Guest login · alice · did not complete", "POST http://127.0.0.1:9/gateway/gatewaydemo/transaction",
		"x-gateway-secret: $GATEWALK_API_SECRET", "user_cancelled", "What to do:", "| 2 | Step create_transaction | done |", "<signature removed>")
	mustContain(t, plain(hs.view()), "session exported to")
}

func TestTokenInspector(t *testing.T) {
	km := DefaultKeyMap()
	st := NewStyles(true)
	tok, _ := gateway.MintConnectedToken(testSecret, testAuthID, testNow.Add(90*time.Second))
	v := newTokenView(st, &km, testSecret, testNow, false)
	v.SetSize(100, 30)
	// Paste arrives as one key message with all the runes.
	v.Update(keyMsgRunes(tok, true))
	if v.info == nil || !v.info.SignatureValid || v.info.Kind != gateway.TokenConnected {
		t.Fatalf("info = %+v, err %v", v.info, v.err)
	}
	mustContain(t, plain(v.View()), "connected", "in 1:30", "valid")
	v.Update(clockTickedMsg{testNow.Add(100 * time.Second)})
	mustContain(t, plain(v.View()), "expired 0:10 ago")

	other := newTokenView(st, &km, "a-different-secret", testNow, false)
	other.SetSize(100, 30)
	other.setToken(tok)
	mustContain(t, plain(other.View()), "INVALID")

	none := newTokenView(st, &km, "", testNow, false)
	none.SetSize(100, 30)
	none.setToken(tok)
	mustContain(t, plain(none.View()), "not checked")

	algNone := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJndWVzdCI6dHJ1ZSwiZXhwIjoyNTU2MTI0MTk5fQ.x"
	v.setToken(algNone)
	mustContain(t, plain(v.View()), "refused", "not HS256")
	demo := newTokenView(st, &km, testSecret, testNow, true)
	demo.SetSize(100, 30)
	demo.setToken(tok)
	if strings.Contains(demo.View(), testAuthID) {
		t.Fatal("demo mode shows the smallcaseAuthId")
	}
}

func TestProfileFormSavesAndSwitches(t *testing.T) {
	hs := newHarness(t, 100, 40)
	hs.key("p")
	pv := hs.m.active().(*profileView)
	if len(pv.profiles) != 2 {
		t.Fatalf("profiles %d", len(pv.profiles))
	}
	hs.key("e")
	mustContain(t, plain(hs.view()), "built-in sandbox profile cannot be edited")
	hs.key("a")
	hs.typeText("prod")
	hs.key("tab", "tab")
	hs.typeText("acmegw")
	hs.key("tab")
	hs.typeText("topsecretvalue")
	if strings.Contains(hs.view(), "topsecretvalue") {
		t.Fatal("the secret is shown while typed")
	}
	hs.key("tab")
	hs.typeText("apisecretvalue")
	// Keys of different lengths look the same: the mask tells nothing.
	var masks []string
	for _, l := range strings.Split(plain(hs.view()), "\n") {
		if i := strings.Index(l, "•"); i >= 0 && strings.Contains(l, "ecret") {
			masks = append(masks, strings.Join(strings.Fields(l[i:]), " "))
		}
	}
	if len(masks) != 2 || masks[0] != masks[1] || strings.Count(masks[0], "•") != 8 {
		t.Fatalf("the key fields tell their lengths: %q", masks)
	}
	hs.key("tab", "tab", "tab")
	hs.typeText("80")
	hs.key("enter")
	mustContain(t, plain(hs.view()), "80 is out of range")
	if len(hs.store.saved) != 0 {
		t.Fatal("an invalid profile was saved")
	}
	hs.key("backspace", "backspace")
	hs.typeText("8421")
	hs.key("enter")
	if len(hs.store.saved) != 1 {
		t.Fatalf("saved %d profiles", len(hs.store.saved))
	}
	p := hs.store.saved[0]
	if p.Name != "prod" || p.Secret != "topsecretvalue" || p.APISecret != "apisecretvalue" || p.CallbackPort != 8421 || p.Env != gateway.EnvProduction {
		t.Fatalf("saved %+v", p.Redacted())
	}
	if strings.Contains(hs.view(), "topsecretvalue") {
		t.Fatal("a secret is on screen")
	}
}

func TestProfileSwitchReconnects(t *testing.T) {
	hs := newHarness(t, 100, 30)
	var asked []ConnectOptions
	staging := newFakeRunner()
	staging.profile = hs.store.profiles[1]
	hs.m.cfg.Connect = func(_ contextLike, o ConnectOptions) (Runner, error) {
		asked = append(asked, o)
		return staging, nil
	}
	hs.key("p", "down", "enter")
	if len(asked) != 1 || asked[0].Profile != "staging" || hs.store.active != "staging" {
		t.Fatalf("connect asked %+v, active %q", asked, hs.store.active)
	}
	if !hs.runner.closed {
		t.Fatal("the previous runner was not closed")
	}
	mustContain(t, plain(hs.view()), "STAGING", "profile staging")
	if _, ok := hs.m.active().(*homeView); !ok {
		t.Fatalf("after a switch %T is active", hs.m.active())
	}
}

func TestHistoryRefetch(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.withHistory()
	hs.runner.od = &gateway.OrderDetails{Batches: []gateway.OrderBatch{{BatchID: "b1", Orders: []gateway.Order{{Tradingsymbol: "ITC", Status: "COMPLETE"}}}}}
	hs.key("y")
	mustContain(t, plain(hs.view()), "Transaction history", "HOLDINGS_IMPORT")
	hs.key("r")
	mustContain(t, plain(hs.view()), "only for TRANSACTION")
	hs.key("down", "r")
	mustContain(t, plain(hs.view()), "ITC", "COMPLETE", "checksum INVALID")
	hs.key("down")
	mustContain(t, plain(hs.view()), "user_cancelled (1010)", "closed the broker chooser")
}

func TestDemoRedaction(t *testing.T) {
	in := "id 5f0321b5f3743c31d95abd35 txn TRX_0123456789abcdef0123456789abcdef key gate•••• url http://localhost:1/j/AbCdEfGhIjKlMn/ jwt eyJhbGciOiJIUzI1NiJ9.eyJndWVzdCI6dHJ1ZX0.sig_part-1"
	out := demoRedact(in)
	for _, leak := range []string{"5f0321b5f3743c31d95abd35", "0123456789abcdef", "gate••••", "eyJndWVzdCI6dHJ1ZX0"} {
		if strings.Contains(out, leak) {
			t.Fatalf("demo output still shows %q: %s", leak, out)
		}
	}
	// The browser page's loopback link is what the presenter opens.
	if !strings.Contains(out, "http://localhost:1/j/AbCdEfGhIjKlMn/") {
		t.Fatalf("demo output hides the page link: %s", out)
	}
	hs := newHarness(t, 120, 40)
	hs.withUsers()
	hs.key("m", "D")
	if strings.Contains(hs.view(), testAuthID) {
		t.Fatal("demo mode shows a full smallcaseAuthId")
	}
	mustContain(t, plain(hs.view()), "DEMO")
}

func TestNoColor(t *testing.T) {
	lipgloss.SetColorProfile(termenv.TrueColor)
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	colored := NewStyles(false).StatusErr.Render("x")
	plainStyle := NewStyles(true)
	if !strings.Contains(colored, "\x1b[") {
		t.Skip("the renderer does not emit colour here")
	}
	for _, s := range []string{plainStyle.StatusErr.Render("x"), plainStyle.BadgeProduction.Render("x"), plainStyle.Title.Render("x")} {
		if strings.Contains(s, "38;") || strings.Contains(s, "48;") {
			t.Fatalf("NO_COLOR style emits a colour: %q", s)
		}
	}
}

func TestAutoAnswerToggle(t *testing.T) {
	hs := newHarness(t, 100, 30)
	connects := 0
	hs.m.cfg.Connect = func(_ contextLike, o ConnectOptions) (Runner, error) {
		connects++
		return newFakeRunner(), nil
	}
	hs.key("a")
	if _, ok := hs.m.active().(*autoChooser); !ok {
		t.Fatalf("a opened %T, want the auto-answer chooser", hs.m.active())
	}
	hs.key("enter")
	want := AutoAnswer{Scenario: gateway.ScenarioSuccess, Broker: "kite-leprechaun", Account: "LEP001"}
	if connects != 0 || hs.m.runner != screenRunner(hs) || hs.runner.auto != want || hs.m.auto != want {
		t.Fatalf("auto on: connects %d, runner auto %+v, model %+v", connects, hs.runner.auto, hs.m.auto)
	}
	mustContain(t, plain(hs.view()), "AUTO", "kite-leprechaun LEP001")
	hs.key("a")
	if connects != 0 || hs.runner.auto.On() || hs.m.auto.On() {
		t.Fatalf("auto off: connects %d, runner auto %+v", connects, hs.runner.auto)
	}
	if strings.Contains(plain(hs.view()), "AUTO") {
		t.Fatal("the AUTO badge stayed")
	}
	hs.runner.profile = session.Profile{Name: "prod", Env: gateway.EnvProduction}
	hs.m.runner = hs.runner
	hs.key("a")
	mustContain(t, plain(hs.view()), "needs a sandbox profile")
}

func screenRunner(hs *harness) Runner { return hs.runner }
