package cli

import (
	"bytes"
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
	good := map[string]string{"TCS:1": "TCS 1", "m&m:3": "M&M 3", " BAJAJ-AUTO : 10 ": "BAJAJ-AUTO 10", "TCS": "TCS 0", "reliance": "RELIANCE 0"}
	for in, want := range good {
		s, err := parseSecuritySpec(in, "BUY")
		if err != nil || s.Ticker+" "+itoa(s.Quantity) != want || s.Type != "BUY" {
			t.Errorf("%q: %+v %v, want %s BUY", in, s, err, want)
		}
	}
	if s, err := parseSecuritySpec("TCS", ""); err != nil || s.Type != "" || s.Quantity != 0 {
		t.Errorf("--stock TCS: %+v %v, want a ticker-only line", s, err)
	}
	for _, in := range []string{"", "TCS:", ":1", "TCS:0", "TCS:-1", "TCS:1.5", "T CS:1", "TCS:x"} {
		if _, err := parseSecuritySpec(in, "SELL"); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestOrderDocumentedLineShapes: --buy without quantities sends lines of
// ticker and type, --stock sends ticker-only lines (the user chooses in the
// review screen; the unattended sandbox takes 1 BUY), and lines that break
// the Gateway's rule are refused before anything is sent, naming the rule.
func TestOrderDocumentedLineShapes(t *testing.T) {
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success"); code != 0 {
		t.Fatalf("login: exit %d\n%s", code, errb)
	}
	for _, tc := range []struct {
		args []string
		body string
	}{
		{[]string{"--buy", "RELIANCE", "--buy", "TCS"}, `[{"ticker":"RELIANCE","type":"BUY"},{"ticker":"TCS","type":"BUY"}]`},
		{[]string{"--stock", "RELIANCE", "--stock", "TCS"}, `[{"ticker":"RELIANCE"},{"ticker":"TCS"}]`},
		{[]string{"--stock", "RELIANCE:2,TCS:1"}, `[{"ticker":"RELIANCE","quantity":2},{"ticker":"TCS","quantity":1}]`},
		{[]string{"--buy", "RELIANCE:2", "--sell", "TCS:1"}, `[{"ticker":"RELIANCE","quantity":2,"type":"BUY"},{"ticker":"TCS","quantity":1,"type":"SELL"}]`},
	} {
		args := append([]string{"order", "--user", "alice", "--auto", "success", "--json"}, tc.args...)
		code, out, errb := h.run(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d\n%s", tc.args, code, errb)
		}
		var rep present.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		var sent string
		for _, st := range rep.Steps {
			if st.Request != nil && strings.HasSuffix(st.Request.URL, "/transaction") {
				var body struct {
					OrderConfig struct {
						Securities json.RawMessage `json:"securities"`
					} `json:"orderConfig"`
				}
				if err := json.Unmarshal(st.Request.Body, &body); err != nil {
					t.Fatal(err)
				}
				var compact bytes.Buffer
				if err := json.Compact(&compact, body.OrderConfig.Securities); err != nil {
					t.Fatal(err)
				}
				sent = compact.String()
			}
		}
		if sent != tc.body {
			t.Errorf("%v sent securities %s, want %s", tc.args, sent, tc.body)
		}
	}
	// (TestUsageErrorsSendNothing checks that such orders reach no server.)
	for _, args := range [][]string{
		{"--buy", "TCS:1", "--buy", "INFY"},
		{"--stock", "TCS", "--sell", "INFY"},
		{"--stock", "TCS", "--buy", "INFY:1"},
	} {
		code, out, errb := h.run(t, append([]string{"order", "--user", "alice", "--auto", "success"}, args...)...)
		if code != exitUsage || !strings.Contains(errb, "must be specified for all stocks") || out != "" {
			t.Errorf("%v: exit %d, want %d naming the rule\n%s", args, code, exitUsage, errb)
		}
	}
}
