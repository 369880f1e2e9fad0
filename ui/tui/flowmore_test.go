package tui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// runAll drives a journey to its end or first failure.
func runAll(t *testing.T, j Journey) *flow.Step {
	t.Helper()
	for {
		s := j.Next(context.Background())
		if s == nil {
			for _, st := range j.Snapshot() {
				if st.State == flow.Failed {
					c := st
					return &c
				}
			}
			return nil
		}
	}
}

// TestAutoAccountForGuestLoginsOnly switches the auto-answer on a real
// runner: the sandbox stays, a guest login connects the chosen account,
// and an order of a user connected earlier logs in as that user's own
// account (not the chosen one, which would be a user mismatch).
func TestAutoAccountForGuestLoginsOnly(t *testing.T) {
	store, _, err := session.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fr, err := flow.Setup(context.Background(), store, flow.Options{Emulators: testEmulators, Getenv: func(string) string { return "" }, AutoDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := FlowRunner(fr)
	t.Cleanup(func() { r.Close() })
	api := r.APIURL()
	if err := r.SetAuto(AutoAnswer{Scenario: gateway.ScenarioSuccess}); err != nil {
		t.Fatal(err)
	}
	if f := runAll(t, r.GuestLogin("alice")); f != nil {
		t.Fatalf("alice: %s failed: %v", f.Kind, f.Err)
	}
	if err := r.SetAuto(AutoAnswer{Scenario: gateway.ScenarioSuccess, Broker: "upstox-leprechaun", Account: "LEP003"}); err != nil {
		t.Fatal(err)
	}
	if f := runAll(t, r.GuestLogin("bob")); f != nil {
		t.Fatalf("bob: %s failed: %v", f.Kind, f.Err)
	}
	oc := gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "INFY", Quantity: 1, Type: gateway.Buy}}}
	if f := runAll(t, r.Order("alice", oc)); f != nil {
		t.Fatalf("alice's order with another account chosen: %s failed: %v", f.Kind, f.Err)
	}
	if r.APIURL() != api {
		t.Fatalf("the sandbox moved from %s to %s", api, r.APIURL())
	}
	bob, err := store.User("sandbox", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if want := sandbox.AuthID(r.Profile().Gateway, "upstox-leprechaun", "LEP003"); bob.SmallcaseAuthID != want {
		t.Fatalf("bob connected %s, want upstox LEP003 (%s)", bob.SmallcaseAuthID, want)
	}
	if err := r.SetAuto(AutoAnswer{}); err != nil || r.Auto().On() {
		t.Fatalf("off: %v, %+v", err, r.Auto())
	}
}

func TestAutoChooserStartsOnAFreeAccount(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.store.users["sandbox"] = []session.User{{Label: "alice", SmallcaseAuthID: sandbox.AuthID("gatewaydemo", "kite-leprechaun", "LEP001"), Broker: "kite-leprechaun"}}
	hs.pump(loadUsersCmd(hs.store, "sandbox"))
	hs.key("a")
	mustContain(t, plain(hs.view()), "Auto-answer", "alice (a guest login would be a duplicate)")
	hs.key("right", "enter") // the next outcome, the first free account
	want := AutoAnswer{Scenario: gateway.Scenarios()[1], Broker: "kite-leprechaun", Account: "LEP002"}
	if hs.runner.auto != want {
		t.Fatalf("chose %+v, want %+v", hs.runner.auto, want)
	}
	if _, ok := hs.m.active().(*homeView); !ok {
		t.Fatalf("after choosing, %T is active", hs.m.active())
	}
	// The flow says who answers.
	hs.startGuest("bob", newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).waiting(flow.AwaitSDK))
	mustContain(t, plain(hs.view()), "sandbox answers: partial_fill as kite-leprechaun LEP002")
}

