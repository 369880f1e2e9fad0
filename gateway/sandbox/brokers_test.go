package sandbox_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

// TestBrokersAsDocumented: every broker id of the official pages exists,
// each with a -leprechaun variant except Dhan, Fisdom, Groww and Motilal
// Oswal, which are listed but cannot be logged in with.
func TestBrokersAsDocumented(t *testing.T) {
	t.Parallel()
	ids := map[string]sandbox.Broker{}
	for _, b := range sandbox.Brokers() {
		ids[b.ID] = b
	}
	for _, id := range []string{"aliceblue", "angelbroking", "axis", "edel", "fivepaisa", "hdfc", "iifl", "kite", "trustline", "upstox",
		"edelweiss", "fundzbazar", "icici", "kotak"} {
		b, ok := ids[id+"-leprechaun"]
		if !ok || !b.Testable() || len(b.Accounts) == 0 {
			t.Errorf("%s: no testable leprechaun variant (%+v)", id, b)
		}
	}
	for _, id := range []string{"dhan", "fisdom", "groww", "motilal"} {
		b, ok := ids[id]
		if !ok || b.Testable() || b.Leprechaun || !strings.Contains(b.Note, "no leprechaun mode") {
			t.Errorf("%s: %+v, want a listed broker without a leprechaun mode", id, b)
		}
		if _, ok := ids[id+"-leprechaun"]; ok {
			t.Errorf("%s has a leprechaun variant", id)
		}
	}
	if sandbox.Brokers()[0].ID != "kite-leprechaun" {
		t.Errorf("the default login is %s", sandbox.Brokers()[0].ID)
	}
	e := newEnv(t, nil)
	id := e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	if st, b := e.complete(id, sandbox.CompleteRequest{Broker: "groww"}); st != http.StatusBadRequest || !strings.Contains(string(b), "no leprechaun mode") {
		t.Errorf("a journey on groww: HTTP %d %s", st, b)
	}
	// The refused login left the transaction to run.
	if o := e.outcome(id, sandbox.CompleteRequest{Broker: "icici"}); o.Result == nil || o.Result.Broker != "icici-leprechaun" {
		t.Errorf("icici: %+v %+v", o.Result, o.Error)
	}
}

// TestMarketPerBroker: the market is open or closed per broker, from the
// config and from the driver; brokers left out follow the default.
func TestMarketPerBroker(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *sandbox.Config) {
		c.BrokerMarkets = map[string]sandbox.MarketMode{"kite": sandbox.MarketClosed}
	})
	order := func(broker, account string) gateway.SDKOutcome {
		t.Helper()
		tok := e.connected(broker, account)
		return e.outcome(e.create(tok, webOrder), sandbox.CompleteRequest{Broker: broker, Account: account})
	}
	if o := order("kite-leprechaun", "LEP001"); o.Error == nil || o.Error.Message != "market_closed" {
		t.Errorf("kite, closed: %+v %+v", o.Result, o.Error)
	}
	if o := order("upstox-leprechaun", "LEP001"); o.Result == nil {
		t.Errorf("upstox, open by default: %+v", o.Error)
	}
	st, b := e.raw("POST", "/_sandbox/market", map[string]string{"Content-Type": "application/json"}, []byte(`{"market":"closed,upstox=open"}`))
	if st != http.StatusOK || !strings.Contains(string(b), `"market":"closed,upstox=open"`) {
		t.Fatalf("set markets: HTTP %d %s", st, b)
	}
	if o := order("kite-leprechaun", "LEP002"); o.Error == nil || o.Error.Message != "market_closed" {
		t.Errorf("kite after the change: %+v %+v", o.Result, o.Error)
	}
	if o := order("hdfc-leprechaun", "LEP001"); o.Error == nil || o.Error.Message != "market_closed" {
		t.Errorf("hdfc, closed by the new default: %+v %+v", o.Result, o.Error)
	}
	if o := order("upstox-leprechaun", "LEP002"); o.Result == nil {
		t.Errorf("upstox, open: %+v", o.Error)
	}
	for _, bad := range []string{`{"market":"groww=open"}`, `{"market":"kite=sometimes"}`, `{"market":""}`} {
		if st, _ := e.raw("POST", "/_sandbox/market", map[string]string{"Content-Type": "application/json"}, []byte(bad)); st != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", bad, st)
		}
	}
}

