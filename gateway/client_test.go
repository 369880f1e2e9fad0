package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func envelopeHandler(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func newTestClient(url string) *Client {
	return &Client{BaseURL: url, Gateway: "gatewaydemo", APISecret: "apiSecret_value", Backoff: time.Millisecond}
}

func TestCreateTransactionSendsContract(t *testing.T) {
	var got struct {
		method, path, secret, token, ctype string
		body                               TransactionRequest
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path = r.Method, r.URL.Path
		got.secret, got.token = r.Header.Get(HeaderSecret), r.Header.Get(HeaderAuthToken)
		got.ctype = r.Header.Get("Content-Type")
		if err := json.NewDecoder(r.Body).Decode(&got.body); err != nil {
			t.Error(err)
		}
		envelopeHandler(200, `{"success":true,"errors":null,"data":{"transactionId":"TRX_15ac7395e2e34721ae14977bd39f6bd3","expireAt":"2026-11-21T12:05:00.000Z"}}`)(w, r)
	}))
	defer srv.Close()
	var recorded []Exchange
	ctx := WithRecorder(context.Background(), func(x Exchange) { recorded = append(recorded, x) })
	req := TransactionRequest{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities,
		Securities: []Security{{Ticker: "TCS", Quantity: 1, Type: Buy}}}}
	tx, err := newTestClient(srv.URL).CreateTransaction(ctx, "jwt.token.here", req)
	if err != nil {
		t.Fatal(err)
	}
	if tx.TransactionID != "TRX_15ac7395e2e34721ae14977bd39f6bd3" || !tx.ExpireAt.Equal(time.Date(2026, 11, 21, 12, 5, 0, 0, time.UTC)) {
		t.Fatalf("tx = %+v", tx)
	}
	if got.method != "POST" || got.path != "/gateway/gatewaydemo/transaction" || got.secret != "apiSecret_value" ||
		got.token != "jwt.token.here" || got.ctype != "application/json" || got.body.OrderConfig.Securities[0].Ticker != "TCS" {
		t.Fatalf("request = %+v", got)
	}
	if len(recorded) != 1 {
		t.Fatalf("recorded %d exchanges", len(recorded))
	}
	x := recorded[0]
	if x.RequestHeaders[HeaderSecret] == "apiSecret_value" || strings.Contains(x.Curl(), "apiSecret_value") {
		t.Fatal("apiSecret leaked into the recorded exchange")
	}
	if !strings.Contains(x.Curl(), "$GATEWALK_API_SECRET") || !strings.Contains(x.Curl(), "jwt.token.here") {
		t.Fatalf("curl = %s", x.Curl())
	}
}

