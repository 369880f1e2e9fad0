package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/tui"
)

// TestBuiltinSandboxRemembers: an order in one process is in the next
// process's holdings, and the TUI's runner re-fetches its order details.
func TestBuiltinSandboxRemembers(t *testing.T) {
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success"); code != 0 {
		t.Fatalf("login: exit %d\n%s", code, errb)
	}
	code, out, errb := h.run(t, "order", "--user", "alice", "--buy", "INFY:2", "--auto", "success", "--json")
	if code != 0 {
		t.Fatalf("order: exit %d\n%s", code, errb)
	}
	var rep struct {
		TransactionID string `json:"transactionId"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.TransactionID == "" {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if fi, err := os.Stat(filepath.Join(h.dir, session.SandboxStateFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}

	code, out, errb = h.run(t, "holdings", "--user", "alice")
	if code != 0 || !strings.Contains(out, "INFY") {
		t.Fatalf("holdings in a new process: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}

	// The TUI's history r: its runner, started afresh, knows the order.
	st := h.store(t)
	r, err := tui.FlowConnector(st, flow.Options{Emulators: sandboxEmulators, Getenv: func(k string) string { return h.env[k] }})(context.Background(), tui.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	od, _, err := r.FetchOrderDetails(context.Background(), "alice", rep.TransactionID)
	r.Close()
	if err != nil || len(od.Batches) == 0 || od.Batches[0].Orders[0].Tradingsymbol != "INFY" {
		t.Fatalf("re-fetch in a new runner: %+v, %v", od, err)
	}

	// Reset: the next process starts over (404 for the old transaction).
	if code, out, _ := h.run(t, "sandbox", "reset"); code != 0 || !strings.Contains(out, "starts over") {
		t.Fatalf("reset: exit %d\n%s", code, out)
	}
	r, err = tui.FlowConnector(st, flow.Options{Emulators: sandboxEmulators, Getenv: func(k string) string { return h.env[k] }})(context.Background(), tui.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if od, _, err := r.FetchOrderDetails(context.Background(), "alice", rep.TransactionID); err == nil && len(od.Batches) > 0 {
		t.Fatal("the order is still known after the reset")
	}
}

// TestCorruptSandboxStateIsRefused: a state file that does not parse stops
// the built-in sandbox with what to do, and is left as it is.
func TestCorruptSandboxStateIsRefused(t *testing.T) {
	h := newHeadlessEnv(t)
	h.store(t)
	path := filepath.Join(h.dir, session.SandboxStateFile)
	if err := os.WriteFile(path, []byte(`{"version":1,"gateway":"gatewaydemo","transactions":[{"id":"nope"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success")
	if code != exitError || !strings.Contains(errb, "gatewalk sandbox reset") || !strings.Contains(errb, path) {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), `"nope"`) {
		t.Fatalf("the state was changed: %s", b)
	}
	st := h.store(t)
	_, err := flow.Setup(context.Background(), st, flow.Options{Emulators: sandboxEmulators, Getenv: func(k string) string { return h.env[k] }})
	var se *session.SandboxStateError
	if !errors.As(err, &se) {
		t.Fatalf("Setup: %v", err)
	}
	os.WriteFile(path, []byte("garbage"), 0o600)
	if code, _, errb := h.run(t, "holdings", "--user", "alice"); code == 0 || !strings.Contains(errb, "does not parse") {
		t.Fatalf("exit %d\n%s", code, errb)
	}
}

// TestForegroundSandboxSharesTheState: `gatewalk sandbox --state DIR`
// and the built-in profile of DIR are one sandbox: a transaction created
// with curl on the first runs with `gatewalk sdk` on the second, and the
// first then knows it completed. --shared-state is the config directory
// the other commands use ($GATEWALK_CONFIG_DIR here).
func TestForegroundSandboxSharesTheState(t *testing.T) {
	for _, name := range []string{"--state", "--shared-state"} {
		t.Run(name, func(t *testing.T) {
			h := newHeadlessEnv(t)
			args := []string{"--shared-state"}
			if name == "--state" {
				args = []string{"--state", h.dir}
			}
			foregroundSandboxSharesTheState(t, h, args)
		})
	}
}

func foregroundSandboxSharesTheState(t *testing.T, h *headlessEnv, stateArgs []string) {
	h.store(t)
	out := newWatchedBuffer(regexp.MustCompile(`API base URL\s+(http://127\.0\.0\.1:\d+)`))
	var errb syncBuffer
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, c, append([]string{"sandbox", "--addr", "127.0.0.1:0", "--quiet"}, stateArgs...))
	}()
	defer func() { cancel(); <-done }()
	var base string
	select {
	case <-out.found:
		base = out.match
	case code := <-done:
		t.Fatalf("the sandbox ended with %d: %s %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "state kept in "+filepath.Join(h.dir, session.SandboxStateFile)) {
		t.Fatalf("banner: %s", out.String())
	}
	id := createWithHTTP(t, base, guestToken(t), `{"intent":"CONNECT"}`)
	code, sout, serr := h.runWithStdin(t, "", "sdk", "--transaction-id", id, "--guest", "--user", "bob", "--auto", "success", "--auto-account", "LEP002")
	if code != 0 || !strings.Contains(sout, "bob (saved)") {
		t.Fatalf("sdk on the built-in profile: exit %d\n%s\n%s", code, sout, serr)
	}
	resp, err := http.Get(base + "/_sandbox/transactions/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Data struct {
			Status string `json:"status"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Data.Status != "COMPLETED" {
		t.Fatalf("the foreground sandbox says %+v, %v", env, err)
	}
}