func TestConfigAutoAppliedOnConnect(t *testing.T) {
	store := newFakeStore()
	sb := newFakeRunner()
	hs := harnessFor(t, store, sb)
	hs.start(Config{Auto: true, Connect: func(context.Context, ConnectOptions) (Runner, error) { return sb, nil }}, 100, 30)
	if len(sb.autoSets) != 1 || sb.autoSets[0].Scenario != gateway.ScenarioSuccess {
		t.Fatalf("auto on connect: %+v", sb.autoSets)
	}
	mustContain(t, plain(hs.view()), "AUTO")
	// With no account chosen, a guest login connects one no user holds.
	store.users["sandbox"] = []session.User{{Label: "alice", SmallcaseAuthID: sandbox.AuthID("gatewaydemo", "kite-leprechaun", "LEP001")}}
	hs.pump(loadUsersCmd(store, "sandbox"))
	hs.startGuest("bob", newFakeJourney(guestSteps...))
	want := []AutoAnswer{{Scenario: gateway.ScenarioSuccess}, {Scenario: gateway.ScenarioSuccess, Broker: "kite-leprechaun", Account: "LEP002"}, {Scenario: gateway.ScenarioSuccess}}
	if fmt.Sprint(sb.autoSets) != fmt.Sprint(want) {
		t.Fatalf("auto sets %+v, want %+v", sb.autoSets, want)
	}
	if hs.m.flow.auto.Account != "LEP002" {
		t.Fatalf("the flow shows account %q", hs.m.flow.auto.Account)
	}

	prod := newFakeRunner()
	prod.profile = session.Profile{Name: "prod", Env: gateway.EnvProduction}
	hs2 := harnessFor(t, store, prod)
	hs2.start(Config{Auto: true, Connect: func(context.Context, ConnectOptions) (Runner, error) { return prod, nil }}, 100, 30)
	if len(prod.autoSets) != 0 || hs2.m.auto.On() {
		t.Fatalf("auto applied off the sandbox: %+v", prod.autoSets)
	}
	mustContain(t, plain(hs2.view()), "not the sandbox")
}

func TestEditedActiveProfileRestarts(t *testing.T) {
	hs := newHarness(t, 100, 30)
	var asked []ConnectOptions
	next := newFakeRunner()
	hs.m.cfg.Connect = func(_ contextLike, o ConnectOptions) (Runner, error) {
		asked = append(asked, o)
		return next, nil
	}
	hs.key("p")
	other := hs.store.profiles[1]
	hs.send(profileSavedMsg{p: other})
	if len(asked) != 0 {
		t.Fatal("saving another profile restarted the one in use")
	}
	p := hs.runner.profile
	p.APISecret = "wrong-api"
	hs.send(profileSavedMsg{p: p})
	if len(asked) != 1 || asked[0].Profile != hs.m.connOpt.Profile {
		t.Fatalf("connect asked %+v", asked)
	}
	if !hs.runner.closed || hs.m.runner != Runner(next) {
		t.Fatal("the runner with the old keys is still in use")
	}
	if _, ok := hs.m.active().(*profileView); !ok {
		t.Fatalf("the restart left the profiles for %T", hs.m.active())
	}
	mustContain(t, plain(hs.view()), "restarted with its new settings")
	// A late answer of an earlier connection is dropped.
	stale := newFakeRunner()
	hs.send(runnerConnectedMsg{r: stale, opt: ConnectOptions{Profile: hs.m.connOpt.Profile}})
	if hs.m.runner != Runner(next) || !stale.closed {
		t.Fatal("a stale connection replaced the runner")
	}
}

func readExport(t *testing.T, hs *harness) string {
	t.Helper()
	hs.key("X")
	entries, _ := os.ReadDir(hs.m.cfg.ExportDir)
	if len(entries) == 0 {
		t.Fatal("nothing exported")
	}
	b, err := os.ReadFile(filepath.Join(hs.m.cfg.ExportDir, entries[len(entries)-1].Name()))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExportKeepsFailedAttemptsAndTheirProfile(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created, created).on(flow.AwaitSDK, sdkError(1003, "consent_denied"), nil)
	hs.startGuest("alice", j)
	hs.key("r")
	if !hs.m.flow.finished {
		t.Fatal("the retry did not finish")
	}
	// Then switch to the staging profile and export there.
	staging := newFakeRunner()
	staging.profile = hs.store.profiles[1]
	hs.m.cfg.Connect = func(contextLike, ConnectOptions) (Runner, error) { return staging, nil }
	hs.key("esc", "p", "down", "enter")
	if hs.m.profile.Name != "staging" {
		t.Fatalf("profile %q", hs.m.profile.Name)
	}
	md := readExport(t, hs)
	mustContain(t, md, "profile in use: staging (environment staging",
		"## 1. Guest login · alice · did not complete (failed at “Step await_sdk”: consent_denied)",
		"## 2. Guest login · alice · attempt 2 · completed",
		"- profile: sandbox (environment sandbox, gateway `gatewaydemo`, API http://127.0.0.1:9)", "consent_denied")
	if strings.Count(md, "- profile: sandbox") != 2 {
		t.Fatalf("each attempt names its profile:\n%s", md)
	}
}

