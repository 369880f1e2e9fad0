package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
)

var guestSteps = []flow.StepKind{flow.MintToken, flow.CreateTransaction, flow.OpenBrowser, flow.AwaitSDK, flow.VerifyResult, flow.SaveUser}
var orderSteps = []flow.StepKind{flow.MintToken, flow.CreateTransaction, flow.OpenBrowser, flow.AwaitSDK, flow.VerifyResult, flow.FetchOrders}
var importSteps = []flow.StepKind{flow.MintToken, flow.CreateTransaction, flow.OpenBrowser, flow.AwaitSDK, flow.VerifyResult, flow.FetchHoldings}

const testAuthID = "5f0321b5f3743c31d95abd35"

func created(s *flow.Step) {
	s.Transaction = &gateway.TransactionCreated{TransactionID: "TRX_0123456789abcdef0123456789abcdef", ExpireAt: testNow.Add(5 * time.Minute)}
	s.Summary = "CONNECT " + s.Transaction.TransactionID
	s.Exchanges = []gateway.Exchange{{Method: "POST", URL: "http://127.0.0.1:9/gateway/gatewaydemo/transaction", Attempt: 1,
		RequestHeaders: map[string]string{gateway.HeaderSecret: gateway.MaskSecret(testAPISecret)}, RequestBody: `{"intent":"CONNECT"}`,
		Status: 200, ResponseBody: `{"success":true,"errors":null,"data":{"transactionId":"TRX_0123456789abcdef0123456789abcdef"}}`, Duration: 2 * time.Millisecond}}
}

func browserOpened(s *flow.Step) {
	s.BrowserURL = "http://localhost:41234/j/NONCE1234567890/"
	s.BrowserNote = "not opened (--no-browser): open the URL in a browser on this machine"
}

func sdkError(code int, name string) script {
	return func(s *flow.Step) {
		e := &gateway.SDKError{Code: code, Message: name}
		s.Outcome = &gateway.SDKOutcome{Error: e}
		s.Err = e
	}
}

func failWith(err error) script { return func(s *flow.Step) { s.Err = err } }

func verified(s *flow.Step) {
	s.Summary = "token valid (HS256, your secret), smallcaseAuthId " + testAuthID + ", broker kite-leprechaun"
}

// startGuest opens a guest login for label with journey j.
func (hs *harness) startGuest(label string, j *fakeJourney) {
	hs.t.Helper()
	hs.runner.journeys = append(hs.runner.journeys, j)
	hs.key("c")
	for range len(hs.m.home.prompt.Value()) {
		hs.key("backspace")
	}
	hs.typeText(label)
	hs.key("enter")
}

func plain(s string) string { return ansi.Strip(s) }

// flat joins wrapped lines and drops panel borders, so that a phrase
// matches wherever the layout broke it.
func flat(s string) string {
	s = strings.NewReplacer("┃", " ", "│", " ", "┏", " ", "┓", " ", "┗", " ", "┛", " ", "━", " ", "╭", " ", "╮", " ", "╰", " ", "╯", " ", "─", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

func mustContain(t *testing.T, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) && !strings.Contains(flat(s), w) {
			t.Fatalf("view lacks %q:\n%s", w, s)
		}
	}
}

func TestGuestLoginCompletes(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).on(flow.VerifyResult, verified)
	hs.store.users["sandbox"] = nil
	hs.startGuest("alice", j)
	if got := hs.runner.started; len(got) != 1 || got[0] != "guest:alice" {
		t.Fatalf("started %v, want guest:alice", got)
	}
	if hs.m.flow == nil || !hs.m.flow.finished {
		t.Fatalf("journey did not finish: %+v", hs.m.flow)
	}
	if len(hs.m.records) != 1 || !hs.m.records[0].ok {
		t.Fatalf("records = %+v", hs.m.records)
	}
	v := plain(hs.view())
	mustContain(t, v, "Guest login · alice  done", "Connected. Next: o places an order")
	hs.key("o")
	if _, ok := hs.m.active().(*orderForm); !ok {
		t.Fatalf("o after a guest login opened %T, want the order form", hs.m.active())
	}
}

func TestGuestLoginLabelSuggested(t *testing.T) {
	hs := newHarness(t, 80, 24)
	hs.key("c")
	view := plain(hs.view())
	i := strings.Index(view, "label › ")
	if i < 0 {
		t.Fatalf("no label prompt:\n%s", view)
	}
	suggested := strings.Fields(view[i+len("label › "):])[0]
	hs.key("enter")
	if got := hs.runner.started; len(got) != 1 || got[0] != "guest:"+suggested {
		t.Fatalf("started %v, want guest:%s (enter on an empty prompt takes the suggestion)", got, suggested)
	}
}

