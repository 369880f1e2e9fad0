package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

// intentCases are created with the docs' guest token, or with a connected
// token of kite-leprechaun LEP001 where the docs say a connected user's
// token is required.
var intentCases = []struct {
	name      string
	req       gateway.TransactionRequest
	connected bool
}{
	{"connect", gateway.TransactionRequest{Intent: gateway.IntentConnect}, false},
	{"transaction_securities", gateway.TransactionRequest{Intent: gateway.IntentTransaction, Notes: "first order",
		OrderConfig: &gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{
			{Ticker: "TCS", Quantity: 2, Type: gateway.Buy}, {Ticker: "INFY", Quantity: 1, Type: gateway.Buy}}}}, false},
	{"transaction_smallcase_buy", gateway.TransactionRequest{Intent: gateway.IntentTransaction,
		OrderConfig: &gateway.OrderConfig{Type: gateway.OrderBuy, Scid: "SCMO_0002", Amount: 25000}}, false},
	{"transaction_investmore", gateway.TransactionRequest{Intent: gateway.IntentTransaction,
		OrderConfig: &gateway.OrderConfig{Type: gateway.OrderInvestMore, Iscid: "62bd5f8b4ec1a3d0e9a8c2f1"}}, true},
	{"transaction_reconciliation", gateway.TransactionRequest{Intent: gateway.IntentTransaction,
		OrderConfig: &gateway.OrderConfig{Type: gateway.OrderReconciliation}}, false},
	{"holdings_import", gateway.TransactionRequest{Intent: gateway.IntentHoldingsImport, Version: "v2",
		AssetConfig: &gateway.AssetConfig{MFHoldings: true}}, false},
	{"authorise_holdings", gateway.TransactionRequest{Intent: gateway.IntentAuthoriseHoldings}, false},
	{"fetch_funds", gateway.TransactionRequest{Intent: gateway.IntentFetchFunds}, false},
	{"sip_setup", gateway.TransactionRequest{Intent: gateway.IntentSIPSetup, OrderConfig: &gateway.OrderConfig{Iscid: "62bd5f8b4ec1a3d0e9a8c2f1"}}, true},
	{"imr_setup", gateway.TransactionRequest{Intent: gateway.IntentIMRSetup, OrderConfig: &gateway.OrderConfig{Iscid: "62bd5f8b4ec1a3d0e9a8c2f1"}}, true},
	{"cancel_amo", gateway.TransactionRequest{Intent: gateway.IntentCancelAMO, OrderConfig: &gateway.OrderConfig{Iscid: "62bd5f8b4ec1a3d0e9a8c2f1"}}, false},
	{"mf_holdings_import", gateway.TransactionRequest{Intent: gateway.IntentMFHoldingsImport, AssetConfig: &gateway.AssetConfig{FromDate: "2025-04-01"}}, false},
}

