package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

func equity(h *gateway.Holdings, ticker string) (gateway.Equity, bool) {
	for _, q := range h.Equities() {
		if q.Ticker == ticker {
			return q, true
		}
	}
	return gateway.Equity{}, false
}

// TestHoldingsChangeAfterImport: orders change the live portfolio and an
// import after them shows it; a SELL beyond the holding is rejected.
func TestHoldingsChangeAfterImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	tok := e.connected("upstox-leprechaun", "LEP003")
	before, err := e.client.FetchHoldings(ctx, tok, gateway.HoldingsOptions{V2: true})
	if err != nil {
		t.Fatal(err)
	}
	held := before.Equities()[0]
	old, _ := equity(before, "GOLDBEES")

	id := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderSecurities, Securities: []gateway.Security{
			{Ticker: "GOLDBEES", Quantity: 7, Type: gateway.Buy},
			{Ticker: held.Ticker, Quantity: 1, Type: gateway.Sell},
			{Ticker: held.Ticker, Quantity: held.Quantity + 100, Type: gateway.Sell},
		}}})
	o := e.outcome(id, sandbox.CompleteRequest{})
	if o.Result == nil {
		t.Fatalf("order: %+v", o.Error)
	}
	ords := o.Result.OrderBatches[0].Orders
	if ords[0].Status != "COMPLETE" || ords[1].Status != "COMPLETE" || ords[2].Status != "REJECTED" ||
		!strings.Contains(ords[2].StatusMessage, "Insufficient holdings") {
		t.Fatalf("orders: %+v", ords)
	}
	if b := o.Result.OrderBatches[0]; b.Status != "PARTIALLYFILLED" || b.Label != "MANAGE" || b.Filled != 2 || b.Quantity != 3 {
		t.Errorf("batch: %+v", b)
	}

	same, _ := e.client.FetchHoldings(ctx, tok, gateway.HoldingsOptions{V2: true})
	a, _ := json.Marshal(before.V2.Securities)
	b, _ := json.Marshal(same.V2.Securities)
	if string(a) != string(b) {
		t.Error("holdings changed before an import")
	}

	e.s.Advance(time.Minute)
	imp := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentHoldingsImport})
	if o := e.outcome(imp, sandbox.CompleteRequest{}); o.Result == nil || o.Result.Signup {
		t.Fatalf("import: %+v %+v", o.Result, o.Error)
	}
	after, err := e.client.FetchHoldings(ctx, tok, gateway.HoldingsOptions{V2: true})
	if err != nil {
		t.Fatal(err)
	}
	gb, ok := equity(after, "GOLDBEES")
	if !ok || gb.Quantity != old.Quantity+7 {
		t.Errorf("GOLDBEES after buying 7: %+v (before %+v)", gb, old)
	}
	wantAvg := (old.AveragePrice*float64(old.Quantity) + 7*72.30) / float64(old.Quantity+7)
	if d := gb.AveragePrice - wantAvg; d > 0.01 || d < -0.01 {
		t.Errorf("average price %v, want %.2f", gb.AveragePrice, wantAvg)
	}
	if q, _ := equity(after, held.Ticker); q.Quantity != held.Quantity-1 {
		t.Errorf("%s after selling 1: %d, want %d", held.Ticker, q.Quantity, held.Quantity-1)
	}
	if after.V2.LastUpdate == before.V2.LastUpdate {
		t.Error("lastUpdate did not move with the import")
	}
}

// TestUserMismatchAndStableIDs: a connected token binds the account; the
// same account always gets the same smallcaseAuthId, across servers.
func TestUserMismatchAndStableIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	guestID := e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	first := e.outcome(guestID, sandbox.CompleteRequest{Broker: "upstox", Account: "lep002"})
	info, _ := gateway.InspectToken(first.Result.SmallcaseAuthToken, e.s.Now())
	if info.SmallcaseAuthID != sandbox.AuthID("gatewaydemo", "upstox-leprechaun", "LEP002") || first.Result.Broker != "upstox-leprechaun" {
		t.Fatalf("first connect: %+v", first.Result)
	}
	if !first.Result.Signup {
		t.Error("first login of an account with a guest token should be a signup")
	}
	tok := e.token(info.SmallcaseAuthID)

	// Returning user, other account: user_mismatch.
	id := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	o := e.outcome(id, sandbox.CompleteRequest{Broker: "upstox-leprechaun", Account: "LEP001"})
	if o.Error == nil || o.Error.Code != 1001 || o.Error.Message != "user_mismatch" || o.Error.Data != nil {
		t.Fatalf("other account: %+v", o)
	}
	id = e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{Type: gateway.OrderReconciliation}})
	if o := e.outcome(id, sandbox.CompleteRequest{Broker: "kite-leprechaun", Account: "LEP002"}); o.Error == nil || o.Error.Code != 1001 {
		t.Fatalf("TRANSACTION with another broker: %+v", o)
	}

	// Returning user, defaults: the bound account logs in.
	id = e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	o = e.outcome(id, sandbox.CompleteRequest{})
	if o.Result == nil || o.Result.Broker != "upstox-leprechaun" || o.Result.Signup {
		t.Fatalf("bound account: %+v %+v", o.Result, o.Error)
	}
	again, _ := gateway.InspectToken(o.Result.SmallcaseAuthToken, e.s.Now())
	if again.SmallcaseAuthID != info.SmallcaseAuthID {
		t.Errorf("same account, new id: %s vs %s", again.SmallcaseAuthID, info.SmallcaseAuthID)
	}

	// Another server (another run) gives the same id; another gateway another one.
	e2 := newEnv(t, nil)
	id = e2.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	o = e2.outcome(id, sandbox.CompleteRequest{Broker: "upstox-leprechaun", Account: "LEP002"})
	other, _ := gateway.InspectToken(o.Result.SmallcaseAuthToken, e2.s.Now())
	if other.SmallcaseAuthID != info.SmallcaseAuthID {
		t.Errorf("another run gave %s, want %s", other.SmallcaseAuthID, info.SmallcaseAuthID)
	}
	if sandbox.AuthID("othergateway", "upstox-leprechaun", "LEP002") == info.SmallcaseAuthID {
		t.Error("the id does not depend on the gateway")
	}
	if err := gateway.ValidateAuthID(info.SmallcaseAuthID); err != nil {
		t.Error(err)
	}
}

