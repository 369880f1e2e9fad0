package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// TestDoctorOnTheBuiltinSandbox: every check passes, offline.
func TestDoctorOnTheBuiltinSandbox(t *testing.T) {
	h := newHeadlessEnv(t)
	h.store(t) // the directory 0700, as gatewalk makes it
	code, out, errb := h.run(t, "doctor")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	checks := 0
	for _, l := range lines[1 : len(lines)-1] {
		if !strings.HasPrefix(l, "✓ ") {
			t.Errorf("not passed: %q", l)
		}
		checks++
	}
	for _, want := range []string{"✓ keys", "✓ clock", "✓ network", "✓ config", "✓ browser", "✓ terminal", "0 failed, 0 warnings"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if checks < 10 {
		t.Fatalf("%d checks:\n%s", checks, out)
	}
}

// TestDoctorSaysWhatItRepaired: a file readable by others is a warning
// (repaired), a file that does not parse a failure.
func TestDoctorSaysWhatItRepaired(t *testing.T) {
	h := newHeadlessEnv(t)
	h.store(t)
	if err := os.WriteFile(filepath.Join(h.dir, "users.json"), []byte(`{"version":1,"profiles":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(h.dir, "users.json"), 0o644)
	code, out, _ := h.run(t, "doctor", "--no-create")
	if code != 0 || !strings.Contains(out, "! config") || !strings.Contains(out, "0644") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	os.WriteFile(filepath.Join(h.dir, "users.json"), []byte("nope"), 0o600)
	code, out, _ = h.run(t, "doctor", "--no-create")
	if code != exitError || !strings.Contains(out, "✗ config") || !strings.Contains(out, "users.json") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

const (
	acmeSecret    = "acme_0123456789abcdef0123456789abcdef"
	acmeAPISecret = "acme_fedcba9876543210fedcba9876543210"
)

// doctorReport runs doctor --json on profile NAME.
func doctorReport(t *testing.T, h *headlessEnv, args ...string) (int, flow.DoctorReport) {
	t.Helper()
	code, out, errb := h.run(t, append([]string{"doctor", "--json"}, args...)...)
	var rep flow.DoctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d, stdout not JSON: %v\n%s\n%s", code, err, out, errb)
	}
	return code, rep
}

// TestDoctorNamesTheWrongKey: against a sandbox started with other keys,
// each wrong key is named (and only that one), and the exit code is 4.
func TestDoctorNamesTheWrongKey(t *testing.T) {
	sb := sandbox.New(sandbox.Config{Gateway: "acme", Secret: acmeSecret, APISecret: acmeAPISecret})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	for _, tc := range []struct {
		name                    string
		gw, secret, apiSecret   string
		wantCheck, wantInDetail string
	}{
		{"gateway", "acmex", acmeSecret, acmeAPISecret, "gateway name", `"acmex"`},
		{"secret", "acme", "acme_00000000000000000000000000000000", acmeAPISecret, "secret", "Invalid JWT"},
		{"apiSecret", "acme", acmeSecret, "acme_00000000000000000000000000000000", "apiSecret", "x-gateway-secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHeadlessEnv(t)
			p := session.Profile{Name: "acme", Env: gateway.EnvSandbox, Gateway: tc.gw, Secret: tc.secret, APISecret: tc.apiSecret, APIURL: base}
			if err := h.store(t).SaveProfile(p); err != nil {
				t.Fatal(err)
			}
			code, rep := doctorReport(t, h, "--profile", "acme")
			if code != exitRejected || !rep.KeysRejected {
				t.Fatalf("exit %d, report %+v", code, rep)
			}
			var failed []flow.Check
			for _, c := range rep.Checks {
				if c.Level == flow.CheckFail {
					failed = append(failed, c)
				}
			}
			if len(failed) != 1 || failed[0].Name != tc.wantCheck || !strings.Contains(failed[0].Detail, tc.wantInDetail) || failed[0].Fix == "" {
				t.Fatalf("failed checks %+v, want only %q", failed, tc.wantCheck)
			}
		})
	}
	// The right keys pass.
	h := newHeadlessEnv(t)
	if err := h.store(t).SaveProfile(session.Profile{Name: "acme", Env: gateway.EnvSandbox, Gateway: "acme", Secret: acmeSecret, APISecret: acmeAPISecret, APIURL: base}); err != nil {
		t.Fatal(err)
	}
	if code, rep := doctorReport(t, h, "--profile", "acme"); code != 0 || rep.Failed() {
		t.Fatalf("exit %d, %+v", code, rep)
	}
}

// TestDoctorReportsClockSkew: a server whose Date runs ahead is reported,
// as a warning above 30 seconds and a failure above 5 minutes. A sandbox
// whose own clock was moved (it says so with X-Sandbox-Time) is not this
// machine's fault: that is said, as a pass.
func TestDoctorReportsClockSkew(t *testing.T) {
	for _, tc := range []struct {
		ahead   time.Duration
		level   flow.CheckLevel
		code    int
		sandbox bool // the sandbox's X-Sandbox-Time header stays
	}{{0, flow.CheckOK, 0, false}, {2 * time.Minute, flow.CheckWarn, 0, false}, {10 * time.Minute, flow.CheckFail, exitError, false},
		{10 * time.Minute, flow.CheckOK, 0, true}} {
		h := newHeadlessEnv(t)
		sb, _ := externalSandbox(t, h)
		sb.Advance(tc.ahead)
		if !tc.sandbox {
			// A server that is not a sandbox: its Date alone.
			target, _ := url.Parse(sb.URL())
			rp := httputil.NewSingleHostReverseProxy(target)
			rp.ModifyResponse = func(r *http.Response) error { r.Header.Del("X-Sandbox-Time"); return nil }
			proxy := httptest.NewServer(rp)
			t.Cleanup(proxy.Close)
			st := h.store(t)
			p, _ := st.Profile("ext")
			p.APIURL = proxy.URL
			if err := st.SaveProfile(p); err != nil {
				t.Fatal(err)
			}
		}
		code, rep := doctorReport(t, h, "--profile", "ext", "--no-create")
		var clock *flow.Check
		for i, c := range rep.Checks {
			if c.Group == "clock" {
				clock = &rep.Checks[i]
			}
		}
		if code != tc.code || clock == nil || clock.Level != tc.level {
			t.Fatalf("ahead %s: exit %d, clock %+v", tc.ahead, code, clock)
		}
		if tc.ahead > 0 && !tc.sandbox && (!strings.Contains(clock.Detail, "ahead of") || clock.Fix == "") {
			t.Fatalf("ahead %s: %+v", tc.ahead, clock)
		}
		if tc.sandbox && !strings.Contains(clock.Detail, "the sandbox's own clock") {
			t.Fatalf("a moved sandbox clock: %+v", clock)
		}
		if n := sb.Transactions(); n != 0 {
			t.Fatalf("--no-create created %d transactions", n)
		}
	}
}

func TestDoctorUsage(t *testing.T) {
	h := newHeadlessEnv(t)
	for _, args := range [][]string{{"doctor", "--profile", "nosuch"}, {"doctor", "extra"}, {"doctor", "--nope"}} {
		if code, out, errb := h.run(t, args...); code != exitUsage || out != "" {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errb)
		}
	}
}
