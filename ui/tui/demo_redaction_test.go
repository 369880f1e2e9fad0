package tui

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// demoSecrets are the values demo mode must never show whole: pieces of
// the minted JWT's payload and signature (a long token is wrapped over
// lines, so the pieces are short enough to sit on one), the transactionId
// and the smallcaseAuthId.
func demoSecrets(tok string) []string {
	parts := strings.Split(tok, ".")
	payload, sig := parts[1], parts[2]
	return []string{payload[:24], sig[:12], sig[len(sig)-12:], "TRX_0123456789abcdef0123456789abcdef", testAuthID}
}

// TestDemoModeRedactsTokensAndIDs walks every step of a guest login with
// demo mode on: the JWT the first step minted, the transactionId and the
// smallcaseAuthId appear on no screen. With demo mode off the same screens
// show them, so the test looks where they are.
func TestDemoModeRedactsTokensAndIDs(t *testing.T) {
	tok, err := gateway.MintConnectedToken(testSecret, testAuthID, testNow.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	minted := func(s *flow.Step) {
		s.Token = tok
		s.TokenInfo, _ = gateway.InspectToken(tok, testNow)
	}
	hs := newHarness(t, 160, 50)
	hs.key("D")
	if !hs.m.demo {
		t.Fatal("D did not turn demo mode on")
	}
	j := newFakeJourney(guestSteps...).on(flow.MintToken, minted).on(flow.CreateTransaction, created).
		on(flow.OpenBrowser, browserOpened).on(flow.VerifyResult, verified)
	hs.store.users["sandbox"] = nil
	hs.startGuest("alice", j)
	for range len(guestSteps) {
		hs.key("up")
	}
	var seen strings.Builder // what demo mode off shows, step by step
	for i := range guestSteps {
		v := plain(hs.view())
		for _, secret := range demoSecrets(tok) {
			if strings.Contains(v, secret) {
				t.Errorf("step %d (%s): demo mode shows %q:\n%s", i+1, guestSteps[i], secret, v)
			}
		}
		if i == 0 && !strings.Contains(v, "redacted") {
			t.Errorf("the mint step does not say the token is redacted:\n%s", v)
		}
		hs.key("D")
		seen.WriteString(plain(hs.view()))
		hs.key("D", "down")
	}
	for _, secret := range demoSecrets(tok) {
		if !strings.Contains(seen.String(), secret) {
			t.Errorf("with demo mode off no step shows %q: the test does not look where it should", secret)
		}
	}
}

// TestDemoRedactHidesJWTsAndIDs: the last pass over every demo screen
// removes a JWT, a transactionId and a smallcaseAuthId wherever they are in
// the text, and keeps the text around them.
func TestDemoRedactHidesJWTsAndIDs(t *testing.T) {
	tok, err := gateway.MintConnectedToken(testSecret, testAuthID, testNow.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	in := "jwt " + tok + "\ntransactionId TRX_0123456789abcdef0123456789abcdef\nsmallcaseAuthId " + testAuthID + " (kite)"
	out := demoRedact(in)
	for _, secret := range append(demoSecrets(tok), tok) {
		if strings.Contains(out, secret) {
			t.Errorf("demoRedact leaves %q:\n%s", secret, out)
		}
	}
	mustContain(t, out, "jwt eyJ", "transactionId TRX_••••cdef", "smallcaseAuthId ••••"+testAuthID[20:], "(kite)")
}

// TestDemoKeySaysWhetherAutoAnswerIsOn: D names the auto-answer state in
// the status line, so a presenter knows whether the SDK step waits.
func TestDemoKeySaysWhetherAutoAnswerIsOn(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.key("D")
	mustContain(t, flat(plain(hs.view())), "demo mode", "auto-answer off")
	hs.key("D")
	hs.m.auto = AutoAnswer{Scenario: gateway.ScenarioSuccess}
	hs.key("D")
	mustContain(t, flat(plain(hs.view())), "auto-answer on: the sandbox answers success")
}

// TestStartupWarningsShowInTheStatusLine: a warning printed before the
// interface started is shown in its status line too.
func TestStartupWarningsShowInTheStatusLine(t *testing.T) {
	m := New(Config{Store: newFakeStore(), Now: testNow, StartupWarnings: []string{"config directory /tmp/x was mode 0755; gatewalk set it to 0700\x1b[2J"}, sched: testScheduler{}})
	m.Init()
	v := plain(m.View())
	mustContain(t, flat(v), "warning: config directory /tmp/x was mode 0755; gatewalk set it to 0700")
	if strings.Contains(m.View(), "\x1b[2J") {
		t.Error("a warning's escape sequence reached the frame")
	}
}

// TestDemoMasksKeepTheirNeighbours: in demo mode a mask never eats the text
// before it ("…/orders/sst?transactionId=" keeps its name), and a
// transactionId is redacted one way wherever it appears, once or twice.
func TestDemoMasksKeepTheirNeighbours(t *testing.T) {
	in := "GET http://127.0.0.1:9/v1/gw/engine/orders/sst?transactionId=TRX_0123456789abcdef0123456789abcdef\n" +
		`{"transactionId":"TRX_0123456789abcdef0123456789abcdef"} x-gateway-secret: gate•••• id=` + testAuthID
	out := demoRedact(in)
	mustContain(t, out, "sst?transactionId=TRX_••••cdef", `"transactionId":"TRX_••••cdef"`, "x-gateway-secret: ••••••••", "id=••••"+testAuthID[20:])
	if demoRedact(out) != out {
		t.Errorf("a second pass changed %q into %q", out, demoRedact(out))
	}
	// An id redacted by the view first comes out the same as one redacted
	// by the last pass alone.
	pre := "transactionId " + present.RedactID("TRX_0123456789abcdef0123456789abcdef", true)
	if got := demoRedact(pre); got != "transactionId TRX_••••cdef" {
		t.Errorf("pre-redacted id: %q", got)
	}
}

// demoJWTPattern is any compact JWT, as a test looks for one on a frame.
var demoJWTPattern = regexp.MustCompile(`eyJ[\w-]+\.[\w-]+\.[\w-]*`)

// paneText is the detail pane of a flow frame as one string: each line's
// pane column (the whole line when the steps sit above it), without
// styles, borders or blanks, so that a token the layout broke over lines
// reads whole again.
func paneText(frame string, col int) string {
	var b strings.Builder
	for _, l := range strings.Split(frame, "\n") {
		l = plain(l)
		if col > 0 {
			l = ansi.Cut(l, col, ansi.StringWidth(l))
		}
		b.WriteString(strings.Join(strings.Fields(flat(l)), ""))
	}
	return b.String()
}

// pageFrames selects step i of the flow and pages its detail pane down to
// the end: one frame per position.
func (hs *harness) pageFrames(i int) []string {
	hs.t.Helper()
	for range len(hs.m.flow.steps) {
		hs.key("up")
	}
	for range i {
		hs.key("down")
	}
	frames := []string{hs.view()}
	for range 50 {
		hs.key("pgdown")
		v := hs.view()
		if v == frames[len(frames)-1] {
			return frames
		}
		frames = append(frames, v)
	}
	hs.t.Fatal("pgdown never reached the end of the detail pane")
	return nil
}

// TestDemoModeRedactsOutsideTextBeforeWrapping: a JWT that came from the
// SDK, the Gateway, the page or the profile is longer than the detail pane
// is wide, so the pane breaks it over lines. Demo mode redacts it before
// the break, wherever the flow screen shows such text: no frame shows the
// token (on a line, read across the pane's lines, or a 20-character piece
// of it), and the redacted form stands where the token was.
func TestDemoModeRedactsOutsideTextBeforeWrapping(t *testing.T) {
	tok, err := gateway.MintConnectedToken(testSecret, testAuthID, testNow.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	const redacted = "eyJ…(tokenredacted)" // demoRedact's form, blanks dropped as paneText drops them
	withExchange := func(x gateway.Exchange) script {
		return func(s *flow.Step) {
			if x.URL == "" {
				x.URL = "http://127.0.0.1:9/gateway/gatewaydemo/verify"
			}
			x.Method, x.Attempt = "POST", 1
			s.Exchanges = []gateway.Exchange{x}
		}
	}
	cases := []struct {
		name string
		step flow.StepKind
		set  script
		// event, when set, is the detail of a result event of the page.
		event string
		// want is what the pane shows in place of the token, blanks dropped.
		want string
	}{
		{name: "sdk result", step: flow.AwaitSDK, set: func(s *flow.Step) {
			s.Outcome = &gateway.SDKOutcome{Result: &gateway.SDKResult{Success: true, Transaction: "CONNECT", SmallcaseAuthToken: tok,
				Broker: "kite-leprechaun", TransactionID: "TRX_0123456789abcdef0123456789abcdef"}}
		}, want: `"smallcaseAuthToken":"` + redacted + `"`},
		{name: "sdk error data", step: flow.AwaitSDK, set: func(s *flow.Step) {
			s.Outcome = &gateway.SDKOutcome{Error: &gateway.SDKError{Code: 1012, Message: "user_cancelled",
				Data: &gateway.SDKErrorData{SmallcaseAuthToken: tok}}}
		}, want: `"smallcaseAuthToken":"` + redacted + `"`},
		{name: "request url", step: flow.VerifyResult, set: withExchange(gateway.Exchange{URL: "http://127.0.0.1:9/verify?token=" + tok, Status: 200}),
			want: "/verify?token=" + redacted},
		{name: "request body", step: flow.VerifyResult, set: withExchange(gateway.Exchange{RequestBody: `{"authToken":"` + tok + `"}`, Status: 200}),
			want: `"authToken":"` + redacted + `"`},
		{name: "response body", step: flow.VerifyResult, set: withExchange(gateway.Exchange{Status: 200,
			ResponseBody: `{"success":true,"data":{"smallcaseAuthToken":"` + tok + `"}}`}),
			want: `"smallcaseAuthToken":"` + redacted + `"`},
		{name: "exchange error", step: flow.VerifyResult, set: withExchange(gateway.Exchange{Error: "connection reset after token " + tok}),
			want: "aftertoken" + redacted},
		{name: "summary", step: flow.VerifyResult, set: func(s *flow.Step) { s.Summary = "verified token " + tok }, want: "verifiedtoken" + redacted},
		{name: "warning", step: flow.VerifyResult, set: func(s *flow.Step) { s.Warnings = []string{"odd token " + tok} }, want: "warning:oddtoken" + redacted},
		{name: "step error", step: flow.VerifyResult, set: failWith(errors.New("the Gateway refused token " + tok)), want: "refusedtoken" + redacted},
		{name: "browser note", step: flow.OpenBrowser, set: func(s *flow.Step) {
			s.BrowserURL, s.BrowserNote = "http://localhost:41234/j/NONCE1234567890/", "not opened: the page holds token "+tok
		}, want: "holdstoken" + redacted},
		{name: "sdk config", step: flow.OpenBrowser, set: func(s *flow.Step) { s.SDKConfig = `{"authToken":"` + tok + `"}` },
			want: `{config:{"authToken":"` + redacted + `"}})`},
		{name: "browser event", step: flow.AwaitSDK, event: "resolved with token " + tok, want: "withtoken" + redacted},
		{name: "postback problem", step: flow.VerifyResult, set: func(s *flow.Step) {
			s.Postback = &session.PostbackRecord{Event: "connect", Status: "COMPLETED", Problem: "unexpected token " + tok}
		}, want: "unexpectedtoken" + redacted},
		{name: "postback body", step: flow.VerifyResult, set: func(s *flow.Step) {
			s.Postback = &session.PostbackRecord{Event: "connect", Status: "COMPLETED", ChecksumValid: true,
				Body: json.RawMessage(`{"smallcaseAuthToken":"` + tok + `"}`)}
		}, want: `"smallcaseAuthToken":"` + redacted + `"`},
	}
	sizes := []struct{ w, h int }{{160, 50}, {80, 24}}
	for _, c := range cases {
		for _, size := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", c.name, size.w, size.h), func(t *testing.T) {
				hs := newHarness(t, size.w, size.h)
				hs.key("D")
				hs.store.users["sandbox"] = nil
				j := newFakeJourney(guestSteps...)
				if c.set != nil {
					j.on(c.step, c.set)
				}
				if c.event != "" {
					j.events <- bridge.JourneyEvent{Kind: bridge.JourneyResult, Detail: c.event, At: testNow}
				}
				hs.startGuest("alice", j)
				if c.event != "" && !hs.listen() {
					t.Fatal("the flow does not read the page's events")
				}
				frames := hs.pageFrames(slices.Index(guestSteps, c.step))
				col := 0
				if hs.m.flow.wide() {
					col = hs.m.flow.leftWidth() + 1
				}
				var pane strings.Builder
				for _, frame := range frames {
					text := paneText(frame, col)
					pane.WriteString(text + "\n")
					// Per line, and across the pane's lines.
					var jwts []string
					pieces := 0
					for _, l := range append(strings.Split(plain(frame), "\n"), text) {
						jwts = append(jwts, demoJWTPattern.FindAllString(l, -1)...)
						for k := 0; k+20 <= len(tok); k++ {
							if strings.Contains(l, tok[k:k+20]) {
								pieces++
							}
						}
					}
					if len(jwts) > 0 || pieces > 0 {
						t.Errorf("demo mode draws the token: JWTs %q, %d pieces of 20 characters:\n%s", jwts, pieces, plain(frame))
					}
				}
				if !strings.Contains(pane.String(), c.want) {
					t.Errorf("the pane does not show %s; it reads:\n%s", c.want, pane.String())
				}
			})
		}
	}
}
