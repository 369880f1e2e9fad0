package cli

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatewalk/gateway/sandbox"
)

// headlessChromium starts a headless browser for the test. Without one the
// test skips, unless GATEWALK_REQUIRE_BROWSER=1 makes that a failure.
func headlessChromium(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("GATEWALK_REQUIRE_BROWSER") == "1" {
			t.Fatal("chromium is not installed and GATEWALK_REQUIRE_BROWSER=1: apt-get install chromium")
		}
		t.Skip("SKIPPING the browser test: chromium is not installed (apt-get install chromium)")
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()))
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browserCtx); err != nil {
		if os.Getenv("GATEWALK_REQUIRE_BROWSER") == "1" {
			t.Fatalf("cannot start %s: %v", path, err)
		}
		t.Skipf("SKIPPING the browser test: cannot start %s: %v", path, err)
	}
	return browserCtx
}

// playSandboxPage clicks through the sandbox's SDK overlay as a user would:
// broker, test account, consent, confirm; it returns when the page shows
// the journey done (or ctx ends).
func playSandboxPage(ctx context.Context, t *testing.T, pageURL, account string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	clicks := map[string]string{
		"screen:brokers": `[data-sc="broker:kite-leprechaun"]`,
		"screen:login":   `[data-sc="account:` + account + `"]`,
		"screen:consent": `[data-sc="consent:accept"]`,
		"screen:review":  `[data-sc="confirm"]`,
	}
	for ctx.Err() == nil {
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`(document.body.dataset.state || "") + "|" + ((document.querySelector('[data-sc^="screen:"]') || {dataset: {}}).dataset.sc || "")`))
		if err != nil {
			t.Fatalf("reading the page: %v", err)
		}
		page, screen, _ := strings.Cut(state, "|")
		if page == "done" || page == "failed" {
			return
		}
		if sel, ok := clicks[screen]; ok {
			// A click may race with the next screen replacing this one.
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_ = chromedp.Do(cctx, chromedp.Click(chromedp.CSS(sel)))
			cancel()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHeadlessJourneysInChromium runs `gatewalk login` and `gatewalk order`
// with --no-browser, opens the printed link in a real headless Chromium
// and clicks through the sandbox's SDK page.
func TestHeadlessJourneysInChromium(t *testing.T) {
	browserCtx := headlessChromium(t)
	h := newHeadlessEnv(t)
	urlRe := regexp.MustCompile(`http://localhost:\d+/j/[A-Za-z0-9_-]+/`)

	journey := func(account string, args ...string) (int, string, string) {
		var out, errb syncBuffer
		c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
			getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false }}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		done := make(chan int, 1)
		go func() { done <- Main(ctx, c, args) }()
		var pageURL string
		for pageURL == "" {
			select {
			case code := <-done:
				t.Fatalf("%v ended with %d before printing a link:\n%s", args, code, errb.String())
			case <-ctx.Done():
				t.Fatalf("%v printed no link:\n%s", args, errb.String())
			case <-time.After(10 * time.Millisecond):
				pageURL = urlRe.FindString(errb.String())
			}
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
			t.Fatalf("%v did not end after the page finished:\n%s", args, errb.String())
		}
		return 0, "", ""
	}

	code, out, errb := journey("LEP002", "login", "--user", "eve", "--no-browser")
	want := sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP002")
	if code != 0 || !strings.Contains(out, "smallcaseAuthId: "+want) {
		t.Fatalf("login: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	for _, ev := range []string{"browser: page opened", "browser: SDK loaded", "result: resolved CONNECT"} {
		if !strings.Contains(errb, ev) {
			t.Errorf("login progress lacks %q:\n%s", ev, errb)
		}
	}
	code, out, errb = journey("LEP002", "order", "--user", "eve", "--buy", "TCS:1", "--no-browser")
	if code != 0 || !strings.Contains(out, "TCS") || !strings.Contains(out, "COMPLETE") {
		t.Fatalf("order: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
}
