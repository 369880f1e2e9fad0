package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

func chromiumPath() string {
	if p := os.Getenv("GATEWALK_CHROMIUM"); p != "" {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
		return ""
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// shared is the one headless Chromium of the test binary: the first test
// that needs a browser starts it, every browser test opens its own tabs in
// it, and TestMain closes it after the last test.
var shared struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
}

// startBrowser starts the shared Chromium at path. The popup blocker stays
// on, as in a user's browser.
func startBrowser(path string) {
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Loopback only: every other host name resolves to nothing.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]"))
	ctx, cancel := chromedp.NewContext(alloc)
	shared.ctx, shared.cancel = ctx, func() { cancel(); cancelAlloc() }
	if err := chromedp.Do(ctx); err != nil {
		shared.err = fmt.Errorf("cannot start %s: %w", path, err)
	}
}

// closeBrowser ends the shared Chromium, if a test started it.
func closeBrowser() {
	if shared.cancel != nil {
		shared.cancel()
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	closeBrowser()
	os.Exit(code)
}

// browser returns the shared headless Chromium for a test, or skips without
// one (GATEWALK_REQUIRE_BROWSER=1 turns the skip into a failure).
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("GATEWALK_REQUIRE_BROWSER") == "1" {
			t.Fatal("chromium is not installed and GATEWALK_REQUIRE_BROWSER=1")
		}
		t.Skip("SKIPPING browser tests: chromium is not installed (apt-get install chromium)")
	}
	shared.once.Do(func() { startBrowser(path) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.ctx
}

// hostPage is a partner page on another loopback origin that loads the
// sandbox's script cross-origin, as an integrator's page would.
const hostPage = `<!doctype html><html><head><meta charset="utf-8"><title>partner</title>
<script src="%s"></script></head><body><h1>partner page</h1>
<script>
window.runJourney = function (gw, token, txn, brokers, config) {
  window.__outcome = null;
  var sdk = new scDK({ gateway: gw, smallcaseAuthToken: token, config: config });
  window.__sdk = sdk;
  sdk.triggerTransaction({ transactionId: txn, brokers: brokers })
    .then(function (res) { window.__outcome = { result: res }; })
    .catch(function (err) {
      var e = { code: err.code, message: err.message };
      if (err.data) e.data = err.data;
      window.__outcome = { error: e };
    });
};
</script></body></html>`

type journey struct {
	t    *testing.T
	e    *env
	ctx  context.Context
	host string
	// config is the page's scDK config (JSON); {"amo":true} unless a test
	// sets it.
	config string
}

func newJourney(t *testing.T, bctx context.Context, mut func(*sandbox.Config)) *journey {
	e := newEnv(t, func(c *sandbox.Config) {
		c.Clock = nil // the page's countdown uses the real clock
		if mut != nil {
			mut(c)
		}
	})
	page := fmt.Sprintf(hostPage, e.s.SDKURL())
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(host.Close)
	ctx, cancel := chromedp.NewContext(bctx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(cancelT)
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatal(err)
	}
	return &journey{t: t, e: e, ctx: ctx, host: host.URL, config: `{"amo":true}`}
}

func (j *journey) start(token, txn string, brokers ...string) {
	j.t.Helper()
	b, _ := json.Marshal(brokers)
	js := fmt.Sprintf(`runJourney(%q, %q, %q, %s, %s)`, j.e.s.Gateway(), token, txn, b, j.config)
	if err := chromedp.Do(j.ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		j.t.Fatal(err)
	}
}

// overlayStyled holds once the overlay's stylesheet applies: the script
// adds it when the journey opens, and a click aimed at a control before it
// applies could land where the control was before the layout moved.
const overlayStyled = `(function () {
  var o = document.querySelector('[data-sc="overlay"]');
  return !!o && getComputedStyle(o).position === 'fixed';
})()`

func (j *journey) click(sc string) {
	j.t.Helper()
	sel := chromedp.CSS(fmt.Sprintf(`[data-sc=%q]:not([disabled])`, sc))
	styled := chromedp.Poll[bool](overlayStyled, chromedp.WithPollingInterval(10*time.Millisecond))
	if _, err := chromedp.Run(j.ctx, styled); err != nil {
		j.t.Fatalf("click %s: the overlay is not styled: %v", sc, err)
	}
	if err := chromedp.Do(j.ctx, chromedp.WaitVisible(sel), chromedp.Click(sel)); err != nil {
		j.t.Fatalf("click %s: %v", sc, err)
	}
}

// until waits for a JavaScript expression to hold: a click's handler may
// run after the click itself returns.
func (j *journey) until(js string) bool {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, 5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(10*time.Millisecond)))
	return err == nil
}

