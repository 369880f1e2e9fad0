package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

// TestSDKPageInChromium: `gatewalk sdk` on an order created with plain
// HTTP opens the page, a real Chromium clicks through the sandbox's SDK,
// and the batches are reported; the page cannot run it a second time.
func TestSDKPageInChromium(t *testing.T) {
	browserCtx := headlessChromium(t)
	h := newHeadlessEnv(t)
	sb, _ := externalSandbox(t, h)
	alice := sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001")
	conn, err := gateway.MintConnectedToken(sandbox.DefaultSecret, alice, time.Now().Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	id := createWithHTTP(t, sb.URL(), conn, `{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"INFY","quantity":3,"type":"BUY"}]}}`)

	var out, errb syncBuffer
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false }}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, c, []string{"sdk", "--profile", "ext", "--transaction-id", id, "--user", "alice", "--no-browser"})
	}()
	urlRe := regexp.MustCompile(`http://localhost:\d+/j/[A-Za-z0-9_-]+/`)
	var pageURL string
	for pageURL == "" {
		select {
		case code := <-done:
			t.Fatalf("ended with %d before printing a link:\n%s", code, errb.String())
		case <-ctx.Done():
			t.Fatalf("printed no link:\n%s", errb.String())
		case <-time.After(10 * time.Millisecond):
			pageURL = urlRe.FindString(errb.String())
		}
	}
	tabCtx, cancelTab := chromedp.NewContext(browserCtx)
	defer cancelTab()
	tctx, cancelT := context.WithTimeout(tabCtx, 60*time.Second)
	defer cancelT()
	playSandboxPage(tctx, t, pageURL, "LEP001")
	var code int
	select {
	case code = <-done:
	case <-ctx.Done():
		t.Fatalf("did not end after the page finished:\n%s", errb.String())
	}
	if code != 0 || !strings.Contains(out.String(), "INFY") || !strings.Contains(out.String(), "batches (from the SDK result)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "page opened") {
		t.Fatalf("no page events on stderr:\n%s", errb.String())
	}
	if v, _ := sb.Transaction(id); v.Status != gateway.StatusCompleted {
		t.Fatalf("sandbox status %s", v.Status)
	}
}