func TestFlowFailures(t *testing.T) {
	apiJWT := &gateway.APIError{Method: "POST", Path: "/gateway/gatewaydemo/transaction", Status: 401, Errors: []string{gateway.ErrStrInvalidJWT}}
	apiSecret := &gateway.APIError{Method: "POST", Path: "/gateway/gatewaydemo/transaction", Status: 401, Errors: []string{gateway.ErrStrInvalidSecret}}
	apiServer := &gateway.APIError{Method: "POST", Path: "/gateway/gatewaydemo/transaction", Status: 503, Errors: []string{"upstream down"}}
	mismatch := &gateway.AuthIDMismatchError{User: "alice", Expected: testAuthID, Got: "aaaaaaaaaaaaaaaaaaaaaaaa"}
	cases := []struct {
		name     string
		step     flow.StepKind
		fail     script
		want     []string
		redo     flow.StepKind // "" = r does not retry
		wantFail string
	}{
		{"user cancelled", flow.AwaitSDK, sdkError(1010, "user_cancelled"), []string{"user_cancelled (1010)", "the user closed the broker chooser", "f (or r) fresh transaction"}, flow.CreateTransaction, ""},
		{"consent denied", flow.AwaitSDK, sdkError(1003, "consent_denied"), []string{"consent_denied (1003)", "denied consent"}, flow.CreateTransaction, ""},
		{"market closed", flow.AwaitSDK, sdkError(4004, "market_closed"), []string{"market_closed (4004)", "market hours"}, flow.CreateTransaction, ""},
		{"user mismatch sdk", flow.AwaitSDK, sdkError(1001, "user_mismatch"), []string{"user_mismatch (1001)", "not the one bound"}, flow.CreateTransaction, ""},
		{"invalid jwt sdk", flow.AwaitSDK, sdkError(90, "invalid_jwt"), []string{"invalid_jwt (90)", "profile's secret"}, flow.MintToken, ""},
		{"expired", flow.AwaitSDK, failWith(fmt.Errorf("wait: %w", bridge.ErrJourneyExpired)), []string{"transaction_expired", "within 5 minutes", "f (or r) fresh transaction"}, flow.CreateTransaction, ""},
		{"api jwt", flow.CreateTransaction, failWith(apiJWT), []string{"Invalid JWT", "check the profile's secret", "p on the home screen edits the profile's keys"}, "", "nothing to retry"},
		{"api secret", flow.CreateTransaction, failWith(apiSecret), []string{"apiSecret", "esc back"}, "", "nothing to retry"},
		{"api server", flow.CreateTransaction, failWith(apiServer), []string{"503", "try again"}, flow.MintToken, ""},
		{"mismatch", flow.VerifyResult, failWith(mismatch), []string{"smallcase_auth_id_mismatch", "broker account the user connected first"}, flow.CreateTransaction, ""},
		{"token signature", flow.VerifyResult, failWith(gateway.ErrTokenSignature), []string{"invalid_token", "secret"}, flow.MintToken, ""},
		{"port busy", flow.OpenBrowser, failWith(&bridge.PortBusyError{Port: 8421}), []string{"port_busy", "8421"}, flow.OpenBrowser, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, 80, 30)
			j := newFakeJourney(guestSteps...)
			for _, k := range []flow.StepKind{flow.CreateTransaction, flow.OpenBrowser} {
				if k == tc.step {
					continue
				}
				j.on(k, map[flow.StepKind]script{flow.CreateTransaction: created, flow.OpenBrowser: browserOpened}[k])
			}
			j.on(tc.step, tc.fail)
			hs.startGuest("alice", j)
			f := hs.m.flow
			if f == nil || f.failed() == nil || f.failed().Kind != tc.step {
				t.Fatalf("want a failure at %s, steps %+v", tc.step, f.steps)
			}
			if f.finished {
				t.Fatal("a failed journey counts as finished")
			}
			if len(hs.m.records) != 1 || hs.m.records[0].ok {
				t.Fatalf("the failed attempt is not recorded for the export as failed: %+v", hs.m.records)
			}
			if f.timerOn {
				t.Fatal("the countdown still runs after a failure")
			}
			mustContain(t, plain(hs.view()), tc.want...)
			hs.key("r")
			if tc.redo == "" {
				if len(j.retried) != 0 {
					t.Fatalf("r retried %v for an error that needs new input", j.retried)
				}
				mustContain(t, plain(hs.view()), tc.wantFail)
				return
			}
			if len(j.retried) != 1 || j.retried[0] != tc.redo {
				t.Fatalf("r retried %v, want %s", j.retried, tc.redo)
			}
			if !f.finished {
				t.Fatalf("after the retry the journey did not finish: %+v", f.steps)
			}
		})
	}
}

