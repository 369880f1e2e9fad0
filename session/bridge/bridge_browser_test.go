package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/template"
	"time"

	"github.com/chromedp/chromedp"

	"gatewalk/gateway"
)

// findChromium returns the Chromium (or Chrome) binary, or "".
// GATEWALK_CHROMIUM names another binary.
func findChromium() string {
	if p := os.Getenv("GATEWALK_CHROMIUM"); p != "" {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
		return ""
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startChromium starts one headless browser for a whole test and returns
// its context; each subtest opens its own tab with newTab. Without a
// browser the test skips, unless GATEWALK_REQUIRE_BROWSER=1 makes it fail.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	path := findChromium()
	if path == "" {
		if os.Getenv("GATEWALK_REQUIRE_BROWSER") == "1" {
			t.Fatal("chromium is not installed (or GATEWALK_CHROMIUM names no binary), and GATEWALK_REQUIRE_BROWSER=1 requires the browser tests to run: apt-get install chromium")
		}
		t.Skip("SKIPPING browser tests: chromium is not installed (apt-get install chromium); set GATEWALK_REQUIRE_BROWSER=1 to make this a failure")
	}
	// Chromium's popup blocker stays on (no disable-popup-blocking), as in
	// a user's browser.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		// Tests reach loopback addresses only: every other host name
		// resolves to nothing (the page's policy is checked before that).
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]"),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first Do starts the browser; it must not carry a timeout.
	if err := chromedp.Do(browserCtx); err != nil {
		if os.Getenv("GATEWALK_REQUIRE_BROWSER") == "1" {
			t.Fatalf("cannot start %s: %v", path, err)
		}
		t.Skipf("SKIPPING browser tests: cannot start %s: %v", path, err)
	}
	return browserCtx
}

// consoleLog collects what a tab wrote to its console.
type consoleLog struct {
	mu   sync.Mutex
	msgs []string
}

func (c *consoleLog) add(m string) {
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.mu.Unlock()
}

// problems returns the messages that show the page broken: uncaught
// exceptions and Content Security Policy refusals.
func (c *consoleLog) problems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		if strings.HasPrefix(m, "exception") || strings.Contains(m, "Content Security Policy") {
			out = append(out, m)
		}
	}
	return out
}

// newTab opens a tab in the shared browser, bounded by a generous deadline
// so that a broken page fails the test instead of hanging it. The tab's
// console is collected; at the end of the subtest an exception or a CSP
// refusal fails it.
func newTab(t *testing.T, browserCtx context.Context) context.Context {
	t.Helper()
	return openTab(t, browserCtx, false)
}

// openTab is newTab; allowBlocked lets CSP refusals pass, for the test
// that provokes one.
func openTab(t *testing.T, browserCtx context.Context, allowBlocked bool) context.Context {
	t.Helper()
	tabCtx, cancelTab := chromedp.NewContext(browserCtx)
	ctx, cancel := context.WithTimeout(tabCtx, 60*time.Second)
	if err := chromedp.Do(tabCtx); err != nil {
		cancel()
		cancelTab()
		t.Fatalf("cannot open a tab: %v", err)
	}
	console := &consoleLog{}
	messages := chromedp.Console(tabCtx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			console.add(m.String())
		}
	}()
	t.Cleanup(func() {
		cancel()
		cancelTab()
		<-done
		for _, p := range console.problems() {
			if allowBlocked && strings.Contains(p, "Content Security Policy") {
				continue
			}
			t.Errorf("page console: %s", p)
		}
	})
	return ctx
}

// pageText returns the visible status text of the harness page.
func pageText(ctx context.Context, t *testing.T) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
	if err != nil {
		t.Fatalf("reading the page: %v", err)
	}
	return text
}

// clickStart presses the page's Start button, as the operator does: the
// SDK starts from that click (so its broker window passes the popup
// blocker).
func clickStart(ctx context.Context, t *testing.T) {
	t.Helper()
	waitState(ctx, t, "ready")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-sc="start"]`))); err != nil {
		t.Fatalf("pressing Start: %v", err)
	}
}

// waitState waits until the harness page shows state, failing with the
// page's text when it does not.
func waitState(ctx context.Context, t *testing.T, state string) {
	t.Helper()
	sel := chromedp.CSS(fmt.Sprintf(`body[data-state=%q]`, state))
	if err := chromedp.Do(ctx, chromedp.WaitVisible(sel)); err != nil {
		st, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.body.dataset.state + ": " + document.querySelector("main").innerText`))
		t.Fatalf("page never reached state %q: %v\npage: %s", state, err, st)
	}
}

