package cli

import (
	"context"
	"os"
	"strings"
	"testing"
)

func TestTUIFlags(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--demo", "-h"}, exitOK, ""},
		{[]string{"--bogus"}, exitUsage, "bogus"},
		{[]string{"--profile", "sandbox", "extra"}, exitUsage, `unexpected argument`},
		{[]string{"--demo"}, exitUsage, "the TUI needs a terminal"},
	}
	for _, tc := range cases {
		c, _, errb := testCLI("", nil)
		if code := Main(context.Background(), c, tc.args); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, errb)
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: stderr %q lacks %q", tc.args, errb, tc.want)
		}
	}
	c, _, errb := testCLI("", nil)
	if code := Main(context.Background(), c, nil); code != exitUsage || !strings.Contains(errb.String(), "needs a terminal") {
		t.Errorf("no args without a terminal: exit %d, %q", code, errb)
	}
}

// TestTUINeedsATerminal: /dev/null is a character device but not a
// terminal; the TUI needs stdin and stdout to be terminals and says so
// before it draws anything.
func TestTUINeedsATerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminalFile(null) {
		t.Fatalf("%s counts as a terminal", os.DevNull)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	if isTerminalFile(pr) || isTerminalFile(pw) {
		t.Fatal("a pipe counts as a terminal")
	}
	yes := func() bool { return true }
	for _, tc := range []struct {
		name          string
		stdin, stdout func() bool
		args          []string
		want          string
	}{
		{"stdin not a terminal", func() bool { return false }, yes, nil, "the TUI needs a terminal; see `gatewalk help` for the headless commands\n"},
		{"stdout not a terminal", yes, nil, nil, "the TUI needs a terminal; see `gatewalk help` for the headless commands\n"},
		{"unknown profile, no terminal", func() bool { return false }, nil, []string{"--profile", "nosuch"}, "the TUI needs a terminal"},
		{"unknown profile", yes, yes, []string{"--profile", "nosuch"}, "gatewalk profile list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, out, errb := testCLI("", map[string]string{"GATEWALK_CONFIG_DIR": t.TempDir()})
			c.stdinIsTerminal, c.stdoutIsTerminal = tc.stdin, tc.stdout
			if code := Main(context.Background(), c, tc.args); code != exitUsage {
				t.Fatalf("exit %d, want 2\n%s", code, errb)
			}
			if out.Len() != 0 || !strings.Contains(errb.String(), tc.want) || strings.Contains(errb.String(), "\x1b") {
				t.Fatalf("stdout %q, stderr %q: want only %q", out, errb, tc.want)
			}
		})
	}
}

// Keyring warnings are printed at once, except while the TUI draws: then
// they wait for it to end.
func TestHeldWarnings(t *testing.T) {
	var b strings.Builder
	h := &heldWarnings{w: &b}
	h.warn("before")
	h.hold()
	h.warn("during \x1b[2J")
	if got := b.String(); got != "gatewalk: warning: before\n" {
		t.Fatalf("while held: %q", got)
	}
	h.release()
	h.release()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "gatewalk: warning: during") || strings.Contains(b.String(), "\x1b") {
		t.Fatalf("after release: %q", b.String())
	}
}

// TestTUIRunbookFlag: --runbook that names no runbook, or a runbook for
// another profile than --profile, is refused before the TUI starts.
func TestTUIRunbookFlag(t *testing.T) {
	yes := func() bool { return true }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--runbook", "no-such-runbook"}, "leprechaun-regression"},
		{[]string{"--runbook", "demo", "--profile", "staging"}, `expects profile "sandbox"`},
	} {
		c, out, errb := testCLI("", map[string]string{"GATEWALK_CONFIG_DIR": t.TempDir()})
		c.stdinIsTerminal, c.stdoutIsTerminal = yes, yes
		if code := Main(context.Background(), c, tc.args); code != exitUsage || out.Len() != 0 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errb, tc.want)
		}
	}
}