// marketCase is one journey of TestMarketModes.
type marketCase struct {
	name     string
	market   sandbox.MarketMode
	at       time.Time
	amo      bool
	override sandbox.MarketMode
	outcome  gateway.Scenario
	want     string // "open", "amo", "closed" or "amo_rejected"
	connect  bool
}

// marketOrder is the TRANSACTION of TestMarketModes.
var marketOrder = gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
	Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}}}

// TestMarketModes: the SDK goes on when the market is open, or closed in
// its AMO window with AMO enabled (config.amo, the driver's amo), placing
// after-market orders; anything else rejects market_closed. A journey's
// market override stands in for the sandbox's market; the market_closed
// scenario rejects whatever the market; other intents ignore the market.
func TestMarketModes(t *testing.T) {
	t.Parallel()
	saturday := time.Date(2026, 3, 7, 6, 0, 0, 0, time.UTC)
	afterClose := time.Date(2026, 3, 2, 10, 15, 0, 0, time.UTC) // 15:45 IST
	cases := []marketCase{
		{"open", sandbox.MarketOpen, afterClose, false, "", "", "open", false},
		{"open_with_amo_enabled", sandbox.MarketOpen, afterClose, true, "", "", "open", false},
		{"closed", sandbox.MarketClosed, monday10IST, false, "", "", "closed", false},
		{"closed_amo_enabled_no_window", sandbox.MarketClosed, monday10IST, true, "", "", "closed", false},
		{"closed_connect", sandbox.MarketClosed, monday10IST, false, "", "", "open", true},
		{"amo_window_amo_enabled", sandbox.MarketAMO, monday10IST, true, "", "", "amo", false},
		{"amo_window_amo_not_enabled", sandbox.MarketAMO, monday10IST, false, "", "", "closed", false},
		{"auto_in_hours", sandbox.MarketAuto, monday10IST, false, "", "", "open", false},
		{"auto_after_close", sandbox.MarketAuto, afterClose, true, "", "", "closed", false},
		{"auto_weekend_amo_enabled", sandbox.MarketAuto, saturday, true, "", "", "amo", false},
		{"auto_weekend_amo_not_enabled", sandbox.MarketAuto, saturday, false, "", "", "closed", false},
		{"closed_overridden_open", sandbox.MarketClosed, monday10IST, false, sandbox.MarketOpen, "", "open", false},
		{"closed_overridden_amo", sandbox.MarketClosed, monday10IST, true, sandbox.MarketAMO, "", "amo", false},
		{"closed_overridden_amo_not_enabled", sandbox.MarketClosed, monday10IST, false, sandbox.MarketAMO, "", "closed", false},
		{"open_overridden_closed", sandbox.MarketOpen, monday10IST, true, sandbox.MarketClosed, "", "closed", false},
		{"scenario_market_closed_on_open_market", sandbox.MarketOpen, monday10IST, true, sandbox.MarketOpen, gateway.ScenarioMarketClosed, "closed", false},
		{"amo_rejected_scenario", sandbox.MarketAMO, monday10IST, true, "", gateway.ScenarioRejected, "amo_rejected", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runMarketCase(t, tc)
		})
	}
	if _, err := sandbox.ParseMarketMode("sometimes"); err == nil {
		t.Error("ParseMarketMode accepts nonsense")
	}
	checkMarketDriver(t)
}

// runMarketCase plays one journey of TestMarketModes through the driver and
// checks the outcome and the transaction against tc.want.
func runMarketCase(t *testing.T, tc marketCase) {
	e := newEnv(t, func(c *sandbox.Config) {
		at := tc.at
		c.Market, c.Clock = tc.market, func() time.Time { return at }
	})
	req := marketOrder
	if tc.connect {
		req = gateway.TransactionRequest{Intent: gateway.IntentConnect}
	}
	id := e.create(docsGuestToken, req)
	st, body := e.complete(id, sandbox.CompleteRequest{AMO: tc.amo, Market: tc.override, Outcome: tc.outcome})
	if st != http.StatusOK {
		t.Fatalf("HTTP %d: %s", st, body)
	}
	checkOutcomeReference(t, body)
	var o gateway.SDKOutcome
	if err := json.Unmarshal(body, &o); err != nil {
		t.Fatal(err)
	}
	v, _ := e.s.Transaction(id)
	switch tc.want {
	case "closed":
		wantMarketClosed(t, o, v)
	case "open":
		wantRegularFill(t, o, tc.connect)
	case "amo":
		wantAMOPlaced(t, o, v)
	case "amo_rejected":
		if o.Result == nil || o.Result.OrderBatches[0].Variety != "amo" || o.Result.OrderBatches[0].Status != "ERROR" ||
			o.Result.OrderBatches[0].Orders[0].Status != "REJECTED" {
			t.Fatalf("want a rejected AMO batch: %+v %+v", o.Result, o.Error)
		}
	}
}

