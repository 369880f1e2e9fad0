package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// TestOrderAutoOutcomes checks the exit code and message of every --auto
// outcome.
func TestOrderAutoOutcomes(t *testing.T) {
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success"); code != 0 {
		t.Fatalf("login: exit %d\n%s", code, errb)
	}
	cases := []struct {
		outcome string
		code    int
		stdout  []string // in the result table
		stderr  []string // in the message
	}{
		{"success", exitOK, []string{"TCS", "INFY", "COMPLETE"}, nil},
		{"partial_fill", exitOK, []string{"PARTIAL", "not fully filled"}, nil},
		{"rejected", exitOK, []string{"REJECTED", "RMS"}, nil},
		{"insufficient_funds", exitOK, []string{"REJECTED", "Insufficient funds"}, nil},
		{"market_closed", exitSDK, nil, []string{"market_closed", "4004", "what to do"}},
		{"user_cancelled", exitSDK, nil, []string{"user_cancelled", "what to do"}},
		{"consent_denied", exitSDK, nil, []string{"consent_denied", "1003", "what to do"}},
		{"user_mismatch", exitSDK, nil, []string{"user_mismatch", "1001", "broker account"}},
		{"expired", exitExpired, nil, []string{"transaction_expired", "fresh transaction"}},
	}
	for _, tc := range cases {
		t.Run(tc.outcome, func(t *testing.T) {
			// TCS:2: a partial fill needs more than one share to fill in part.
			code, out, errb := h.run(t, "order", "--user", "alice", "--buy", "TCS:2", "--sell", "INFY:1", "--auto", tc.outcome)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errb)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(errb, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb)
				}
			}
			if tc.code != 0 && out != "" {
				t.Errorf("a failed journey printed a result on stdout:\n%s", out)
			}
			// The same outcome with --json: one report, ok only on success.
			code, out, _ = h.run(t, "order", "--user", "alice", "--buy", "TCS:1", "--sell", "INFY:1", "--auto", tc.outcome, "--json")
			var rep present.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("--json stdout is not one report: %v\n%s", err, out)
			}
			if code != tc.code || rep.OK != (tc.code == 0) || rep.Kind != flow.Order || len(rep.Steps) == 0 {
				t.Fatalf("--json: exit %d ok=%v kind=%s", code, rep.OK, rep.Kind)
			}
			if !rep.OK && (rep.Error == nil || rep.Error.Message == "") {
				t.Fatalf("a failed report without its error: %+v", rep)
			}
		})
	}
}

func TestOrderAgainstOtherAccountIsMismatch(t *testing.T) {
	h := newHeadlessEnv(t)
	externalSandbox(t, h)
	code, _, errb := h.run(t, "order", "--profile", "ext", "--user", "alice", "--buy", "TCS:1", "--auto", "user_mismatch")
	if code != exitSDK || !strings.Contains(errb, "user_mismatch") {
		t.Fatalf("exit %d\n%s", code, errb)
	}
}

func TestRejectedKeysExit4(t *testing.T) {
	h := newHeadlessEnv(t)
	sb, _ := externalSandbox(t, h)
	cases := map[string]string{
		// The advice names the variable that overrode the profile's key.
		"GATEWALK_SECRET":     "check $GATEWALK_SECRET",
		"GATEWALK_API_SECRET": "check $GATEWALK_API_SECRET",
	}
	for env, hint := range cases {
		h.env[env] = "not-the-right-key"
		code, out, errb := h.run(t, "order", "--profile", "ext", "--user", "alice", "--buy", "TCS:1", "--auto", "success", "--json")
		delete(h.env, env)
		if code != exitRejected || !strings.Contains(errb, hint) {
			t.Errorf("%s wrong: exit %d, stderr lacks %q:\n%s", env, code, hint, errb)
		}
		if strings.Contains(out+errb, "not-the-right-key") {
			t.Errorf("%s was printed in full", env)
		}
	}
	if sb.Transactions() != 0 {
		t.Fatalf("a transaction was created with rejected keys")
	}
}

func TestParseSecuritySpec(t *testing.T) {
	good := map[string]string{"TCS:1": "TCS 1", "m&m:3": "M&M 3", " BAJAJ-AUTO : 10 ": "BAJAJ-AUTO 10"}
	for in, want := range good {
		s, err := parseSecuritySpec(in, "BUY")
		if err != nil || s.Ticker+" "+itoa(s.Quantity) != want {
			t.Errorf("%q: %+v %v, want %s", in, s, err, want)
		}
	}
	for _, in := range []string{"TCS", "TCS:", ":1", "TCS:0", "TCS:-1", "TCS:1.5", "T CS:1", "TCS:x"} {
		if _, err := parseSecuritySpec(in, "SELL"); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