// TestContractIntents creates a transaction of every intent with the
// documented guest token, finishes it with the driver and reads the order
// details, checking each answer against its fixture and openapi.json.
func TestContractIntents(t *testing.T) {
	t.Parallel()
	for _, tc := range intentCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			var last []byte // the response body of the latest client call
			ctx := gateway.WithRecorder(context.Background(), func(x gateway.Exchange) { last = []byte(x.ResponseBody) })
			tok := docsGuestToken
			if tc.connected {
				tok = e.connected("kite-leprechaun", "LEP001")
			}
			tx, err := e.client.CreateTransaction(ctx, tok, tc.req)
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if !strings.HasPrefix(tx.TransactionID, "TRX_") || len(tx.TransactionID) != 36 {
				t.Errorf("transactionId %q: want TRX_ and 32 hex", tx.TransactionID)
			}
			if got := tx.ExpireAt.Sub(e.s.Now()); got != 5*time.Minute {
				t.Errorf("expireAt is %v after creation, want 5m", got)
			}
			e.fixture("create_"+tc.name, last)
			checkReference(t, "create_transaction", last)

			st, body := e.complete(tx.TransactionID, sandbox.CompleteRequest{Broker: "kite-leprechaun", Account: "LEP001"})
			if st != http.StatusOK {
				t.Fatalf("complete: HTTP %d: %s", st, body)
			}
			e.fixture("complete_"+tc.name, body)
			checkOutcomeReference(t, body)
			var o gateway.SDKOutcome
			if err := json.Unmarshal(body, &o); err != nil || o.Result == nil {
				t.Fatalf("complete: want a result, got %s (%v)", body, err)
			}
			r := o.Result
			wantID := sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001")
			info, err := gateway.VerifyToken(r.SmallcaseAuthToken, sandbox.DefaultSecret, e.s.Now())
			if err != nil || info.Kind != gateway.TokenConnected || info.SmallcaseAuthID != wantID {
				t.Errorf("result token: %v %+v, want a connected token for %s signed with the secret", err, info, wantID)
			}
			if !strings.HasPrefix(r.SmallcaseAuthToken, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzbWFsbGNhc2VBdXRoSWQiOi") {
				t.Errorf("result token claims are not {smallcaseAuthId, exp} in that order: %s", r.SmallcaseAuthToken)
			}
			if !r.Success || r.Transaction != string(tc.req.Intent) || r.Broker != "kite-leprechaun" || r.TransactionID != tx.TransactionID || r.Signup == tc.connected {
				t.Errorf("result = %+v", r)
			}
			switch tc.req.Intent {
			case gateway.IntentFetchFunds:
				if r.Fund == nil || *r.Fund <= 0 {
					t.Errorf("FETCH_FUNDS: want fund > 0, got %v", r.Fund)
				}
			case gateway.IntentTransaction:
				checkIntentOrderDetails(t, e, ctx, &last, tc.name, tx.TransactionID, r, wantID)
			}
			v, _ := e.s.Transaction(tx.TransactionID)
			if v.Status != gateway.StatusCompleted || v.Error == nil || v.Error.Value {
				t.Errorf("transaction after success: %s %+v", v.Status, v.Error)
			}
			e.checkOpenAPI(false)
		})
	}
}

// checkIntentOrderDetails reads the order details of a finished
// TRANSACTION and checks them against their fixture, the reference and the
// SDK result r. last is where ctx's recorder keeps the latest response body.
func checkIntentOrderDetails(t *testing.T, e *env, ctx context.Context, last *[]byte, name, id string, r *gateway.SDKResult, wantID string) {
	t.Helper()
	od, err := e.client.FetchOrderDetails(ctx, e.token(wantID), id)
	if err != nil {
		t.Fatalf("order details: %v", err)
	}
	e.fixture("orders_"+name, *last)
	checkReference(t, "order_batch", *last)
	a, _ := json.Marshal(od.Batches)
	b, _ := json.Marshal(r.OrderBatches)
	if len(r.OrderBatches) == 0 {
		b = []byte("[]")
	}
	if string(a) != string(b) {
		t.Errorf("order details batches differ from the SDK result's orderBatches:\n%s\n%s", a, b)
	}
	if od.Status != gateway.StatusCompleted || od.SmallcaseAuthID != wantID {
		t.Errorf("order details: status %s id %s", od.Status, od.SmallcaseAuthID)
	}
}

// TestDocumentedSampleTokenCreates is the acceptance check: the docs' guest
// token and the demo apiSecret create a transaction on a fresh sandbox with
// the real clock.
func TestDocumentedSampleTokenCreates(t *testing.T) {
	t.Parallel()
	s := sandbox.New(sandbox.Config{})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/gateway/gatewaydemo/transaction", strings.NewReader(`{"intent":"CONNECT"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-gateway-secret", "gatewayDemo_secret")
	req.Header.Set("x-gateway-authtoken", docsGuestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Success bool
		Errors  []string
		Data    gateway.TransactionCreated
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 200 || !env.Success || env.Errors != nil {
		t.Fatalf("HTTP %d %+v %v", resp.StatusCode, env, err)
	}
	if left := time.Until(env.Data.ExpireAt); left < 4*time.Minute || left > 5*time.Minute+time.Second {
		t.Errorf("expireAt %v is %v away, want about 5m", env.Data.ExpireAt, left)
	}
}