func TestExportKeepsAStoppedJourney(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.startGuest("dan", newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).waiting(flow.AwaitSDK))
	hs.key("esc", "y")
	md := readExport(t, hs)
	mustContain(t, md, "Guest login · dan · did not complete (stopped by the operator while “Step await_sdk” ran)")
	if !strings.Contains(hs.m.status, "session exported to "+hs.m.cfg.ExportDir+string(filepath.Separator)) {
		t.Fatalf("the status does not give the absolute path: %q", hs.m.status)
	}
}

// liveGuest starts a guest login that waits in the SDK step with a live
// transaction, until the step's context ends; a second attempt completes.
func liveGuest(hs *harness, label string) *fakeJourney {
	hs.t.Helper()
	j := hs.adopt(newFakeJourney(guestSteps...).on(flow.CreateTransaction, created, created).on(flow.OpenBrowser, browserOpened).waiting(flow.AwaitSDK))
	hs.m.selUser = label
	hs.pump(hs.m.openFlow(flow.GuestLogin, label, j))
	return j
}

func TestQuitAsksWhileATransactionIsLive(t *testing.T) {
	for _, quitKey := range []string{"q", "ctrl+c"} {
		t.Run(quitKey, func(t *testing.T) {
			hs := newHarness(t, 120, 40)
			j := liveGuest(hs, "erin")
			press := func(k string) {
				if k == "ctrl+c" {
					hs.send(tea.KeyMsg{Type: tea.KeyCtrlC})
					return
				}
				hs.key(k)
			}
			press(quitKey)
			if hs.m.quitting {
				t.Fatal("quit at once with a live transaction")
			}
			mustContain(t, plain(hs.view()), "Quit? Transaction TRX_0123456789abcdef0123456789abcdef is waiting for the SDK result", "will be left unfinished", "y quits")
			hs.key("n")
			if hs.m.quitting || j.isClosed() {
				t.Fatal("n quit")
			}
			mustContain(t, plain(hs.view()), "still here")
			press(quitKey)
			hs.key("y")
			if !hs.m.quitting || !j.isClosed() {
				t.Fatal("y did not quit")
			}
			u := hs.m.unfinished
			if u == nil || u.TransactionID != "TRX_0123456789abcdef0123456789abcdef" || u.Settled {
				t.Fatalf("unfinished = %+v", u)
			}
			if !strings.Contains(u.Error(), "left unfinished (it expires at") {
				t.Fatalf("error %q", u.Error())
			}
		})
	}
	// Nothing live: q quits at once, with nothing left behind.
	hs := newHarness(t, 80, 24)
	hs.key("q")
	if !hs.m.quitting || hs.m.unfinished != nil {
		t.Fatalf("q on home: quitting %v, unfinished %+v", hs.m.quitting, hs.m.unfinished)
	}
}

// TestTabClosedBeforeStartKeepsWaiting: a tab closed before Start was
// pressed (a link preview, an accidental close) leaves the transaction
// unused: the wait goes on and the status line says the link still works.
func TestTabClosedBeforeStartKeepsWaiting(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := liveGuest(hs, "fay")
	f := hs.m.flow
	cmd := hs.update(journeyEventMsg{j: j, ev: bridge.JourneyEvent{Kind: bridge.JourneyTabClosed, Detail: "pagehide", At: testNow}, ok: true})
	if f.stepCtx.Err() != nil || f.tabClosed {
		t.Fatal("a tab closed before the SDK started ended the wait")
	}
	hs.pump(cmd)
	mustContain(t, flat(plain(hs.view())), "closed before the journey started: the transaction is unused, open the link again")
}