func (j *journey) outcome() gateway.SDKOutcome {
	j.t.Helper()
	raw, err := chromedp.Run(j.ctx, chromedp.Poll[string](`window.__outcome && JSON.stringify(window.__outcome)`, chromedp.WithPollingInterval(20*time.Millisecond)))
	if err != nil {
		j.t.Fatalf("the promise did not settle: %v", err)
	}
	var o gateway.SDKOutcome
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		j.t.Fatalf("%v: %s", err, raw)
	}
	// What the page's promise settled with has the web SDK's shapes.
	checkOutcomeReference(j.t, []byte(raw))
	gone, _ := chromedp.Run(j.ctx, chromedp.Evaluate[bool](`!document.querySelector('[data-sc="overlay"]')`))
	if !gone {
		j.t.Error("the overlay is still in the page after the promise settled")
	}
	return o
}

// marketLine waits for the review screen and reads the market line.
func (j *journey) marketLine() string {
	j.t.Helper()
	sel := chromedp.CSS(`[data-sc="market"]`)
	if err := chromedp.Do(j.ctx, chromedp.WaitVisible(sel)); err != nil {
		j.t.Fatal(err)
	}
	text, err := chromedp.Run(j.ctx, chromedp.Text(sel))
	if err != nil {
		j.t.Fatal(err)
	}
	return text
}

// toReview runs a journey on kite-leprechaun LEP001 to its review screen.
func (j *journey) toReview(tok, id string) {
	j.t.Helper()
	j.start(tok, id, "kite")
	j.click("broker:kite-leprechaun")
	j.click("account:LEP001")
	j.click("consent:accept")
}

// webOrder is the TRANSACTION of the order journeys.
var webOrder = gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
	Type: gateway.OrderSecurities, Securities: []gateway.Security{
		{Ticker: "TCS", Quantity: 4, Type: gateway.Buy}, {Ticker: "ITC", Quantity: 10, Type: gateway.Buy}}}}

// webJourneys are the journeys TestWebScriptJourneys plays in the browser:
// each gets a fresh sandbox (mut changes its config) and a partner page in
// its own tab, with config as the page's scDK config when set.
var webJourneys = []struct {
	name   string
	mut    func(*sandbox.Config)
	config string
	run    func(t *testing.T, j *journey)
}{
	{"connect_success", nil, "", webConnectSuccess},
	{"order_partial_fill", nil, "", webOrderPartialFill},
	{"consent_denied", nil, "", webConsentDenied},
	{"close_before_login", nil, "", webCloseBeforeLogin},
	{"close_after_choosing_a_broker", nil, "", webCloseAfterBroker},
	{"order_review_chooses_lines", nil, "", webOrderReviewLines},
	{"wrong_account_for_connected_user", nil, "", webWrongAccount},
	{"brokers_filter", nil, "", webBrokersFilter},
	{"session_token_binds_the_user", nil, "", webSessionBindsTheUser},
	{"brokers_of_the_docs_and_their_markets", func(c *sandbox.Config) {
		c.BrokerMarkets = map[string]sandbox.MarketMode{"icici": sandbox.MarketClosed}
	}, `{}`, webDocumentedBrokers},
	{"token_not_signed_with_the_secret", nil, "", webTokenNotSigned},
	{"origin_not_whitelisted", func(c *sandbox.Config) { c.AllowedOrigins = []string{"http://localhost:3000"} }, "", webOriginNotWhitelisted},
	{"amo_enabled_places_after_market_orders", func(c *sandbox.Config) { c.Market = sandbox.MarketAMO }, "", webAMOEnabled},
	{"amo_not_enabled_rejects_market_closed", func(c *sandbox.Config) { c.Market = sandbox.MarketAMO }, `{}`, webAMONotEnabled},
	{"market_toggle_opens_a_closed_market", func(c *sandbox.Config) { c.Market = sandbox.MarketClosed }, `{}`, webMarketToggle},
	{"unknown_gateway", nil, "", webUnknownGateway},
}

// browserTabs is how many journeys TestWebScriptJourneys plays at once.
const browserTabs = 4