// waitEvent reads journey events until one of kind arrives.
func waitEvent(t *testing.T, j *Journey, kind JourneyEventKind) JourneyEvent {
	t.Helper()
	deadline := time.After(30 * time.Second)
	var seen []JourneyEventKind
	for {
		select {
		case ev, ok := <-j.Events():
			if !ok {
				t.Fatalf("events closed before %s (saw %v)", kind, seen)
			}
			if ev.Kind == kind {
				return ev
			}
			seen = append(seen, ev.Kind)
		case <-deadline:
			t.Fatalf("no %s event (saw %v)", kind, seen)
		}
	}
}

// fakeSDK is a stand-in for scdk.js that exercises the page's protocol: it
// records what the page gave it and settles as its mode says.
var fakeSDK = template.Must(template.New("scdk").Parse(`
window.scDK = function (opts) { this.opts = opts; };
window.scDK.prototype.triggerTransaction = function (args) {
  var opts = this.opts;
  var echo = { gateway: opts.gateway, token: opts.smallcaseAuthToken, config: opts.config, args: args };
  return new Promise(function (resolve, reject) {
    var mode = {{printf "%q" .Mode}};
    if (mode === 'hang') { return; }
    if (mode === 'inline') {
      var s = document.createElement('script');
      s.textContent = 'window.injected = true';
      document.head.appendChild(s);
      return;
    }
    if (mode === 'reject') {
      var e = new Error('user_cancelled');
      e.code = 1012;
      e.data = JSON.stringify({ smallcaseAuthToken: {{printf "%q" .Token}}, broker: 'kite' });
      reject(e);
      return;
    }
    if (mode === 'throw') { throw { errorCode: 3004, errorMessage: 'init_sdk' }; }
    if (mode === 'hosts') {
      // What a real SDK does on smallcase's hosts (allowed), then the same
      // on another host (blocked). Neither host answers here: only the
      // page's policy is under test.
      var ignore = function () {};
      fetch('https://gateway.smallcase.com/ping').catch(ignore);
      try { new WebSocket('wss://socket.smallcase.com/ws'); } catch (e) {}
      var ok = document.createElement('iframe');
      ok.src = 'https://gateway.smallcase.com/frame';
      document.body.appendChild(ok);
      var st = document.createElement('style');
      st.textContent = '.scdk-injected { color: red; }';
      document.head.appendChild(st);
      fetch('https://api.example.org/collect').catch(ignore);
      var bad = document.createElement('iframe');
      bad.src = 'https://evil.example.org/frame';
      document.body.appendChild(bad);
      return;
    }
    if (mode === 'popup') {
      // As a real SDK may: a window for the broker, opened inside
      // triggerTransaction. The popup blocker lets it through only when
      // the call comes from the user's click.
      var w = window.open('about:blank', 'smallcase-broker', 'width=400,height=400');
      if (!w) { reject({ message: 'popup_blocked', code: 0 }); return; }
      w.close();
      resolve({ success: true, transaction: 'CONNECT', smallcaseAuthToken: {{printf "%q" .Token}},
        broker: 'kite-leprechaun', transactionId: args.transactionId, data: echo });
      return;
    }
    var b = document.createElement('button');
    b.id = 'finish';
    b.textContent = 'Finish';
    b.onclick = function () {
      resolve({ success: true, transaction: 'CONNECT', smallcaseAuthToken: {{printf "%q" .Token}},
        broker: 'kite-leprechaun', transactionId: args.transactionId, data: echo });
    };
    document.body.appendChild(b);
  });
};
`))

// startFakeSDK serves fakeSDK on a loopback port at /MODE/scdk.js.
func startFakeSDK(t *testing.T, token string) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/scdk.js")
		if mode == "count" {
			fakeSDKLoads.Add(1)
		}
		w.Header().Set("Content-Type", "text/javascript")
		w.Header().Set("Cache-Control", "no-store")
		fakeSDK.Execute(w, map[string]string{"Mode": mode, "Token": token})
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return base
}

// fakeSDKLoads counts the loads of the fake SDK in mode "count" (only the
// two-tab test uses that mode): a page loads the SDK only to run it.
var fakeSDKLoads atomic.Int32

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// browserFixture is what the subtests of TestBridgeInBrowser share: one
// browser, one bridge and one fake SDK server. Each subtest opens its own
// journey and tab, so they run in parallel.
type browserFixture struct {
	browserCtx context.Context
	b          *Bridge
	sdkBase    string
}

// fakeSDKURL is the fake SDK's script in the given mode.
func (f *browserFixture) fakeSDKURL(mode string) string {
	return f.sdkBase + "/" + mode + "/scdk.js"
}

