package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// TestLoginChecksBeforeTheTransaction: a users or history file that does
// not parse, or a callback port another program holds, fails the login
// before a transaction is created on the Gateway.
func TestLoginChecksBeforeTheTransaction(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name string
		prep func(t *testing.T, h *headlessEnv)
		args []string
		want string
	}{
		{"corrupt users file", func(t *testing.T, h *headlessEnv) {
			os.WriteFile(filepath.Join(h.dir, "users.json"), []byte("nope"), 0o600)
		}, []string{"--auto", "success"}, "users.json does not parse"},
		{"corrupt history file", func(t *testing.T, h *headlessEnv) {
			os.WriteFile(filepath.Join(h.dir, "history-ext.json"), []byte("nope"), 0o600)
		}, []string{"--auto", "success"}, "mv "},
		{"callback port taken", func(t *testing.T, h *headlessEnv) {
			st := h.store(t)
			p, err := st.Profile("ext")
			if err != nil {
				t.Fatal(err)
			}
			p.CallbackPort = busy.Addr().(*net.TCPAddr).Port
			if err := st.SaveProfile(p); err != nil {
				t.Fatal(err)
			}
		}, []string{"--no-browser"}, "already in use"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHeadlessEnv(t)
			sb, requests := externalSandbox(t, h)
			tc.prep(t, h)
			code, out, errb := h.run(t, append([]string{"login", "--profile", "ext", "--user", "carol"}, tc.args...)...)
			if code != exitError || !strings.Contains(errb, tc.want) || out != "" {
				t.Fatalf("exit %d, want 1 with %q\nstdout: %s\nstderr: %s", code, tc.want, out, errb)
			}
			if n := requests.Load(); n != 0 || sb.Transactions() != 0 {
				t.Fatalf("the sandbox saw %d requests and holds %d transactions", n, sb.Transactions())
			}
			if strings.Contains(errb, "Create a CONNECT transaction") {
				t.Fatalf("the create step ran:\n%s", errb)
			}
		})
	}
}

// TestWrongOverrideOnTheBuiltinSandbox: the embedded sandbox keeps the
// built-in profile's keys, so a wrong override is refused (exit 4) and the
// advice names the variable.
func TestWrongOverrideOnTheBuiltinSandbox(t *testing.T) {
	for _, v := range []string{"GATEWALK_SECRET", "GATEWALK_API_SECRET"} {
		h := newHeadlessEnv(t)
		h.env[v] = "not-the-right-key"
		code, out, errb := h.run(t, "login", "--user", "w1", "--auto", "success")
		if code != exitRejected || !strings.Contains(errb, "check $"+v) || strings.Contains(errb, "token valid") {
			t.Errorf("%s wrong: exit %d, want 4 naming $%s\n%s%s", v, code, v, out, errb)
		}
		if strings.Contains(out+errb, "not-the-right-key") {
			t.Errorf("%s was printed", v)
		}
		delete(h.env, v)
		if code, _, errb := h.run(t, "login", "--user", "w1", "--auto", "success"); code != 0 {
			t.Fatalf("without the override: exit %d\n%s", code, errb)
		}
	}
}

