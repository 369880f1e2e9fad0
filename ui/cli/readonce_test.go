package cli

import (
	"context"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestEachCommandReadsEachFileOnce: a command reads each config file from
// disk at most once, however many times its steps look at it, and does
// not read back what it wrote itself. The config directory holds a profile
// of the embedded sandbox with users and a history, so every file exists.
func TestEachCommandReadsEachFileOnce(t *testing.T) {
	h := newHeadlessEnv(t)
	// A profile besides the built-in one, so that profiles.json exists.
	spare := session.Profile{Name: "spare", Env: gateway.EnvSandbox, Gateway: sandbox.DefaultGateway,
		Secret: sandbox.DefaultSecret, APISecret: sandbox.DefaultAPISecret}
	if err := h.store(t).SaveProfile(spare); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"login", "--user", "alice", "--auto", "success"},
		{"login", "--user", "bob", "--auto", "success", "--auto-account", "LEP002"},
		{"order", "--user", "alice", "--buy", "TCS:1", "--auto", "success"},
	} {
		if code, _, errb := h.run(t, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errb)
		}
	}
	for _, args := range [][]string{
		{"users", "list"},
		{"users", "show", "alice"},
		{"profile", "show"},
		{"login", "--user", "carol", "--auto", "success", "--auto-account", "LEP003"},
		{"order", "--user", "alice", "--buy", "INFY:1", "--auto", "success"},
		{"holdings", "--user", "alice", "--import", "--auto", "success"},
		{"holdings", "--user", "alice"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var mu sync.Mutex
			reads := map[string]int{}
			var out, errb syncBuffer
			c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
				getenv: func(k string) string { return h.env[k] }, now: time.Now,
				stdinIsTerminal: func() bool { return false },
				onStoreRead: func(name string) {
					mu.Lock()
					reads[name]++
					mu.Unlock()
				}}
			if code := Main(context.Background(), c, args); code != 0 {
				t.Fatalf("exit %d\n%s", code, errb.String())
			}
			mu.Lock()
			defer mu.Unlock()
			t.Logf("reads: %v", reads)
			for _, name := range []string{"profiles.json", "users.json"} {
				if reads[name] == 0 {
					t.Fatalf("%s was not read: the hook is not wired", name)
				}
			}
			for name, n := range reads {
				if n > 1 {
					t.Errorf("%s read %d times: %v", name, n, reads)
				}
			}
		})
	}
}