// journey creates a journey whose page loads the SDK from sdkURL.
func (f *browserFixture) journey(t *testing.T, sdkURL string) *Journey {
	t.Helper()
	spec := bridgeSpec(t, time.Now())
	spec.SDKURL = sdkURL
	spec.AMO = true
	j, err := f.b.NewJourney(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.Close)
	return j
}

// open creates a journey that loads the SDK from sdkURL and opens its page
// in a new tab (see openTab for allowBlocked).
func (f *browserFixture) open(t *testing.T, sdkURL string, allowBlocked bool) (*Journey, context.Context) {
	t.Helper()
	j := f.journey(t, sdkURL)
	ctx := openTab(t, f.browserCtx, allowBlocked)
	if err := chromedp.Do(ctx, chromedp.Navigate(j.URL())); err != nil {
		t.Fatal(err)
	}
	return j, ctx
}

// openStarted is open, then the operator's press of Start.
func (f *browserFixture) openStarted(t *testing.T, sdkURL string, allowBlocked bool) (*Journey, context.Context) {
	t.Helper()
	j, ctx := f.open(t, sdkURL, allowBlocked)
	clickStart(ctx, t)
	return j, ctx
}

func TestBridgeInBrowser(t *testing.T) {
	browserCtx := startChromium(t)
	connected, err := gateway.MintConnectedToken(bridgeSecret, bridgeAuthID, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sdkBase := startFakeSDK(t, connected)
	f := &browserFixture{browserCtx: browserCtx, b: startTestBridge(t, Config{Logf: t.Logf}), sdkBase: sdkBase}
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *browserFixture)
	}{
		{"sdk load failure", browserSDKLoadFailure},
		{"resolved result", browserResolvedResult},
		{"the terminal's verdict", browserVerdict},
		{"smallcase hosts allowed, others blocked", browserSmallcaseHosts},
		{"rejected with a token", browserRejectedWithAToken},
		{"thrown error object", browserThrownErrorObject},
		{"sandbox connect then transaction", func(t *testing.T, f *browserFixture) { sandboxJourneys(t, f.browserCtx, f.b) }},
		{"blocked by the page policy", browserBlockedByThePagePolicy},
		{"tab closed", browserTabClosed},
		{"two tabs", browserTwoTabs},
		{"a window opened by the SDK", browserPopupFromStart},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, f)
		})
	}
}

func browserSDKLoadFailure(t *testing.T, f *browserFixture) {
	sdkURL := "http://127.0.0.1:" + strconv.Itoa(closedPort(t)) + "/scdk/2.0.0/scdk.js"
	j, ctx := f.open(t, sdkURL, false)
	waitState(ctx, t, "sdk-failed")
	ev := waitEvent(t, j, JourneySDKLoadFailed)
	if !strings.Contains(ev.Detail, sdkURL) || !strings.Contains(ev.Detail, f.b.Origin()) {
		t.Errorf("sdk_load_failed detail %q names neither the script nor the origin", ev.Detail)
	}
	text := pageText(ctx, t)
	for _, want := range []string{"could not load", sdkURL, f.b.Origin(), "whitelisted", "gatewaydemo"} {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q:\n%s", want, text)
		}
	}
	if st, _ := j.snapshot(); st != stateWaiting {
		t.Errorf("a load failure settled the journey")
	}
}

func browserResolvedResult(t *testing.T, f *browserFixture) {
	j, ctx := f.openStarted(t, f.fakeSDKURL("resolve"), false)
	waitState(ctx, t, "in-progress")
	for _, k := range []JourneyEventKind{JourneyPageOpened, JourneySDKLoaded, JourneySDKStarted} {
		waitEvent(t, j, k)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("finish"))); err != nil {
		t.Fatal(err)
	}
	waitState(ctx, t, "done")
	if text := pageText(ctx, t); !strings.Contains(text, "return to your terminal") {
		t.Errorf("done page says:\n%s", text)
	}
	o, err := j.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Result == nil || o.Result.TransactionID != j.spec.TransactionID {
		t.Fatalf("outcome %+v", o)
	}
	checkSDKEcho(t, j, o.Result.Data)
	vr, err := gateway.VerifyOutcome(o, bridgeSecret, "", time.Now())
	if err != nil || vr.SmallcaseAuthID != bridgeAuthID {
		t.Fatalf("gateway.VerifyOutcome: %+v %v", vr, err)
	}
	// A reload shows the outcome without running the SDK again.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitState(ctx, t, "done")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#finish").length`)); err != nil || n != 0 {
		t.Errorf("the reloaded page ran the SDK again (%d buttons, %v)", n, err)
	}
}