// TestContractHoldings reads every holdings shape for a test account.
func TestContractHoldings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.connected("kite-leprechaun", "LEP001")
	for _, tc := range []struct {
		name string
		opt  gateway.HoldingsOptions
	}{
		{"v1", gateway.HoldingsOptions{}},
		{"v1_mf", gateway.HoldingsOptions{MFHoldings: true}},
		{"v2", gateway.HoldingsOptions{V2: true}},
		{"v2_mf", gateway.HoldingsOptions{V2: true, MFHoldings: true}},
	} {
		var raw []byte
		ctx := gateway.WithRecorder(context.Background(), func(x gateway.Exchange) { raw = []byte(x.ResponseBody) })
		h, err := e.client.FetchHoldings(ctx, tok, tc.opt)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		e.fixture("holdings_"+tc.name, raw)
		if tc.opt.V2 {
			checkReference(t, "holdings_v2", raw)
		} else {
			checkReference(t, "holdings_v1", raw)
		}
		if h.AuthID() != sandbox.AuthID("gatewaydemo", "kite-leprechaun", "LEP001") || h.Broker() != "kite-leprechaun" {
			t.Errorf("%s: holdings of %s at %s", tc.name, h.AuthID(), h.Broker())
		}
		eq := h.Equities()
		if len(eq) < 5 {
			t.Errorf("%s: want a demo portfolio of 5+ equities, got %d", tc.name, len(eq))
		}
		for _, q := range eq {
			if q.Quantity <= 0 || q.AveragePrice <= 0 || q.Ticker == "" {
				t.Errorf("%s: bad equity %+v", tc.name, q)
			}
			if tc.opt.V2 && !strings.HasPrefix(q.ISIN, "IN") {
				t.Errorf("%s: %s has ISIN %q", tc.name, q.Ticker, q.ISIN)
			}
		}
		mf := h.MutualFunds()
		if tc.opt.MFHoldings != (mf != nil) || tc.opt.MFHoldings && len(mf) == 0 {
			t.Errorf("%s: mutual funds %v", tc.name, mf)
		}
	}
	// Another account has another portfolio.
	h2, err := e.client.FetchHoldings(context.Background(), e.connected("upstox-leprechaun", "LEP002"), gateway.HoldingsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := e.client.FetchHoldings(context.Background(), tok, gateway.HoldingsOptions{})
	a, _ := json.Marshal(h1.Equities())
	b, _ := json.Marshal(h2.Equities())
	if string(a) == string(b) {
		t.Error("two accounts have the same portfolio")
	}
	e.checkOpenAPI(false)
}

// scenarioErrors are the scenarios that reject a TRANSACTION: the SDK
// error, whether it carries data, and the transaction's status after it.
var scenarioErrors = map[gateway.Scenario]struct {
	code   int
	name   string
	data   bool
	status gateway.Status
}{
	gateway.ScenarioMarketClosed:  {4004, "market_closed", true, gateway.StatusErrored},
	gateway.ScenarioUserCancelled: {1012, "user_cancelled", true, gateway.StatusCancelled},
	gateway.ScenarioConsentDenied: {1003, "consent_denied", true, gateway.StatusErrored},
	gateway.ScenarioUserMismatch:  {1001, "user_mismatch", false, gateway.StatusErrored},
	gateway.ScenarioExpired:       {1005, "transaction_expired", true, gateway.StatusExpired},
}

// TestContractScenarios plays every scenario on a TRANSACTION.
func TestContractScenarios(t *testing.T) {
	t.Parallel()
	for _, sc := range gateway.Scenarios() {
		t.Run(string(sc), func(t *testing.T) {
			t.Parallel()
			runScenario(t, sc)
		})
	}
}