func TestFreshTransactionAfterExpiry(t *testing.T) {
	hs := newHarness(t, 80, 24)
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created, created).on(flow.AwaitSDK, failWith(bridge.ErrJourneyExpired))
	hs.startGuest("bob", j)
	hs.key("f")
	if len(j.retried) != 1 || j.retried[0] != flow.CreateTransaction {
		t.Fatalf("f retried %v, want create_transaction", j.retried)
	}
	if j.attempts[flow.CreateTransaction] != 2 {
		t.Fatalf("create_transaction ran %d times, want a fresh one", j.attempts[flow.CreateTransaction])
	}
	if !hs.m.flow.finished {
		t.Fatal("journey did not finish after the fresh transaction")
	}
}

func TestDuplicateIDConfirmation(t *testing.T) {
	dup := &session.DuplicateAuthIDError{Label: "carol", Existing: session.User{Label: "alice", SmallcaseAuthID: testAuthID}}
	for _, answer := range []string{"y", "n"} {
		t.Run(answer, func(t *testing.T) {
			hs := newHarness(t, 120, 40)
			j := newFakeJourney(guestSteps...).on(flow.SaveUser, failWith(dup))
			hs.startGuest("carol", j)
			mustContain(t, plain(hs.view()), "duplicate_smallcase_auth_id", "y save anyway", "n don't save")
			hs.key(answer)
			switch answer {
			case "y":
				if !j.allowDup || !hs.m.flow.finished {
					t.Fatalf("y: allowDup=%v finished=%v", j.allowDup, hs.m.flow.finished)
				}
			case "n":
				if j.allowDup || hs.m.flow.finished {
					t.Fatal("n saved the duplicate")
				}
				mustContain(t, plain(hs.view()), "not saved")
			}
		})
	}
}

func TestEscStopsARunningJourney(t *testing.T) {
	hs := newHarness(t, 80, 24)
	j := newFakeJourney(guestSteps...).waiting(flow.AwaitSDK)
	hs.startGuest("dave", j)
	f := hs.m.flow
	if f == nil || !f.running {
		t.Fatal("the journey is not waiting on the SDK step")
	}
	hs.key("esc")
	if !j.isClosed() || f.ctx.Err() == nil {
		t.Fatal("esc did not cancel and close the journey")
	}
	if hs.m.active() != screen(hs.m.home) || hs.m.flow != nil {
		t.Fatalf("esc left %T active", hs.m.active())
	}
}

func TestCountdownAndEvents(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).waiting(flow.AwaitSDK)
	hs.startGuest("erin", j)
	mustContain(t, plain(hs.view()), "5:00 left on the transaction", "http://localhost:41234/j/NONCE1234567890/", "--no-browser")
	f := hs.m.flow
	f.timer.Timeout -= 61 * time.Second
	mustContain(t, plain(hs.view()), "3:59 left")
	hs.send(journeyEventMsg{j: j, ev: bridge.JourneyEvent{Kind: bridge.JourneySDKLoaded, At: testNow}, ok: true})
	mustContain(t, plain(hs.view()), "browser: SDK loaded")
}

func TestCopyCurl(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created)
	hs.startGuest("fay", j)
	hs.m.flow.sel = 1
	hs.key("c")
	if len(hs.clip.text) != 1 {
		t.Fatalf("clipboard got %d writes", len(hs.clip.text))
	}
	got := hs.clip.text[0]
	if !strings.Contains(got, "$GATEWALK_API_SECRET") || strings.Contains(got, testAPISecret) || !strings.Contains(got, "curl -sS -X POST") {
		t.Fatalf("curl = %q", got)
	}
	mustContain(t, plain(hs.view()), "curl (sent to the clipboard", "curl sent to the clipboard by OSC 52")
	hs.m.flow.sel = 0
	hs.key("c")
	mustContain(t, plain(hs.view()), "sent no HTTP request")
}

