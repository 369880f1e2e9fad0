package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/postback"
)

// rawC1 is an 8-bit CSI, OSC and ST as single bytes (not UTF-8): a
// terminal that reads 8-bit controls acts on them as on ESC [, ESC ] and
// ESC \. JSON cannot escape them, so they reach gatewalk inside strings
// of a body, and only where a test writes bytes (rawMark below).
const rawC1 = "\x9b2J\x9d0;t\x9c"

// rawMark stands for rawC1 in JSON built with encoding/json (which would
// turn the bytes into U+FFFD); withRaw puts the bytes in its place.
const rawMark = "@RAW@"

func withRaw(b []byte) []byte { return bytes.ReplaceAll(b, []byte(rawMark), []byte(rawC1)) }

// rawJSON is v encoded, with rawMark replaced by the raw bytes.
func rawJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return withRaw(b)
}

// runOn runs gatewalk as h.run does, with stdout a terminal or not.
func (h *headlessEnv) runOn(t testing.TB, terminal bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now,
		stdinIsTerminal: func() bool { return false }, stdoutIsTerminal: func() bool { return terminal }}
	code = Main(context.Background(), c, args)
	return code, out.String(), errb.String()
}

// TestListenShowsEveryFieldEscaped: every field of a request, checksum or
// not, is shown escaped in the listener's line, its notes, the user column
// (a label from users.json) and the --json line, raw 8-bit bytes included.
// The receiver is served in-process: each request's event is read from its
// channel, so nothing waits on a clock.
func TestListenShowsEveryFieldEscaped(t *testing.T) {
	h := newHeadlessEnv(t)
	st := h.store(t)
	if err := st.SaveUser(session.BuiltinProfileName, session.User{Label: "alice", SmallcaseAuthID: pbAuthID, Broker: "kite"}, false); err != nil {
		t.Fatal(err)
	}
	// users.json as a hand edit leaves it: the label carries evil.
	path := filepath.Join(h.dir, "users.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	esc, _ := json.Marshal("alice" + evil)
	if err := os.WriteFile(path, bytes.Replace(b, []byte(`"alice"`), esc, 1), 0o600); err != nil {
		t.Fatal(err)
	}
	x := evil + rawMark // what each hostile field carries
	// signed adds a timestamp and a valid checksum: over the
	// smallcaseAuthId, or the transactionId of a mutual-fund import.
	signed := func(fields map[string]any) []byte {
		str := func(k string) string { s, _ := fields[k].(string); return s }
		p := gateway.Postback{Timestamp: "1763726400000", SmallcaseAuthID: str("smallcaseAuthId"),
			TransactionID: str("transactionId"), Intent: gateway.Intent(str("intent"))}
		p.Sign(session.DemoSecret)
		fields["timestamp"], fields["checksum"] = p.Timestamp, p.Checksum
		return rawJSON(t, fields)
	}
	tests := []struct {
		name   string
		path   string
		body   []byte
		status int
		// plain and json are what the line shows of the injected text.
		plain, json string
	}{
		{name: "bad checksum, every field", status: http.StatusUnauthorized,
			body: rawJSON(t, map[string]any{"timestamp": "17637" + x, "smallcaseAuthId": "id" + x, "transactionId": "TRX_" + x,
				"intent": "TRANSACTION" + x, "event": "ORDER_COMPLETED" + x, "status": "COMPLETED" + x, "broker": "kite" + x,
				"checksum": "bad" + x}),
			plain: `TRX_\x07\x1b[2J`, json: `TRX_\u0007\u001b[2J`},
		{name: "valid checksum, unknown transaction, the user's label", status: http.StatusNotFound,
			body: signed(map[string]any{"smallcaseAuthId": pbAuthID, "transactionId": "TRX_" + x, "event": "ORDER_COMPLETED" + x,
				"status": "COMPLETED" + x}),
			plain: `(alice\x07\x1b[2J\x1b]52;c;aGk=\x07\u009b31m\u009d0;t\u009c)`, json: `TRX_\u0007\u001b[2J`},
		{name: "valid pending action", status: http.StatusOK,
			body: signed(map[string]any{"smallcaseAuthId": pbAuthID, "event": "PENDING_ACTION", "iscid": "ISC" + x,
				"action": "BUY" + x}),
			plain: `iscid ISC\x07\x1b[2J`, json: `"iscid":"ISC\u0007\u001b[2J`},
		{name: "valid mutual-fund import, hostile transactionId", status: http.StatusNotFound,
			body: signed(map[string]any{"transactionId": "TRX_" + evil, "event": "MF_HOLDINGS_IMPORT" + x,
				"intent": string(gateway.IntentMFHoldingsImport)}),
			plain: `TRX_\x07\x1b[2J`, json: `TRX_\u0007\u001b[2J`},
		{name: "malformed: not JSON", status: http.StatusBadRequest,
			body: []byte("not json \x1b[2J\x1b]52;c;aGk=\x07\u009b31m\u009d0;t\u009c" + rawC1)},
		{name: "malformed: a raw escape in a string", status: http.StatusBadRequest,
			body: []byte(`{"event":"` + "\x1b[2J\x07" + rawC1 + `"}`), plain: `'\x1b'`, json: `'\\x1b'`},
		{name: "hostile path", path: "/hook%1b%5b2J%c2%9b%9b", status: http.StatusUnauthorized,
			body: rawJSON(t, map[string]any{"timestamp": "1", "smallcaseAuthId": "id", "checksum": "bad"}), json: `"path":"/hook\u001b[2J\u009b\ufffd"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postback.NewReceiver(postback.Config{Profile: session.BuiltinProfileName, APISecret: session.DemoSecret, Store: st})
			req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/"+strings.TrimPrefix(tt.path, "/"), bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("answered %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			ev := <-r.Events()
			for _, asJSON := range []bool{false, true} {
				var out bytes.Buffer
				lw := &listenWriter{w: &out, json: asJSON, store: st, profile: session.BuiltinProfileName}
				lw.print(ev)
				what, want := "listen", tt.plain
				if asJSON {
					what, want = "listen --json", tt.json
				}
				if m := findRawControl(out.String()); m != "" {
					t.Fatalf("%s printed the raw control %q:\n%q", what, m, out.String())
				}
				if !strings.Contains(out.String(), want) {
					t.Fatalf("%s does not show %s:\n%s", what, want, out.String())
				}
				if asJSON && !json.Valid(out.Bytes()) {
					t.Fatalf("listen --json printed a line that is not JSON:\n%q", out.String())
				}
			}
		})
	}
}

// TestPostbackVerifyShowsTheSourceEscaped: the name of the file checked is
// a directory entry, as foreign as its content (a download, a glob): it is
// shown escaped with the body's fields, in the text and in --json.
func TestPostbackVerifyShowsTheSourceEscaped(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "body"+evil+rawC1+".json")
	if err := os.WriteFile(file, []byte(hostile(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"text", []string{file}, `body\x07\x1b[2J\x1b]52;c;aGk=\x07\u009b31m\u009d0;t\u009c\x9b2J\x9d0;t\x9c.json`},
		{"json", []string{file, "--json"}, `body\u0007\u001b[2J\u001b]52;c;aGk=\u0007\u009b31m\u009d0;t\u009c\ufffd2J`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, out, errb := testCLI("", map[string]string{"GATEWALK_CONFIG_DIR": filepath.Join(dir, "config")})
			if code := Main(context.Background(), c, append([]string{"postback", "verify"}, tt.args...)); code != exitRejected {
				t.Fatalf("exit %d: %s", code, errb)
			}
			all := out.String() + errb.String()
			if m := findRawControl(all); m != "" {
				t.Fatalf("postback verify printed the raw control %q:\n%q", m, all)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Fatalf("the file's name is not shown escaped (%s):\n%s", tt.want, out)
			}
		})
	}
}

// TestAPIOnATerminalPrintsNoRawControlBytes: on a terminal, api prints the
// body indented (JSON) or as text, escaped; bytes that are not UTF-8 in a
// JSON string (json.Indent keeps them) included. Piped, the body stays as
// received, byte for byte.
func TestAPIOnATerminalPrintsNoRawControlBytes(t *testing.T) {
	type answer struct {
		status int
		ctype  string
		body   []byte
	}
	tests := []struct {
		name string
		ans  answer
		code int
		want string
	}{
		{"JSON body", answer{http.StatusOK, "application/json", rawJSON(t, map[string]any{"success": true,
			"data": map[string]any{"securities": []any{map[string]any{"name": "Infosys" + evil + rawMark}}}})},
			exitOK, `"name": "Infosys\u0007\u001b[2J\u001b]52;c;aGk=\u0007\u009b31m\u009d0;t\u009c\ufffd2J`},
		{"JSON errors array", answer{http.StatusBadRequest, "application/json", rawJSON(t, map[string]any{"success": false,
			"errors": []string{"refused" + evil + rawMark}, "errorType": "InputException" + rawMark, "data": nil})},
			exitError, `refused\x07\x1b[2J`},
		{"text body", answer{http.StatusNotFound, "text/plain", []byte("upstream " + evil + rawC1 + " down")},
			exitError, `upstream \x07\x1b[2J`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ans.ctype)
				w.WriteHeader(tt.ans.status)
				w.Write(tt.ans.body)
			}))
			t.Cleanup(srv.Close)
			h := newHeadlessEnv(t)
			if err := h.store(t).SaveProfile(session.Profile{Name: "raw", Env: gateway.EnvSandbox, Gateway: sandbox.DefaultGateway,
				Secret: sandbox.DefaultSecret, APISecret: sandbox.DefaultAPISecret, APIURL: srv.URL}); err != nil {
				t.Fatal(err)
			}
			code, out, errb := h.runOn(t, true, "api", "GET", "/v1/{gateway}/engine/user/holdings", "--profile", "raw", "--include", "--verbose")
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %q\nstderr: %q", code, tt.code, out, errb)
			}
			all := out + errb
			if m := findRawControl(all); m != "" {
				t.Fatalf("api printed the raw control %q on a terminal:\n%q", m, all)
			}
			if !strings.Contains(all, tt.want) {
				t.Fatalf("api does not show %s:\n%s", tt.want, all)
			}
			if _, out, _ := h.runOn(t, false, "api", "GET", "/v1/{gateway}/engine/user/holdings", "--profile", "raw"); out != string(tt.ans.body) {
				t.Fatalf("piped, api does not print the body as received:\n%q\nwant\n%q", out, tt.ans.body)
			}
		})
	}
}