// wantMarketClosed: the journey rejected market_closed and the transaction
// shows it.
func wantMarketClosed(t *testing.T, o gateway.SDKOutcome, v sandbox.TransactionView) {
	t.Helper()
	if o.Error == nil || o.Error.Code != 4004 || o.Error.Message != "market_closed" {
		t.Fatalf("want market_closed: %+v %+v", o.Result, o.Error)
	}
	if v.Status != gateway.StatusErrored || v.Error.Code != 4004 {
		t.Errorf("transaction %s %+v", v.Status, v.Error)
	}
}

// wantRegularFill: the journey succeeded and, unless it is a CONNECT,
// placed regular orders that filled.
func wantRegularFill(t *testing.T, o gateway.SDKOutcome, connect bool) {
	t.Helper()
	if o.Result == nil || (!connect && o.Result.OrderBatches[0].Variety != "regular") {
		t.Fatalf("want a regular fill: %+v %+v", o.Result, o.Error)
	}
	if !connect && o.Result.OrderBatches[0].Orders[0].Status != "COMPLETE" {
		t.Errorf("order %+v", o.Result.OrderBatches[0].Orders[0])
	}
}

// wantAMOPlaced: the journey placed after-market orders, unfilled, and the
// transaction completed.
func wantAMOPlaced(t *testing.T, o gateway.SDKOutcome, v sandbox.TransactionView) {
	t.Helper()
	if o.Result == nil {
		t.Fatalf("want AMO orders: %+v", o.Error)
	}
	b := o.Result.OrderBatches[0]
	if b.Variety != "amo" || b.Status != "PLACED" || b.Orders[0].Status != "PLACED" || b.Orders[0].FilledQuantity != 0 || b.CompletedDate != "" || b.Filled != 0 {
		t.Errorf("AMO batch: %+v", b)
	}
	if v.Status != gateway.StatusCompleted {
		t.Errorf("transaction %s", v.Status)
	}
}

// checkMarketDriver: the in-process driver takes the same fields as the
// HTTP one; a bad override is a 400 that leaves the transaction runnable.
func checkMarketDriver(t *testing.T) {
	e := newEnv(t, func(c *sandbox.Config) { c.Market = sandbox.MarketAMO })
	o, err := e.s.Complete(context.Background(), e.create(docsGuestToken, marketOrder), sandbox.CompleteRequest{AMO: true})
	if err != nil || o.Result == nil || o.Result.OrderBatches[0].Variety != "amo" {
		t.Errorf("Complete with AMO: %+v %v", o, err)
	}
	id := e.create(docsGuestToken, marketOrder)
	if _, err := e.s.Complete(context.Background(), id, sandbox.CompleteRequest{Market: "auto"}); !errors.Is(err, sandbox.ErrBadRequest) {
		t.Errorf("Complete with market auto: %v, want ErrBadRequest", err)
	}
	e.checkOpenAPI(false)
	st, body := e.raw(http.MethodPost, "/_sandbox/transactions/"+id+"/complete", nil, []byte(`{"market":"sometimes"}`))
	if st != http.StatusBadRequest || !strings.Contains(string(body), "want open, closed or amo") {
		t.Errorf("driver with a bad market: %d %s", st, body)
	}
	// The refused request left the transaction runnable.
	if o := e.outcome(id, sandbox.CompleteRequest{Market: sandbox.MarketOpen}); o.Result == nil {
		t.Errorf("after a refused request: %+v", o.Error)
	}
	e.checkOpenAPI(true) // the refused request breaks the schema on purpose
}