// runScenario plays scenario sc on a TRANSACTION of three orders and
// checks the outcome against its fixture, the reference and openapi.json.
func runScenario(t *testing.T, sc gateway.Scenario) {
	e := newEnv(t, nil)
	tok := e.connected("kite-leprechaun", "LEP002")
	id := e.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderSecurities, Securities: []gateway.Security{
			{Ticker: "ITC", Quantity: 10, Type: gateway.Buy}, {Ticker: "SBIN", Quantity: 4, Type: gateway.Buy}, {Ticker: "TCS", Quantity: 3, Type: gateway.Buy}}}})
	st, body := e.complete(id, sandbox.CompleteRequest{Outcome: sc})
	if st != http.StatusOK {
		t.Fatalf("HTTP %d %s", st, body)
	}
	e.fixture("scenario_"+string(sc), body)
	checkOutcomeReference(t, body)
	var o gateway.SDKOutcome
	if err := json.Unmarshal(body, &o); err != nil {
		t.Fatal(err)
	}
	v, _ := e.s.Transaction(id)
	if _, ok := scenarioErrors[sc]; ok {
		wantScenarioError(t, sc, o, v, body)
		return
	}
	wantScenarioOrders(t, sc, o, v, body)
	e.checkOpenAPI(false)
}

// wantScenarioError: a rejecting scenario settled its SDK error, which
// ExplainSDKError knows, and the transaction shows it.
func wantScenarioError(t *testing.T, sc gateway.Scenario, o gateway.SDKOutcome, v sandbox.TransactionView, body []byte) {
	t.Helper()
	w := scenarioErrors[sc]
	if o.Error == nil || o.Error.Code != w.code || o.Error.Message != w.name || (o.Error.Data != nil) != w.data {
		t.Fatalf("want reject %s %d (data %v), got %s", w.name, w.code, w.data, body)
	}
	if info := gateway.ExplainSDKError(o.Error.Code, o.Error.Message); info.Name != w.name {
		t.Errorf("ExplainSDKError(%d, %s) = %+v", o.Error.Code, o.Error.Message, info)
	}
	if v.Status != w.status || !v.Error.Value || v.Error.Code != w.code || v.Error.Message != w.name {
		t.Errorf("transaction: %s %+v, want %s", v.Status, v.Error, w.status)
	}
}

// wantScenarioOrders: a scenario that places orders gave one batch whose
// orders' statuses are the scenario's.
func wantScenarioOrders(t *testing.T, sc gateway.Scenario, o gateway.SDKOutcome, v sandbox.TransactionView, body []byte) {
	t.Helper()
	if o.Result == nil || len(o.Result.OrderBatches) != 1 {
		t.Fatalf("want a result with one batch: %s", body)
	}
	if v.Status != gateway.StatusCompleted {
		t.Errorf("transaction status %s", v.Status)
	}
	orders := o.Result.OrderBatches[0].Orders
	count := map[string]int{}
	for _, ord := range orders {
		count[ord.Status]++
		if ord.Status == "REJECTED" && ord.StatusMessage == "" {
			t.Errorf("rejected order without a statusMessage: %+v", ord)
		}
		if ord.Status == "REJECTED" && ord.FilledQuantity != 0 {
			t.Errorf("rejected order filled: %+v", ord)
		}
	}
	switch sc {
	case gateway.ScenarioSuccess:
		if count["COMPLETE"] != 3 {
			t.Errorf("success: %v", count)
		}
	case gateway.ScenarioPartialFill:
		if count["PARTIAL"] == 0 || count["COMPLETE"] == 0 {
			t.Errorf("partial_fill: %v", count)
		}
	case gateway.ScenarioRejected:
		if count["REJECTED"] != 3 {
			t.Errorf("rejected: %v", count)
		}
	case gateway.ScenarioInsufficientFunds:
		if count["REJECTED"] != 3 || !strings.Contains(strings.ToLower(orders[0].StatusMessage), "insufficient funds") {
			t.Errorf("insufficient_funds: %v %q", count, orders[0].StatusMessage)
		}
	}
}