func TestCreateTransactionValidatesBeforeSending(t *testing.T) {
	var hits int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { atomic.AddInt32(&hits, 1) }))
	defer srv.Close()
	c := newTestClient(srv.URL)
	bad := []TransactionRequest{
		{Intent: "LOGIN"},
		{Intent: IntentTransaction},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities, Securities: []Security{{Ticker: "TCS", Quantity: -1, Type: Buy}}}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities, Securities: []Security{{Ticker: "TCS", Type: Buy}, {Ticker: "INFY", Quantity: 2}}}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities, Securities: []Security{{Ticker: "TCS"}, {Ticker: "INFY", Quantity: 2, Type: Sell}}}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities, Securities: []Security{{Ticker: "TCS", Quantity: 1, Type: Buy}, {Ticker: "INFY", Quantity: 2}}}},
		{Intent: IntentIMRSetup},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities, Securities: []Security{{Ticker: "TCS", Quantity: 1, Type: "HOLD"}}}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities, Securities: []Security{{Ticker: "tcs lower", Quantity: 1, Type: Buy}}}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderBuy}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderRebalance}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderExit, Iscid: "x", Amount: 10}},
		{Intent: IntentSIPSetup},
		{Intent: IntentCancelAMO, OrderConfig: &OrderConfig{}},
		{Intent: IntentHoldingsImport, Version: "v3"},
		{Intent: IntentMFHoldingsImport, AssetConfig: &AssetConfig{FromDate: "21/11/2026"}},
		{Intent: IntentConnect, Notes: strings.Repeat("n", MaxNotes+1)},
		{Intent: IntentConnect, OrderConfig: &OrderConfig{Type: OrderSecurities}},
	}
	for _, req := range bad {
		_, err := c.CreateTransaction(context.Background(), "t", req)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%+v: err = %v, want a ValidationError", req, err)
		}
	}
	if hits != 0 {
		t.Fatalf("%d invalid requests reached the server", hits)
	}
	good := []TransactionRequest{
		{Intent: IntentConnect},
		{Intent: IntentHoldingsImport, Version: "v2", AssetConfig: &AssetConfig{MFHoldings: true}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderBuy, Scid: "SCET_0005", Amount: 5000}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderInvestMore, Iscid: "abc"}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderReconciliation}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities, Securities: []Security{{"M&M", 2, Sell}, {"BAJAJ-AUTO", 1, Buy}}}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities, Securities: []Security{{Ticker: "RELIANCE"}, {Ticker: "TCS"}}}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities, Securities: []Security{{Ticker: "RELIANCE", Quantity: 2}, {Ticker: "TCS", Quantity: 1}}}},
		{Intent: IntentTransaction, OrderConfig: &OrderConfig{Type: OrderSecurities, Securities: []Security{{Ticker: "RELIANCE", Type: Buy}, {Ticker: "TCS", Type: Sell}}}},
		{Intent: IntentSIPSetup, OrderConfig: &OrderConfig{Iscid: "x"}},
		{Intent: IntentIMRSetup, OrderConfig: &OrderConfig{Iscid: "x"}},
		{Intent: IntentCancelAMO, OrderConfig: &OrderConfig{Iscid: "x"}},
		{Intent: IntentAuthoriseHoldings}, {Intent: IntentFetchFunds},
		{Intent: IntentMFHoldingsImport, AssetConfig: &AssetConfig{FromDate: "2024-04-01"}},
	}
	for _, req := range good {
		if err := req.Validate(); err != nil {
			t.Errorf("%+v: %v", req, err)
		}
	}
}

func TestAPIErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		kind     ErrorKind
		rejected bool
		hint     string
	}{
		{"invalid jwt", 401, `{"success":false,"errors":["Invalid JWT"],"data":null}`, KindJWT, true, "secret"},
		{"bad api secret", 401, `{"success":false,"errors":["Invalid x-gateway-secret"],"data":null}`, KindAPISecret, true, "apiSecret"},
		{"bare 401", 401, `{"success":false,"errors":[],"data":null}`, KindAPISecret, true, "apiSecret"},
		{"invalid gateway", 404, `{"success":false,"errors":["invalid gateway"],"data":null}`, KindGateway, true, "gateway name"},
		{"guest", 403, `{"success":false,"errors":["` + ErrStrGuestToken + `"],"data":null}`, KindGuest, true, "connected"},
		{"validation", 400, `{"success":false,"errors":["orderConfig.securities[0].quantity: must be 1 or more"],"data":null}`, KindValidation, false, "field"},
		{"expired", 410, `{"success":false,"errors":["transaction expired"],"data":null}`, KindExpired, false, "fresh"},
		{"success false on 200", 200, `{"success":false,"errors":["something"],"data":null}`, KindOther, false, ""},
		{"html 502", 502, `<html>bad gateway</html>`, KindServer, false, "try again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(envelopeHandler(tc.status, tc.body))
			defer srv.Close()
			c := newTestClient(srv.URL)
			c.Retries = -1
			_, err := c.FetchOrderDetails(context.Background(), "t", "TRX_1")
			var api *APIError
			if !errors.As(err, &api) {
				t.Fatalf("err = %v", err)
			}
			if api.Status != tc.status || api.Kind() != tc.kind || api.KeysRejected() != tc.rejected {
				t.Fatalf("status %d kind %s rejected %v", api.Status, api.Kind(), api.KeysRejected())
			}
			if !strings.Contains(api.Error(), tc.hint) {
				t.Fatalf("message %q lacks %q", api.Error(), tc.hint)
			}
		})
	}
}