// TestCancelAMO: CANCEL_AMO of a smallcase investment cancels its
// after-market orders still PLACED: they read CANCELLED AMO in the order
// details, the batch CANCELLED; other investments' orders stay.
func TestCancelAMO(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *sandbox.Config) { c.Market = sandbox.MarketAMO })
	tok := e.connected("kite-leprechaun", "LEP001")
	const iscid, other = "62bd5f8b4ec1a3d0e9a8c2f1", "62bd5f8b4ec1a3d0e9a8c2f2"
	invest := func(is string) string {
		id := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction,
			OrderConfig: &gateway.OrderConfig{Type: gateway.OrderInvestMore, Iscid: is}})
		if o := e.outcome(id, sandbox.CompleteRequest{AMO: true}); o.Result == nil || o.Result.OrderBatches[0].Status != "PLACED" {
			t.Fatalf("AMO order: %+v %+v", o.Result, o.Error)
		}
		return id
	}
	first, second := invest(iscid), invest(other)
	cancel := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentCancelAMO, OrderConfig: &gateway.OrderConfig{Iscid: iscid}})
	st, body := e.complete(cancel, sandbox.CompleteRequest{})
	if st != http.StatusOK {
		t.Fatalf("HTTP %d %s", st, body)
	}
	checkOutcomeReference(t, body)
	var o gateway.SDKOutcome
	json.Unmarshal(body, &o)
	var data struct {
		Iscid           string `json:"iscid"`
		Cancelled       bool   `json:"cancelled"`
		CancelledOrders int    `json:"cancelledOrders"`
	}
	if o.Result == nil || json.Unmarshal(o.Result.Data, &data) != nil || data.Iscid != iscid || !data.Cancelled || data.CancelledOrders != 5 {
		t.Fatalf("CANCEL_AMO result: %+v %+v", o.Result, o.Error)
	}
	var raw []byte
	ctx := gateway.WithRecorder(context.Background(), func(x gateway.Exchange) { raw = []byte(x.ResponseBody) })
	od, err := e.client.FetchOrderDetails(ctx, tok, first)
	if err != nil {
		t.Fatal(err)
	}
	checkReference(t, "order_batch", raw)
	b := od.Batches[0]
	if b.Status != "CANCELLED" || b.Variety != "amo" {
		t.Errorf("cancelled batch: %+v", b)
	}
	for _, ord := range b.Orders {
		if ord.Status != "CANCELLED AMO" || !strings.Contains(ord.StatusMessage, cancel) {
			t.Errorf("cancelled order: %+v", ord)
		}
	}
	if od, _ := e.client.FetchOrderDetails(ctx, tok, second); od.Batches[0].Status != "PLACED" || od.Batches[0].Orders[0].Status != "PLACED" {
		t.Errorf("another investment's AMO batch changed: %+v", od.Batches[0])
	}
	// What the SDK resolved with earlier stays as it was.
	if v, _ := e.s.Transaction(first); v.Outcome.Result.OrderBatches[0].Status != "PLACED" {
		t.Errorf("the earlier outcome changed: %+v", v.Outcome.Result.OrderBatches[0])
	}
	// Nothing left to cancel: the call goes through with no order.
	again := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentCancelAMO, OrderConfig: &gateway.OrderConfig{Iscid: iscid}})
	if o := e.outcome(again, sandbox.CompleteRequest{}); o.Result == nil || !strings.Contains(string(o.Result.Data), `"cancelledOrders":0`) {
		t.Errorf("second CANCEL_AMO: %+v", o)
	}
	e.checkOpenAPI(false)
}

// TestBSEPositions: every demo account holds some equities on BSE only and
// the rest on NSE; v1 and v2 say so, and orders on a BSE holding go to BSE.
func TestBSEPositions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, b := range sandbox.Brokers() {
		for _, a := range b.Accounts {
			tok := e.connected(b.ID, a.ID)
			v1, err := e.client.FetchHoldings(ctx, tok, gateway.HoldingsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			v2, err := e.client.FetchHoldings(ctx, tok, gateway.HoldingsOptions{V2: true})
			if err != nil {
				t.Fatal(err)
			}
			exch := map[string]string{}
			n := map[string]int{}
			for _, h := range v1.V1.Securities.Holdings {
				exch[h.Ticker] = h.Exchange
				n[h.Exchange]++
			}
			if n["BSE"] < 1 || n["BSE"] > 2 || n["NSE"] < 3 || n["NSE"]+n["BSE"] != len(v1.V1.Securities.Holdings) {
				t.Errorf("%s/%s: v1 exchanges %v, want 1-2 BSE and the rest NSE", b.ID, a.ID, n)
			}
			for _, s := range v2.V2.Securities {
				nse, bse := s.Positions.NSE, s.Positions.BSE
				switch exch[s.NSETicker] {
				case "BSE":
					if bse != s.Holdings || nse.Quantity != 0 || s.BSETicker != s.NSETicker {
						t.Errorf("%s/%s %s: a BSE holding in v2: %+v", b.ID, a.ID, s.NSETicker, s)
					}
				case "NSE":
					if nse != s.Holdings || bse.Quantity != 0 {
						t.Errorf("%s/%s %s: an NSE holding in v2: %+v", b.ID, a.ID, s.NSETicker, s)
					}
				default:
					t.Errorf("%s/%s: %s is in v2, not in v1", b.ID, a.ID, s.NSETicker)
				}
			}
			for _, q := range v2.Equities() {
				if q.Exchange != exch[q.Ticker] {
					t.Errorf("%s/%s %s: Equities() says %s, v1 %s", b.ID, a.ID, q.Ticker, q.Exchange, exch[q.Ticker])
				}
			}
		}
	}
	// A SELL of a BSE holding trades on BSE; a BUY of something new on NSE.
	tok := e.connected("kite-leprechaun", "LEP001")
	v1, _ := e.client.FetchHoldings(ctx, tok, gateway.HoldingsOptions{})
	var onBSE gateway.HoldingV1
	for _, h := range v1.V1.Securities.Holdings {
		if h.Exchange == "BSE" {
			onBSE = h
		}
	}
	buy := "GOLDBEES"
	if _, held := equity(v1, buy); held {
		buy = "NIFTYBEES"
	}
	id := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: onBSE.Ticker, Quantity: 1, Type: gateway.Sell}, {Ticker: buy, Quantity: 1, Type: gateway.Buy}}}})
	o := e.outcome(id, sandbox.CompleteRequest{})
	if o.Result == nil {
		t.Fatalf("%+v", o.Error)
	}
	ords := o.Result.OrderBatches[0].Orders
	if ords[0].Exchange != "BSE" || ords[0].Status != "COMPLETE" || ords[1].Exchange != "NSE" {
		t.Errorf("orders: %+v", ords)
	}
	e.outcome(e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentHoldingsImport}), sandbox.CompleteRequest{})
	after, _ := e.client.FetchHoldings(ctx, tok, gateway.HoldingsOptions{})
	if q, _ := equity(after, onBSE.Ticker); q.Exchange != "BSE" || q.Quantity != onBSE.Shares-1 {
		t.Errorf("%s after selling 1 on BSE: %+v (before %+v)", onBSE.Ticker, q, onBSE)
	}
	e.checkOpenAPI(false)
}

