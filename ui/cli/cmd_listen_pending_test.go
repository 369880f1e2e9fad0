package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
)

// TestListenPendingActionLine: a PENDING_ACTION (no transactionId: it is
// an investment's) sent by postback send is answered 200 by listen, printed
// with its iscid where the transaction goes, and kept with the unmatched
// postbacks; with a wrong checksum it is still refused (401).
func TestListenPendingActionLine(t *testing.T) {
	dir := t.TempDir()
	st := listenStore(t, dir)
	env := map[string]string{"GATEWALK_CONFIG_DIR": dir}
	url, out, errb, stop := startListen(t, env)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--user", "alice"}, 0},
		{[]string{"--user", "alice", "--bad-checksum"}, 0}, // refused, as it should be
	} {
		c, sout, serr := testCLI("", env)
		args := append([]string{"postback", "send", "--to", url, "--event", gateway.EventPendingAction}, tc.args...)
		if code := Main(context.Background(), c, args); code != tc.code {
			t.Fatalf("%v: exit %d\n%s%s", tc.args, code, sout, serr)
		}
	}
	if text, ok := out.waitFor(10*time.Second, func(s string) bool { return strings.Count(s, gateway.EventPendingAction) >= 2 }); !ok {
		t.Fatalf("want 2 PENDING_ACTION lines:\n%s", text)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var rows []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, gateway.EventPendingAction) {
			rows = append(rows, l)
		}
	}
	if len(rows) != 2 {
		t.Fatalf("want 2 PENDING_ACTION lines:\n%s", out)
	}
	for i, want := range [][]string{{"ok", "200"}, {"BAD", "401"}} {
		f := strings.Fields(rows[i])
		if len(f) < 8 || f[2] != "iscid" || f[5] != want[0] || f[6] != want[1] || !strings.Contains(rows[i], pbAuthID+" (alice)") {
			t.Errorf("line %d = %q, want iscid ..., checksum %s, HTTP %s", i, rows[i], want[0], want[1])
		}
	}
	if !strings.Contains(out.String(), "pending action REBALANCE on investment") || strings.Contains(out.String(), "unknown transaction") {
		t.Errorf("notes:\n%s", out)
	}
	if !strings.Contains(errb.String(), "1 pending_action") {
		t.Errorf("summary: %s", errb)
	}
	un, err := st.UnmatchedPostbacks(session.BuiltinProfileName)
	if err != nil || len(un) != 2 || un[1].Event != gateway.EventPendingAction || !un[1].ChecksumValid {
		t.Fatalf("unmatched %+v %v, want the valid pending action and the refused one", un, err)
	}
}