// TestHoldingsCSVOnATerminalIsEscaped: --csv keeps the API's text as
// received for a pipe or a file, and shows it escaped on a terminal.
func TestHoldingsCSVOnATerminalIsEscaped(t *testing.T) {
	h := newHeadlessEnv(t)
	hostileAPI(t, h, false)
	for _, terminal := range []bool{true, false} {
		code, out, errb := h.runOn(t, terminal, "holdings", "--profile", "evil", "--user", "alice", "--v2", "--mf", "--csv")
		if code != 0 {
			t.Fatalf("terminal %v: exit %d\nstdout: %q\nstderr: %q", terminal, code, out, errb)
		}
		if !terminal {
			if !strings.Contains(out, "\x1b[2J") {
				t.Fatalf("piped, the CSV does not keep the data as received:\n%q", out)
			}
			continue
		}
		assertNoRawControl(t, "holdings --csv on a terminal", out) // and shows the names escaped
	}
}

// TestSDKAnswersPrintNoRawControlBytes: what the SDK step settles with
// (here the sandbox driver's answer, as a page would post it) is the SDK's
// text: an error's message, the result's broker in the progress lines and
// the --json report's copy of the result's data are shown escaped, raw
// 8-bit bytes included (json.RawMessage keeps them).
func TestSDKAnswersPrintNoRawControlBytes(t *testing.T) {
	x := evil + rawMark
	tests := []struct {
		name    string
		answer  func(doc map[string]any) map[string]any
		args    []string
		code    int    // the exit code; -1 for any
		stdout  string // shown escaped on stdout ("" to skip)
		stderrs string // shown escaped on stderr ("" to skip)
	}{
		{name: "result data in the --json report",
			answer: func(doc map[string]any) map[string]any {
				if res, ok := doc["result"].(map[string]any); ok {
					res["data"] = map[string]any{"note": x}
					res["notes"] = "n" + x
				}
				return doc
			},
			args: []string{"--json"}, code: exitOK, stdout: `"note": "\u0007\u001b[2J\u001b]52;c;aGk=\u0007\u009b31m\u009d0;t\u009c\ufffd2J`},
		{name: "SDK error message",
			answer: func(map[string]any) map[string]any {
				return map[string]any{"error": map[string]any{"code": 1010, "message": "market_closed" + x}}
			},
			code: exitSDK, stderrs: `market_closed\x07\x1b[2J`},
		{name: "SDK error message in the --json report",
			answer: func(map[string]any) map[string]any {
				return map[string]any{"error": map[string]any{"code": 1010, "message": "market_closed" + x}}
			},
			args: []string{"--json"}, code: exitSDK, stdout: `market_closed\u0007\u001b[2J`},
		{name: "result broker in the result event",
			answer: func(doc map[string]any) map[string]any {
				if res, ok := doc["result"].(map[string]any); ok {
					res["broker"] = "kite-leprechaun" + x
				}
				return doc
			},
			code: -1, stderrs: `result: the sandbox driver played success: resolved TRANSACTION, broker kite-leprechaun\x07\x1b[2J`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHeadlessEnv(t)
			proxiedSandbox(t, h, func(path string, status int, body []byte) (int, []byte) {
				if !strings.HasPrefix(path, "/_sandbox/transactions/") || !strings.HasSuffix(path, "/complete") || status != http.StatusOK {
					return status, body
				}
				var doc map[string]any
				if err := json.Unmarshal(body, &doc); err != nil {
					t.Errorf("the driver's answer: %v", err)
					return status, body
				}
				b, err := json.Marshal(tt.answer(doc)) // not rawJSON: no t.Fatal off the test's goroutine
				if err != nil {
					t.Errorf("the rewritten answer: %v", err)
				}
				return status, withRaw(b)
			})
			args := append([]string{"order", "--profile", "evil", "--user", "alice", "--buy", "INFY:1", "--auto", "success"}, tt.args...)
			code, out, errb := h.runOn(t, true, args...)
			if tt.code >= 0 && code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %q\nstderr: %q", code, tt.code, out, errb)
			}
			if m := findRawControl(out); m != "" {
				t.Fatalf("stdout has the raw control %q:\n%q", m, out)
			}
			if m := findRawControl(errb); m != "" {
				t.Fatalf("stderr has the raw control %q:\n%q", m, errb)
			}
			if tt.stdout != "" && !strings.Contains(out, tt.stdout) {
				t.Fatalf("stdout does not show %s:\n%s", tt.stdout, out)
			}
			if tt.stderrs != "" && !strings.Contains(errb, tt.stderrs) {
				t.Fatalf("stderr does not show %s:\n%s", tt.stderrs, errb)
			}
		})
	}
}
