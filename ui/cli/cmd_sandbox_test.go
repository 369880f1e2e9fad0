package cli

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSandboxCommandServesUntilCancelled(t *testing.T) {
	c, _, _ := testCLI("", map[string]string{
		"GATEWALK_SANDBOX_API_SECRET": "partner-api-secret-xyz",
		"GATEWALK_SANDBOX_GATEWAY":    "acmegw",
	})
	// Both are read while the sandbox runs: syncBuffers, not testCLI's.
	out, errb := &syncBuffer{}, &syncBuffer{}
	c.stdout, c.stderr = out, errb
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, c, []string{"sandbox", "--addr", "127.0.0.1:0", "--market", "closed,kite=open", "--txn-ttl", "30s"})
	}()

	re := regexp.MustCompile(`API base URL\s+(http://127\.0\.0\.1:\d+)`)
	banner, ok := out.waitFor(10*time.Second, re.MatchString)
	if !ok {
		cancel()
		t.Fatalf("no banner: %s %s", banner, errb)
	}
	base := re.FindStringSubmatch(banner)[1]
	if !strings.Contains(out.String(), "market          closed,kite=open") {
		t.Errorf("the banner does not show the markets per broker:\n%s", out)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/gateway/acmegw/transaction", strings.NewReader(`{"intent":"CONNECT"}`))
	req.Header.Set("x-gateway-secret", "partner-api-secret-xyz")
	req.Header.Set("x-gateway-authtoken", docGuestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("create with the env keys: HTTP %d", resp.StatusCode)
	}
	// The request line is printed asynchronously; when it is not within
	// 5s, the checks below say it is missing.
	out.waitForText(5*time.Second, "POST /gateway/acmegw/transaction 200")
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, errb)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sandbox did not stop on cancel")
	}
	text := out.String()
	for _, want := range []string{
		base + "/scdk/2.0.0/scdk.js", "gateway         acmegw", "part••••", "market          closed", "live 30s",
		"POST /gateway/acmegw/transaction 200", "sandbox stopped",
		"gatewayDemo_secret   (the public demo secret of gatewaydemo)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "partner-api-secret-xyz") {
		t.Errorf("the apiSecret is printed in full:\n%s", text)
	}
	if _, err := http.Get(base + "/openapi.json"); err == nil {
		t.Error("still listening after stop")
	}
}

func TestSandboxCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"sandbox", "--market", "sometimes"},
		{"sandbox", "--market", "kite=sometimes"},
		{"sandbox", "--market", "groww=open"},
		{"sandbox", "--market", "nosuch=closed"},
		{"sandbox", "--txn-ttl", "-5s"},
		{"sandbox", "--txn-ttl", "soon"},
		{"sandbox", "--postback-url", "ftp://x"},
		{"sandbox", "--allowed-origin", "localhost:3000"},
		{"sandbox", "--addr", "0.0.0.0:0"},
		{"sandbox", "gatewayDemo_secret"},
		{"sandbox", "--addr", "banana"},
		{"sandbox", "--addr", "127.0.0.1:99999"},
		{"sandbox", "--gateway", "Bad Name!"},
	} {
		c, out, errb := testCLI("", nil)
		if code := Main(context.Background(), c, args); code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errb)
		}
		if out.Len() != 0 || errb.Len() == 0 || strings.Contains(errb.String(), "another sandbox") {
			t.Errorf("%v: stdout %q stderr %q", args, out, errb)
		}
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"sandbox", "--addr", "0.0.0.0:0"}, nil, "--allow-remote"},
		{[]string{"sandbox", "--addr", "banana"}, nil, "--addr banana: want HOST:PORT"},
		{[]string{"sandbox", "--addr", "127.0.0.1:99999"}, nil, `port "99999" is not a number from 0 to 65535`},
		{[]string{"sandbox", "--gateway", "Bad Name!"}, nil, `--gateway: "Bad Name!" is not a gateway name`},
		{[]string{"sandbox"}, map[string]string{"GATEWALK_SANDBOX_GATEWAY": "BAD GW"}, `$GATEWALK_SANDBOX_GATEWAY: "BAD GW" is not a gateway name`},
	} {
		c, _, errb := testCLI("", tc.env)
		if code := Main(context.Background(), c, tc.args); code != exitUsage || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v %v: exit %d, want 2 saying %q:\n%s", tc.args, tc.env, code, tc.want, errb)
		}
	}
	c, out, _ := testCLI("", nil)
	if code := Main(context.Background(), c, []string{"sandbox", "--help"}); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, want := range []string{"/_sandbox/transactions/{id}/complete", "user_mismatch", "partial_fill", "data-sc", "Emulator choices", "GATEWALK_SANDBOX_SECRET", "--allowed-origin"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

// TestSandboxTryLineWorksAsPrinted runs the startup banner's example in a
// shell, with the gatewalk binary on the PATH and nothing else set up: it
// must create a transaction, with the demo keys and with keys of one's own.
func TestSandboxTryLineWorksAsPrinted(t *testing.T) {
	needTool(t, "curl", "the banner's example is a curl line (apt-get install curl)")
	needTool(t, "sh", "the banner's example runs in sh")
	binDir := filepath.Dir(gatewalkBinary(t))
	for _, env := range []map[string]string{
		nil,
		{"GATEWALK_SANDBOX_SECRET": "own-jwt-secret-123", "GATEWALK_SANDBOX_API_SECRET": "own-api-secret-456", "GATEWALK_SANDBOX_GATEWAY": "acmegw"},
	} {
		c, _, _ := testCLI("", env)
		out, errb := &syncBuffer{}, &syncBuffer{}
		c.stdout, c.stderr = out, errb
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() { done <- Main(ctx, c, []string{"sandbox", "--addr", "127.0.0.1:0", "--quiet"}) }()
		text, ok := out.waitFor(10*time.Second, func(text string) bool {
			i := strings.Index(text, "Try")
			return i >= 0 && strings.Contains(text[i:], "Ctrl-C stops")
		})
		if !ok {
			cancel()
			t.Fatalf("no Try line: %s %s", text, errb)
		}
		block := text[strings.Index(text, "Try"):strings.Index(text, "Ctrl-C stops")]
		try := block[strings.Index(block, "\n")+1:]
		for _, secret := range []string{"own-jwt-secret-123", "own-api-secret-456"} {
			if strings.Contains(out.String(), secret) {
				t.Errorf("the banner prints a secret:\n%s", out)
			}
		}
		cmd := exec.Command("sh", "-c", try)
		cmd.Env = []string{"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
			"GATEWALK_CONFIG_DIR=" + t.TempDir(), "HOME=" + t.TempDir()}
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		got, err := cmd.CombinedOutput()
		cancel()
		<-done
		if err != nil || !strings.Contains(string(got), `"success":true`) || !strings.Contains(string(got), `"transactionId":"TRX_`) {
			t.Errorf("env %v: the Try command failed: %v\n%s\ncommand:\n%s", env, err, got, try)
		}
	}
}