func TestOrderJourney(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.store.users["sandbox"] = []session.User{{Label: "alice", SmallcaseAuthID: testAuthID, Broker: "kite-leprechaun"}}
	hs.pump(loadUsersCmd(hs.store, "sandbox"))
	od := &gateway.OrderDetails{TransactionID: "TRX_1", Status: gateway.StatusCompleted, Batches: []gateway.OrderBatch{{BatchID: "b1", Status: "COMPLETED", Filled: 2, Quantity: 2,
		Orders: []gateway.Order{{Tradingsymbol: "TCS", TransactionType: "BUY", Quantity: 1, FilledQuantity: 1, AveragePrice: 3500, Status: "COMPLETE"},
			{Tradingsymbol: "INFY", TransactionType: "SELL", Quantity: 2, FilledQuantity: 0, Status: "REJECTED", StatusMessage: "insufficient holdings"}}}}}
	j := newFakeJourney(orderSteps...).on(flow.FetchOrders, func(s *flow.Step) { s.Orders = od; s.Summary = "2 orders" })
	hs.runner.journeys = append(hs.runner.journeys, j)
	hs.key("o")
	// Row 1 TCS x1 BUY, then INFY x2 SELL, first with a bad ticker.
	hs.typeText("tcs")
	hs.key("tab")
	hs.typeText("1")
	hs.key("ctrl+n")
	hs.typeText("in fy")
	hs.key("enter")
	mustContain(t, plain(hs.view()), `"IN FY" is not a trading symbol`, "Cannot submit")
	if len(hs.runner.orders) != 0 {
		t.Fatal("an invalid order was submitted")
	}
	for range 5 {
		hs.key("backspace")
	}
	hs.typeText("infy")
	hs.key("tab")
	hs.typeText("0")
	mustContain(t, plain(hs.view()), "quantity must be 1 or more")
	hs.key("backspace")
	hs.typeText("2")
	hs.key("tab", "space")
	hs.key("enter")
	if len(hs.runner.orders) != 0 {
		t.Fatal("the form placed the order without its review")
	}
	mustContain(t, plain(hs.view()), "Review the order", "BUY TCS × 1", "SELL INFY × 2")
	hs.key("enter")
	if len(hs.runner.orders) != 1 {
		t.Fatalf("orders submitted: %d", len(hs.runner.orders))
	}
	want := []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}, {Ticker: "INFY", Quantity: 2, Type: gateway.Sell}}
	got := hs.runner.orders[0]
	if got.Type != gateway.OrderSecurities || fmt.Sprint(got.Securities) != fmt.Sprint(want) {
		t.Fatalf("order = %+v, want %+v", got, want)
	}
	if !hs.m.flow.finished {
		t.Fatal("order journey did not finish")
	}
	mustContain(t, plain(hs.view()), "Connected order · alice  done", "INFY", "REJECTED", "insufficient holdings")
}

func TestSmallcaseOrderForm(t *testing.T) {
	f := newOrderForm(NewStyles(true), ptr(DefaultKeyMap()), "alice")
	f.SetSize(80, 20)
	f.Update(keyMsg("ctrl+t"))
	_, cmd := f.Update(keyMsg("enter"))
	if cmd != nil || !strings.Contains(f.formErr, "scid") {
		t.Fatalf("empty scid accepted: %q", f.formErr)
	}
	f.Update(keyMsg("tab"))
	for _, r := range "SCMO_0002" {
		f.Update(keyMsg(string(r)))
	}
	_, cmd = f.Update(keyMsg("enter"))
	msg, ok := cmd().(orderSubmittedMsg)
	if !ok || msg.oc.Type != gateway.OrderBuy || msg.oc.Scid != "SCMO_0002" {
		t.Fatalf("got %+v", msg)
	}
	f.Update(keyMsg("tab"))   // amount
	f.Update(keyMsg("tab"))   // type
	f.Update(keyMsg("right")) // INVESTMORE takes an iscid
	_, cmd = f.Update(keyMsg("enter"))
	msg = cmd().(orderSubmittedMsg)
	if msg.oc.Type != gateway.OrderInvestMore || msg.oc.Iscid != "SCMO_0002" || msg.oc.Scid != "" {
		t.Fatalf("got %+v", msg.oc)
	}
}

func ptr[T any](v T) *T { return &v }