// TestContractErrors sends every kind of bad request and checks the status,
// the envelope, how gateway.APIError classifies it, the fixture and the
// OpenAPI description of the response.
func TestContractErrors(t *testing.T) {
	t.Parallel()
	guest := docsGuestToken
	type result struct {
		status int
		body   []byte
	}
	viaClient := func(e *env, f func(ctx context.Context) error) result {
		var last gateway.Exchange
		ctx := gateway.WithRecorder(context.Background(), func(x gateway.Exchange) { last = x })
		err := f(ctx)
		var apiErr *gateway.APIError
		if !errors.As(err, &apiErr) {
			e.t.Fatalf("want an APIError, got %v", err)
		}
		return result{last.Status, []byte(last.ResponseBody)}
	}
	createPath := "/gateway/gatewaydemo/transaction"
	securities := func(sec string) []byte {
		return []byte(`{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":` + sec + `}}`)
	}
	cases := []struct {
		name       string
		status     int
		kind       gateway.ErrorKind
		badRequest bool   // the request itself breaks openapi.json
		contains   string // in errors[]
		run        func(e *env) result
	}{
		{"wrong_api_secret", 401, gateway.KindAPISecret, false, gateway.ErrStrInvalidSecret, func(e *env) result {
			e.client.APISecret = "not-the-secret"
			return viaClient(e, func(ctx context.Context) error {
				_, err := e.client.CreateTransaction(ctx, guest, gateway.TransactionRequest{Intent: gateway.IntentConnect})
				return err
			})
		}},
		{"missing_api_secret", 401, gateway.KindAPISecret, true, "x-gateway-secret header is missing", func(e *env) result {
			st, b := e.raw("POST", createPath, map[string]string{gateway.HeaderAuthToken: guest}, []byte(`{"intent":"CONNECT"}`))
			return result{st, b}
		}},
		{"jwt_wrong_secret", 401, gateway.KindJWT, false, gateway.ErrStrInvalidJWT, func(e *env) result {
			tok, _ := gateway.MintGuestToken("have-a-good-day", e.s.Now().Add(time.Hour))
			return viaClient(e, func(ctx context.Context) error {
				_, err := e.client.CreateTransaction(ctx, tok, gateway.TransactionRequest{Intent: gateway.IntentConnect})
				return err
			})
		}},
		{"jwt_expired", 401, gateway.KindJWT, false, "expired", func(e *env) result {
			tok, _ := gateway.MintGuestToken(sandbox.DefaultSecret, e.s.Now().Add(-time.Minute))
			return viaClient(e, func(ctx context.Context) error {
				_, err := e.client.CreateTransaction(ctx, tok, gateway.TransactionRequest{Intent: gateway.IntentConnect})
				return err
			})
		}},
		{"jwt_missing", 401, gateway.KindJWT, true, "x-gateway-authtoken header is missing", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(""), []byte(`{"intent":"CONNECT"}`))
			return result{st, b}
		}},
		{"jwt_not_a_user", 401, gateway.KindJWT, false, "identifies no user", func(e *env) result {
			tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"user": "x"}).SignedString([]byte(sandbox.DefaultSecret))
			return viaClient(e, func(ctx context.Context) error {
				_, err := e.client.CreateTransaction(ctx, tok, gateway.TransactionRequest{Intent: gateway.IntentConnect})
				return err
			})
		}},
		{"jwt_alg_none", 401, gateway.KindJWT, false, "HS256", func(e *env) result {
			tok := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJndWVzdCI6dHJ1ZX0."
			return viaClient(e, func(ctx context.Context) error {
				_, err := e.client.CreateTransaction(ctx, tok, gateway.TransactionRequest{Intent: gateway.IntentConnect})
				return err
			})
		}},
		{"unknown_gateway", 404, gateway.KindGateway, false, gateway.ErrStrInvalidGateway, func(e *env) result {
			e.client.Gateway = "nosuchgateway"
			return viaClient(e, func(ctx context.Context) error {
				_, err := e.client.CreateTransaction(ctx, guest, gateway.TransactionRequest{Intent: gateway.IntentConnect})
				return err
			})
		}},
		{"guest_on_holdings", 403, gateway.KindGuest, false, gateway.ErrStrGuestToken, func(e *env) result {
			return viaClient(e, func(ctx context.Context) error {
				_, err := e.client.FetchHoldings(ctx, guest, gateway.HoldingsOptions{})
				return err
			})
		}},
		{"malformed_json", 400, gateway.KindValidation, true, "not valid JSON", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), []byte(`{"intent":`))
			return result{st, b}
		}},
		{"wrong_json_type", 400, gateway.KindValidation, true, "must be a JSON number", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), securities(`[{"ticker":"TCS","quantity":"2","type":"BUY"}]`))
			return result{st, b}
		}},
		{"empty_body", 400, gateway.KindValidation, true, "empty", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), nil)
			return result{st, b}
		}},
		{"unknown_intent", 400, gateway.KindValidation, true, `unknown intent "LOGIN"`, func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), []byte(`{"intent":"LOGIN"}`))
			return result{st, b}
		}},
		{"missing_intent", 400, gateway.KindValidation, true, "intent: is required", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), []byte(`{"orderConfig":null}`))
			return result{st, b}
		}},
		{"quantity_zero", 400, gateway.KindValidation, true, "orderConfig.securities[0].quantity: must be 1 or more", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), securities(`[{"ticker":"TCS","quantity":0,"type":"BUY"}]`))
			return result{st, b}
		}},
		{"securities_mixed_quantity_type", 400, gateway.KindValidation, true, "must be specified for all stocks", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), securities(`[{"ticker":"TCS","type":"BUY"},{"ticker":"INFY","quantity":2}]`))
			return result{st, b}
		}},
		{"securities_bare_and_full", 400, gateway.KindValidation, true, "must be specified for all stocks", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), securities(`[{"ticker":"TCS"},{"ticker":"INFY","quantity":2,"type":"SELL"}]`))
			return result{st, b}
		}},
		{"securities_full_and_quantity", 400, gateway.KindValidation, true, "must be specified for all stocks", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), securities(`[{"ticker":"TCS","quantity":1,"type":"BUY"},{"ticker":"INFY","quantity":2}]`))
			return result{st, b}
		}},
		{"guest_sip_setup", 403, gateway.KindGuest, false, "must be created with a connected user auth token", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), []byte(`{"intent":"SIP_SETUP","orderConfig":{"iscid":"62bd5f8b4ec1a3d0e9a8c2f1"}}`))
			return result{st, b}
		}},
		{"guest_imr_setup", 403, gateway.KindGuest, false, "must be created with a connected user auth token", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), []byte(`{"intent":"IMR_SETUP","orderConfig":{"iscid":"62bd5f8b4ec1a3d0e9a8c2f1"}}`))
			return result{st, b}
		}},
		{"guest_iscid_order", 403, gateway.KindGuest, false, "REBALANCE orders must be created with a connected user auth token", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), []byte(`{"intent":"TRANSACTION","orderConfig":{"type":"REBALANCE","iscid":"62bd5f8b4ec1a3d0e9a8c2f1"}}`))
			return result{st, b}
		}},
		{"bad_side", 400, gateway.KindValidation, true, "orderConfig.securities[0].type: must be BUY or SELL", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), securities(`[{"ticker":"TCS","quantity":1,"type":"HOLD"}]`))
			return result{st, b}
		}},
		{"bad_ticker", 400, gateway.KindValidation, true, "orderConfig.securities[0].ticker", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), securities(`[{"ticker":"tcs ltd","quantity":1,"type":"BUY"}]`))
			return result{st, b}
		}},
		{"empty_securities", 400, gateway.KindValidation, true, "orderConfig.securities: must list at least one security", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), securities(`[]`))
			return result{st, b}
		}},
		{"bad_order_type", 400, gateway.KindValidation, true, `orderConfig.type: unknown order type "SHORT"`, func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), []byte(`{"intent":"TRANSACTION","orderConfig":{"type":"SHORT"}}`))
			return result{st, b}
		}},
		{"transaction_without_order_config", 400, gateway.KindValidation, true, "orderConfig: is required for TRANSACTION", func(e *env) result {
			st, b := e.raw("POST", createPath, partnerHeaders(guest), []byte(`{"intent":"TRANSACTION"}`))
			return result{st, b}
		}},
		{"oversized_body", 413, gateway.KindValidation, true, "larger than", func(e *env) result {
			big := `{"intent":"CONNECT","notes":"` + strings.Repeat("x", sandbox.MaxBodyBytes) + `"}`
			st, b := e.raw("POST", createPath, partnerHeaders(guest), []byte(big))
			return result{st, b}
		}},
		{"holdings_unknown_user", 404, gateway.KindNotFound, false, "CONNECT", func(e *env) result {
			return viaClient(e, func(ctx context.Context) error {
				_, err := e.client.FetchHoldings(ctx, docsConnectedToken, gateway.HoldingsOptions{})
				return err
			})
		}},
		{"holdings_bad_version", 400, gateway.KindValidation, true, "version", func(e *env) result {
			st, b := e.raw("GET", "/v1/gatewaydemo/engine/user/holdings?version=v3", partnerHeaders(e.connected("kite-leprechaun", "LEP001")), nil)
			return result{st, b}
		}},
		{"method_not_allowed", 405, gateway.KindOther, false, "method not allowed", func(e *env) result {
			st, b := e.raw("GET", createPath, partnerHeaders(guest), nil)
			return result{st, b}
		}},
		{"driver_unknown_transaction", 404, gateway.KindNotFound, false, "unknown transaction", func(e *env) result {
			st, b := e.complete("TRX_0123456789abcdef0123456789abcdef", sandbox.CompleteRequest{})
			return result{st, b}
		}},
		{"driver_run_twice", 409, gateway.KindOther, false, "already run", func(e *env) result {
			id := e.create(guest, gateway.TransactionRequest{Intent: gateway.IntentConnect})
			e.outcome(id, sandbox.CompleteRequest{})
			st, b := e.complete(id, sandbox.CompleteRequest{})
			return result{st, b}
		}},
		{"driver_unknown_broker", 400, gateway.KindValidation, false, "unknown broker", func(e *env) result {
			id := e.create(guest, gateway.TransactionRequest{Intent: gateway.IntentConnect})
			st, b := e.complete(id, sandbox.CompleteRequest{Broker: "nobroker"})
			return result{st, b}
		}},
		{"driver_unknown_outcome", 400, gateway.KindValidation, true, "unknown outcome", func(e *env) result {
			id := e.create(guest, gateway.TransactionRequest{Intent: gateway.IntentConnect})
			st, b := e.complete(id, sandbox.CompleteRequest{Outcome: "lucky"})
			return result{st, b}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			r := tc.run(e)
			if r.status != tc.status {
				t.Fatalf("HTTP %d, want %d: %s", r.status, tc.status, r.body)
			}
			e.fixture("error_"+tc.name, r.body)
			checkReference(t, "envelope_error", r.body)
			apiErr := envelopeErr(t, "X", "/", r.status, r.body)
			if got := apiErr.Kind(); got != tc.kind {
				t.Errorf("APIError.Kind() = %s, want %s (%v)", got, tc.kind, apiErr.Errors)
			}
			if !strings.Contains(strings.Join(apiErr.Errors, " | "), tc.contains) {
				t.Errorf("errors %q do not mention %q", apiErr.Errors, tc.contains)
			}
			e.checkOpenAPI(tc.badRequest)
		})
	}
}