// TestExpiry: the clock endpoint moves time; a transaction that expired
// before it ran settles transaction_expired 3001 and shows EXPIRED.
func TestExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *sandbox.Config) { c.TxnTTL = 10 * time.Second })
	id := e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	st, body := e.raw("POST", "/_sandbox/clock", nil, []byte(`{"advance":"11s"}`))
	if st != 200 || !strings.Contains(string(body), `"offset":"11s"`) {
		t.Fatalf("clock: %d %s", st, body)
	}
	if st, body := e.raw("POST", "/_sandbox/clock", nil, []byte(`{"advance":"soon"}`)); st != 400 {
		t.Errorf("bad advance: %d %s", st, body)
	}
	o := e.outcome(id, sandbox.CompleteRequest{})
	if o.Error == nil || o.Error.Code != 3001 || o.Error.Message != "transaction_expired" {
		t.Fatalf("want 3001: %+v %+v", o.Result, o.Error)
	}
	v, _ := e.s.Transaction(id)
	if v.Status != gateway.StatusExpired || !v.Expired || !v.Error.Value {
		t.Errorf("view: %+v", v)
	}
	e.checkOpenAPI(false)
}

// TestPostbacks: signed postbacks for orders and imports, retried on
// failures with backoff, bounded.
func TestPostbacks(t *testing.T) {
	t.Parallel()
	var (
		mu       sync.Mutex
		got      []gateway.Postback
		raws     [][]byte
		attempts = map[string]int{}
		failures = 2
		// delivered closes when the four postbacks have arrived.
		delivered = make(chan struct{})
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p gateway.Postback
		if err := json.Unmarshal(b, &p); err != nil {
			t.Errorf("postback body: %v: %s", err, b)
		}
		mu.Lock()
		defer mu.Unlock()
		key := p.Event + p.TransactionID
		attempts[key]++
		if attempts[key] <= failures {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		got = append(got, p)
		raws = append(raws, b)
		if len(got) == 4 {
			close(delivered)
		}
	}))
	defer recv.Close()
	e := newEnv(t, func(c *sandbox.Config) {
		c.PostbackURL, c.PostbackBackoff, c.PostbackAttempts = recv.URL, time.Millisecond, 4
	})
	tok := e.connected("kite-leprechaun", "LEP001")
	order := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}}})
	e.outcome(order, sandbox.CompleteRequest{})
	imp := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentHoldingsImport, Version: "v2"})
	e.outcome(imp, sandbox.CompleteRequest{})
	mf := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentMFHoldingsImport})
	e.outcome(mf, sandbox.CompleteRequest{})

	select {
	case <-delivered:
	case <-time.After(10 * time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	events := map[string]gateway.Postback{}
	for _, raw := range raws {
		checkReference(t, "postback", raw)
	}
	for _, p := range got {
		events[p.Event] = p
		if !p.Verify(sandbox.DefaultAPISecret) {
			t.Errorf("%s: checksum does not verify", p.Event)
		}
		if p.Verify("another-secret") {
			t.Errorf("%s: checksum verifies with any secret", p.Event)
		}
		ms, err := strconv.ParseInt(p.Timestamp, 10, 64)
		if err != nil || ms != e.s.Now().UnixMilli() {
			t.Errorf("%s: timestamp %q, want epoch ms %d", p.Event, p.Timestamp, e.s.Now().UnixMilli())
		}
		if attempts[p.Event+p.TransactionID] != failures+1 {
			t.Errorf("%s: delivered on attempt %d, want %d", p.Event, attempts[p.Event+p.TransactionID], failures+1)
		}
	}
	for _, ev := range []string{gateway.EventOrderPlaced, gateway.EventOrderCompleted, gateway.EventHoldingsImport, gateway.EventMFHoldingsImport} {
		if _, ok := events[ev]; !ok {
			t.Errorf("no %s postback (got %d)", ev, len(got))
		}
	}
	checkSSTTopLevel(t, raws)
	if p := events[gateway.EventOrderCompleted]; p.TransactionID != order || p.Status != "COMPLETED" || !strings.Contains(string(p.Fields), `"batchId"`) ||
		p.Kind() != gateway.EventOrderCompleted {
		t.Errorf("ORDER_COMPLETED: %+v", p)
	}
	if p := events[gateway.EventOrderPlaced]; p.Status != "PLACED" || !strings.Contains(string(p.Fields), `"status":"PLACED"`) {
		t.Errorf("ORDER_PLACED: status %s, fields %s", p.Status, p.Fields)
	}
	var hv2 gateway.HoldingsV2
	if p := events[gateway.EventHoldingsImport]; json.Unmarshal(p.Fields, &hv2) != nil || len(hv2.Securities) == 0 {
		t.Errorf("HOLDINGS_IMPORT fields: %s", p.Fields)
	}
	if p := events[gateway.EventMFHoldingsImport]; p.SmallcaseAuthID != "" || p.ChecksumID() != mf {
		t.Errorf("MF_HOLDINGS_IMPORT: %+v", p)
	}
}

// TestPostbackAttemptsBounded: a receiver that always fails gets exactly
// PostbackAttempts tries.
func TestPostbackAttemptsBounded(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	n := 0
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer recv.Close()
	var logs []string
	var lmu sync.Mutex
	gaveUp := make(chan struct{}) // closes when the sandbox logs that it gave up
	var gaveUpOnce sync.Once
	e := newEnv(t, func(c *sandbox.Config) {
		c.PostbackURL, c.PostbackBackoff, c.PostbackAttempts = recv.URL, time.Millisecond, 3
		c.Logf = func(f string, a ...any) {
			lmu.Lock()
			defer lmu.Unlock()
			line := fmt.Sprintf(f, a...)
			logs = append(logs, line)
			if strings.Contains(line, "gave up after 3 attempts") {
				gaveUpOnce.Do(func() { close(gaveUp) })
			}
		}
	})
	e.outcome(e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentHoldingsImport}), sandbox.CompleteRequest{})
	select {
	case <-gaveUp:
	case <-time.After(5 * time.Second):
	}
	// Close waits for the deliveries to stop: no attempt can follow.
	e.s.Close()
	mu.Lock()
	defer mu.Unlock()
	if n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	lmu.Lock()
	defer lmu.Unlock()
	for _, l := range logs {
		if strings.Contains(l, sandbox.DefaultAPISecret) {
			t.Errorf("a log line shows the apiSecret: %s", l)
		}
	}
}

