package cli

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/flow"
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
		// Loopback only: every other host name resolves to nothing.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]"),
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
	playSandboxScreens(ctx, t, account, "")
}

// nextSandboxStep is the predicate playSandboxScreens polls on each change
// of the page: it returns "" while there is nothing to do, "end" once the
// page is done, failed or expired or shows the screen stopAt, else the
// selector of the control to press, once that control is shown, enabled
// and was not pressed yet. A control counts as pressed once a click has
// reached it (a capturing listener marks it): a click that missed it is
// repeated, while one that landed is not, even if the control is enabled
// again for a moment before its step's answer replaces the screen.
const nextSandboxStep = `function (clicks, stopAt) {
	if (!window.gatewalkPressed) {
		window.gatewalkPressed = new WeakSet();
		document.addEventListener("click", function (e) {
			var path = [];
			for (var n = e.target; n; n = n.parentElement) {
				if (n.disabled) return; // a disabled control ignores the click
				path.push(n);
			}
			path.forEach(function (n) { window.gatewalkPressed.add(n); });
		}, true);
	}
	var page = (document.body && document.body.dataset.state) || "";
	var shown = document.querySelector('[data-sc^="screen:"]');
	var screen = (shown && shown.dataset.sc) || "";
	if (page === "done" || page === "failed" || page === "expired" || (stopAt !== "" && screen === stopAt)) return "end";
	var sel = clicks[page === "ready" ? "start" : screen]; // on ready the operator presses Start
	var control = sel && document.querySelector(sel);
	if (!control || control.disabled || control.getClientRects().length === 0 || window.gatewalkPressed.has(control)) return "";
	return sel;
}`

// playSandboxScreens clicks through the overlay already open in ctx's tab
// until the page is done, failed or expired, or (when stopAt is not "")
// until it shows the screen stopAt, which it leaves unclicked. It waits for
// each step with a poll the page runs on each of its DOM mutations.
func playSandboxScreens(ctx context.Context, t *testing.T, account, stopAt string) {
	t.Helper()
	clicks := map[string]string{
		"screen:brokers": `[data-sc="broker:kite-leprechaun"]`,
		"screen:login":   `[data-sc="account:` + account + `"]`,
		"screen:consent": `[data-sc="consent:accept"]`,
		"screen:review":  `[data-sc="confirm"]`,
		"start":          `[data-sc="start"]`,
	}
	for {
		sel, err := chromedp.Run(ctx, chromedp.PollFunction[string](nextSandboxStep,
			chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(0), chromedp.WithPollingArgs(clicks, stopAt)))
		if ctx.Err() != nil {
			return // as before: the caller's deadline ends the play, and its checks say where it stood
		}
		if err != nil {
			t.Fatalf("reading the page: %v", err)
		}
		if sel == "end" {
			return
		}
		// A click may still race with the next screen replacing this one:
		// the poll then finds the next step, or this control unpressed.
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_ = chromedp.Do(cctx, chromedp.Click(chromedp.CSS(sel)))
		cancel()
	}
}

// TestHeadlessJourneysInChromium runs `gatewalk login` and `gatewalk order`
// with --no-browser, opens the printed link in a real headless Chromium
// and clicks through the sandbox's SDK page.
func TestHeadlessJourneysInChromium(t *testing.T) {
	browserCtx := headlessChromium(t)
	h := newHeadlessEnv(t)

	journey := func(account string, args ...string) (int, string, string) {
		return runInChromium(t, browserCtx, h, account, args...)
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

// TestExpiryWhileThePageIsOpen: a transaction that expires while its SDK
// page is open (the sandbox's clock moves past it before the user
// confirms) fails with transaction_expired in the page, the terminal
// (exit 5) and history, and the sandbox places no orders.
func TestExpiryWhileThePageIsOpen(t *testing.T) {
	browserCtx := headlessChromium(t)
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "eve", "--auto", "success", "--auto-account", "LEP002"); code != 0 {
		t.Fatalf("login: %d\n%s", code, errb)
	}
	var sb atomic.Pointer[sandbox.Server]
	em := flow.Emulators{TestAccounts: sandbox.TestAccounts, New: func(c gateway.EmulatorConfig) flow.Emulator {
		s := sandbox.Embedded(c)
		sb.Store(s)
		return s
	}}
	var out, errb syncBuffer
	c := &Factory{emulators: em, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false }}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- Main(ctx, c, []string{"order", "--user", "eve", "--buy", "TCS:1", "--no-browser"}) }()
	waitForOutput(t, &errb, "/j/")
	pageURL := regexp.MustCompile(`http://localhost:\d+/j/[A-Za-z0-9_-]+/`).FindString(errb.String())
	tabCtx, cancelTab := chromedp.NewContext(browserCtx)
	defer cancelTab()
	tctx, cancelT := context.WithTimeout(tabCtx, 60*time.Second)
	defer cancelT()
	if err := chromedp.Do(tctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	playSandboxScreens(tctx, t, "LEP002", "screen:review")
	sb.Load().Advance(gateway.TransactionLifetime + time.Minute)
	playSandboxScreens(tctx, t, "LEP002", "")
	state, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body.dataset.state + ": " + document.querySelector("main").innerText`))
	if err != nil || !strings.HasPrefix(state, "expired") {
		t.Fatalf("page: %s (%v)", state, err)
	}
	code := <-done
	if code != exitExpired || !strings.Contains(errb.String(), "expired") {
		t.Fatalf("exit %d, want %d\n%s", code, exitExpired, errb.String())
	}
	hist, err := h.store(t).History("sandbox")
	if err != nil || len(hist) == 0 {
		t.Fatal(err)
	}
	var last session.HistoryEntry
	for _, e := range hist {
		if e.Intent == gateway.IntentTransaction {
			last = e
		}
	}
	if last.Status != gateway.StatusExpired {
		t.Fatalf("history: %+v", hist)
	}
	if v, ok := sb.Load().Transaction(last.TransactionID); !ok || len(v.Batches) != 0 || v.Status != gateway.StatusExpired {
		t.Fatalf("the sandbox holds %+v for the expired transaction", v)
	}
}

// TestPageClosedAfterStartEndsTheWait: when the page that runs the SDK is
// closed after the SDK started, `gatewalk order` stops waiting at once and
// asks the Gateway what became of the transaction, rather than waiting
// out its five minutes.
func TestPageClosedAfterStartEndsTheWait(t *testing.T) {
	browserCtx := headlessChromium(t)
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "eve", "--auto", "success", "--auto-account", "LEP002"); code != 0 {
		t.Fatalf("login: %d\n%s", code, errb)
	}
	var out, errb syncBuffer
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false }}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- Main(ctx, c, []string{"order", "--user", "eve", "--buy", "TCS:1", "--no-browser"}) }()
	waitForOutput(t, &errb, "/j/")
	pageURL := regexp.MustCompile(`http://localhost:\d+/j/[A-Za-z0-9_-]+/`).FindString(errb.String())
	tabCtx, cancelTab := chromedp.NewContext(browserCtx)
	defer cancelTab()
	tctx, cancelT := context.WithTimeout(tabCtx, 60*time.Second)
	defer cancelT()
	if err := chromedp.Do(tctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	playSandboxScreens(tctx, t, "LEP002", "screen:login") // the SDK started
	if err := chromedp.Do(tctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		got := errb.String()
		if code == 0 || !strings.Contains(got, "checking with the Gateway") || !strings.Contains(got, "closed after the SDK started") {
			t.Fatalf("exit %d\n%s", code, got)
		}
	case <-ctx.Done():
		t.Fatalf("the command still waits after the page closed:\n%s", errb.String())
	}
}
