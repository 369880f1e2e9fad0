package cli

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

// TestREADMEDriverExamplesWork runs the README's sandbox driver curl
// examples, as printed, against a sandbox on a loopback port (only the
// address and the transaction id are put in): each must answer 200.
func TestREADMEDriverExamplesWork(t *testing.T) {
	curl := needTool(t, "curl", "the README's driver examples are curl commands")
	bash := needTool(t, "bash", "the README's examples are shell commands")
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(raw), "**Driver** (sandbox only")
	if !ok {
		t.Fatal("the README has no Driver examples")
	}
	_, block, _ := strings.Cut(after, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	var cmds []string
	for _, l := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "curl ") {
			cmds = append(cmds, l)
		}
	}
	if len(cmds) < 4 {
		t.Fatalf("found %d curl examples in:\n%s", len(cmds), block)
	}
	sb := sandbox.New(sandbox.Config{})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := &gateway.Client{BaseURL: base, Gateway: sandbox.DefaultGateway, APISecret: sandbox.DefaultAPISecret}
	tok, _ := gateway.MintConnectedToken(sandbox.DefaultSecret, sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001"), time.Now().Add(time.Hour))
	tx, err := c.CreateTransaction(context.Background(), tok, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range cmds {
		run := strings.ReplaceAll(cmd, "http://127.0.0.1:8771", base)
		run = strings.ReplaceAll(run, "TRX_...", tx.TransactionID)
		run = strings.Replace(run, "curl ", curl+" -o /dev/null -w '%{http_code}' ", 1)
		out, err := exec.Command(bash, "-c", run).Output()
		if err != nil || string(out) != "200" {
			t.Errorf("README example %q: HTTP %s (%v)", cmd, out, err)
		}
	}
}
