package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// sandboxOutput is a bytes.Buffer safe for the sandbox's request goroutines.
type sandboxOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *sandboxOutput) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *sandboxOutput) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSandboxCommandServesUntilCancelled(t *testing.T) {
	c, _, errb := testCLI("", map[string]string{
		"GATEWALK_SANDBOX_API_SECRET": "partner-api-secret-xyz",
		"GATEWALK_SANDBOX_GATEWAY":    "acmegw",
	})
	out := &sandboxOutput{}
	c.stdout = out
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, c, []string{"sandbox", "--addr", "127.0.0.1:0", "--market", "closed", "--txn-ttl", "30s"})
	}()

	re := regexp.MustCompile(`API base URL\s+(http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("no banner: %s %s", out, errb)
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
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !strings.Contains(out.String(), "POST /gateway/acmegw/transaction 200"); {
		time.Sleep(10 * time.Millisecond)
	}
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
		{"sandbox", "--txn-ttl", "-5s"},
		{"sandbox", "--txn-ttl", "soon"},
		{"sandbox", "--postback-url", "ftp://x"},
		{"sandbox", "--allowed-origin", "localhost:3000"},
		{"sandbox", "--addr", "0.0.0.0:0"},
		{"sandbox", "gatewayDemo_secret"},
	} {
		c, out, errb := testCLI("", nil)
		if code := run(context.Background(), c, args); code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errb)
		}
		if out.Len() != 0 || errb.Len() == 0 {
			t.Errorf("%v: stdout %q stderr %q", args, out, errb)
		}
	}
	c, _, errb := testCLI("", nil)
	if code := run(context.Background(), c, []string{"sandbox", "--help"}); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, want := range []string{"/_sandbox/transactions/{id}/complete", "user_mismatch", "partial_fill", "data-sc", "Emulator choices", "GATEWALK_SANDBOX_SECRET", "--allowed-origin"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
