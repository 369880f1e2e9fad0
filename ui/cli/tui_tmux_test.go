package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTUIInARealTerminal starts the built binary in tmux on a fresh config
// directory, as `go run .` would on a fresh machine, and walks the three
// journeys with the keys a person presses: the sandbox answers the SDK step
// (auto-answer, account kite-leprechaun LEP001), so no browser is needed.
func TestTUIInARealTerminal(t *testing.T) {
	needTool(t, "tmux", "no real terminal to test the TUI in (apt-get install tmux)")
	dir := t.TempDir()
	bin := gatewalkBinary(t)
	socket := fmt.Sprintf("gatewalk-test-%d-%s", os.Getpid(), filepath.Base(filepath.Dir(dir)))
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-L", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	cmd := "GATEWALK_CONFIG_DIR=" + filepath.Join(dir, "cfg") + " TERM=xterm-256color " + bin + " --no-browser"
	tmux("new-session", "-d", "-s", "gw", "-x", "120", "-y", "40", cmd)
	t.Cleanup(func() { exec.Command("tmux", "-L", socket, "kill-server").Run() })

	screen := func() string { return tmux("capture-pane", "-p", "-t", "gw") }
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if strings.Contains(screen(), want) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("the screen never showed %q:\n%s", want, screen())
	}
	keys := func(k ...string) { tmux(append([]string{"send-keys", "-t", "gw"}, k...)...) }

	waitFor("Local users")
	keys("a")
	waitFor("Auto-answer")
	keys("Enter")
	waitFor("AUTO")
	keys("c")
	waitFor("label ›")
	keys("alice", "Enter")
	waitFor("Guest login for alice completed")
	keys("o")
	waitFor("New order")
	keys("INFY", "Tab", "3")
	waitFor("BUY INFY × 3")
	keys("Enter")
	waitFor("Review the order")
	keys("Enter")
	waitFor("Connected order for alice completed")
	keys("Escape")
	waitFor("Local users")
	keys("i")
	waitFor("Import holdings")
	keys("Enter")
	waitFor("Holdings import for alice completed")
	keys("Escape")
	// Home, before q: an Escape and a q read together are one alt+q.
	waitFor("Local users")
	home := screen()
	if !strings.Contains(home, "kite-leprechaun") {
		t.Fatalf("home does not list alice's broker:\n%s", home)
	}
	keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := exec.Command("tmux", "-L", socket, "has-session", "-t", "gw").Run(); err != nil {
			return // the program quit and its window closed
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("q did not quit:\n%s", screen())
}

// TestTUIRefetchesAnEarlierProcessOrder: an order placed by a headless
// command is re-fetched (r in the history) by a TUI started afterwards,
// since the built-in sandbox keeps its state between processes.
func TestTUIRefetchesAnEarlierProcessOrder(t *testing.T) {
	needTool(t, "tmux", "no real terminal to test the TUI in (apt-get install tmux)")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg")
	h := &headlessEnv{dir: cfg, env: map[string]string{"GATEWALK_CONFIG_DIR": cfg}}
	if code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success"); code != 0 {
		t.Fatalf("login: %d\n%s", code, errb)
	}
	if code, _, errb := h.run(t, "order", "--user", "alice", "--buy", "INFY:2", "--auto", "success"); code != 0 {
		t.Fatalf("order: %d\n%s", code, errb)
	}
	bin := gatewalkBinary(t)
	socket := fmt.Sprintf("gatewalk-test-r-%d-%s", os.Getpid(), filepath.Base(filepath.Dir(dir)))
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-L", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-s", "gw", "-x", "120", "-y", "40", "GATEWALK_CONFIG_DIR="+cfg+" TERM=xterm-256color "+bin+" --no-browser")
	t.Cleanup(func() { exec.Command("tmux", "-L", socket, "kill-server").Run() })
	screen := func() string { return tmux("capture-pane", "-p", "-t", "gw") }
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if strings.Contains(screen(), want) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("the screen never showed %q:\n%s", want, screen())
	}
	waitFor("Local users")
	// y needs the profile started (its sandbox loads the saved state).
	for deadline := time.Now().Add(30 * time.Second); strings.Contains(screen(), "Starting profile"); {
		if time.Now().After(deadline) {
			t.Fatalf("the profile never started:\n%s", screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
	tmux("send-keys", "-t", "gw", "y")
	waitFor("Transaction history")
	if strings.Contains(screen(), "INFY         BUY") {
		t.Fatalf("the batches show before the re-fetch:\n%s", screen())
	}
	tmux("send-keys", "-t", "gw", "r")
	waitFor("INFY         BUY        2       2")
}