// TestSlowGatewayShowsProgress: a Gateway that accepts and never answers
// shows the running step at once, each retry, and the total in the error.
func TestSlowGatewayShowsProgress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	h := newHeadlessEnv(t)
	st := h.store(t)
	if err := st.SaveProfile(session.Profile{Name: "slow", Env: gateway.EnvSandbox, Gateway: sandbox.DefaultGateway,
		Secret: sandbox.DefaultSecret, APISecret: sandbox.DefaultAPISecret, APIURL: "http://" + ln.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveUser("slow", session.User{Label: "q", SmallcaseAuthID: sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001")}, false); err != nil {
		t.Fatal(err)
	}
	var errb syncBuffer
	c := &Factory{emulators: sandboxEmulators, stderr: &errb, now: time.Now}
	p := newProgress(c)
	r, err := flow.Setup(context.Background(), st, flow.Options{Emulators: sandboxEmulators, ProfileName: "slow", Getenv: func(string) string { return "" },
		Timeout: 50 * time.Millisecond, OnAttempt: p.attempt})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	j := r.ViewHoldings("q", gateway.HoldingsOptions{})
	defer j.Close()
	runJourney(context.Background(), j, p)
	got := errb.String()
	want := []string{
		"  ...     Fetch the holdings\n",
		"          attempt 1/3 failed: no answer within 50ms; retrying\n",
		"          attempt 2/3 failed: no answer within 50ms; retrying\n",
		"          attempt 3/3 failed: no answer within 50ms\n",
		"  FAILED  Fetch the holdings",
	}
	at := 0
	for _, w := range want {
		i := strings.Index(got[at:], w)
		if i < 0 {
			t.Fatalf("progress lacks %q after position %d:\n%s", w, at, got)
		}
		at += i + len(w)
	}
	f := j.Failed()
	if f == nil {
		t.Fatal("the fetch did not fail")
	}
	if msg := journeyError(f).Error(); !regexp.MustCompile(`no answer within 50ms; 3 attempts over \d`).MatchString(msg) {
		t.Fatalf("error %q does not state the total", msg)
	}
}

// TestInterruptLeavesTheTransaction: Ctrl-C while waiting for the browser
// says which transaction is left and exits 130.
func TestInterruptLeavesTheTransaction(t *testing.T) {
	h := newHeadlessEnv(t)
	var out, errb syncBuffer
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() { done <- Main(ctx, c, []string{"login", "--user", "carol", "--no-browser"}) }()
	waitForOutput(t, &errb, "waiting for the SDK result")
	cancel()
	code := <-done
	got := errb.String()
	if code != exitInterrupted || !regexp.MustCompile(`interrupted: transaction TRX_\w+ left unfinished \(it expires at \d\d:\d\d:\d\d\)`).MatchString(got) {
		t.Fatalf("exit %d, want 130 naming the transaction\n%s", code, got)
	}
	for _, bad := range []string{"context canceled", "what to do", "FAILED"} {
		if strings.Contains(got, bad) {
			t.Errorf("stderr holds %q:\n%s", bad, got)
		}
	}
	if !strings.Contains(exitCodesHelp, "130") {
		t.Error("exit code 130 is not documented")
	}
}

// TestUnknownSandboxAccount: an id typed in with users add is not a
// sandbox account; holdings and order say so before any request.
func TestUnknownSandboxAccount(t *testing.T) {
	h := newHeadlessEnv(t)
	if err := h.store(t).SaveUser(session.BuiltinProfileName, session.User{Label: "alice", SmallcaseAuthID: "5f0321b5f3743c31d95abd35"}, false); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"holdings", "--user", "alice"}, {"order", "--user", "alice", "--buy", "TCS:1", "--auto", "success"}} {
		code, out, errb := h.run(t, args...)
		if code != exitUsage || !strings.Contains(errb, "is not a sandbox account") || !strings.Contains(errb, "gatewalk login --user alice") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errb)
		}
	}
}

// TestAutoBrokerAndAccount: --auto-broker and --auto-account log the driver
// in with another leprechaun account, so a second label is a second id.
func TestAutoBrokerAndAccount(t *testing.T) {
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "a", "--auto", "success"); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	code, out, errb := h.run(t, "login", "--user", "b", "--auto", "success", "--auto-broker", "upstox", "--auto-account", "lep002")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	want := sandbox.AuthID(sandbox.DefaultGateway, "upstox-leprechaun", "LEP002")
	if u, err := h.store(t).User(session.BuiltinProfileName, "b"); err != nil || u.SmallcaseAuthID != want || !strings.Contains(out, want) {
		t.Fatalf("b saved as %+v (%v), want %s\n%s", u, err, want, out)
	}
	code, out, errb = h.run(t, "holdings", "--user", "b", "--import", "--auto", "success", "--auto-account", "LEP002", "--auto-broker", "upstox-leprechaun")
	if code != 0 || !strings.Contains(out, "upstox-leprechaun") {
		t.Fatalf("holdings import: exit %d\n%s%s", code, out, errb)
	}
	for _, args := range [][]string{
		{"login", "--user", "c", "--auto-broker", "upstox"},
		{"login", "--user", "c", "--auto", "success", "--auto-broker", "nosuch"},
		{"order", "--user", "a", "--buy", "TCS:1", "--auto", "success", "--auto-account", "LEP999"},
	} {
		if code, _, errb := h.run(t, args...); code != exitUsage || errb == "" {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errb)
		}
	}
	for _, cmd := range []string{"login", "order", "holdings"} {
		_, out, _ := h.run(t, cmd, "-h")
		if !strings.Contains(out, "-auto-broker") || !strings.Contains(out, "upstox-leprechaun") || !strings.Contains(out, "LEP002") {
			t.Errorf("%s -h does not list the brokers and accounts:\n%s", cmd, out)
		}
	}
}

