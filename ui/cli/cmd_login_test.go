package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

// syncBuffer is a bytes.Buffer safe for a command writing while a test
// reads. A test waits for what it expects with waitFor, or with next, which
// tells of the next Write: never by polling.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed by the next Write; nil until someone waits
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	if s.written != nil {
		close(s.written)
		s.written = nil
	}
	return n, err
}

// next returns what was written so far and a channel closed by the next
// Write.
func (s *syncBuffer) next() (string, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written == nil {
		s.written = make(chan struct{})
	}
	return s.b.String(), s.written
}

// waitFor waits until what was written satisfies ok, checking after each
// Write, for at most within. It returns what was written and whether ok
// holds: false means the deadline passed first.
func (s *syncBuffer) waitFor(within time.Duration, ok func(string) bool) (string, bool) {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		text, written := s.next()
		if ok(text) {
			return text, true
		}
		select {
		case <-written:
		case <-deadline.C:
			text = s.String()
			return text, ok(text)
		}
	}
}

// waitForText waits, as waitFor, until want was written.
func (s *syncBuffer) waitForText(within time.Duration, want string) (string, bool) {
	return s.waitFor(within, func(text string) bool { return strings.Contains(text, want) })
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// headlessEnv is a config directory and the environment pointing at it.
type headlessEnv struct {
	dir string
	env map[string]string
}

func newHeadlessEnv(t testing.TB) *headlessEnv {
	dir := t.TempDir()
	return &headlessEnv{dir: dir, env: map[string]string{"GATEWALK_CONFIG_DIR": dir}}
}

// run runs gatewalk in-process with buffers and the real clock.
func (h *headlessEnv) run(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now,
		stdinIsTerminal: func() bool { return false }}
	code = Main(context.Background(), c, args)
	return code, out.String(), errb.String()
}