// TestConcurrentCreate: 50 clients create 10,000 transactions with no error.
func TestConcurrentCreate(t *testing.T) {
	t.Parallel()
	s := sandbox.New(sandbox.Config{})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const clients, each = 50, 200
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ids  = map[string]bool{}
		errs []error
	)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &gateway.Client{BaseURL: base, Gateway: "gatewaydemo", APISecret: sandbox.DefaultAPISecret, HTTP: &http.Client{Transport: tr}}
			for i := 0; i < each; i++ {
				tx, err := cl.CreateTransaction(context.Background(), docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentTransaction,
					OrderConfig: &gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1 + i, Type: gateway.Buy}}}})
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					ids[tx.TransactionID] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d errors, first: %v", len(errs), errs[0])
	}
	if len(ids) != clients*each || s.Transactions() != clients*each {
		t.Errorf("%d distinct ids, %d stored, want %d", len(ids), s.Transactions(), clients*each)
	}
}

// TestStartRefusesRemote: only loopback addresses unless allowed.
func TestStartRefusesRemote(t *testing.T) {
	t.Parallel()
	s := sandbox.New(sandbox.Config{})
	defer s.Close()
	if _, err := s.Start("0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Start(0.0.0.0:0) = %v, want a loopback refusal", err)
	}
	if _, err := s.Start("nonsense"); err == nil {
		t.Error("Start(nonsense) works")
	}
	u, err := s.Start("[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	if !strings.HasPrefix(u, "http://[::1]:") || s.SDKURL() != u+"/scdk/2.0.0/scdk.js" {
		t.Errorf("URL %s, SDK %s", u, s.SDKURL())
	}
}

// TestDriverTakesOnlyJSON: a cross-site text/plain POST (no preflight) from
// any page in a browser must not move the clock or finish a journey.
func TestDriverTakesOnlyJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, path := range []string{"/_sandbox/clock", "/_sandbox/transactions/TRX_00000000000000000000000000000000/complete"} {
		st, body := e.raw(http.MethodPost, path, map[string]string{"Content-Type": "text/plain"}, []byte(`{"advance":"1000h"}`))
		if st != http.StatusUnsupportedMediaType {
			t.Fatalf("%s as text/plain: %d %s", path, st, body)
		}
	}
}

