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
// as a user would.
func clickSC(ctx context.Context, t *testing.T, sc string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-sc="`+sc+`"]`))); err != nil {
		text, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("clicking %s: %v\npage: %s", sc, err, text)
	}
}

// sandboxJourneys drives the harness page in a real browser through a
// CONNECT and then a TRANSACTION on the in-process sandbox, and checks that
// the bridge hands back results that verify with the gateway's secret.
func sandboxJourneys(t *testing.T, browserCtx context.Context, b *Bridge) {
	sb := sandbox.New(sandbox.Config{Logf: t.Logf})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	client := &gateway.Client{BaseURL: base, Gateway: sb.Gateway(), APISecret: sandbox.DefaultAPISecret}
	secret := sandbox.DefaultSecret
	wantID := sandbox.AuthID(sb.Gateway(), "kite-leprechaun", "LEP001")

	// run creates a transaction with token, opens its journey in a tab and
	// takes the steps: a string clicks that data-sc control, a func checks
	// the page. It returns the tab and the verified result.
	run := func(t *testing.T, token string, req gateway.TransactionRequest, expectedID string,
		steps ...any) (context.Context, *gateway.VerifiedResult, error) {
		t.Helper()
		ctx := newTab(t, browserCtx)
		txn, err := client.CreateTransaction(ctx, token, req)
		if err != nil {
			t.Fatalf("creating the %s transaction: %v", req.Intent, err)
		}
		j, err := b.NewJourney(JourneySpec{
			Gateway:       sb.Gateway(),
			AuthToken:     token,
			TransactionID: txn.TransactionID,
			Intent:        req.Intent,
			SDKURL:        sb.SDKURL(),
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
		vr, err := gateway.VerifyOutcome(o, secret, expectedID, time.Now())
		return ctx, vr, err
	}

	var connectedID string
	t.Run("connect", func(t *testing.T) {
		guest, err := gateway.MintGuestToken(secret, time.Now().Add(gateway.DefaultTokenTTL))
		if err != nil {
			t.Fatal(err)
		}
		ctx, vr, err := run(t, guest, gateway.TransactionRequest{Intent: gateway.IntentConnect}, "",
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
		connectedID = vr.SmallcaseAuthID
	})
	if connectedID == "" {
		t.Fatal("the CONNECT journey gave no user; the TRANSACTION cannot run")
	}

	connected, err := gateway.MintConnectedToken(secret, connectedID, time.Now().Add(gateway.DefaultTokenTTL))
	if err != nil {
		t.Fatal(err)
	}
	order := gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type:       gateway.OrderSecurities,
		Securities: []gateway.Security{{Ticker: "TCS", Quantity: 2, Type: gateway.Buy}},
	}}

	t.Run("transaction", func(t *testing.T) {
		reviewShowsOrder := func(ctx context.Context) {
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-sc="orders"]`)))
			if err != nil || !strings.Contains(text, "TCS") {
				t.Errorf("the review screen shows no TCS order: %q %v", text, err)
			}
		}
		ctx, vr, err := run(t, connected, order, connectedID,
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
	})

	t.Run("transaction by another account", func(t *testing.T) {
		ctx, vr, err := run(t, connected, order, connectedID, "broker:kite-leprechaun", "account:LEP002")
		var sdkErr *gateway.SDKError
		if !errors.As(err, &sdkErr) || sdkErr.Message != "user_mismatch" {
			t.Fatalf("gateway.VerifyOutcome = %+v, %v; want the SDK error user_mismatch", vr, err)
		}
		waitState(ctx, t, "failed")
		if text := pageText(ctx, t); !strings.Contains(text, "user_mismatch") ||
			!strings.Contains(text, gateway.ExplainSDKError(1001, "user_mismatch").Advice) {
			t.Errorf("failed page does not explain user_mismatch:\n%s", text)
		}
	})
}
