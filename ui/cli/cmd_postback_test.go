package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
)

const pbAuthID = "5f0321b5f3743c31d95abd35"

func signedPostback(t *testing.T, txn, event, key string) gateway.Postback {
	t.Helper()
	p := gateway.Postback{Timestamp: "1763726400000", SmallcaseAuthID: pbAuthID, TransactionID: txn,
		Intent: gateway.IntentTransaction, Event: event, Status: gateway.StatusCompleted}
	p.Sign(key)
	return p
}

func pbJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPostbackVerify(t *testing.T) {
	const envKey = "s3cr3t-api-key-from-env"
	dir := t.TempDir()
	valid := pbJSON(t, signedPostback(t, "TRX_1", gateway.EventOrderCompleted, session.DemoSecret))
	file := filepath.Join(dir, "body.json")
	if err := os.WriteFile(file, []byte(valid), 0o600); err != nil {
		t.Fatal(err)
	}
	numeric := strings.Replace(pbJSON(t, signedPostback(t, "TRX_1", gateway.EventOrderCompleted, envKey)), `"timestamp":"1763726400000"`, `"timestamp":1763726400000`, 1)
	tampered := strings.Replace(valid, "1763726400000", "1763726400001", 1)
	tests := []struct {
		name  string
		args  []string
		stdin string
		env   map[string]string
		code  int
		want  []string
	}{
		{name: "valid file, profile key", args: []string{file}, code: 0,
			want: []string{"checksum:  VALID", `"1763726400000" (a JSON string)`, "smallcaseAuthId " + pbAuthID, `profile "sandbox" apiSecret (gate••••)`}},
		{name: "number timestamp, env key", args: []string{"-"}, stdin: numeric, env: map[string]string{"GATEWALK_API_SECRET": envKey}, code: 0,
			want: []string{"VALID", "1763726400000 (a JSON number", "$GATEWALK_API_SECRET (s3cr••••)"}},
		{name: "tampered", args: nil, stdin: tampered, code: exitRejected, want: []string{"INVALID", "does not match"}},
		{name: "wrong key", args: []string{file, "--json"}, env: map[string]string{"GATEWALK_API_SECRET": envKey}, code: exitRejected,
			want: []string{`"valid": false`, `"keyFrom": "env"`, `"idField": "smallcaseAuthId"`}},
		{name: "malformed", args: []string{"-"}, stdin: "timestamp=1", code: exitUsage},
		{name: "empty", args: []string{"-"}, stdin: "  \n", code: exitUsage},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.json")}, code: exitUsage},
		{name: "unknown profile", args: []string{file, "--profile", "nope"}, code: exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"GATEWALK_CONFIG_DIR": filepath.Join(dir, "config")}
			for k, v := range tt.env {
				env[k] = v
			}
			c, out, errb := testCLI(tt.stdin, env)
			code := Main(context.Background(), c, append([]string{"postback", "verify"}, tt.args...))
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errb)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			all := out.String() + errb.String()
			if strings.Contains(all, envKey) || strings.Contains(all, session.DemoSecret) {
				t.Errorf("a secret was printed:\n%s", all)
			}
		})
	}
}

func TestPostbackVerifyRefusesAnEmptyTerminal(t *testing.T) {
	c, _, errb := testCLI("", map[string]string{"GATEWALK_CONFIG_DIR": t.TempDir()})
	c.stdinIsTerminal = func() bool { return true }
	if code := Main(context.Background(), c, []string{"postback", "verify"}); code != exitUsage || !strings.Contains(errb.String(), "pipe the body") {
		t.Fatalf("exit %d: %s", code, errb)
	}
}