func TestTabClosedEndsTheWait(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := liveGuest(hs, "fay")
	f := hs.m.flow
	hs.update(journeyEventMsg{j: j, ev: bridge.JourneyEvent{Kind: bridge.JourneySDKStarted, At: testNow}, ok: true})
	cmd := hs.update(journeyEventMsg{j: j, ev: bridge.JourneyEvent{Kind: bridge.JourneyTabClosed, Detail: "pagehide", At: testNow}, ok: true})
	if f.stepCtx.Err() == nil || !f.tabClosed {
		t.Fatal("a closed tab did not cancel the SDK wait")
	}
	// The journey's Next returns the cancelled step.
	hs.pump(cmd)
	v := plain(hs.view())
	mustContain(t, v, "tab_closed", "The browser tab was closed before the SDK answered", "invalid_transactionId", "f (or r) fresh transaction", "stopped waiting: the browser tab was closed")
	if strings.Contains(v, "context canceled") {
		t.Fatalf("a raw Go error is shown:\n%s", v)
	}
	hs.key("f")
	if got := j.retried; len(got) != 1 || got[0] != flow.CreateTransaction {
		t.Fatalf("f retried %v", got)
	}
	if j.attempts[flow.CreateTransaction] != 2 {
		t.Fatalf("create ran %d times, want a fresh transaction", j.attempts[flow.CreateTransaction])
	}
}

func TestFreshDuringTheWait(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := liveGuest(hs, "gil")
	f := hs.m.flow
	mustContain(t, plain(hs.view()), "f fresh transaction")
	cmd := hs.update(keyMsg("f"))
	if f.stepCtx.Err() == nil || !f.freshAfter {
		t.Fatal("f during the wait did not cancel it")
	}
	// The cancelled step's result starts the fresh transaction.
	hs.pump(cmd)
	if got := j.retried; len(got) != 1 || got[0] != flow.CreateTransaction {
		t.Fatalf("retried %v, want a fresh transaction", got)
	}
	if !f.finished || j.attempts[flow.CreateTransaction] != 2 {
		t.Fatalf("finished %v, creates %d", f.finished, j.attempts[flow.CreateTransaction])
	}
	if len(hs.m.records) != 2 || !strings.Contains(hs.m.records[0].end, "fresh transaction") || !hs.m.records[1].ok || hs.m.records[1].attempt != 2 {
		t.Fatalf("records %+v", hs.m.records)
	}
}

func TestDuplicateRefusedStaysRefused(t *testing.T) {
	dup := &session.DuplicateAuthIDError{Label: "carol", Existing: session.User{Label: "alice", SmallcaseAuthID: testAuthID}}
	hs := newHarness(t, 120, 40)
	j := newFakeJourney(guestSteps...).on(flow.SaveUser, failWith(dup))
	hs.startGuest("carol", j)
	hs.key("n")
	v := plain(hs.view())
	if strings.Contains(v, "y save anyway") {
		t.Fatalf("after n the panel still offers y:\n%s", v)
	}
	mustContain(t, v, "Not saved.", "another broker account")
	hs.key("y")
	if j.allowDup || hs.m.flow.finished {
		t.Fatal("y after n saved the duplicate")
	}
}

func TestDetailStartsAtTheTopAfterCopy(t *testing.T) {
	hs := newHarness(t, 120, 24)
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened)
	hs.startGuest("hal", j)
	hs.key("up", "up", "up", "up") // create_transaction
	hs.key("c")
	if hs.m.flow.detail.YOffset == 0 {
		t.Fatal("c did not scroll to the curl (the test needs a pane that scrolls)")
	}
	hs.key("j")
	if hs.m.flow.detail.YOffset != 0 {
		t.Fatalf("the next step's details start at line %d", hs.m.flow.detail.YOffset)
	}
	mustContain(t, plain(hs.view()), "Step open_browser  done")
}

