package tui

import (
	"context"
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
	"gatewalk/session/runbook"
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

// demoLeaks is what frame shows of tok: the JWTs on its lines and read
// across them (each line from column col, joined without blanks, as
// paneText reads them), and how many 20-character pieces of tok they hold.
func demoLeaks(frame string, col int, tok string) (jwts []string, pieces int) {
	for _, l := range append(strings.Split(plain(frame), "\n"), paneText(frame, col)) {
		jwts = append(jwts, demoJWTPattern.FindAllString(l, -1)...)
		for k := 0; k+20 <= len(tok); k++ {
			if strings.Contains(l, tok[k:k+20]) {
				pieces++
			}
		}
	}
	return jwts, pieces
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
		// The failure panel's title names the SDK's error by its message,
		// and is cut to the panel's width.
		{name: "sdk error name", step: flow.AwaitSDK, set: sdkError(1012, "token "+tok+" rejected"),
			want: "·token" + redacted + "rejected(1012)"},
		// A batch's line is the Gateway's words, wrapped to the pane.
		{name: "order details", step: flow.VerifyResult, set: func(s *flow.Step) {
			s.Orders = &gateway.OrderDetails{Status: "ERRORED", Batches: []gateway.OrderBatch{{BatchID: "b1", Status: "token " + tok + " expired", Quantity: 1}}}
		}, want: "batchb1·token" + redacted + "expired·filled0/1"},
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
					pane.WriteString(paneText(frame, col) + "\n")
					if jwts, pieces := demoLeaks(frame, col, tok); len(jwts) > 0 || pieces > 0 {
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

// demoToken is a connected token minted for testAuthID: longer than any
// line of the frames the demo tests draw.
func demoToken(t *testing.T) string {
	t.Helper()
	tok, err := gateway.MintConnectedToken(testSecret, testAuthID, testNow.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// demoRedacted is demoRedact's form of a token, blanks dropped as
// paneText drops them.
const demoRedacted = "eyJ…(tokenredacted)"

// demoSizes are the sizes the demo tests draw at: wide, where a column or
// a line leaves a long piece of a token, and the smallest usual terminal,
// where a token breaks over lines.
var demoSizes = []struct{ w, h int }{{160, 50}, {80, 24}}

// mustNotShowToken fails when frame shows tok (on a line, read across the
// lines, or a 20-character piece of it), or does not show want (blanks
// dropped, as paneText reads the frame) where the token was.
func mustNotShowToken(t *testing.T, frame, tok, want string) {
	t.Helper()
	if jwts, pieces := demoLeaks(frame, 0, tok); len(jwts) > 0 || pieces > 0 {
		t.Errorf("demo mode draws the token: JWTs %q, %d pieces of 20 characters:\n%s", jwts, pieces, plain(frame))
	}
	if text := paneText(frame, 0); !strings.Contains(text, want) {
		t.Errorf("the frame does not show %s; it reads:\n%s\n%s", want, text, plain(frame))
	}
}

// TestDemoModeRedactsTheStatusLine: the root's status line quotes errors
// (here the sandbox's refusal of a reset) and is wrapped and cut to two
// lines; in demo mode it is redacted before.
func TestDemoModeRedactsTheStatusLine(t *testing.T) {
	tok := demoToken(t)
	for _, size := range demoSizes {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			hs := newHarness(t, size.w, size.h)
			hs.key("D")
			hs.runner.resetErr = errors.New("the sandbox refused token " + tok + " for the reset")
			hs.key("R", "R")
			frame := hs.view()
			mustContain(t, plain(frame), "not reset")
			mustNotShowToken(t, frame, tok, "refusedtoken"+demoRedacted+"forthereset")
		})
	}
}

// TestDemoModeRedactsTheStartupError: the home screen's panel on a profile
// that did not start wraps the error, which may quote the Gateway's answer
// or a profile's value; in demo mode it is redacted before.
func TestDemoModeRedactsTheStartupError(t *testing.T) {
	tok := demoToken(t)
	for _, size := range demoSizes {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			hs := harnessFor(t, newFakeStore(), newFakeRunner())
			hs.start(Config{Demo: true, Connect: func(context.Context, ConnectOptions) (Runner, error) {
				return nil, errors.New("profile prod: the Gateway refused token " + tok + " at startup")
			}}, size.w, size.h)
			frame := hs.view()
			mustContain(t, plain(frame), "could not start")
			mustNotShowToken(t, frame, tok, "refusedtoken"+demoRedacted+"atstartup")
		})
	}
}

// TestDemoModeRedactsTheHistory: the history's list cuts an entry's status
// (with the SDK's error message) to its column and a postback's line to
// the width, and wraps the error and a failed re-fetch of the order
// details; the order details wrap a batch's line. In demo mode each is
// redacted before.
func TestDemoModeRedactsTheHistory(t *testing.T) {
	tok := demoToken(t)
	const id = "TRX_0123456789abcdef0123456789abcdef"
	order := session.HistoryEntry{TransactionID: id, Intent: gateway.IntentTransaction, User: "alice", CreatedAt: testNow.Add(-time.Hour), Status: gateway.StatusCompleted}
	cases := []struct {
		name  string
		entry session.HistoryEntry
		// fetchErr and od answer r (the re-fetch) when set.
		fetchErr error
		od       *gateway.OrderDetails
		want     string
	}{
		{name: "sdk error", entry: session.HistoryEntry{TransactionID: id, Intent: gateway.IntentConnect, User: "alice", CreatedAt: testNow.Add(-time.Hour),
			Status: gateway.StatusErrored, ErrorCode: 1012, ErrorMessage: "token " + tok + " rejected"}, want: "errortoken" + demoRedacted + "rejected(1012)"},
		{name: "postback problem", entry: session.HistoryEntry{TransactionID: id, Intent: gateway.IntentConnect, User: "alice", CreatedAt: testNow.Add(-time.Hour),
			Status: gateway.StatusCompleted, Postbacks: []session.PostbackRecord{{ReceivedAt: testNow.Add(-time.Minute), Event: "connect", Status: "COMPLETED",
				ChecksumValid: true, Problem: "unexpected token " + tok + " in the body"}}}, want: "unexpectedtokeneyJ…(token"}, // the line is cut to the width
		{name: "fetch error", entry: order, fetchErr: errors.New("the Gateway refused token " + tok + " for alice"), want: "refusedtoken" + demoRedacted + "foralice"},
		{name: "order details", entry: order, od: &gateway.OrderDetails{TransactionID: id, Status: "COMPLETED",
			Batches: []gateway.OrderBatch{{BatchID: "b1", Status: "token " + tok + " expired", Quantity: 1}}}, want: "batchb1·token" + demoRedacted + "expired·filled0/1"},
	}
	for _, c := range cases {
		for _, size := range demoSizes {
			t.Run(fmt.Sprintf("%s/%dx%d", c.name, size.w, size.h), func(t *testing.T) {
				hs := newHarness(t, size.w, size.h)
				hs.key("D")
				hs.store.history["sandbox"] = []session.HistoryEntry{c.entry}
				hs.key("y")
				if c.fetchErr != nil || c.od != nil {
					hs.runner.fetchErr, hs.runner.od = c.fetchErr, c.od
					hs.key("r")
				}
				frame := hs.view()
				mustContain(t, plain(frame), "Transaction history")
				mustNotShowToken(t, frame, tok, c.want)
			})
		}
	}
}

// TestDemoModeRedactsRunbookResults: the presenter cuts a step's line,
// whose outcome may be the SDK's error message, to the width, and wraps
// the failures, which quote the SDK's and the Gateway's errors. In demo
// mode they are redacted before.
func TestDemoModeRedactsRunbookResults(t *testing.T) {
	tok := demoToken(t)
	cases := []struct {
		name, runbook string
		// j is the SDK step of a login step; call answers an api step.
		j    script
		call func(method, path, label string) flow.CallResult
		want []string
	}{
		{name: "sdk outcome", runbook: `{"name":"Demo","profile":"any","steps":[{"name":"connect","journey":"login","user":"alice"}]}`,
			j:    sdkError(1012, "token "+tok+" rejected"),
			want: []string{"✗1connecttoken" + demoRedacted + "rejected", "↳outcometoken" + demoRedacted + "rejected,expectedsuccess"}},
		{name: "api failure", runbook: `{"name":"Demo","profile":"any","steps":[{"name":"funds","journey":"api","method":"POST","path":"/gateway/{gateway}/transaction","body":{"intent":"FETCH_FUNDS"},"user":"alice"}]}`,
			call: func(method, path, label string) flow.CallResult {
				return flow.CallResult{Err: errors.New("the Gateway refused token " + tok + " for alice")}
			},
			want: []string{"refusedtoken" + demoRedacted + "foralice"}},
	}
	for _, c := range cases {
		for _, size := range demoSizes {
			// Demo mode from the start (--demo), or D pressed on the
			// presenter once the results are in.
			for _, atStart := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/%dx%d/demo at start %v", c.name, size.w, size.h, atStart), func(t *testing.T) {
					rb, err := runbook.Parse([]byte(c.runbook))
					if err != nil {
						t.Fatal(err)
					}
					hs := runbookHarness(t, size.w, size.h, Config{Runbook: rb, RunbookSource: "demo.json", Demo: atStart})
					hs.runner.call = c.call
					if c.j != nil {
						hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.AwaitSDK, c.j))
					}
					hs.key("enter")
					if c.j != nil {
						hs.key("esc")
					}
					if _, ok := hs.m.active().(*presenterView); !ok {
						t.Fatalf("not back on the presenter: %T", hs.m.active())
					}
					if !atStart {
						hs.key("D")
					}
					frame := hs.view()
					mustContain(t, plain(frame), "Done: 0 of 1 steps passed")
					for _, want := range c.want {
						mustNotShowToken(t, frame, tok, want)
					}
				})
			}
		}
	}
}