// TestHelpOnStdoutErrorsOnStderr: asked-for help is on stdout with exit 0;
// a bad flag is one prefixed line and a pointer to -h, on stderr.
func TestHelpOnStdoutErrorsOnStderr(t *testing.T) {
	c, out, errb := testCLI("", nil)
	if code := Main(context.Background(), c, []string{"help", "profile", "add"}); code != 0 ||
		!strings.Contains(out.String(), "Usage: gatewalk profile add") || errb.Len() != 0 {
		t.Fatalf("help profile add: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	c, out, errb = testCLI("", nil)
	code := Main(context.Background(), c, []string{"order", "--user", "a", "--buy", "TCS:0"})
	lines := strings.Split(strings.TrimRight(errb.String(), "\n"), "\n")
	if code != exitUsage || out.Len() != 0 || len(lines) != 2 ||
		lines[0] != `gatewalk order: --buy "TCS:0": the quantity must be 1 or more` || lines[1] != "run 'gatewalk order -h' for usage" {
		t.Fatalf("bad flag: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	c, _, errb = testCLI("", nil)
	Main(context.Background(), c, []string{"token", "guest", "--foo"})
	if n := strings.Count(errb.String(), "flag provided but not defined"); n != 1 || strings.Contains(errb.String(), "Usage:") {
		t.Fatalf("token guest --foo said it %d times:\n%s", n, errb)
	}
	c, out, _ = testCLI("", nil)
	Main(context.Background(), c, []string{"help"})
	if !regexp.MustCompile(`\n  version +print the version`).MatchString(out.String()) {
		t.Fatalf("help does not list version:\n%s", out)
	}
}

// TestFlagValueErrorsInCommandLineWords: a bad flag value is named as it
// is typed (--name), once, and a value the flag package would quote is not
// repeated.
func TestFlagValueErrorsInCommandLineWords(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"order", "--user", "a", "--buy", "TCS:0"}, `gatewalk order: --buy "TCS:0": the quantity must be 1 or more`},
		{[]string{"order", "--user", "a", "--stock", "TCS:x"}, `gatewalk order: --stock "TCS:x": the quantity "x" is not a whole number`},
		{[]string{"listen", "--fail-first", "s3cr3t-value"}, "gatewalk listen: --fail-first: want a whole number (the value given is not shown)"},
		{[]string{"postback", "send", "--timeout", "s3cr3t-value"}, "gatewalk postback: --timeout: want a duration such as 30s, 5m or 1h (the value given is not shown)"},
		{[]string{"postback", "send", "--set", "s3cr3t-value"}, "gatewalk postback: --set: want KEY=VALUE, KEY a field name (letters, digits, _)"},
		{[]string{"listen", "--json=s3cr3t-value"}, "gatewalk listen: --json is a switch and takes no value (the value given is not shown)"},
		{[]string{"order", "--user", "a", "--buy"}, "gatewalk order: --buy needs a value"},
	} {
		c, out, errb := testCLI("", nil)
		code := Main(context.Background(), c, tc.args)
		lines := strings.Split(strings.TrimRight(errb.String(), "\n"), "\n")
		if code != exitUsage || out.Len() != 0 || len(lines) != 2 || lines[0] != tc.want {
			t.Errorf("%v: exit %d\nstderr: %s\nwant first line: %s", tc.args, code, errb, tc.want)
		}
		if strings.Contains(errb.String(), "s3cr3t-value") || strings.Contains(errb.String(), "invalid value") {
			t.Errorf("%v: %s", tc.args, errb)
		}
	}
}

// TestMixedLinesNumberedFromOne: the refusal of lines of different shapes
// counts the lines as the user typed them, from 1.
func TestMixedLinesNumberedFromOne(t *testing.T) {
	c, _, errb := testCLI("", nil)
	code := Main(context.Background(), c, []string{"order", "--user", "a", "--buy", "TCS", "--stock", "INFY:1"})
	if code != exitUsage || !strings.Contains(errb.String(), "line 2 (INFY) has ticker and quantity but line 1 (TCS) has ticker and type") {
		t.Fatalf("exit %d\n%s", code, errb)
	}
}

// TestArgumentsAreNeverEchoed: a secret pasted as an argument is refused
// without being printed.
func TestArgumentsAreNeverEchoed(t *testing.T) {
	const secret = "my-very-secret-value-123"
	h := newHeadlessEnv(t)
	for _, args := range [][]string{
		{"login", "--user", "a", secret},
		{"order", "--user", "a", "--buy", "TCS:1", secret},
		{"holdings", "--user", "a", secret},
		{"demo", "--headless", secret},
	} {
		code, out, errb := h.run(t, args...)
		if code != exitUsage || !strings.Contains(errb, "not shown") {
			t.Errorf("%v: exit %d\n%s", args[0], code, errb)
		}
		if strings.Contains(out+errb, secret) {
			t.Errorf("%s echoed the argument", args[0])
		}
	}
}

// TestJSONOnEarlyFailures: --json always prints one document on stdout.
func TestJSONOnEarlyFailures(t *testing.T) {
	h := newHeadlessEnv(t)
	for _, args := range [][]string{
		{"order", "--user", "nosuch", "--buy", "TCS:1", "--json"},
		{"login", "--user", "a", "--profile", "nosuch", "--json"},
		{"holdings", "--user", "a", "--json", "--csv"},
	} {
		code, out, _ := h.run(t, args...)
		var doc struct {
			OK       *bool  `json:"ok"`
			Error    string `json:"error"`
			ExitCode int    `json:"exitCode"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.OK == nil || *doc.OK || doc.Error == "" || doc.ExitCode != code || code != exitUsage {
			t.Errorf("%v: exit %d, stdout %q", args, code, out)
		}
	}
}

// TestUnreachableGatewayMessage: a closed port reads as such, with what to
// check.
func TestUnreachableGatewayMessage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	h := newHeadlessEnv(t)
	if err := h.store(t).SaveProfile(session.Profile{Name: "dead", Env: gateway.EnvSandbox, Gateway: sandbox.DefaultGateway,
		Secret: sandbox.DefaultSecret, APISecret: sandbox.DefaultAPISecret, APIURL: url}); err != nil {
		t.Fatal(err)
	}
	code, _, errb := h.run(t, "login", "--profile", "dead", "--user", "a", "--auto", "success")
	want := fmt.Sprintf("could not reach the Gateway at %s (connection refused)", url)
	if code != exitError || !strings.Contains(errb, want) || !strings.Contains(errb, "API URL") || strings.Contains(errb, "dial tcp") {
		t.Fatalf("exit %d\n%s", code, errb)
	}
}

// TestResultLineEveryTime: the same command prints the same progress
// lines, the driver's result included.
func TestResultLineEveryTime(t *testing.T) {
	for i := range 20 {
		h := newHeadlessEnv(t)
		code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success")
		if code != 0 || !strings.Contains(errb, "result: the sandbox driver played success") {
			t.Fatalf("run %d: exit %d, no result line:\n%s", i, code, errb)
		}
	}
}

// waitForOutput waits until a command running in another goroutine has
// written want to buf (the command's own progress line is the only signal
// a headless command gives), failing after a generous deadline.
func waitForOutput(t *testing.T, buf *syncBuffer, want string) {
	t.Helper()
	if text, ok := buf.waitForText(20*time.Second, want); !ok {
		t.Fatalf("never printed %q:\n%s", want, text)
	}
}

// TestInterruptedOrderAsksTheGateway: an order interrupted while its page
// waits is checked with the Gateway before anything is advised: on the
// sandbox the transaction is unused, so no orders were placed.
func TestInterruptedOrderAsksTheGateway(t *testing.T) {
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success"); code != 0 {
		t.Fatalf("login: %d %s", code, errb)
	}
	var out, errb syncBuffer
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() {
		done <- Main(ctx, c, []string{"order", "--user", "alice", "--buy", "TCS:1", "--no-browser", "--json"})
	}()
	waitForOutput(t, &errb, "waiting for the SDK result")
	cancel()
	if code := <-done; code != exitInterrupted {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if got := errb.String(); !strings.Contains(got, "checking with the Gateway") || !strings.Contains(got, "no orders were placed") {
		t.Fatalf("stderr:\n%s", got)
	}
	var rep present.Report
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil || rep.Resolution == nil || !rep.Resolution.Known || rep.Resolution.Placed {
		t.Fatalf("report resolution %+v (%v)\n%s", rep.Resolution, err, out.String())
	}
}
