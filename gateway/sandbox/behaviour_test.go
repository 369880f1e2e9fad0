package sandbox_test

import (
	"context"
	"encoding/json"
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

// TestMarketModes: closed rejects orders with market_closed, AMO places
// them unfilled, auto follows NSE hours; other intents ignore the market.
func TestMarketModes(t *testing.T) {
	order := gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}}}
	saturday := time.Date(2026, 3, 7, 6, 0, 0, 0, time.UTC)
	afterClose := time.Date(2026, 3, 2, 10, 15, 0, 0, time.UTC) // 15:45 IST
	cases := []struct {
		name    string
		market  sandbox.MarketMode
		at      time.Time
		want    string // "open", "amo" or "closed"
		connect bool
	}{
		{"open", sandbox.MarketOpen, afterClose, "open", false},
		{"closed", sandbox.MarketClosed, monday10IST, "closed", false},
		{"closed_connect", sandbox.MarketClosed, monday10IST, "open", true},
		{"amo", sandbox.MarketAMO, monday10IST, "amo", false},
		{"auto_in_hours", sandbox.MarketAuto, monday10IST, "open", false},
		{"auto_after_close", sandbox.MarketAuto, afterClose, "closed", false},
		{"auto_weekend", sandbox.MarketAuto, saturday, "amo", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *sandbox.Config) {
				at := tc.at
				c.Market, c.Clock = tc.market, func() time.Time { return at }
			})
			req := order
			if tc.connect {
				req = gateway.TransactionRequest{Intent: gateway.IntentConnect}
			}
			o := e.outcome(e.create(docsGuestToken, req), sandbox.CompleteRequest{})
			switch tc.want {
			case "closed":
				if o.Error == nil || o.Error.Code != 4004 || o.Error.Message != "market_closed" {
					t.Fatalf("want market_closed: %+v %+v", o.Result, o.Error)
				}
			case "open":
				if o.Result == nil || (!tc.connect && o.Result.OrderBatches[0].Variety != "regular") {
					t.Fatalf("want a regular fill: %+v %+v", o.Result, o.Error)
				}
			case "amo":
				if o.Result == nil {
					t.Fatalf("want AMO orders: %+v", o.Error)
				}
				b := o.Result.OrderBatches[0]
				if b.Variety != "amo" || b.Status != "PLACED" || b.Orders[0].Status != "PLACED" || b.Orders[0].FilledQuantity != 0 {
					t.Errorf("AMO batch: %+v", b)
				}
			}
		})
	}
	if _, err := sandbox.ParseMarketMode("sometimes"); err == nil {
		t.Error("ParseMarketMode accepts nonsense")
	}
}

// TestExpiry: the clock endpoint moves time; a transaction that expired
// before it ran settles transaction_expired 3001 and shows EXPIRED.
func TestExpiry(t *testing.T) {
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
	var (
		mu       sync.Mutex
		got      []gateway.Postback
		attempts = map[string]int{}
		failures = 2
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

	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	events := map[string]gateway.Postback{}
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
	if p := events[gateway.EventOrderCompleted]; p.TransactionID != order || p.Status != gateway.StatusCompleted || !strings.Contains(string(p.Data), `"batches"`) {
		t.Errorf("ORDER_COMPLETED: %+v", p)
	}
	if p := events[gateway.EventOrderPlaced]; p.Status != gateway.StatusProcessing {
		t.Errorf("ORDER_PLACED status %s", p.Status)
	}
	var hv2 gateway.HoldingsV2
	if p := events[gateway.EventHoldingsImport]; json.Unmarshal(p.Data, &hv2) != nil || len(hv2.Securities) == 0 {
		t.Errorf("HOLDINGS_IMPORT data: %s", p.Data)
	}
	if p := events[gateway.EventMFHoldingsImport]; p.SmallcaseAuthID != "" || p.ChecksumID() != mf {
		t.Errorf("MF_HOLDINGS_IMPORT: %+v", p)
	}
}

// TestPostbackAttemptsBounded: a receiver that always fails gets exactly
// PostbackAttempts tries.
func TestPostbackAttemptsBounded(t *testing.T) {
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
	e := newEnv(t, func(c *sandbox.Config) {
		c.PostbackURL, c.PostbackBackoff, c.PostbackAttempts = recv.URL, time.Millisecond, 3
		c.Logf = func(f string, a ...any) { lmu.Lock(); logs = append(logs, fmt.Sprintf(f, a...)); lmu.Unlock() }
	})
	e.outcome(e.create(docsGuestToken, gateway.TransactionRequest{Intent: gateway.IntentHoldingsImport}), sandbox.CompleteRequest{})
	deadline := time.Now().Add(5 * time.Second)
	for {
		lmu.Lock()
		done := strings.Contains(strings.Join(logs, "\n"), "gave up after 3 attempts")
		lmu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
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