func TestLeftColumnStatusLines(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.runner.auto = AutoAnswer{Scenario: gateway.ScenarioSuccess}
	j := liveGuest(hs, "ivy")
	hs.send(journeyEventMsg{j: j, ev: bridge.JourneyEvent{Kind: bridge.JourneyResult, Detail: "resolved CONNECT, broker kite-leprechaun", At: testNow}, ok: true})
	lines := hs.m.flow.statusLines(40)
	want := []string{"⏱ 5:00 left on the transaction", "sandbox answers: success", "browser: result posted (resolved", "  CONNECT, broker kite-leprechaun)"}
	if len(lines) != len(want) {
		t.Fatalf("status lines %q", lines)
	}
	for i, l := range lines {
		if got := strings.TrimRight(plain(l), " "); got != want[i] {
			t.Fatalf("line %d = %q, want %q", i, got, want[i])
		}
	}
}

func TestExpiryPanel(t *testing.T) {
	hs := newHarness(t, 120, 40)
	early := func(s *flow.Step) {
		s.Started = testNow.Add(time.Second)
		s.Duration = 5500 * time.Millisecond
		s.Err = &flow.ExpiredError{TransactionID: "TRX_x", Lifetime: 5*time.Minute + 280*time.Millisecond, Err: &gateway.SDKError{Code: 2000, Message: "transaction_expired"}}
	}
	hs.startGuest("jo", newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.AwaitSDK, early))
	v := flat(plain(hs.m.flow.failurePanel(*hs.m.flow.failed(), 80)))
	mustContain(t, v, "expired 6.5s after it was created", "a real transactionId lives 5 minutes", "f (or r) fresh transaction")
	if strings.Contains(v, "lived 5 minutes") {
		t.Fatalf("the panel says the transaction lived 5 minutes:\n%s", v)
	}
	if got := roughDuration(5*time.Minute + 280*time.Millisecond); got != "5 minutes" {
		t.Fatalf("roughDuration(5m0.28s) = %q", got)
	}
	if got := present.StepDuration(300 * time.Second); got != "5m00s" {
		t.Fatalf("shortDuration(300s) = %q", got)
	}
}

func TestKeyRejectionPanels(t *testing.T) {
	apiSecret := &gateway.APIError{Method: "POST", Path: "/gateway/gatewaydemo/transaction", Status: 401, Errors: []string{gateway.ErrStrInvalidSecret}}
	hs := newHarness(t, 120, 40)
	hs.startGuest("kim", newFakeJourney(guestSteps...).on(flow.CreateTransaction, failWith(apiSecret)))
	panel := flat(plain(hs.m.flow.failurePanel(*hs.m.flow.failed(), 80)))
	if n := strings.Count(panel, "check the profile's apiSecret"); n != 1 {
		t.Fatalf("the apiSecret advice appears %d times:\n%s", n, panel)
	}
	mustContain(t, panel, "p on the home screen edits the profile's keys")

	nsa := &flow.NotSandboxAccountError{Profile: "sandbox", Label: "lee", AuthID: "aaaaaaaaaaaaaaaaaaaaaaaa"}
	hs2 := newHarness(t, 120, 40)
	hs2.withUsers()
	hs2.runner.journeys = append(hs2.runner.journeys, newFakeJourney(importSteps...).on(flow.FetchHoldings, failWith(nsa)))
	hs2.key("i", "enter")
	p2 := flat(plain(hs2.view()))
	mustContain(t, p2, "not_a_sandbox_account", "esc, then c (guest login)")
	if strings.Contains(hs2.m.flow.problem(*hs2.m.flow.failed()).Advice, "gatewalk login") {
		t.Fatal("the TUI advice names a CLI command")
	}
}