func (h *headlessEnv) store(t testing.TB) *session.Store {
	t.Helper()
	st, _, err := session.OpenStore(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// externalSandbox starts a sandbox the test can watch and adds a profile
// "ext" that talks to it, with user alice already connected.
func externalSandbox(t *testing.T, h *headlessEnv) (*sandbox.Server, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	sb := sandbox.New(sandbox.Config{Logf: func(string, ...any) { requests.Add(1) }})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	st := h.store(t)
	p := session.Profile{Name: "ext", Env: gateway.EnvSandbox, Gateway: sandbox.DefaultGateway,
		Secret: sandbox.DefaultSecret, APISecret: sandbox.DefaultAPISecret, APIURL: base, Leprechaun: true}
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	u := session.User{Label: "alice", SmallcaseAuthID: sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001"), Broker: "kite-leprechaun"}
	if err := st.SaveUser("ext", u, false); err != nil {
		t.Fatal(err)
	}
	return sb, &requests
}

func TestLoginAutoSavesUser(t *testing.T) {
	h := newHeadlessEnv(t)
	code, out, errb := h.run(t, "login", "--user", "alice", "--auto", "success")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	want := sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001")
	if !strings.Contains(out, "smallcaseAuthId: "+want) || !strings.Contains(out, "user:            alice") {
		t.Fatalf("stdout:\n%s", out)
	}
	for _, step := range []string{"Mint a guest token", "Create a CONNECT transaction", "Verify the returned token", "Save the user"} {
		if !strings.Contains(errb, step) {
			t.Errorf("progress on stderr lacks %q:\n%s", step, errb)
		}
	}
	if strings.Contains(errb, "\r") {
		t.Error("carriage returns on a stderr that is not a terminal")
	}
	if strings.Contains(out+errb, session.DemoSecret) {
		t.Error("the secret was printed")
	}
	u, err := h.store(t).User(session.BuiltinProfileName, "alice")
	if err != nil || u.SmallcaseAuthID != want {
		t.Fatalf("stored %+v, %v", u, err)
	}
}

func TestLoginDuplicateNeedsConfirmation(t *testing.T) {
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success"); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	code, _, errb := h.run(t, "login", "--user", "bob", "--auto", "success")
	if code != exitError || !strings.Contains(errb, `already saved for user "alice"`) || !strings.Contains(errb, "--allow-duplicate") {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	if code, _, errb := h.run(t, "login", "--user", "bob", "--auto", "success", "--allow-duplicate"); code != 0 {
		t.Fatalf("with --allow-duplicate: exit %d\n%s", code, errb)
	}
	if _, err := h.store(t).User(session.BuiltinProfileName, "bob"); err != nil {
		t.Fatal(err)
	}
}

// TestLoginBrowserPath runs a login without --auto: the command prints the
// page URL (--no-browser), the test plays the page by posting what the
// sandbox's SDK settles with, and the user is saved.
func TestLoginBrowserPath(t *testing.T) {
	h := newHeadlessEnv(t)
	sb, _ := externalSandbox(t, h)
	var out, errb syncBuffer
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false }}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan int)
	go func() { done <- Main(ctx, c, []string{"login", "--profile", "ext", "--user", "carol", "--no-browser"}) }()

	urlRe := regexp.MustCompile(`http://localhost:\d+/j/[A-Za-z0-9_-]+/`)
	txnRe := regexp.MustCompile(`CONNECT (\S+), expires`)
	deadline, _ := ctx.Deadline()
	s, ok := errb.waitFor(time.Until(deadline), func(s string) bool {
		return txnRe.MatchString(s) && urlRe.MatchString(s) && strings.Contains(s, "waiting for the SDK result")
	})
	if !ok {
		t.Fatalf("no page URL printed:\n%s", s)
	}
	pageURL, txnID := urlRe.FindString(s), txnRe.FindStringSubmatch(s)[1]
	o, err := sb.Complete(ctx, txnID, sandbox.CompleteRequest{Account: "LEP003"})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(o)
	resp, err := http.Post(pageURL+"result", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	want := sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP003")
	if !strings.Contains(out.String(), want) {
		t.Fatalf("stdout:\n%s", out.String())
	}
	if !strings.Contains(errb.String(), "result: resolved CONNECT") {
		t.Errorf("the page's result event was not shown:\n%s", errb.String())
	}
}

func TestUsageErrorsSendNothing(t *testing.T) {
	h := newHeadlessEnv(t)
	sb, requests := externalSandbox(t, h)
	st := h.store(t)
	if err := st.SaveProfile(session.Profile{Name: "prod", Env: gateway.EnvProduction, Gateway: "acme",
		Secret: "prodsecretvalue", APISecret: "prodapisecret", CallbackPort: 8080}); err != nil {
		t.Fatal(err)
	}
	cases := [][]string{
		{"order", "--profile", "ext", "--user", "alice", "--buy", "TCS:0"},
		{"order", "--profile", "ext", "--user", "alice", "--buy", "TCS:1", "--buy", "INFY"},
		{"order", "--profile", "ext", "--user", "alice", "--stock", "TCS", "--sell", "INFY"},
		{"order", "--profile", "ext", "--user", "alice", "--stock", "TCS", "--buy", "INFY:1"},
		{"order", "--profile", "ext", "--user", "alice", "--sell", "INFY:two"},
		{"order", "--profile", "ext", "--user", "alice", "--buy", "tcs 1:1"},
		{"order", "--profile", "ext", "--user", "alice", "--buy", "TCS:1", "--scid", "SCMO_0001"},
		{"order", "--profile", "ext", "--user", "alice", "--iscid", "abc"},
		{"order", "--profile", "ext", "--user", "alice"},
		{"order", "--profile", "ext", "--user", "alice", "--buy", "TCS:1", "--bogus"},
		{"order", "--profile", "ext", "--buy", "TCS:1"},
		{"order", "--profile", "ext", "--user", "nobody", "--buy", "TCS:1", "--auto", "success"},
		{"order", "--profile", "ext", "--user", "alice", "--buy", "TCS:1", "--auto", "sometimes"},
		{"order", "--profile", "nosuch", "--user", "alice", "--buy", "TCS:1"},
		{"login", "--profile", "ext", "--user", " alice", "--auto", "success"},
		{"login", "--profile", "ext", "--user", "dave", "extra"},
		{"login", "--profile", "prod", "--user", "dave", "--auto", "success"},
		{"holdings", "--profile", "ext", "--user", "alice", "--auto", "success"},
		{"holdings", "--profile", "ext", "--user", "alice", "--json", "--csv"},
		{"holdings", "--profile", "ext", "--user", "nobody"},
	}
	for _, args := range cases {
		code, out, errb := h.run(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2\nstdout: %s\nstderr: %s", args, code, out, errb)
		}
		if strings.TrimSpace(errb) == "" {
			t.Errorf("%v: no message", args)
		}
	}
	if n := requests.Load(); n != 0 || sb.Transactions() != 0 {
		t.Fatalf("the sandbox saw %d requests and holds %d transactions after usage errors", n, sb.Transactions())
	}
	// The same profile does answer a valid command, so the check above can fail.
	if code, _, errb := h.run(t, "order", "--profile", "ext", "--user", "alice", "--buy", "TCS:1", "--auto", "success"); code != 0 {
		t.Fatalf("valid order: exit %d\n%s", code, errb)
	}
	if requests.Load() == 0 || sb.Transactions() != 1 {
		t.Fatalf("the valid order reached the sandbox %d times, %d transactions", requests.Load(), sb.Transactions())
	}
}

func TestUsageMessagesSayWhatToDo(t *testing.T) {
	h := newHeadlessEnv(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"order", "--user", "alice", "--buy", "TCS:0"}, "quantity must be 1 or more"},
		{[]string{"order", "--user", "alice", "--buy", "TCS:"}, "want TICKER or TICKER:QTY"},
		{[]string{"order", "--user", "nobody", "--buy", "TCS:1"}, "gatewalk login --user nobody"},
		{[]string{"order", "--user", "alice", "--iscid", "x"}, "--iscid needs --type"},
		{[]string{"login", "--user", "a", "--auto", "nope"}, "want one of success, partial_fill"},
		{[]string{"demo"}, "gatewalk demo --headless"},
	}
	for _, tc := range cases {
		code, _, errb := h.run(t, tc.args...)
		if code != exitUsage || !strings.Contains(errb, tc.want) {
			t.Errorf("%v: exit %d, stderr lacks %q:\n%s", tc.args, code, tc.want, errb)
		}
	}
}

func TestHelpOfHeadlessCommands(t *testing.T) {
	h := newHeadlessEnv(t)
	for _, name := range []string{"login", "order", "holdings", "demo"} {
		code, out, errb := h.run(t, name, "-h")
		if code != 0 || !strings.Contains(out, "Usage: gatewalk "+name) || !strings.Contains(out, "Flags:") || errb != "" {
			t.Errorf("%s -h: exit %d, want the usage on stdout only\nstdout: %s\nstderr: %s", name, code, out, errb)
		}
	}
}
