package tui

import (
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
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