// TestReviewedLines: a SECURITIES order without quantities or sides is
// placed as the user confirmed it on the review screen; without a review
// (an unattended journey) a missing quantity is 1 and a missing side BUY;
// a review that changes a ticker or leaves a line unchosen is refused and
// leaves the transaction to be run again.
func TestReviewedLines(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.connected("kite-leprechaun", "LEP002")
	bare := &gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "RELIANCE"}, {Ticker: "TCS"}}}
	id := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: bare})

	for _, bad := range [][]gateway.Security{
		{{Ticker: "INFY", Quantity: 1, Type: gateway.Buy}, {Ticker: "TCS", Quantity: 1, Type: gateway.Buy}},
		{{Ticker: "RELIANCE", Quantity: 1, Type: gateway.Buy}, {Ticker: "TCS", Type: gateway.Buy}},
		{{Ticker: "RELIANCE", Quantity: 1}, {Ticker: "TCS", Quantity: 1, Type: gateway.Buy}},
		{{Ticker: "RELIANCE", Quantity: 1, Type: gateway.Buy}},
	} {
		if st, b := e.complete(id, sandbox.CompleteRequest{Lines: bad}); st != http.StatusBadRequest {
			t.Errorf("lines %+v: HTTP %d, want 400: %s", bad, st, b)
		}
	}
	o := e.outcome(id, sandbox.CompleteRequest{Lines: []gateway.Security{
		{Ticker: "RELIANCE", Quantity: 3, Type: gateway.Buy}, {Ticker: "TCS", Quantity: 2, Type: gateway.Buy}}})
	if o.Result == nil {
		t.Fatalf("reviewed order: %+v", o.Error)
	}
	ords := o.Result.OrderBatches[0].Orders
	if len(ords) != 2 || ords[0].Quantity != 3 || ords[0].TransactionType != "BUY" || ords[1].Quantity != 2 {
		t.Errorf("reviewed orders: %+v", ords)
	}

	// The user may change what the partner gave, and sell what it holds.
	full := &gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "RELIANCE", Quantity: 1, Type: gateway.Buy}}}
	id = e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: full})
	o = e.outcome(id, sandbox.CompleteRequest{Lines: []gateway.Security{{Ticker: "RELIANCE", Quantity: 2, Type: gateway.Sell}}})
	if o.Result == nil || o.Result.OrderBatches[0].Orders[0].TransactionType != "SELL" || o.Result.OrderBatches[0].Orders[0].Quantity != 2 {
		t.Errorf("changed line: %+v %+v", o.Result, o.Error)
	}

	id = e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: bare})
	o = e.outcome(id, sandbox.CompleteRequest{})
	if o.Result == nil {
		t.Fatalf("unattended order: %+v", o.Error)
	}
	for _, ord := range o.Result.OrderBatches[0].Orders {
		if ord.Quantity != 1 || ord.TransactionType != "BUY" {
			t.Errorf("unattended line %+v: want 1 BUY", ord)
		}
	}
}

// TestOrderDetailsAsDocumented: order details are fetched for the ids
// given, by transactionId, batchId or iscid, with a guest token too; an
// unknown id, another user's transaction and one not COMPLETED yet answer
// success with no batches rather than an error.
func TestOrderDetailsAsDocumented(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	alice := e.connected("kite-leprechaun", "LEP001")
	bob := e.connected("kite-leprechaun", "LEP002")
	id := e.create(alice, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderInvestMore, Iscid: "62bd5f8b4ec1a3d0e9a8c2f1"}})
	o := e.outcome(id, sandbox.CompleteRequest{})
	if o.Result == nil || len(o.Result.OrderBatches) != 1 {
		t.Fatalf("order: %+v", o.Error)
	}
	batchID := o.Result.OrderBatches[0].BatchID
	pending := e.create(alice, webOrder)

	get := func(tok, query string) gateway.OrderDetails {
		t.Helper()
		st, b := e.raw("GET", "/v1/gatewaydemo/engine/orders/sst?"+query, partnerHeaders(tok), nil)
		if st != http.StatusOK {
			t.Fatalf("%s: HTTP %d: %s", query, st, b)
		}
		var env struct {
			Success bool                 `json:"success"`
			Data    gateway.OrderDetails `json:"data"`
		}
		if err := json.Unmarshal(b, &env); err != nil || !env.Success || env.Data.Batches == nil {
			t.Fatalf("%s: %s (%v)", query, b, err)
		}
		return env.Data
	}
	for _, tc := range []struct {
		name, tok, query string
		batches          int
	}{
		{"own, by transactionId", alice, "transactionId=" + id, 1},
		{"guest, by transactionId", docsGuestToken, "transactionId=" + id, 1},
		{"by batchId", alice, "batchId=" + batchID, 1},
		{"guest, by batchId", docsGuestToken, "batchId=" + batchID, 1},
		{"by iscid", alice, "iscid=62bd5f8b4ec1a3d0e9a8c2f1", 1},
		{"several ids, one unknown", alice, "transactionId=" + id + ",TRX_0123456789abcdef0123456789abcdef", 1},
		{"another user's", bob, "transactionId=" + id, 0},
		{"another user's iscid", bob, "iscid=62bd5f8b4ec1a3d0e9a8c2f1", 0},
		{"unknown", alice, "transactionId=TRX_0123456789abcdef0123456789abcdef", 0},
		{"not an id", alice, "transactionId=12345", 0},
		{"not completed yet", alice, "transactionId=" + pending, 0},
	} {
		od := get(tc.tok, tc.query)
		if len(od.Batches) != tc.batches {
			t.Errorf("%s: %d batches, want %d: %+v", tc.name, len(od.Batches), tc.batches, od)
		}
		if tc.batches == 1 && (od.Batches[0].BatchID != batchID || od.TransactionID != id || od.Status != gateway.StatusCompleted) {
			t.Errorf("%s: %+v", tc.name, od)
		}
	}
	// The client reads such an answer too.
	od, err := e.client.FetchOrderDetails(ctx, docsGuestToken, id)
	if err != nil || len(od.Batches) != 1 {
		t.Errorf("client, guest: %+v %v", od, err)
	}
	if st, _ := e.raw("GET", "/v1/gatewaydemo/engine/orders/sst", partnerHeaders(alice), nil); st != http.StatusBadRequest {
		t.Errorf("no id at all: HTTP %d, want 400", st)
	}
	e.checkOpenAPI(false)
}

