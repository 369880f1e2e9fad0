package cli

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// productionProfile adds a production profile "live" whose API is a
// sandbox the test watches, with user alice, and returns the request count.
func productionProfile(t *testing.T, h *headlessEnv) func() int64 {
	t.Helper()
	sb, requests := externalSandbox(t, h)
	st := h.store(t)
	p := session.Profile{Name: "live", Env: gateway.EnvProduction, Gateway: sandbox.DefaultGateway,
		Secret: sandbox.DefaultSecret, APISecret: sandbox.DefaultAPISecret, APIURL: sb.URL(), CallbackPort: closedLoopbackPort(t)}
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	u := session.User{Label: "alice", SmallcaseAuthID: sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001"), Broker: "kite"}
	if err := st.SaveUser("live", u, false); err != nil {
		t.Fatal(err)
	}
	return requests.Load
}

// TestProductionOrderNeedsConfirmation: on a production profile, order
// without a terminal and without --yes exits 2 and sends nothing; on a
// terminal, anything but yes sends nothing either.
func TestProductionOrderNeedsConfirmation(t *testing.T) {
	h := newHeadlessEnv(t)
	requests := productionProfile(t, h)
	code, out, errb := h.run(t, "order", "--profile", "live", "--user", "alice", "--buy", "INFY:3", "--no-browser")
	if code != exitUsage || !strings.Contains(errb, "--yes") || !strings.Contains(errb, "nothing was sent") {
		t.Fatalf("no terminal, no --yes: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	for _, want := range []string{"BUY INFY × 3", "alice with kite", "live (PRODUCTION", "real orders"} {
		if !strings.Contains(errb, want) {
			t.Errorf("the review lacks %q:\n%s", want, errb)
		}
	}
	for _, answer := range []string{"no\n", "\n", "yess\n", "y\n"} {
		var o, e bytes.Buffer
		c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(answer), stdout: &o, stderr: &e,
			getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return true }}
		if code := Main(context.Background(), c, []string{"order", "--profile", "live", "--user", "alice", "--buy", "INFY:3", "--no-browser"}); code != exitUsage {
			t.Fatalf("answer %q: exit %d\n%s", answer, code, e.String())
		}
		if !strings.Contains(e.String(), "Type yes to confirm") {
			t.Fatalf("answer %q: not asked:\n%s", answer, e.String())
		}
	}
	if n := requests(); n != 0 {
		t.Fatalf("the Gateway saw %d requests although the order was not confirmed", n)
	}
}

// TestConfirmOrderAccepts: yes on a terminal, or --yes, lets the order
// go; a non-production profile is not asked.
func TestConfirmOrderAccepts(t *testing.T) {
	h := newHeadlessEnv(t)
	productionProfile(t, h)
	st := h.store(t)
	oc := gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "INFY", Quantity: 3, Type: gateway.Buy}}}
	r, err := flow.Setup(context.Background(), st, flow.Options{Emulators: sandboxEmulators, ProfileName: "live", NoBrowser: true, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tc := range []struct {
		stdin    string
		terminal bool
		yes      bool
	}{{"yes\n", true, false}, {"YES\n", true, false}, {"", false, true}} {
		var e bytes.Buffer
		c := &Factory{stdin: strings.NewReader(tc.stdin), stderr: &e, stdinIsTerminal: func() bool { return tc.terminal }}
		if err := confirmOrder(c, r, "alice", oc, tc.yes); err != nil {
			t.Errorf("%+v: %v", tc, err)
		}
	}
	sbr, err := flow.Setup(context.Background(), st, flow.Options{Emulators: sandboxEmulators, ProfileName: "ext", NoBrowser: true, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer sbr.Close()
	var e bytes.Buffer
	if err := confirmOrder(&Factory{stdin: strings.NewReader(""), stderr: &e}, sbr, "alice", oc, false); err != nil || e.Len() != 0 {
		t.Fatalf("a sandbox profile was asked: %v %q", err, e.String())
	}
}

// closedLoopbackPort is a loopback port nothing listens on (for a
// profile's callback port the test never opens).
func closedLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}
