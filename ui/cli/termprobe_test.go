package cli

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gatewalk/ui/tui/termprobe"
)

// TestNoTerminalQueryOutsideTUI runs the built binary under a pseudo-terminal
// that never answers, as `script` provides, and checks that plain commands do
// not send the background-colour query (which would stall them until the
// query times out).
func TestNoTerminalQueryOutsideTUI(t *testing.T) {
	script := needTool(t, "script", "script (util-linux) gives the pseudo-terminal to test with (apt-get install bsdutils)")
	bin := gatewalkBinary(t)
	// "" is the TUI with stdin not a terminal: it refuses to start, and must
	// not query the terminal first either.
	for _, args := range []string{"help", "--version", "token inspect x.y.z", "profile list", "< /dev/null"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, script, "-qec", bin+" "+args, "/dev/null")
		cmd.Env = append(os.Environ(), "GATEWALK_CONFIG_DIR="+t.TempDir(), "TERM=xterm-256color")
		out, _ := cmd.Output()
		cancel()
		if strings.Contains(string(out), "\x1b]11;?") {
			t.Errorf("gatewalk %s queried the terminal's background colour:\n%q", args, out)
		}
		if !strings.Contains(string(out), "gatewalk") && !strings.Contains(string(out), "payload") && !strings.Contains(string(out), "sandbox") && !strings.Contains(string(out), "terminal") {
			t.Errorf("gatewalk %s printed nothing recognisable: %q", args, out)
		}
	}
}

func TestWantsTUI(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, true}, {[]string{"--demo"}, true}, {[]string{"--profile", "x"}, true},
		{[]string{"help"}, false}, {[]string{"-h"}, false}, {[]string{"--version"}, false},
		{[]string{"login", "--user", "a"}, false}, {[]string{"demo", "--headless"}, false},
	} {
		if got := termprobe.WantsTUI(tc.args); got != tc.want {
			t.Errorf("WantsTUI(%v) = %v", tc.args, got)
		}
	}
}