func TestAllOrdersRejected(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.withUsers()
	od := &gateway.OrderDetails{TransactionID: "TRX_1", Status: gateway.StatusCompleted, Batches: []gateway.OrderBatch{{BatchID: "b1", Status: "COMPLETED", Quantity: 3,
		Orders: []gateway.Order{{Tradingsymbol: "TCS", TransactionType: "BUY", Quantity: 1, Status: "REJECTED", StatusMessage: "RMS: margin"},
			{Tradingsymbol: "INFY", TransactionType: "SELL", Quantity: 2, Status: "REJECTED", StatusMessage: "insufficient holdings"}}}}}
	hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(orderSteps...).on(flow.FetchOrders, func(s *flow.Step) { s.Orders = od }))
	hs.placeOrder("TCS", "1")
	v := plain(hs.view())
	mustContain(t, v, "Connected order · alice  done, but", "the broker rejected every order (2 of 2)",
		"Connected order for alice completed, but the broker rejected every order")
	if hs.m.statusLevel != statusError {
		t.Fatal("an order with every line rejected shows as a success")
	}
	if rej, total := rejectedOrders(&gateway.OrderDetails{Batches: []gateway.OrderBatch{{Orders: []gateway.Order{{Status: "COMPLETE", FilledQuantity: 1}, {Status: "REJECTED"}}}}}); rej != 1 || total != 2 {
		t.Fatalf("rejected %d of %d", rej, total)
	}
}

// TestCurlPastesAsShown runs the curl command as the pane shows it (lines
// cut to the pane's width) through sh, with printf in place of curl: it
// must give the same arguments as the command itself.
func TestCurlPastesAsShown(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	tok, _ := gateway.MintConnectedToken(testSecret, testAuthID, testNow.Add(time.Hour))
	x := gateway.Exchange{Method: "POST", URL: "http://127.0.0.1:9/gateway/gatewaydemo/transaction"}
	curl := x.Curl()
	// A token header and a body with quotes, as a real create has.
	curl += " \\\n  -H 'x-gateway-authtoken: " + tok + "' \\\n  --data '{\"intent\":\"TRANSACTION\",\"orderConfig\":{\"type\":\"SECURITIES\",\"note\":\"it'\\''s\"}}'"
	args := func(cmd string) string {
		t.Helper()
		out, err := exec.Command(sh, "-c", strings.Replace(cmd, "curl", `printf '[%s]\n'`, 1)).CombinedOutput()
		if err != nil {
			t.Fatalf("sh: %v\n%s\n%s", err, cmd, out)
		}
		return string(out)
	}
	want := args(curl)
	for _, w := range []int{30, 41, 79} {
		lines := curlLines(curl, w)
		for _, l := range lines {
			if len([]rune(l)) > w {
				t.Fatalf("width %d: line %q is %d wide", w, l, len([]rune(l)))
			}
		}
		if got := args(strings.Join(lines, "\n")); got != want {
			t.Fatalf("width %d: the shown command gives\n%s\nwant\n%s\nshown:\n%s", w, got, want, strings.Join(lines, "\n"))
		}
	}
}

func TestOSC52IsPlain(t *testing.T) {
	var b bytes.Buffer
	if err := OSC52Clipboard(&b).Copy("curl x"); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.HasPrefix(s, "\x1b]52;c;") || strings.Contains(s, "tmux") {
		t.Fatalf("sequence %q", s)
	}
}

// TestDemoRedactionStyled renders a demo flow with colours: redacting text
// that is already redacted and styled changes nothing, so no line grows
// (no stray … at the edge) and the page link keeps its port.
func TestDemoRedactionStyled(t *testing.T) {
	lipgloss.SetColorProfile(termenv.TrueColor)
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	hs := newHarness(t, 120, 40)
	hs.key("D")
	liveGuest(hs, "mo")
	hs.key("up", "up") // create_transaction: transactionId and the apiSecret header
	v := hs.view()
	if !strings.Contains(v, "\x1b[") {
		t.Skip("the renderer emits no styles here")
	}
	for i, l := range strings.Split(plain(v), "\n") {
		if strings.HasSuffix(strings.TrimRight(l, " "), "…") {
			t.Fatalf("line %d ends in a stray …: %q", i+1, l)
		}
	}
	mustContain(t, plain(v), "transactionId TRX_••••cdef", "x-gateway-secret: ••••••••")
	if strings.Contains(plain(v), "•••••••••") {
		t.Fatalf("a mask grew:\n%s", plain(v))
	}
	hs.key("down")
	mustContain(t, plain(hs.view()), "http://localhost:41234/j/NONCE1234567890/")
	styled := hs.m.st.Label.Render("x-gateway-secret: ") + "ap1-••••  " + hs.m.st.Label.Render("url ") + "http://localhost:45813/j/AbCdEfGhIj/"
	once := demoRedact(styled)
	if twice := demoRedact(once); twice != once {
		t.Fatalf("demoRedact is not idempotent:\n%q\n%q", once, twice)
	}
	if !strings.Contains(once, "localhost:45813/j/AbCdEfGhIj/") || strings.Contains(once, "ap1-") {
		t.Fatalf("redacted %q", plain(once))
	}
}