// TestPendingActionPostback: the driver posts a "pending action on an
// invested smallcase" postback, signed over timestamp + smallcaseAuthId.
func TestPendingActionPostback(t *testing.T) {
	t.Parallel()
	got := make(chan []byte, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	defer recv.Close()
	e := newEnv(t, func(c *sandbox.Config) { c.PostbackURL = recv.URL })
	id := sandbox.AuthID(e.s.Gateway(), "kite-leprechaun", "LEP001")
	st, b := e.raw("POST", "/_sandbox/postbacks/pending-action", map[string]string{"Content-Type": "application/json"},
		[]byte(`{"smallcaseAuthId":"`+id+`","iscid":"62bd5f8b4ec1a3d0e9a8c2f1","scid":"SCMO_0002"}`))
	if st != http.StatusOK {
		t.Fatalf("HTTP %d: %s", st, b)
	}
	var raw []byte
	select {
	case raw = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no postback")
	}
	checkReference(t, "postback", raw)
	var p gateway.Postback
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if p.Kind() != gateway.EventPendingAction || p.SmallcaseAuthID != id || !p.Verify(sandbox.DefaultAPISecret) ||
		!strings.Contains(string(p.Fields), `"action":"REBALANCE"`) {
		t.Errorf("pending action: %s", raw)
	}
	if st, _ := e.raw("POST", "/_sandbox/postbacks/pending-action", map[string]string{"Content-Type": "application/json"},
		[]byte(`{"smallcaseAuthId":"`+id+`"}`)); st != http.StatusBadRequest {
		t.Errorf("without an iscid: HTTP %d, want 400", st)
	}
}

// checkSSTTopLevel: the SST postbacks carry the batch at the top level, as
// the official sample does: its keys, with the batch's status.
func checkSSTTopLevel(t *testing.T, raws [][]byte) {
	t.Helper()
	for _, raw := range raws {
		var top map[string]json.RawMessage
		if err := json.Unmarshal(raw, &top); err != nil {
			t.Fatal(err)
		}
		var ev string
		_ = json.Unmarshal(top["event"], &ev)
		if ev != gateway.EventOrderCompleted && ev != gateway.EventOrderPlaced {
			continue
		}
		if _, ok := top["data"]; ok {
			t.Errorf("%s: the batch is nested in data, not at the top level: %s", ev, raw)
		}
		for _, k := range []string{"batchId", "buyAmount", "sellAmount", "quantity", "filled", "status", "variety", "orders",
			"timestamp", "smallcaseAuthId", "transactionId", "checksum"} {
			if _, ok := top[k]; !ok {
				t.Errorf("%s: no top-level %q: %s", ev, k, raw)
			}
		}
		if ev == gateway.EventOrderCompleted {
			if _, ok := top["completedDate"]; !ok {
				t.Errorf("ORDER_COMPLETED: no completedDate: %s", raw)
			}
		}
	}
}

// TestHoldingsImportNotesComeBack: the notes of a HOLDINGS_IMPORT come back
// in the holdings response, v1 and v2, as the docs say.
func TestHoldingsImportNotesComeBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.connected("kite-leprechaun", "LEP003")
	id := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentHoldingsImport, Notes: "import for the onboarding review"})
	if o := e.outcome(id, sandbox.CompleteRequest{Account: "LEP003"}); o.Result == nil {
		t.Fatalf("import: %+v", o.Error)
	}
	for _, v2 := range []bool{false, true} {
		st, b := e.raw("GET", "/v1/gatewaydemo/engine/user/holdings?version="+map[bool]string{false: "v1", true: "v2"}[v2], partnerHeaders(tok), nil)
		if st != http.StatusOK || !strings.Contains(string(b), `"notes":"import for the onboarding review"`) {
			t.Errorf("v2=%v: HTTP %d, no notes in %.300s", v2, st, b)
		}
	}
}

// TestPartialFillFillsALineThatCan: partial_fill fills in part an order of
// more than one share wherever it is in the order, and says why when every
// order is of one share.
func TestPartialFillFillsALineThatCan(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.connected("kite-leprechaun", "LEP001")
	order := func(secs ...gateway.Security) []gateway.Order {
		t.Helper()
		id := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
			Type: gateway.OrderSecurities, Securities: secs}})
		o := e.outcome(id, sandbox.CompleteRequest{Outcome: gateway.ScenarioPartialFill})
		if o.Result == nil {
			t.Fatalf("%+v", o.Error)
		}
		return o.Result.OrderBatches[0].Orders
	}
	ords := order(gateway.Security{Ticker: "INFY", Quantity: 1, Type: gateway.Buy}, gateway.Security{Ticker: "ITC", Quantity: 4, Type: gateway.Buy})
	if ords[0].Status != "COMPLETE" || ords[1].Status != "PARTIAL" || ords[1].FilledQuantity != 2 {
		t.Errorf("the 4-share line second: %+v", ords)
	}
	ords = order(gateway.Security{Ticker: "INFY", Quantity: 1, Type: gateway.Buy})
	if ords[0].Status != "COMPLETE" || !strings.Contains(ords[0].StatusMessage, "cannot be partly filled") {
		t.Errorf("a 1-share order: %+v", ords)
	}
}