func TestParseMarkets(t *testing.T) {
	t.Parallel()
	m, err := sandbox.ParseMarkets("kite=closed, upstox-leprechaun=amo")
	if err != nil || m.Default != sandbox.MarketOpen || m.Brokers["kite"] != sandbox.MarketClosed || m.Brokers["upstox"] != sandbox.MarketAMO {
		t.Errorf("%+v %v", m, err)
	}
	if m.String() != "open,kite=closed,upstox=amo" {
		t.Errorf("String() = %q", m.String())
	}
	if m, err := sandbox.ParseMarkets("closed"); err != nil || m.Default != sandbox.MarketClosed || len(m.Brokers) != 0 {
		t.Errorf("closed: %+v %v", m, err)
	}
	for _, bad := range []string{"nosuch=open", "kite=", "groww=open", "sometimes"} {
		if _, err := sandbox.ParseMarkets(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestSpecialTestAccounts: the low-funds account's BUY orders are rejected
// for funds and the order-failure account's orders fail, whatever the
// scenario asked, as smallcase's special leprechaun tokens do.
func TestSpecialTestAccounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, tc := range []struct{ account, msg string }{{"LEP004", "Insufficient funds"}, {"LEP005", "rejected"}} {
		tok := e.connected("kite-leprechaun", tc.account)
		o := e.outcome(e.create(tok, webOrder), sandbox.CompleteRequest{Account: tc.account})
		if o.Result == nil {
			t.Fatalf("%s: %+v", tc.account, o.Error)
		}
		for _, ord := range o.Result.OrderBatches[0].Orders {
			if ord.Status != "REJECTED" || !strings.Contains(ord.StatusMessage, tc.msg) {
				t.Errorf("%s: order %+v, want REJECTED (%s)", tc.account, ord, tc.msg)
			}
		}
	}
	// An ordinary account on the same broker fills.
	tok := e.connected("kite-leprechaun", "LEP001")
	if o := e.outcome(e.create(tok, webOrder), sandbox.CompleteRequest{}); o.Result == nil || o.Result.OrderBatches[0].Orders[0].Status != "COMPLETE" {
		t.Errorf("LEP001: %+v %+v", o.Result, o.Error)
	}
}

// TestSpecialAccountsWhateverTheBalanceOrScenario: LEP004 rejects every BUY
// for funds, even a cheap one and one after a SELL that raised its funds;
// LEP005 fails every order under every order scenario, partial_fill too.
func TestSpecialAccountsWhateverTheBalanceOrScenario(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.connected("kite-leprechaun", "LEP004")
	h, err := e.client.FetchHoldings(context.Background(), tok, gateway.HoldingsOptions{})
	if err != nil || len(h.Equities()) == 0 {
		t.Fatalf("LEP004 holdings: %+v %v", h, err)
	}
	held := h.Equities()[0].Ticker
	sec := func(lines ...gateway.Security) gateway.TransactionRequest {
		return gateway.TransactionRequest{Intent: gateway.IntentTransaction,
			OrderConfig: &gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: lines}}
	}
	// A SELL fills and raises the funds; the BUYs after it, in the same
	// batch and in the next one, are still rejected for funds.
	o := e.outcome(e.create(tok, sec(gateway.Security{Ticker: held, Quantity: 1, Type: gateway.Sell},
		gateway.Security{Ticker: "TATASTEEL", Quantity: 1, Type: gateway.Buy})), sandbox.CompleteRequest{})
	if o.Result == nil {
		t.Fatalf("LEP004 sell and buy: %+v", o.Error)
	}
	if got := o.Result.OrderBatches[0].Orders; got[0].Status != "COMPLETE" || got[1].Status != "REJECTED" ||
		!strings.Contains(got[1].StatusMessage, "Insufficient funds") {
		t.Errorf("LEP004 sell then buy: %+v, want the SELL COMPLETE and the BUY REJECTED for funds", got)
	}
	for _, sc := range []gateway.Scenario{gateway.ScenarioSuccess, gateway.ScenarioPartialFill} {
		o := e.outcome(e.create(tok, sec(gateway.Security{Ticker: "TATASTEEL", Quantity: 1, Type: gateway.Buy})),
			sandbox.CompleteRequest{Outcome: sc})
		if o.Result == nil {
			t.Fatalf("LEP004 %s: %+v", sc, o.Error)
		}
		if ord := o.Result.OrderBatches[0].Orders[0]; ord.Status != "REJECTED" || !strings.Contains(ord.StatusMessage, "Insufficient funds") {
			t.Errorf("LEP004 %s: a cheap BUY after a SELL: %+v, want REJECTED for funds", sc, ord)
		}
	}
	tok5 := e.connected("kite-leprechaun", "LEP005")
	for _, sc := range []gateway.Scenario{gateway.ScenarioPartialFill, gateway.ScenarioInsufficientFunds} {
		o := e.outcome(e.create(tok5, webOrder), sandbox.CompleteRequest{Outcome: sc})
		if o.Result == nil {
			t.Fatalf("LEP005 %s: %+v", sc, o.Error)
		}
		for _, ord := range o.Result.OrderBatches[0].Orders {
			if ord.Status != "REJECTED" {
				t.Errorf("LEP005 %s: order %+v, want REJECTED", sc, ord)
			}
		}
	}
}
