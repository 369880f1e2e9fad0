package bridge

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

// clickSC clicks the sandbox overlay control with the given data-sc value,
// as a user would: a mouse click on it once it is shown and enabled. The
// control tells whether the click reached it (a click that lands while the
// page lays the screen out again misses); a missed click is made again, a
// click that reached it never is.
func clickSC(ctx context.Context, t *testing.T, sc string) {
	t.Helper()
	sel := `[data-sc="` + sc + `"]`
	mark := `(() => { const el = document.querySelector('` + sel + `');
		if (!el || el.disabled) return false;
		window.__scTarget = el; el.__scClicked = false;
		el.addEventListener('click', () => { el.__scClicked = true; }, { once: true });
		return true; })()`
	var err error
	for range 5 {
		if err = chromedp.Do(ctx, chromedp.WaitEnabled(chromedp.CSS(sel))); err != nil {
			break
		}
		var marked, reached bool
		if marked, err = chromedp.Run(ctx, chromedp.Evaluate[bool](mark)); err != nil {
			break
		}
		if !marked {
			continue // replaced or disabled again since it was enabled
		}
		if err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
			break
		}
		if reached, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__scTarget.__scClicked === true`)); err != nil || reached {
			break
		}
	}
	if err != nil {
		text, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("clicking %s: %v\npage: %s", sc, err, text)
	}
}

// sandboxFixture is the in-process sandbox, a client for its API, and the
// browser and bridge the journeys run in.
type sandboxFixture struct {
	browserCtx context.Context
	b          *Bridge
	sb         *sandbox.Server
	client     *gateway.Client
	secret     string
}

func newSandboxFixture(t *testing.T, browserCtx context.Context, b *Bridge) *sandboxFixture {
	t.Helper()
	sb := sandbox.New(sandbox.Config{Logf: t.Logf})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return &sandboxFixture{
		browserCtx: browserCtx,
		b:          b,
		sb:         sb,
		client:     &gateway.Client{BaseURL: base, Gateway: sb.Gateway(), APISecret: sandbox.DefaultAPISecret},
		secret:     sandbox.DefaultSecret,
	}
}

// run creates a transaction with token, opens its journey in a tab and
// takes the steps: a string clicks that data-sc control, a func checks the
// page. It returns the tab and the verified result.
func (f *sandboxFixture) run(t *testing.T, token string, req gateway.TransactionRequest, expectedID string,
	steps ...any) (context.Context, *gateway.VerifiedResult, error) {
	t.Helper()
	ctx := newTab(t, f.browserCtx)
	txn, err := f.client.CreateTransaction(ctx, token, req)
	if err != nil {
		t.Fatalf("creating the %s transaction: %v", req.Intent, err)
	}
	j, err := f.b.NewJourney(JourneySpec{
		Gateway:       f.sb.Gateway(),
		AuthToken:     token,
		TransactionID: txn.TransactionID,
		Intent:        req.Intent,
		SDKURL:        f.sb.SDKURL(),
		ExpireAt:      txn.ExpireAt,
		Leprechaun:    true,
		Brokers:       []string{"kite-leprechaun"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.Close)
	if err := chromedp.Do(ctx, chromedp.Navigate(j.URL())); err != nil {
		t.Fatal(err)
	}
	clickStart(ctx, t)
	waitState(ctx, t, "in-progress")
	for _, step := range steps {
		switch step := step.(type) {
		case string:
			clickSC(ctx, t, step)
		case func(context.Context):
			step(ctx)
		}
	}
	o, err := j.Wait(ctx)
	if err != nil {
		t.Fatalf("waiting for the %s result: %v", req.Intent, err)
	}
	vr, err := gateway.VerifyOutcome(o, f.secret, expectedID, time.Now())
	return ctx, vr, err
}

// sandboxJourneys drives the harness page in a real browser through a
// CONNECT and then a TRANSACTION on the in-process sandbox, and checks that
// the bridge hands back results that verify with the gateway's secret. The
// two TRANSACTION journeys need only the connected user, so they run in
// parallel once the CONNECT is done.
func sandboxJourneys(t *testing.T, browserCtx context.Context, b *Bridge) {
	f := newSandboxFixture(t, browserCtx, b)
	var connectedID string
	t.Run("connect", func(t *testing.T) { connectedID = sandboxConnect(t, f) })
	if connectedID == "" {
		t.Fatal("the CONNECT journey gave no user; the TRANSACTION cannot run")
	}

	connected, err := gateway.MintConnectedToken(f.secret, connectedID, time.Now().Add(gateway.DefaultTokenTTL))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("transaction", func(t *testing.T) {
		t.Parallel()
		sandboxTransaction(t, f, connected, connectedID)
	})
	t.Run("transaction in two tabs", func(t *testing.T) {
		t.Parallel()
		sandboxTransactionInTwoTabs(t, f, connected, connectedID)
	})
	t.Run("transaction by another account", func(t *testing.T) {
		t.Parallel()
		sandboxTransactionByAnotherAccount(t, f, connected, connectedID)
	})
}

// sandboxOrder is the TRANSACTION the sandbox journeys place: buy 2 TCS.
func sandboxOrder() gateway.TransactionRequest {
	return gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type:       gateway.OrderSecurities,
		Securities: []gateway.Security{{Ticker: "TCS", Quantity: 2, Type: gateway.Buy}},
	}}
}

// sandboxConnect runs the CONNECT journey and returns the connected user.
func sandboxConnect(t *testing.T, f *sandboxFixture) string {
	wantID := sandbox.AuthID(f.sb.Gateway(), "kite-leprechaun", "LEP001")
	guest, err := gateway.MintGuestToken(f.secret, time.Now().Add(gateway.DefaultTokenTTL))
	if err != nil {
		t.Fatal(err)
	}
	ctx, vr, err := f.run(t, guest, gateway.TransactionRequest{Intent: gateway.IntentConnect}, "",
		"broker:kite-leprechaun", "account:LEP001", "consent:accept", "confirm")
	if err != nil {
		t.Fatalf("gateway.VerifyOutcome: %v", err)
	}
	waitState(ctx, t, "done")
	if vr.SmallcaseAuthID != wantID || vr.Token.Kind != gateway.TokenConnected || !vr.Token.SignatureValid {
		t.Fatalf("connected %+v (token %+v), want smallcaseAuthId %s", vr, vr.Token, wantID)
	}
	if !strings.HasPrefix(vr.Broker, "kite") {
		t.Errorf("broker %q", vr.Broker)
	}
	return vr.SmallcaseAuthID
}

func sandboxTransaction(t *testing.T, f *sandboxFixture, connected, connectedID string) {
	reviewShowsOrder := func(ctx context.Context) {
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-sc="orders"]`)))
		if err != nil || !strings.Contains(text, "TCS") {
			t.Errorf("the review screen shows no TCS order: %q %v", text, err)
		}
	}
	ctx, vr, err := f.run(t, connected, sandboxOrder(), connectedID,
		"broker:kite-leprechaun", "account:LEP001", "consent:accept", reviewShowsOrder, "scenario:success", "confirm")
	if err != nil {
		t.Fatalf("gateway.VerifyOutcome: %v", err)
	}
	waitState(ctx, t, "done")
	if vr.SmallcaseAuthID != connectedID {
		t.Errorf("the transaction ran for %s, want %s", vr.SmallcaseAuthID, connectedID)
	}
	var found bool
	for _, batch := range vr.Batches {
		for _, o := range batch.Orders {
			if o.Tradingsymbol == "TCS" && o.TransactionType == "BUY" && o.Quantity == 2 {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no BUY 2 TCS order in the batches %+v", vr.Batches)
	}
}

func sandboxTransactionByAnotherAccount(t *testing.T, f *sandboxFixture, connected, connectedID string) {
	ctx, vr, err := f.run(t, connected, sandboxOrder(), connectedID, "broker:kite-leprechaun", "account:LEP002")
	var sdkErr *gateway.SDKError
	if !errors.As(err, &sdkErr) || sdkErr.Message != "user_mismatch" {
		t.Fatalf("gateway.VerifyOutcome = %+v, %v; want the SDK error user_mismatch", vr, err)
	}
	waitState(ctx, t, "failed")
	if text := pageText(ctx, t); !strings.Contains(text, "user_mismatch") ||
		!strings.Contains(text, gateway.ExplainSDKError(1001, "user_mismatch").Advice) {
		t.Errorf("failed page does not explain user_mismatch:\n%s", text)
	}
}

// sandboxTransactionInTwoTabs opens the order's link a second time while
// the first tab runs the SDK: the second tab is told the journey is open
// elsewhere, the journey ends with the first tab's result, and the sandbox
// placed one set of orders.
func sandboxTransactionInTwoTabs(t *testing.T, f *sandboxFixture, connected, connectedID string) {
	secondTab := func(ctx context.Context) {
		url, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		second := newTab(t, f.browserCtx)
		if err := chromedp.Do(second, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		waitState(second, t, "other-tab")
		if text := pageText(second, t); !strings.Contains(text, "This journey is open in another tab") {
			t.Fatalf("second tab: %s", text)
		}
		// Nothing of the SDK's may run in the second tab.
		if n, err := chromedp.Run(second, chromedp.Evaluate[int](`document.querySelectorAll('[data-sc^="screen:"]').length`)); err != nil || n != 0 {
			t.Fatalf("the second tab shows %d SDK screens (%v)", n, err)
		}
	}
	ctx, vr, err := f.run(t, connected, sandboxOrder(), connectedID,
		"broker:kite-leprechaun", secondTab, "account:LEP001", "consent:accept", "scenario:success", "confirm")
	if err != nil {
		t.Fatalf("gateway.VerifyOutcome: %v", err)
	}
	waitState(ctx, t, "done")
	v, ok := f.sb.Transaction(vr.Result.TransactionID)
	if !ok {
		t.Fatalf("the sandbox does not know %s", vr.Result.TransactionID)
	}
	var orders int
	for _, b := range v.Batches {
		orders += len(b.Orders)
	}
	if len(v.Batches) != 1 || orders != 1 || v.Status != gateway.StatusCompleted {
		t.Fatalf("the sandbox holds %d batches with %d orders (%s), want one set: one BUY 2 TCS", len(v.Batches), orders, v.Status)
	}
}