// TestDocumentedSecuritiesShapes: the docs' four valid SECURITIES bodies
// create transactions, sent raw and through the client, and a guest token
// may buy a smallcase by scid.
func TestDocumentedSecuritiesShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, lines := range []string{
		`[{"ticker":"RELIANCE"},{"ticker":"TCS"}]`,
		`[{"ticker":"RELIANCE","quantity":2},{"ticker":"TCS","quantity":1}]`,
		`[{"ticker":"RELIANCE","type":"BUY"},{"ticker":"TCS","type":"SELL"}]`,
		`[{"ticker":"RELIANCE","quantity":2,"type":"BUY"},{"ticker":"TCS","quantity":1,"type":"SELL"}]`,
	} {
		body := []byte(`{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":` + lines + `}}`)
		if st, b := e.raw("POST", "/gateway/gatewaydemo/transaction", partnerHeaders(docsGuestToken), body); st != http.StatusOK {
			t.Errorf("%s: HTTP %d: %s", lines, st, b)
		}
		var req gateway.TransactionRequest
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		sent, _ := json.Marshal(req.OrderConfig.Securities)
		if string(sent) != lines {
			t.Errorf("the client writes %s as %s", lines, sent)
		}
		e.create(docsGuestToken, req)
	}
	st, b := e.raw("POST", "/gateway/gatewaydemo/transaction", partnerHeaders(docsGuestToken),
		[]byte(`{"intent":"TRANSACTION","orderConfig":{"type":"BUY","scid":"SCMO_0002"}}`))
	if st != http.StatusOK {
		t.Errorf("guest BUY+scid: HTTP %d: %s", st, b)
	}
	st, b = e.raw("POST", "/gateway/gatewaydemo/transaction", partnerHeaders(docsGuestToken),
		[]byte(`{"intent":"HOLDINGS_IMPORT","assetConfig":{"mfHoldings":"true"}}`))
	if st != http.StatusOK {
		t.Errorf(`"mfHoldings":"true": HTTP %d: %s`, st, b)
	}
	st, _ = e.raw("POST", "/gateway/gatewaydemo/transaction", partnerHeaders(docsGuestToken),
		[]byte(`{"intent":"HOLDINGS_IMPORT","assetConfig":{"mfHoldings":"yes"}}`))
	if st != http.StatusBadRequest {
		t.Errorf(`"mfHoldings":"yes": HTTP %d, want 400`, st)
	}
}