func TestGetRetriesOn5xxButPostDoesNot(t *testing.T) {
	var gets, posts int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			atomic.AddInt32(&posts, 1)
			envelopeHandler(503, `{"success":false,"errors":["busy"]}`)(w, r)
			return
		}
		if atomic.AddInt32(&gets, 1) < 3 {
			envelopeHandler(503, `{"success":false,"errors":["busy"]}`)(w, r)
			return
		}
		envelopeHandler(200, `{"success":true,"errors":null,"data":{"transactionId":"TRX_1","batches":[{"batchId":"b1","status":"COMPLETED","orders":[{"tradingsymbol":"TCS","status":"COMPLETE","quantity":1,"filledQuantity":1}]}]}}`)(w, r)
	}))
	defer srv.Close()
	c := newTestClient(srv.URL)
	var attempts []int
	ctx := WithRecorder(context.Background(), func(x Exchange) { attempts = append(attempts, x.Attempt) })
	od, err := c.FetchOrderDetails(ctx, "t", "TRX_1")
	if err != nil {
		t.Fatal(err)
	}
	if gets != 3 || len(od.Batches) != 1 || od.Batches[0].Orders[0].Tradingsymbol != "TCS" {
		t.Fatalf("gets=%d od=%+v", gets, od)
	}
	if len(attempts) != 3 || attempts[2] != 3 {
		t.Fatalf("attempts = %v", attempts)
	}
	_, err = c.CreateTransaction(context.Background(), "t", TransactionRequest{Intent: IntentConnect})
	if err == nil || posts != 1 {
		t.Fatalf("create: err=%v posts=%d (must not retry)", err, posts)
	}
	// Retries are bounded.
	gets = -100
	_, err = c.FetchOrderDetails(context.Background(), "t", "TRX_1")
	if err == nil || gets != -100+1+DefaultRetries {
		t.Fatalf("bounded retries: err=%v gets=%d", err, gets)
	}
}

