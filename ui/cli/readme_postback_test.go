package cli

import (
	"os"
	"strings"
	"testing"
)

func readREADME(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestREADMEPostbackSendExamplesWork runs the README's postback send
// examples, as printed, in a fresh config directory: the listener (on a
// free port instead of 8787), the login and the order, then every send to
// the listener. Each must exit 0. The sends to a handler of the partner's
// own (another host or port) are left out.
func TestREADMEPostbackSendExamplesWork(t *testing.T) {
	readme := readREADME(t)
	_, after, ok := strings.Cut(readme, "**Sending postbacks to your own handler.**")
	if !ok {
		t.Fatal("the README has no postback send examples")
	}
	_, block, _ := strings.Cut(after, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	h := newHeadlessEnv(t)
	const listener = "http://127.0.0.1:8787/"
	var url string
	sends := 0
	for _, line := range strings.Split(block, "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		args := strings.Fields(cmd)
		if len(args) == 0 {
			continue
		}
		if args[0] != "gatewalk" {
			t.Fatalf("not a gatewalk command: %q", line)
		}
		args = args[1:]
		switch {
		case args[0] == "listen":
			if args[len(args)-1] != "&" {
				t.Fatalf("the listener is not started in the background: %q", line)
			}
			if url != "" {
				t.Fatalf("a second listener: %q", line)
			}
			var stop func() int
			url, _, _, stop = startListen(t, h.env, args[1:len(args)-1]...)
			defer stop()
			continue
		case args[0] == "postback" && !strings.Contains(cmd, listener):
			continue // the partner's own handler
		case args[0] == "postback":
			if url == "" {
				t.Fatalf("a send before the listener: %q", line)
			}
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], listener, url)
			}
			sends++
		}
		if code, out, errb := h.run(t, args...); code != 0 {
			t.Errorf("README example %q: exit %d\n%s%s", strings.TrimSpace(cmd), code, out, errb)
		}
	}
	if url == "" || sends < 5 {
		t.Fatalf("ran %d sends (listener %q) from:\n%s", sends, url, block)
	}
}