// TestValidationMatchesClient: the server's 400 message is exactly what
// TransactionRequest.Validate says, so client and server agree.
func TestValidationMatchesClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	bad := []gateway.TransactionRequest{
		{Intent: "LOGIN"},
		{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{Type: gateway.OrderSecurities,
			Securities: []gateway.Security{{Ticker: "TCS", Quantity: -3, Type: gateway.Buy}}}},
		{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{Type: gateway.OrderBuy}},
		{Intent: gateway.IntentSIPSetup},
		{Intent: gateway.IntentMFHoldingsImport, AssetConfig: &gateway.AssetConfig{FromDate: "01/04/2025"}},
		{Intent: gateway.IntentConnect, Version: "v9"},
		{Intent: gateway.IntentConnect, Notes: strings.Repeat("n", gateway.MaxNotes+1)},
	}
	for _, req := range bad {
		verr := req.Validate()
		if verr == nil {
			t.Fatalf("%+v: Validate accepts it", req)
		}
		body, _ := json.Marshal(req)
		st, raw := e.raw("POST", "/gateway/gatewaydemo/transaction", partnerHeaders(docsGuestToken), body)
		apiErr := envelopeErr(t, "POST", "/", st, raw)
		if st != 400 || len(apiErr.Errors) != 1 || apiErr.Errors[0] != verr.Error() {
			t.Errorf("%s: HTTP %d %q, want 400 %q", body, st, apiErr.Errors, verr.Error())
		}
	}
	e.rec.take()
}
