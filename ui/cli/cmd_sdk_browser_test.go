package cli

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

// TestSDKPageInChromium: `gatewalk sdk` on an order created with plain
// HTTP opens the page, a real Chromium clicks through the sandbox's SDK,
// and the batches are reported. On a profile off the sandbox (no lookup:
// the intent comes with the SDK's result) a CONNECT saves its user.
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

	code, out, errb := runInChromium(t, browserCtx, h, "LEP001", "sdk", "--profile", "ext", "--transaction-id", id, "--user", "alice", "--no-browser")
	if code != 0 || !strings.Contains(out, "INFY") || !strings.Contains(out, "batches (from the SDK result)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	if !strings.Contains(errb, "page opened") {
		t.Fatalf("no page events on stderr:\n%s", errb)
	}
	if v, _ := sb.Transaction(id); v.Status != gateway.StatusCompleted {
		t.Fatalf("sandbox status %s", v.Status)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	stag := session.Profile{Name: "stag", Env: gateway.EnvStaging, Gateway: sandbox.DefaultGateway, Secret: sandbox.DefaultSecret,
		APISecret: sandbox.DefaultAPISecret, APIURL: sb.URL(), SDKURL: sb.SDKURL(), CallbackPort: port}
	if err := h.store(t).SaveProfile(stag); err != nil {
		t.Fatal(err)
	}
	connect := createWithHTTP(t, sb.URL(), guestToken(t), `{"intent":"CONNECT"}`)
	code, out, errb = runInChromium(t, browserCtx, h, "LEP003", "sdk", "--profile", "stag", "--transaction-id", connect, "--guest", "--user", "carol", "--no-browser")
	if code != 0 || !strings.Contains(out, "intent:          CONNECT") || !strings.Contains(out, "carol (saved)") ||
		!strings.Contains(errb, "no partner API to look a transaction up") {
		t.Fatalf("staging: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
}

// runInChromium runs gatewalk with args (a journey with --no-browser),
// opens the link it prints in Chromium and plays the sandbox's page as
// account. The link is seen as it is written (no polling).
func runInChromium(t *testing.T, browserCtx context.Context, h *headlessEnv, account string, args ...string) (int, string, string) {
	t.Helper()
	var out syncBuffer
	errb := newWatchedBuffer(regexp.MustCompile(`http://localhost:\d+/j/[A-Za-z0-9_-]+/`))
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: &out, stderr: errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false }}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- Main(ctx, c, args) }()
	var pageURL string
	select {
	case <-errb.found:
		pageURL = errb.match
	case code := <-done:
		t.Fatalf("ended with %d before printing a link:\n%s", code, errb.String())
	case <-ctx.Done():
		t.Fatalf("printed no link:\n%s", errb.String())
	}
	tabCtx, cancelTab := chromedp.NewContext(browserCtx)
	defer cancelTab()
	tctx, cancelT := context.WithTimeout(tabCtx, 60*time.Second)
	defer cancelT()
	playSandboxPage(tctx, t, pageURL, account)
	select {
	case code := <-done:
		return code, out.String(), errb.String()
	case <-ctx.Done():
		t.Fatalf("did not end after the page finished:\n%s", errb.String())
	}
	return 0, "", ""
}