// TestWebScriptJourneys plays webJourneys side by side, browserTabs at a
// time in tabs of the shared Chromium. A journey mostly waits on the
// browser, so they run as subtests started from goroutines rather than as
// parallel subtests: they do not take the -parallel slots that the
// CPU-bound tests share.
func TestWebScriptJourneys(t *testing.T) {
	t.Parallel()
	bctx := browser(t)
	tabs := make(chan struct{}, browserTabs)
	var wg sync.WaitGroup
	for _, tc := range webJourneys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tabs <- struct{}{}
			defer func() { <-tabs }()
			t.Run(tc.name, func(t *testing.T) {
				j := newJourney(t, bctx, tc.mut)
				if tc.config != "" {
					j.config = tc.config
				}
				tc.run(t, j)
			})
		}()
	}
	wg.Wait()
}

func webConnectSuccess(t *testing.T, j *journey) {
	id := j.e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j.start(docsGuestToken, id)
	j.click("broker:upstox-leprechaun")
	j.click("account:LEP002")
	j.click("consent:accept")
	// A CONNECT offers no order scenario.
	chips, err := chromedp.Run(j.ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[data-sc^="scenario:"]')).map(function (c) { return c.getAttribute('data-sc'); }).join(' ')`))
	if err != nil || strings.Contains(chips, "scenario:rejected") || strings.Contains(chips, "scenario:partial_fill") ||
		strings.Contains(chips, "scenario:market_closed") || !strings.Contains(chips, "scenario:user_cancelled") {
		t.Errorf("a CONNECT's scenarios: %q (%v)", chips, err)
	}
	j.click("confirm")
	o := j.outcome()
	if o.Result == nil || !o.Result.Success || o.Result.Transaction != "CONNECT" || o.Result.Broker != "upstox-leprechaun" || o.Result.TransactionID != id {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
	info, err := gateway.VerifyToken(o.Result.SmallcaseAuthToken, sandbox.DefaultSecret, time.Now())
	if err != nil || info.SmallcaseAuthID != sandbox.AuthID("gatewaydemo", "upstox-leprechaun", "LEP002") {
		t.Errorf("token: %v %+v", err, info)
	}
	if v, _ := j.e.s.Transaction(id); v.Status != gateway.StatusCompleted {
		t.Errorf("status %s", v.Status)
	}
	out, err := chromedp.Run(j.ctx, chromedp.Evaluate[bool](`window.__sdk.brokerLogout()`, chromedp.EvalAwaitPromise))
	if err != nil || !out {
		t.Errorf("brokerLogout: %v %v", out, err)
	}
}

func webOrderPartialFill(t *testing.T, j *journey) {
	tok := j.e.connected("kite-leprechaun", "LEP001")
	id := j.e.create(tok, webOrder)
	j.start(tok, id, "kite")
	j.click("broker:kite-leprechaun")
	j.click("account:LEP001")
	j.click("consent:accept")
	rows, err := chromedp.Run(j.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-sc="orders"] tbody tr').length`))
	if err != nil || rows != 2 {
		t.Errorf("order review shows %d rows (%v), want 2", rows, err)
	}
	captureReview(t, j)
	if !j.until(`!!document.querySelector('[data-sc="scenario:rejected"]')`) {
		t.Error("an order offers no order scenario")
	}
	j.click("scenario:partial_fill")
	if !j.until(`document.querySelector('[data-sc="scenario:partial_fill"]').getAttribute('aria-pressed') === 'true' && ` +
		`document.querySelector('[data-sc="scenario:success"]').getAttribute('aria-pressed') === 'false'`) {
		t.Error("the picked scenario is not marked aria-pressed")
	}
	j.click("confirm")
	o := j.outcome()
	if o.Result == nil || len(o.Result.OrderBatches) != 1 || o.Result.OrderBatches[0].Orders[0].Status != "PARTIAL" {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
	if o.Result.Signup {
		t.Error("a connected user's order is not a signup")
	}
}

// readmeReview is the README's picture of the SDK page's order review.
const readmeReview = "../../assets/readme/sdk-review.png"

// captureReview takes the README's picture of the review screen with
// -update; without it, it checks that the picture is there and is a PNG.
func captureReview(t *testing.T, j *journey) {
	t.Helper()
	if !*update {
		b, err := os.ReadFile(readmeReview)
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("the README's picture %s is missing or not a PNG (%v): go test ./gateway/sandbox -run TestWebScriptJourneys -update", readmeReview, err)
		}
		return
	}
	png, err := chromedp.Run(j.ctx, chromedp.Screenshot(chromedp.CSS(`.scdk-card`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(readmeReview), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(readmeReview, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func webConsentDenied(t *testing.T, j *journey) {
	id := j.e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentHoldingsImport})
	j.start(docsGuestToken, id)
	j.click("broker:kite-leprechaun")
	j.click("account:LEP003")
	j.click("consent:deny")
	o := j.outcome()
	if o.Error == nil || o.Error.Code != 1003 || o.Error.Message != "consent_denied" || o.Error.Data == nil || o.Error.Data.SmallcaseAuthToken == "" {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
}

func webCloseBeforeLogin(t *testing.T, j *journey) {
	id := j.e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j.start(docsGuestToken, id)
	if err := chromedp.Do(j.ctx, chromedp.WaitVisible(chromedp.CSS(`[data-sc="screen:brokers"]`))); err != nil {
		t.Fatal(err)
	}
	j.click("close")
	o := j.outcome()
	if o.Error == nil || o.Error.Code != 1010 || o.Error.Message != "user_cancelled" || o.Error.Data != nil {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
	if v, _ := j.e.s.Transaction(id); v.Status != gateway.StatusCancelled {
		t.Errorf("status %s", v.Status)
	}
	// The same transaction cannot run again.
	j.start(docsGuestToken, id)
	if o := j.outcome(); o.Error == nil || o.Error.Code != 0 || o.Error.Message != "invalid_transactionId" {
		t.Errorf("second run: %+v %+v", o.Result, o.Error)
	}
}

// webCloseAfterBroker: closing on the login screen, after choosing a
// broker, is user_cancelled 1011; going back to the chooser first is 1010.
func webCloseAfterBroker(t *testing.T, j *journey) {
	id := j.e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j.start(docsGuestToken, id)
	j.click("broker:kite-leprechaun")
	if err := chromedp.Do(j.ctx, chromedp.WaitVisible(chromedp.CSS(`[data-sc="screen:login"]`))); err != nil {
		t.Fatal(err)
	}
	j.click("close")
	o := j.outcome()
	if o.Error == nil || o.Error.Code != 1011 || o.Error.Message != "user_cancelled" || o.Error.Data != nil {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
	id = j.e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j.start(docsGuestToken, id)
	j.click("broker:kite-leprechaun")
	j.click("back")
	if err := chromedp.Do(j.ctx, chromedp.WaitVisible(chromedp.CSS(`[data-sc="screen:brokers"]`))); err != nil {
		t.Fatal(err)
	}
	j.click("close")
	if o := j.outcome(); o.Error == nil || o.Error.Code != 1010 {
		t.Fatalf("close in the chooser after going back: %+v %+v", o.Result, o.Error)
	}
}

// webOrderReviewLines: a SECURITIES order with only tickers cannot be
// placed until the user chooses a side and a quantity for each line on the
// review screen; the orders are placed as chosen.
func webOrderReviewLines(t *testing.T, j *journey) {
	tok := j.e.connected("kite-leprechaun", "LEP001")
	id := j.e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS"}, {Ticker: "ITC"}}}})
	j.toReview(tok, id)
	if !j.until(`document.querySelector('[data-sc="confirm"]').disabled === true && ` +
		`document.querySelector('[data-sc="lines-hint"]').textContent.indexOf('Choose a side') >= 0`) {
		t.Fatal("Place orders is enabled before every line has a side and a quantity")
	}
	set := func(sc, value string) {
		t.Helper()
		js := fmt.Sprintf(`(function () { var n = document.querySelector('[data-sc=%q]'); n.value = %q;
			n.dispatchEvent(new Event(n.tagName === 'SELECT' ? 'change' : 'input')); return true; })()`, sc, value)
		if _, err := chromedp.Run(j.ctx, chromedp.Evaluate[bool](js)); err != nil {
			t.Fatal(err)
		}
	}
	set("qty:0", "3")
	set("side:0", "BUY")
	set("side:1", "BUY")
	if !j.until(`document.querySelector('[data-sc="confirm"]').disabled === true`) {
		t.Fatal("Place orders is enabled with a line without a quantity")
	}
	set("qty:1", "0")
	if !j.until(`document.querySelector('[data-sc="confirm"]').disabled === true`) {
		t.Fatal("Place orders is enabled with a quantity of 0")
	}
	set("qty:1", "12")
	j.click("confirm")
	o := j.outcome()
	if o.Result == nil || len(o.Result.OrderBatches) != 1 {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
	ords := o.Result.OrderBatches[0].Orders
	if len(ords) != 2 || ords[0].Tradingsymbol != "TCS" || ords[0].Quantity != 3 || ords[0].TransactionType != "BUY" ||
		ords[1].Tradingsymbol != "ITC" || ords[1].Quantity != 12 {
		t.Errorf("orders as placed: %+v", ords)
	}
}

func webWrongAccount(t *testing.T, j *journey) {
	tok := j.e.connected("kite-leprechaun", "LEP001")
	id := j.e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j.start(tok, id)
	chromedp.Do(j.ctx, chromedp.WaitVisible(chromedp.CSS(`[data-sc="screen:brokers"]`)))
	first, _ := chromedp.Run(j.ctx, chromedp.AttributeValue(chromedp.CSS(`[data-sc^="broker:"]`), "data-sc"))
	if first.Value != "broker:kite-leprechaun" {
		t.Errorf("the bound broker is not listed first: %s", first.Value)
	}
	j.click("broker:kite-leprechaun")
	j.click("account:LEP002")
	o := j.outcome()
	if o.Error == nil || o.Error.Code != 1001 || o.Error.Message != "user_mismatch" {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
}

// webSessionBindsTheUser: a connected token given to new scDK binds the
// journey to its account even when the transaction was created with a
// guest token: another account's login fails user_mismatch.
func webSessionBindsTheUser(t *testing.T, j *journey) {
	tok := j.e.connected("kite-leprechaun", "LEP001")
	id := j.e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j.start(tok, id)
	j.click("broker:kite-leprechaun")
	j.click("account:LEP002")
	o := j.outcome()
	if o.Error == nil || o.Error.Code != 1001 || o.Error.Message != "user_mismatch" {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
	// The same page with the bound account succeeds.
	id = j.e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j.start(tok, id)
	j.click("broker:kite-leprechaun")
	j.click("account:LEP001")
	j.click("consent:accept")
	j.click("confirm")
	if o := j.outcome(); o.Result == nil {
		t.Fatalf("bound account: %+v", o.Error)
	}
}

// webDocumentedBrokers: a brokers filter naming real ids shows their
// leprechaun variants, a broker without a leprechaun mode is listed but
// cannot be chosen, and a broker's own market shows in the chooser and on
// the review screen.
func webDocumentedBrokers(t *testing.T, j *journey) {
	tok := j.e.connected("icici-leprechaun", "LEP001")
	id := j.e.create(tok, webOrder)
	j.start(tok, id, "groww", "icici", "kotak")
	if err := chromedp.Do(j.ctx, chromedp.WaitVisible(chromedp.CSS(`[data-sc="screen:brokers"]`))); err != nil {
		t.Fatal(err)
	}
	ids, err := chromedp.Run(j.ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[data-sc^="broker:"]')).map(function (b) {
		return b.getAttribute('data-sc') + (b.disabled ? '(disabled)' : ''); }).join(' ')`))
	if err != nil || ids != "broker:icici-leprechaun broker:kotak-leprechaun broker:groww(disabled)" {
		t.Errorf("brokers shown: %q (%v)", ids, err)
	}
	if !j.until(`!!document.querySelector('[data-sc="market-closed:icici-leprechaun"]') && !document.querySelector('[data-sc="market-closed:kotak-leprechaun"]')`) {
		t.Error("the chooser does not mark icici's market closed, or marks kotak's")
	}
	j.click("broker:icici-leprechaun")
	j.click("account:LEP001")
	j.click("consent:accept")
	if line := j.marketLine(); !strings.HasPrefix(line, "Market closed") {
		t.Errorf("review market line for icici: %q", line)
	}
	j.click("confirm")
	if o := j.outcome(); o.Error == nil || o.Error.Message != "market_closed" {
		t.Errorf("icici, closed: %+v %+v", o.Result, o.Error)
	}
}

func webBrokersFilter(t *testing.T, j *journey) {
	id := j.e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j.start(docsGuestToken, id, "upstox", "hdfc-leprechaun")
	if err := chromedp.Do(j.ctx, chromedp.WaitVisible(chromedp.CSS(`[data-sc="screen:brokers"]`))); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(j.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-sc^="broker:"]')).map(function(b){return b.getAttribute('data-sc')})`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(shown, ",") != "broker:upstox-leprechaun,broker:hdfc-leprechaun" {
		t.Errorf("brokers shown: %v", shown)
	}
	j.click("broker:hdfc-leprechaun")
	j.click("account:LEP001")
	j.click("close")
	if o := j.outcome(); o.Error == nil || o.Error.Code != 1012 || o.Error.Data == nil || o.Error.Data.Broker != "hdfc-leprechaun" {
		t.Errorf("close after login: %+v %+v", o.Result, o.Error)
	}
}

func webTokenNotSigned(t *testing.T, j *journey) {
	id := j.e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	bad, _ := gateway.MintGuestToken("have-a-good-day", time.Now().Add(time.Hour))
	j.start(bad, id)
	if o := j.outcome(); o.Error == nil || o.Error.Code != 0 || o.Error.Message != "invalid_jwt" {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
	if v, _ := j.e.s.Transaction(id); v.Status != gateway.StatusInitialized {
		t.Errorf("a refused init touched the transaction: %s", v.Status)
	}
}

func webOriginNotWhitelisted(t *testing.T, j *journey) {
	id := j.e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j.start(docsGuestToken, id)
	if o := j.outcome(); o.Error == nil || o.Error.Code != 0 || o.Error.Message != "invalid_gateway" {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
}

func webAMOEnabled(t *testing.T, j *journey) {
	tok := j.e.connected("kite-leprechaun", "LEP001")
	id := j.e.create(tok, webOrder)
	j.toReview(tok, id)
	if line := j.marketLine(); !strings.Contains(line, "after-market orders (AMO)") {
		t.Errorf("market line: %q", line)
	}
	j.click("confirm")
	o := j.outcome()
	if o.Result == nil || len(o.Result.OrderBatches) != 1 {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
	if b := o.Result.OrderBatches[0]; b.Variety != "amo" || b.Status != "PLACED" || b.Orders[0].Status != "PLACED" || b.Orders[0].FilledQuantity != 0 {
		t.Errorf("AMO batch: %+v", b)
	}
}

func webAMONotEnabled(t *testing.T, j *journey) {
	tok := j.e.connected("kite-leprechaun", "LEP001")
	id := j.e.create(tok, webOrder)
	j.toReview(tok, id)
	if line := j.marketLine(); !strings.Contains(line, "did not enable AMO") || !strings.Contains(line, "market_closed") {
		t.Errorf("market line: %q", line)
	}
	j.click("confirm")
	o := j.outcome()
	if o.Error == nil || o.Error.Code != 4004 || o.Error.Message != "market_closed" || o.Error.Data == nil {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
}

func webMarketToggle(t *testing.T, j *journey) {
	tok := j.e.connected("kite-leprechaun", "LEP001")
	id := j.e.create(tok, webOrder)
	j.toReview(tok, id)
	if line := j.marketLine(); !strings.HasPrefix(line, "Market closed: the journey will reject market_closed") {
		t.Errorf("market line: %q", line)
	}
	j.click("market:open")
	if !j.until(`document.querySelector('[data-sc="market:open"]').getAttribute('aria-pressed') === 'true' && ` +
		`document.querySelector('[data-sc="market:configured"]').getAttribute('aria-pressed') === 'false' && ` +
		`document.querySelector('[data-sc="market"]').textContent.indexOf('Market open') === 0`) {
		t.Errorf("after the toggle: market:open not marked, or the market line says %q", j.marketLine())
	}
	j.click("confirm")
	o := j.outcome()
	if o.Result == nil || o.Result.OrderBatches[0].Variety != "regular" || o.Result.OrderBatches[0].Orders[0].Status != "COMPLETE" {
		t.Fatalf("%+v %+v", o.Result, o.Error)
	}
}

func webUnknownGateway(t *testing.T, j *journey) {
	js := `new scDK({gateway: 'nosuch', smallcaseAuthToken: 'x'}).triggerTransaction({transactionId: 'TRX_1'}).then(function(){return 'resolved'}, function(e){return e.message + ' ' + e.code})`
	out, err := chromedp.Run(j.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	// Web init errors have no numeric code.
	if out != "invalid_gateway undefined" {
		t.Errorf("got %q", out)
	}
}