func TestGetRetriesOnNetworkError(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close() // nothing listens there now
	c := newTestClient(url)
	n := 0
	ctx := WithRecorder(context.Background(), func(x Exchange) {
		n++
		if x.Error == "" {
			t.Error("network failure not recorded")
		}
	})
	if _, err := c.FetchHoldings(ctx, "t", HoldingsOptions{}); err == nil {
		t.Fatal("no error")
	}
	if n != 1+DefaultRetries {
		t.Fatalf("attempts = %d", n)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newTestClient(srv.URL)
	c.Timeout = 20 * time.Millisecond
	c.Retries = -1
	_, err := c.CreateTransaction(context.Background(), "t", TransactionRequest{Intent: IntentConnect})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.FetchHoldings(ctx, "t", HoldingsOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
}

func TestFetchHoldingsShapes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("version") == "v2" {
			if r.URL.Query().Get("mfHoldings") != "true" {
				t.Errorf("query = %s", r.URL.RawQuery)
			}
			envelopeHandler(200, `{"success":true,"errors":null,"data":{"smallcaseAuthId":"5f0321b5f3743c31d95abd35","broker":"kite-leprechaun",
			"securities":[{"name":"Tata Consultancy Services Ltd","isin":"INE467B01029","nseTicker":"TCS","bseTicker":"TCS","smallcaseQuantity":0,"transactableQuantity":10,
			"holdings":{"quantity":10,"averagePrice":3200.5},"positions":{"nse":{"quantity":10,"averagePrice":3200.5},"bse":{"quantity":0,"averagePrice":0}}}],
			"smallcases":{"public":[],"privateV2":{"investments":[]}},"mutualFunds":{"holdings":[{"folio":"F1","fund":"Parag Parikh Flexi Cap","isin":"INF879O01027","quantity":12.5,"averagePrice":50}]}}}`)(w, r)
			return
		}
		envelopeHandler(200, `{"success":true,"errors":null,"data":{"smallcaseAuthId":"5f0321b5f3743c31d95abd35","broker":"kite-leprechaun",
		"securities":{"holdings":[{"name":"Infosys","exchange":"NSE","ticker":"INFY","averagePrice":1500,"shares":4}]},"smallcases":{"public":[],"private":[]}}}`)(w, r)
	}))
	defer srv.Close()
	c := newTestClient(srv.URL)
	h, err := c.FetchHoldings(context.Background(), "t", HoldingsOptions{V2: true, MFHoldings: true})
	if err != nil {
		t.Fatal(err)
	}
	eq := h.Equities()
	if h.Version != "v2" || len(eq) != 1 || eq[0].ISIN != "INE467B01029" || eq[0].Invested() != 32005 || len(h.MutualFunds()) != 1 || h.AuthID() != "5f0321b5f3743c31d95abd35" {
		t.Fatalf("v2 = %+v", h)
	}
	h, err = c.FetchHoldings(context.Background(), "t", HoldingsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if eq := h.Equities(); h.Version != "v1" || len(eq) != 1 || eq[0].Ticker != "INFY" || eq[0].Quantity != 4 || h.MutualFunds() != nil {
		t.Fatalf("v1 = %+v", h)
	}
}

func TestNonEnvelopeSuccessIsAnError(t *testing.T) {
	srv := httptest.NewServer(envelopeHandler(200, `<html>captive portal</html>`))
	defer srv.Close()
	_, err := newTestClient(srv.URL).CreateTransaction(context.Background(), "t", TransactionRequest{Intent: IntentConnect})
	var api *APIError
	if !errors.As(err, &api) || !strings.Contains(api.Error(), "envelope") {
		t.Fatalf("err = %v", err)
	}
}

func TestExplainSDKError(t *testing.T) {
	if e := ExplainSDKError(1001, "user_mismatch"); e.Redo != StepUser || e.Meaning == "" {
		t.Fatalf("1001 = %+v", e)
	}
	if e := ExplainSDKError(0, "market_closed"); e.Code != 4004 || e.Redo != StepWait {
		t.Fatalf("market_closed by name = %+v", e)
	}
	if e := ExplainSDKError(1012, ""); e.Name != "user_cancelled" {
		t.Fatalf("1012 by code = %+v", e)
	}
	if e := ExplainSDKError(77, "weird_thing"); e.Name != "weird_thing" || e.Code != 77 || e.Advice == "" {
		t.Fatalf("unknown = %+v", e)
	}
	if e := SDKErrorFor("transaction_expired"); e.Code != 1005 {
		t.Fatalf("SDKErrorFor = %+v", e)
	}
}

func TestPostbackChecksum(t *testing.T) {
	p := Postback{Timestamp: "1763726400000", SmallcaseAuthID: "5f0321b5f3743c31d95abd35", TransactionID: "TRX_1", Intent: IntentTransaction}
	p.Sign("apiSecret_value")
	if len(p.Checksum) != 64 || !p.Verify("apiSecret_value") || p.Verify("other") {
		t.Fatalf("checksum %q", p.Checksum)
	}
	mf := Postback{Timestamp: "1", TransactionID: "TRX_2", Intent: IntentMFHoldingsImport}
	mf.Sign("k")
	if mf.Checksum != PostbackChecksum("k", "1", "TRX_2") {
		t.Fatal("MF checksum must cover the transactionId")
	}
}