func TestFitWidthDropsPaddingFirst(t *testing.T) {
	l := "export to: " + strings.Repeat(" ", 80)
	if got := fitWidth(l, 40); strings.Contains(got, "…") || !strings.HasPrefix(got, "export to:") {
		t.Fatalf("fitWidth = %q", got)
	}
	if got := plain(fitWidth(strings.Repeat("x", 50), 40)); got != strings.Repeat("x", 39)+"…" {
		t.Fatalf("fitWidth of text = %q", got)
	}
}

// TestLongStepTitlesWrapBeforeTheDuration: a step title too long for the
// steps column wraps under itself; it is never cut, and the duration stays
// on its first line.
func TestLongStepTitlesWrapBeforeTheDuration(t *testing.T) {
	f := &flowView{st: NewStyles(true), steps: []flow.Step{
		{Kind: flow.CreateTransaction, Title: "Create a TRANSACTION (the order) with its orderConfig", State: flow.Done, Duration: 1500 * time.Millisecond},
		{Kind: flow.MintToken, Title: "Mint", State: flow.Done, Duration: time.Millisecond},
	}}
	lines := f.stepsList(36)
	joined := plain(strings.Join(lines, "\n"))
	for _, w := range []string{"Create a TRANSACTION", "(the", "order) with its", "orderConfig", "1.5s"} {
		if !strings.Contains(joined, w) {
			t.Errorf("steps lack %q:\n%s", w, joined)
		}
	}
	if strings.Contains(joined, "…") {
		t.Errorf("a title was cut:\n%s", joined)
	}
	if !strings.HasSuffix(strings.TrimRight(plain(lines[0]), " "), "1.5s") {
		t.Errorf("the duration is not on the title's first line: %q", plain(lines[0]))
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 36 {
			t.Errorf("line %q is %d cells, over 36", plain(l), w)
		}
	}
}

// TestCodeLinesWrapLongValues: a JSON value wider than the pane (an id, a
// URL, a user agent) wraps: it is never cut.
func TestCodeLinesWrapLongValues(t *testing.T) {
	long := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"
	lines := codeLines(NewStyles(true), `{"userAgent":"`+long+`","transactionId":"TRX_0123456789abcdef0123456789abcdef"}`, 30, 40)
	joined := strings.ReplaceAll(strings.Join(func() []string {
		var out []string
		for _, l := range lines {
			out = append(out, strings.TrimRight(plain(l), " "))
		}
		return out
	}(), ""), " ", "")
	for _, w := range []string{strings.ReplaceAll(long, " ", ""), "TRX_0123456789abcdef0123456789abcdef"} {
		if !strings.Contains(joined, w) {
			t.Errorf("a value was cut: %q not in %q", w, joined)
		}
	}
	for _, l := range lines {
		if ansi.StringWidth(l) > 30 {
			t.Errorf("line %q is over 30 cells", plain(l))
		}
	}
}

// TestBrowserEventsWrap: a long page event (the page's user agent) wraps in
// the details under its time; it is never cut.
func TestBrowserEventsWrap(t *testing.T) {
	hs := newHarness(t, 100, 30)
	j := liveGuest(hs, "fay")
	ua := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36 end-of-agent"
	hs.pump(hs.update(journeyEventMsg{j: j, ev: bridge.JourneyEvent{Kind: bridge.JourneyPageOpened, Detail: ua, At: testNow}, ok: true}))
	v := flat(plain(hs.view()))
	if !strings.Contains(v, "end-of-agent") {
		t.Fatalf("the event was cut:\n%s", plain(hs.view()))
	}
}