// TestDemoModeRedactsDoctorChecks: the doctor wraps a check's detail,
// which quotes the Gateway's answer; in demo mode it is redacted before.
func TestDemoModeRedactsDoctorChecks(t *testing.T) {
	tok := demoToken(t)
	for _, size := range demoSizes {
		// D before the doctor opens, or on it.
		for _, keys := range [][]string{{"D", "d"}, {"d", "D"}} {
			t.Run(fmt.Sprintf("%dx%d/%s", size.w, size.h, strings.Join(keys, "")), func(t *testing.T) {
				hs := newHarness(t, size.w, size.h)
				hs.m.cfg.Doctor = func(ctx context.Context, profile string) flow.DoctorReport {
					return flow.DoctorReport{Profile: profile, Env: "sandbox", Checks: []flow.Check{
						{Group: "keys", Name: "secret", Level: flow.CheckFail, Detail: "the Gateway refused token " + tok + " (Invalid JWT)", Fix: "store the right key"}}}
				}
				hs.key(keys...)
				frame := hs.view()
				mustContain(t, plain(frame), "✗ keys")
				mustNotShowToken(t, frame, tok, "refusedtoken"+demoRedacted+"(InvalidJWT)")
			})
		}
	}
}

// TestDemoModeRedactsProfileFieldErrors: the profile form wraps a field's
// problem under it, and a problem quotes the value given (a URL); in demo
// mode it is redacted before.
func TestDemoModeRedactsProfileFieldErrors(t *testing.T) {
	tok := demoToken(t)
	for _, size := range demoSizes {
		// D before the profiles open, or on their list (the form takes
		// the keys typed).
		for _, keys := range [][]string{{"D", "p"}, {"p", "D"}} {
			t.Run(fmt.Sprintf("%dx%d/%s", size.w, size.h, strings.Join(keys, "")), func(t *testing.T) {
				hs := newHarness(t, size.w, size.h)
				hs.store.saveErr = &gateway.ValidationError{Field: "apiUrl", Problem: `"https://gw.example/?token=` + tok + `" is not an API URL`}
				hs.key(keys...)
				hs.key("down", "e", "enter")
				frame := hs.view()
				mustContain(t, plain(frame), "Edit profile staging")
				mustNotShowToken(t, frame, tok, "?token="+demoRedacted+`"isnotanAPIURL`)
			})
		}
	}
}