// startListen runs `gatewalk listen` with args in the background and
// returns its URL, its outputs and a stop function returning the exit code.
func startListen(t *testing.T, env map[string]string, args ...string) (string, *syncBuffer, *syncBuffer, func() int) {
	t.Helper()
	var out, errb syncBuffer
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false }}
	ctx, cancel := context.WithCancel(context.Background())
	codec := make(chan int, 1)
	go func() { codec <- Main(ctx, c, append([]string{"listen", "--addr", "127.0.0.1:0"}, args...)) }()
	re := regexp.MustCompile(`POST postbacks to (http://\S+)`)
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		text, written := errb.next()
		if m := re.FindStringSubmatch(text); m != nil {
			stop := func() int { cancel(); return <-codec }
			t.Cleanup(func() { cancel() })
			return m[1], &out, &errb, stop
		}
		select {
		case <-written:
		case code := <-codec:
			t.Fatalf("listen exited %d: %s", code, errb.String())
		case <-deadline.C:
			cancel()
			t.Fatalf("listen did not start: %s", errb.String())
		}
	}
}

func postTo(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func listenStore(t *testing.T, dir string) *session.Store {
	t.Helper()
	st, _, err := session.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddHistory(session.BuiltinProfileName, session.HistoryEntry{TransactionID: "TRX_known", Intent: gateway.IntentTransaction}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveUser(session.BuiltinProfileName, session.User{Label: "alice", SmallcaseAuthID: pbAuthID, Broker: "kite-leprechaun"}, false); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestListenPrintsOneLinePerPostback(t *testing.T) {
	dir := t.TempDir()
	st := listenStore(t, dir)
	url, out, errb, stop := startListen(t, map[string]string{"GATEWALK_CONFIG_DIR": dir})
	valid := pbJSON(t, signedPostback(t, "TRX_known", gateway.EventOrderCompleted, session.DemoSecret))
	steps := []struct {
		body   string
		status int
	}{
		{valid, 200},
		{valid, 200}, // replay
		{pbJSON(t, signedPostback(t, "TRX_known", gateway.EventOrderPlaced, "wrong")), 401},
		{pbJSON(t, signedPostback(t, "TRX_other", gateway.EventOrderPlaced, session.DemoSecret)), 404},
		{"not json", 400},
	}
	for i, s := range steps {
		if got := postTo(t, url, s.body); got != s.status {
			t.Fatalf("postback %d: status %d, want %d", i, got, s.status)
		}
	}
	// Lines are printed asynchronously: wait for the last one.
	if text, ok := out.waitForText(10*time.Second, "(malformed)"); !ok {
		t.Fatalf("no line for the malformed postback:\n%s", text)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rows []string
	for _, l := range lines[1:] {
		if !strings.HasPrefix(strings.TrimSpace(l), "↳") {
			rows = append(rows, l)
		}
	}
	if len(rows) != len(steps) {
		t.Fatalf("%d lines, want %d:\n%s", len(rows), len(steps), out)
	}
	for i, want := range []string{"ok", "replay", "BAD", "ok", "-"} {
		f := strings.Fields(rows[i])
		if len(f) < 6 || f[4] != want {
			t.Errorf("line %d checksum column %v, want %q: %q", i, f, want, rows[i])
		}
	}
	if !strings.Contains(rows[0], pbAuthID+" (alice)") {
		t.Errorf("user column lacks the local label: %q", rows[0])
	}
	if !strings.Contains(errb.String(), "5 requests") {
		t.Errorf("no summary: %s", errb)
	}
	if strings.Contains(out.String()+errb.String(), session.DemoSecret) {
		t.Error("the apiSecret was printed")
	}
	h, err := st.History(session.BuiltinProfileName)
	if err != nil || len(h) != 1 || len(h[0].Postbacks) != 3 {
		t.Fatalf("history %+v %v, want the valid, replayed and bad postbacks next to TRX_known", h, err)
	}
	un, err := st.UnmatchedPostbacks(session.BuiltinProfileName)
	if err != nil || len(un) != 2 {
		t.Fatalf("unmatched %+v %v, want the unknown and malformed ones", un, err)
	}
}

func TestListenJSONLines(t *testing.T) {
	dir := t.TempDir()
	listenStore(t, dir)
	url, out, _, stop := startListen(t, map[string]string{"GATEWALK_CONFIG_DIR": dir}, "--json", "--accept-unknown")
	postTo(t, url, pbJSON(t, signedPostback(t, "TRX_other", gateway.EventOrderPlaced, session.DemoSecret)))
	if text, ok := out.waitForText(10*time.Second, "\n"); !ok {
		t.Fatalf("no JSON line: %q", text)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	var n int
	for sc.Scan() {
		var ev struct {
			Outcome    string `json:"outcome"`
			HTTPStatus int    `json:"httpStatus"`
			Checksum   struct {
				Valid    bool   `json:"valid"`
				Expected string `json:"expected"`
			} `json:"checksum"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if ev.Outcome != "unknown_transaction" || ev.HTTPStatus != 202 || !ev.Checksum.Valid || ev.Checksum.Expected != "" {
			t.Errorf("%s", sc.Text())
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d JSON lines, want 1:\n%s", n, out)
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	c, _, errb := testCLI("", map[string]string{"GATEWALK_CONFIG_DIR": t.TempDir()})
	if code := Main(context.Background(), c, []string{"listen", "--addr", "0.0.0.0:8787"}); code != exitUsage || !strings.Contains(errb.String(), "ssh -R") {
		t.Fatalf("exit %d: %s", code, errb)
	}
}

// TestPostbackVerifyFileProblemsAreUsageErrors: a missing file and a
// directory are both usage errors with one clear message, and the name
// given is not repeated (it may have been a secret).
func TestPostbackVerifyFileProblemsAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		arg, want string
	}{
		{filepath.Join(dir, "s3cr3t-missing.json"), "cannot open the file given (its name is not shown in case it was a secret): no such file"},
		{dir, "the FILE given is a directory"},
	} {
		c, out, errb := testCLI("", map[string]string{"GATEWALK_CONFIG_DIR": t.TempDir()})
		code := Main(context.Background(), c, []string{"postback", "verify", tc.arg})
		if code != exitUsage || !strings.Contains(errb.String(), tc.want) || out.Len() != 0 {
			t.Errorf("verify %s: exit %d, want 2 saying %q:\n%s", tc.arg, code, tc.want, errb)
		}
		if strings.Contains(errb.String(), tc.arg) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("verify %s: want one line that does not repeat the name:\n%s", tc.arg, errb)
		}
	}
}

// TestListenTableIsAligned: full transaction ids and the longest status fit
// their columns, so every value starts under its heading.
func TestListenTableIsAligned(t *testing.T) {
	dir := t.TempDir()
	st := listenStore(t, dir)
	const txn = "TRX_3f9c0a5be2d44f0f9e8b7a6c5d4e3f21"
	if err := st.AddHistory(session.BuiltinProfileName, session.HistoryEntry{TransactionID: txn, Intent: gateway.IntentTransaction}); err != nil {
		t.Fatal(err)
	}
	url, out, _, stop := startListen(t, map[string]string{"GATEWALK_CONFIG_DIR": dir})
	pb := signedPostback(t, txn, gateway.EventOrderPlaced, session.DemoSecret)
	pb.Status = gateway.StatusActionRequired
	pb.Sign(session.DemoSecret)
	if got := postTo(t, url, pbJSON(t, pb)); got != 200 {
		t.Fatalf("status %d", got)
	}
	if text, ok := out.waitForText(10*time.Second, txn); !ok {
		t.Fatalf("no line for %s:\n%s", txn, text)
	}
	stop()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("output:\n%s", out)
	}
	header, row := lines[0], lines[1]
	for heading, value := range map[string]string{"TRANSACTION": txn, "STATUS": "ACTION_REQUIRED", "CHECKSUM": "ok", "HTTP": "200", "USER": pbAuthID} {
		col := strings.Index(header, heading)
		if col < 0 || len(row) < col || !strings.HasPrefix(row[col:], value) {
			t.Errorf("%s does not start under its heading (column %d):\n%s\n%s", value, col, header, row)
		}
	}
}