// browserVerdict: a journey that awaits the terminal's verdict says
// "Checking" until it comes, "Done" only when the result was accepted, and
// "Rejected" with the reason when it was not; a reload shows the same.
func browserVerdict(t *testing.T, f *browserFixture) {
	for _, tc := range []struct {
		verdict Verdict
		state   string
		want    []string
	}{
		{Verdict{Accepted: true}, "done", []string{"checked and accepted"}},
		{Verdict{Reason: "smallcaseAuthId mismatch: the flow ran for user \"alice\"", Advice: "Log in with the account alice connected."},
			"rejected", []string{"did not accept the result", "smallcaseAuthId mismatch", "Log in with the account alice connected."}},
	} {
		spec := bridgeSpec(t, time.Now())
		spec.SDKURL, spec.AMO, spec.AwaitVerdict = f.fakeSDKURL("resolve"), true, true
		// The profile's SDK config goes to new scDK as it is.
		spec.Config = `{"amo":false,"leprechaunEnabled":true,"partner":"x"}`
		j, err := f.b.NewJourney(spec)
		if err != nil {
			t.Fatal(err)
		}
		ctx := openTab(t, f.browserCtx, false)
		if err := chromedp.Do(ctx, chromedp.Navigate(j.URL())); err != nil {
			t.Fatal(err)
		}
		clickStart(ctx, t)
		waitState(ctx, t, "in-progress")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("finish"))); err != nil {
			t.Fatal(err)
		}
		o, err := j.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var echo struct {
			Config map[string]any `json:"config"`
		}
		if o.Result == nil || json.Unmarshal(o.Result.Data, &echo) != nil || echo.Config["amo"] != false ||
			echo.Config["leprechaunEnabled"] != true || echo.Config["partner"] != "x" || len(echo.Config) != 3 {
			t.Errorf("new scDK was given config %+v, want the profile's", echo.Config)
		}
		// The result is in, the verdict is not: no "Done" yet.
		waitState(ctx, t, "checking")
		j.SetVerdict(tc.verdict)
		waitState(ctx, t, tc.state)
		for _, w := range tc.want {
			if text := pageText(ctx, t); !strings.Contains(text, w) {
				t.Errorf("%s page lacks %q:\n%s", tc.state, w, text)
			}
		}
		if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		waitState(ctx, t, tc.state)
		j.Close()
	}
}

// checkSDKEcho checks what the page gave the fake SDK, as it echoed it in
// the result's data: exactly the journey's values.
func checkSDKEcho(t *testing.T, j *Journey, data json.RawMessage) {
	t.Helper()
	var echo struct {
		Gateway string         `json:"gateway"`
		Token   string         `json:"token"`
		Config  map[string]any `json:"config"`
		Args    struct {
			TransactionID string   `json:"transactionId"`
			Brokers       []string `json:"brokers"`
		} `json:"args"`
	}
	if err := json.Unmarshal(data, &echo); err != nil {
		t.Fatalf("echo %s: %v", data, err)
	}
	if echo.Gateway != "gatewaydemo" || echo.Token != j.spec.AuthToken || echo.Config["amo"] != true ||
		echo.Config["isLeprechaun"] != true || echo.Args.TransactionID != j.spec.TransactionID ||
		len(echo.Args.Brokers) != 1 || echo.Args.Brokers[0] != "kite-leprechaun" {
		t.Errorf("the SDK was called with %+v", echo)
	}
}

func browserRejectedWithAToken(t *testing.T, f *browserFixture) {
	j, ctx := f.openStarted(t, f.fakeSDKURL("reject"), false)
	waitState(ctx, t, "failed")
	text := pageText(ctx, t)
	info := gateway.ExplainSDKError(1012, "user_cancelled")
	for _, want := range []string{"user_cancelled", "1012", info.Meaning, info.Advice} {
		if !strings.Contains(text, want) {
			t.Errorf("failed page lacks %q:\n%s", want, text)
		}
	}
	o, err := j.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vr, err := gateway.VerifyOutcome(o, bridgeSecret, bridgeAuthID, time.Now())
	if o.Error == nil || o.Error.Code != 1012 || vr == nil || vr.Broker != "kite" {
		t.Fatalf("outcome %+v, verified %+v, %v", o, vr, err)
	}
}

func browserThrownErrorObject(t *testing.T, f *browserFixture) {
	j, ctx := f.openStarted(t, f.fakeSDKURL("throw"), false)
	waitState(ctx, t, "failed")
	o, err := j.Wait(ctx)
	if err != nil || o.Error == nil || o.Error.Code != 3004 || o.Error.Message != "init_sdk" {
		t.Fatalf("outcome %+v %v", o, err)
	}
}