// TestDemoModeRedactsALabelThatIsAnID: a user may be labelled by its
// smallcaseAuthId. The header names the selected user, the home screen's
// actions and its label column and the history's user column cut the
// label to their width; in demo mode it is redacted before, as ids are.
// 60x16 is the smallest terminal gatewalk draws in, where the label
// column is narrowest.
func TestDemoModeRedactsALabelThatIsAnID(t *testing.T) {
	for _, size := range append(demoSizes, struct{ w, h int }{60, 16}) {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			hs := newHarness(t, size.w, size.h)
			hs.store.users["sandbox"] = []session.User{{Label: testAuthID, SmallcaseAuthID: testAuthID, Broker: "kite-leprechaun", LastUsedAt: testNow}}
			hs.store.history["sandbox"] = []session.HistoryEntry{{TransactionID: "TRX_0123456789abcdef0123456789abcdef", Intent: gateway.IntentConnect,
				User: testAuthID, CreatedAt: testNow.Add(-time.Hour), Status: gateway.StatusCompleted}}
			hs.pump(loadUsersCmd(hs.store, "sandbox"))
			hs.key("D")
			home := plain(hs.view())
			mustContain(t, strings.Split(home, "\n")[0], "user ••••"+testAuthID[20:])
			mustContain(t, home, "› ••••"+testAuthID[20:]+" ")
			hs.key("y")
			history := plain(hs.view())
			mustContain(t, history, "CONNECT ••••"+testAuthID[20:]+" ")
			for _, frame := range []string{home, history} {
				// Any 8 characters of the id but its last four, which
				// demo mode keeps.
				for k := 0; k+8 <= 20; k++ {
					if strings.Contains(frame, testAuthID[k:k+8]) {
						t.Fatalf("demo mode shows %q of the smallcaseAuthId:\n%s", testAuthID[k:k+8], frame)
					}
				}
			}
		})
	}
}