func TestHoldingsImportJourney(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.store.users["sandbox"] = []session.User{{Label: "alice", SmallcaseAuthID: testAuthID}}
	hs.pump(loadUsersCmd(hs.store, "sandbox"))
	h := sampleHoldings(25, 3)
	j := newFakeJourney(importSteps...).on(flow.FetchHoldings, func(s *flow.Step) { s.Holdings = h })
	hs.runner.journeys = append(hs.runner.journeys, j)
	hs.key("i")
	hs.key("down", "space") // no mutual funds
	hs.key("enter")
	if len(hs.runner.imports) != 1 || !hs.runner.imports[0].V2 || hs.runner.imports[0].MFHoldings {
		t.Fatalf("imports = %+v", hs.runner.imports)
	}
	mustContain(t, plain(hs.view()), "Holdings import · alice  done", "25 equities, 3 mutual funds")
	hs.key("h")
	hv, ok := hs.m.active().(*holdingsView)
	if !ok {
		t.Fatalf("h opened %T", hs.m.active())
	}
	if len(hv.idx) != 25 {
		t.Fatalf("holdings rows %d", len(hv.idx))
	}
}

func TestViewHoldingsError(t *testing.T) {
	hs := newHarness(t, 80, 24)
	hs.store.users["sandbox"] = []session.User{{Label: "alice", SmallcaseAuthID: testAuthID}}
	hs.pump(loadUsersCmd(hs.store, "sandbox"))
	hs.runner.fetchErr = &gateway.APIError{Method: "GET", Path: "/v1/x/engine/user/holdings", Status: 401, Errors: []string{gateway.ErrStrInvalidJWT}}
	hs.key("h")
	if _, ok := hs.m.active().(*homeView); !ok {
		t.Fatalf("a failed fetch opened %T", hs.m.active())
	}
	mustContain(t, plain(hs.view()), "holdings of alice not fetched", "secret")
}

func TestConnectFailureAndRetry(t *testing.T) {
	hs := harnessFor(t, newFakeStore(), newFakeRunner())
	calls := 0
	hs.start(Config{Connect: func(context.Context, ConnectOptions) (Runner, error) {
		calls++
		if calls == 1 {
			return nil, errors.New(`profile "prod" has no secret or apiSecret: set GATEWALK_SECRET`)
		}
		return hs.runner, nil
	}}, 80, 24)
	mustContain(t, plain(hs.view()), "could not start", "GATEWALK_SECRET", "NOT STARTED")
	hs.key("c")
	if hs.m.home.prompting {
		t.Fatal("connect offered on a profile that did not start")
	}
	hs.key("r")
	if calls != 2 || hs.m.runner == nil {
		t.Fatalf("retry: calls=%d runner=%v", calls, hs.m.runner)
	}
	mustContain(t, plain(hs.view()), "SANDBOX")
}

func TestPostbackStepShown(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.store.users["sandbox"] = []session.User{{Label: "alice", SmallcaseAuthID: testAuthID}}
	hs.pump(loadUsersCmd(hs.store, "sandbox"))
	steps := append(append([]flow.StepKind(nil), orderSteps...), flow.AwaitPostback)
	j := newFakeJourney(steps...).on(flow.AwaitPostback, func(s *flow.Step) {
		s.Postback = &session.PostbackRecord{Event: gateway.EventOrderCompleted, Status: "COMPLETED", ChecksumValid: false, Problem: "checksum does not match"}
	})
	hs.runner.journeys = append(hs.runner.journeys, j)
	hs.placeOrder("TCS", "1")
	mustContain(t, plain(hs.view()), "Postback", "ORDER_COMPLETED COMPLETED", "checksum INVALID", "checksum does not match")
}

func TestStepWarningsShown(t *testing.T) {
	hs := newHarness(t, 120, 40)
	warn := func(s *flow.Step) { s.Warnings = []string{"the history file could not be written"} }
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).on(flow.VerifyResult, verified).on(flow.SaveUser, warn)
	hs.store.users["sandbox"] = nil
	hs.startGuest("alice", j)
	mustContain(t, plain(hs.view()), "warning: the history file could not be written")
}

func TestMintedTokenShownAsSignedHere(t *testing.T) {
	hs := newHarness(t, 120, 40)
	minted := func(s *flow.Step) {
		tok, err := gateway.MintGuestToken("gatewayDemo_secret", testNow.Add(15*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		s.Token = tok
		s.TokenInfo, _ = gateway.InspectToken(tok, testNow)
	}
	j := newFakeJourney(guestSteps...).on(flow.MintToken, minted).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).on(flow.VerifyResult, verified)
	hs.store.users["sandbox"] = nil
	hs.startGuest("alice", j)
	for range len(guestSteps) {
		hs.key("up")
	}
	v := plain(hs.view())
	mustContain(t, v, "HS256, signed with this profile's secret")
	mustContain(t, v, `{"guest":true, "exp":`)
	if strings.Contains(v, "not checked") {
		t.Fatalf("a token minted here is reported unchecked:\n%s", v)
	}
}

func TestLongStepTitlesFitAt120(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).on(flow.VerifyResult, verified)
	j.steps[1].Title = "Create a HOLDINGS_IMPORT transaction"
	hs.store.users["sandbox"] = nil
	hs.startGuest("alice", j)
	mustContain(t, plain(hs.view()), "Create a HOLDINGS_IMPORT transaction ")
}