func browserBlockedByThePagePolicy(t *testing.T, f *browserFixture) {
	j, ctx := f.openStarted(t, f.fakeSDKURL("inline"), true)
	ev := waitEvent(t, j, JourneyCSPBlocked)
	if !strings.Contains(ev.Detail, "script-src") {
		t.Errorf("csp_blocked detail %q does not name the directive", ev.Detail)
	}
	if injected, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.injected === true`)); err != nil || injected {
		t.Errorf("inline script ran (%v, %v)", injected, err)
	}
	if text := pageText(ctx, t); !strings.Contains(text, "blocked") {
		t.Errorf("the page does not warn:\n%s", text)
	}
}

// browserSmallcaseHosts: the page's policy lets the SDK call, open
// websockets to and frame smallcase's hosts and inject styles, and blocks
// the same on any other host, each block reported to the terminal.
func browserSmallcaseHosts(t *testing.T, f *browserFixture) {
	j, _ := f.openStarted(t, f.fakeSDKURL("hosts"), true)
	var blocked []string
	for len(blocked) < 2 {
		ev := waitEvent(t, j, JourneyCSPBlocked)
		blocked = append(blocked, ev.Detail)
		if strings.Contains(ev.Detail, "smallcase.com") || strings.Contains(ev.Detail, "style-src") {
			t.Errorf("the policy blocked what a real SDK needs: %s", ev.Detail)
		}
	}
	all := strings.Join(blocked, "\n")
	for _, want := range []string{"api.example.org", "connect-src", "evil.example.org", "frame-src"} {
		if !strings.Contains(all, want) {
			t.Errorf("blocks reported %q lack %q", all, want)
		}
	}
}

func browserTabClosed(t *testing.T, f *browserFixture) {
	j, ctx := f.openStarted(t, f.fakeSDKURL("hang"), false)
	waitState(ctx, t, "in-progress")
	waitEvent(t, j, JourneySDKStarted)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, j, JourneyTabClosed)
	if st, _ := j.snapshot(); st != stateWaiting {
		t.Errorf("closing the tab settled the journey")
	}
}

// browserTwoTabs opens one journey's link in two tabs: the first runs the
// SDK, the second says the journey is open elsewhere and never starts it,
// and the journey ends with the first tab's result.
func browserTwoTabs(t *testing.T, f *browserFixture) {
	before := fakeSDKLoads.Load()
	j, first := f.openStarted(t, f.fakeSDKURL("count"), false)
	waitState(first, t, "in-progress")
	waitEvent(t, j, JourneySDKStarted)
	second := openTab(t, f.browserCtx, false)
	if err := chromedp.Do(second, chromedp.Navigate(j.URL())); err != nil {
		t.Fatal(err)
	}
	waitState(second, t, "other-tab")
	if text := pageText(second, t); !strings.Contains(text, "This journey is open in another tab") {
		t.Fatalf("second tab says: %s", text)
	}
	if err := chromedp.Do(first, chromedp.Click(chromedp.ID("finish"))); err != nil {
		t.Fatal(err)
	}
	waitState(first, t, "done")
	o, err := j.Wait(first)
	if err != nil || o.Result == nil || o.Result.Broker != "kite-leprechaun" {
		t.Fatalf("the journey ended with %+v, %v; want the first tab's result", o, err)
	}
	// The second tab never loaded the SDK, so it could not run it.
	if n := fakeSDKLoads.Load() - before; n != 1 {
		t.Fatalf("the SDK was loaded %d times for one journey, want once", n)
	}
}

// browserPopupFromStart: an SDK that opens a window inside
// triggerTransaction gets it, with Chromium's popup blocker on, because
// the page starts the SDK from the operator's press of Start.
func browserPopupFromStart(t *testing.T, f *browserFixture) {
	j, ctx := f.open(t, f.fakeSDKURL("popup"), false)
	waitState(ctx, t, "ready")
	// The blocker is on: a window opened without the user's click is refused.
	if blocked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.open('about:blank', 'probe') === null`)); err != nil || !blocked {
		t.Fatalf("a window opened without a click was not blocked (%v): the popup blocker is off", err)
	}
	clickStart(ctx, t)
	waitState(ctx, t, "done")
	o, err := j.Wait(ctx)
	if err != nil || o.Result == nil {
		t.Fatalf("the SDK's window was blocked, or the journey failed: %+v %v", o.Error, err)
	}
}