func TestDemoRedactsTheCurlPane(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"success":true,"errors":null,"data":{"transactionId":"TRX_0123456789abcdef0123456789abcdef","expireAt":"2026-03-02T10:35:00Z"}}`)
	}))
	defer srv.Close()
	tok, err := gateway.MintGuestToken(testSecret, testNow.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var x gateway.Exchange
	ctx := gateway.WithRecorder(context.Background(), func(e gateway.Exchange) { x = e })
	c := &gateway.Client{BaseURL: srv.URL, Gateway: "gatewaydemo", APISecret: testAPISecret}
	if _, err := c.CreateTransaction(ctx, tok, gateway.TransactionRequest{Intent: gateway.IntentConnect}); err != nil {
		t.Fatal(err)
	}
	withExchange := func(s *flow.Step) { created(s); s.Exchanges = []gateway.Exchange{x} }
	hs := newHarness(t, 120, 40)
	hs.key("D")
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, withExchange).on(flow.OpenBrowser, browserOpened).on(flow.VerifyResult, verified)
	hs.store.users["sandbox"] = nil
	hs.startGuest("alice", j)
	for range len(guestSteps) {
		hs.key("up")
	}
	hs.key("down") // create_transaction
	hs.key("c")
	v := plain(hs.view())
	mustContain(t, v, "curl")
	payload := strings.Split(tok, ".")[1]
	for _, part := range []string{payload[:24], payload[len(payload)-12:], strings.Split(tok, ".")[2][:12]} {
		if strings.Contains(v, part) {
			t.Fatalf("demo mode shows the token (%q) in the curl pane:\n%s", part, v)
		}
	}
}

// TestCopyKeysPutIdsOnTheClipboard: T, I, U and K copy the transactionId,
// the smallcaseAuthId, the page URL and the token (OSC 52), and the status
// line names what was copied (a token by its length only).
func TestCopyKeysPutIdsOnTheClipboard(t *testing.T) {
	hs := newHarness(t, 120, 40)
	const tok = "eyJhbGciOiJIUzI1NiJ9.eyJndWVzdCI6dHJ1ZX0.sig-of-the-token"
	minted := func(s *flow.Step) { s.Token = tok }
	withID := func(s *flow.Step) {
		verified(s)
		s.Verified = &gateway.VerifiedResult{SmallcaseAuthID: testAuthID, Broker: "kite-leprechaun"}
	}
	j := newFakeJourney(guestSteps...).on(flow.MintToken, minted).on(flow.CreateTransaction, created).
		on(flow.OpenBrowser, browserOpened).on(flow.VerifyResult, withID)
	hs.store.users["sandbox"] = nil
	hs.startGuest("alice", j)
	for _, tc := range []struct{ key, want, status string }{
		{"T", "TRX_0123456789abcdef0123456789abcdef", "transactionId TRX_0123456789abcdef0123456789abcdef sent to the clipboard"},
		{"I", testAuthID, "smallcaseAuthId " + testAuthID + " sent to the clipboard"},
		{"U", "http://localhost:41234/j/NONCE1234567890/", "page URL http://localhost:41234/j/NONCE1234567890/ sent"},
		{"K", tok, "token (" + strconv.Itoa(len(tok)) + " characters) sent to the clipboard"},
	} {
		before := len(hs.clip.text)
		hs.key(tc.key)
		if len(hs.clip.text) != before+1 || hs.clip.text[len(hs.clip.text)-1] != tc.want {
			t.Errorf("%s copied %q, want %q", tc.key, hs.clip.text[before:], tc.want)
		}
		v := flat(plain(hs.view()))
		mustContain(t, v, tc.status)
		if tc.key == "K" && strings.Contains(v, tok) {
			t.Errorf("the status line shows the token:\n%s", v)
		}
	}
	hs.key("?")
	mustContain(t, plain(hs.view()), "copy transactionId", "copy smallcaseAuthId", "copy page URL", "copy token")
}
