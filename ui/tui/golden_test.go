package tui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
)

var goldenSizes = [][2]int{{80, 24}, {100, 30}, {120, 40}}

// scenes put a harness in the state a golden file shows.
var scenes = []struct {
	name  string
	setup func(hs *harness)
}{
	{"home_empty", func(hs *harness) {}},
	{"home_users", func(hs *harness) {
		hs.withUsers()
		hs.key("down")
	}},
	{"home_users_full_ids", func(hs *harness) {
		hs.withUsers()
		hs.key("m")
	}},
	{"home_staging_leprechaun", func(hs *harness) {
		// The header names the environment and leprechaun mode both.
		hs.m.profile = session.Profile{Name: "staging", Env: gateway.EnvStaging, Gateway: "acmegw", Leprechaun: true, CallbackPort: 8421}
		hs.withUsers()
	}},
	{"home_connect_prompt", func(hs *harness) {
		hs.withUsers()
		hs.key("c")
	}},
	{"help_full", func(hs *harness) { hs.key("?") }},
	{"doctor", func(hs *harness) {
		hs.m.cfg.Doctor = fakeDoctor(new(int))
		hs.key("d")
	}},
	{"run_form", func(hs *harness) {
		hs.withUsers()
		hs.key("s")
		hs.typeText("TRX_0123abcd")
	}},
	{"runbook_list", func(hs *harness) {
		hs.m.cfg.Runbooks = fstest.MapFS{"guided.json": {Data: []byte(testRunbook)}, "broken.json": {Data: []byte(`{"name":`)}}
		hs.m.cfg.RunbookDir = "/home/op/.config/gatewalk/runbooks"
		hs.key("b", "down")
	}},
	{"runbook_presenter", func(hs *harness) {
		hs.m.cfg.Runbooks = fstest.MapFS{"guided.json": {Data: []byte(testRunbook)}}
		hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(guestSteps...).on(flow.CreateTransaction, created),
			newFakeJourney(orderSteps...).on(flow.CreateTransaction, created).on(flow.AwaitSDK, sdkError(4004, "market_closed")))
		hs.runner.holdings = &gateway.Holdings{Version: "v1", V1: &gateway.HoldingsV1{}}
		hs.key("b", "enter", "enter", "esc", "enter", "esc", "enter")
	}},
	{"flow_waiting", func(hs *harness) {
		j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).waiting(flow.AwaitSDK)
		hs.startGuest("alice", j)
		hs.send(journeyEventMsg{j: j, ev: bridge.JourneyEvent{Kind: bridge.JourneyPageOpened, At: testNow.Add(3 * time.Second)}, ok: true})
		hs.m.flow.timer.Timeout = 4*time.Minute + 57*time.Second
	}},
	{"flow_request_detail", func(hs *harness) {
		j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.AwaitSDK, sdkError(1010, "user_cancelled"))
		hs.startGuest("alice", j)
		hs.key("up", "up")
	}},
	{"flow_failed_sdk", func(hs *harness) {
		j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.AwaitSDK, sdkError(4004, "market_closed"))
		hs.startGuest("alice", j)
	}},
	{"flow_failed_api", func(hs *harness) {
		j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, failWith(&gateway.APIError{Method: "POST", Path: "/gateway/gatewaydemo/transaction", Status: 401, Errors: []string{gateway.ErrStrInvalidSecret}}))
		hs.startGuest("alice", j)
	}},
	{"flow_duplicate", func(hs *harness) {
		dup := &session.DuplicateAuthIDError{Label: "carol", Existing: session.User{Label: "alice", SmallcaseAuthID: testAuthID}}
		hs.startGuest("carol", newFakeJourney(guestSteps...).on(flow.SaveUser, failWith(dup)))
	}},
	{"flow_guest_done", func(hs *harness) {
		hs.startGuest("alice", newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.VerifyResult, verified))
	}},
	{"flow_order_done", func(hs *harness) {
		hs.withUsers()
		od := &gateway.OrderDetails{TransactionID: "TRX_1", Status: gateway.StatusCompleted, Batches: []gateway.OrderBatch{{BatchID: "b1", Status: "PARTIALLYFILLED", Filled: 1, Quantity: 3,
			Orders: []gateway.Order{{Tradingsymbol: "TCS", TransactionType: "BUY", Quantity: 1, FilledQuantity: 1, AveragePrice: 3500.5, Status: "COMPLETE"},
				{Tradingsymbol: "INFY", TransactionType: "SELL", Quantity: 2, Status: "REJECTED", StatusMessage: "insufficient holdings"}}}}}
		hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(orderSteps...).on(flow.FetchOrders, func(s *flow.Step) { s.Orders = od; s.Summary = "2 orders in 1 batch" }))
		hs.placeOrder("TCS", "1")
	}},
	{"flow_demo", func(hs *harness) {
		hs.key("D")
		j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.VerifyResult, verified)
		hs.startGuest("alice", j)
		hs.key("up", "up", "up", "up")
	}},
	{"order_form", func(hs *harness) {
		hs.withUsers()
		hs.key("o")
		hs.typeText("tcs")
		hs.key("tab")
		hs.typeText("2")
		hs.key("ctrl+n")
		hs.typeText("bad ticker")
		hs.key("ctrl+n")
	}},
	{"order_review", func(hs *harness) {
		hs.withUsers()
		hs.key("o")
		hs.typeText("INFY")
		hs.key("tab")
		hs.typeText("3")
		hs.key("ctrl+n")
		hs.typeText("TCS")
		hs.key("tab")
		hs.typeText("1")
		hs.key("ctrl+b", "enter")
	}},
	{"order_review_production", func(hs *harness) {
		hs.onProfile(prodProfile)
		hs.key("o")
		hs.typeText("INFY")
		hs.key("tab")
		hs.typeText("3")
		hs.key("enter")
	}},
	{"flow_leave_asked", func(hs *harness) {
		liveOrder(hs)
		hs.key("esc")
	}},
	{"flow_order_unclear_asked", func(hs *harness) {
		j := newFakeJourney(orderSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).
			on(flow.AwaitSDK, sdkError(3002, "invalid_transactionId")).resolves(unknownRes)
		hs.runner.journeys = append(hs.runner.journeys, j)
		hs.withUsers()
		hs.placeOrder("INFY", "3")
		hs.key("f")
	}},
	{"order_form_smallcase", func(hs *harness) {
		hs.withUsers()
		hs.key("o", "ctrl+t", "tab")
		hs.typeText("SCMO_0007")
	}},
	{"import_form", func(hs *harness) {
		hs.withUsers()
		hs.key("i")
	}},
	{"holdings", func(hs *harness) {
		hs.withUsers()
		hs.runner.holdings = sampleHoldings(500, 4)
		hs.key("h", "down", "down")
	}},
	{"holdings_mf", func(hs *harness) {
		hs.withUsers()
		hs.runner.holdings = sampleHoldings(500, 4)
		hs.key("h", "tab")
	}},
	{"holdings_filter", func(hs *harness) {
		hs.withUsers()
		hs.runner.holdings = sampleHoldings(500, 4)
		hs.key("h", "/")
		hs.typeText("tick001")
	}},
	{"token_valid", func(hs *harness) {
		tok, _ := gateway.MintConnectedToken(testSecret, testAuthID, testNow.Add(12*time.Minute))
		hs.key("t")
		hs.m.active().(*tokenView).setToken(tok)
	}},
	{"token_wrong_secret", func(hs *harness) {
		tok, _ := gateway.MintGuestToken("another-secret", testNow.Add(-2*time.Minute))
		hs.key("t")
		hs.m.active().(*tokenView).setToken(tok)
	}},
	{"token_garbage", func(hs *harness) {
		hs.key("t")
		hs.typeText("not.a-jwt")
	}},
	{"history", func(hs *harness) {
		hs.withHistory()
		hs.key("y", "down")
		hs.runner.od = &gateway.OrderDetails{TransactionID: "TRX_b", Batches: []gateway.OrderBatch{{BatchID: "b9", Status: "COMPLETED", Filled: 1, Quantity: 1,
			Orders: []gateway.Order{{Tradingsymbol: "ITC", TransactionType: "BUY", Quantity: 1, FilledQuantity: 1, AveragePrice: 440, Status: "COMPLETE"}}}}}
		hs.key("r")
	}},
	{"profiles", func(hs *harness) { hs.key("p") }},
	{"flow_auto_chooser", func(hs *harness) {
		hs.withUsers()
		hs.key("a", "down")
	}},
	{"profile_form", func(hs *harness) {
		hs.key("p", "a")
		hs.typeText("prod-keys")
		hs.key("tab", "tab")
		hs.typeText("acmegw")
		hs.key("tab")
		hs.typeText("supersecretvalue")
		hs.key("tab")
		hs.typeText("apisecretvalue")
		hs.key("enter") // refused: no callback port
	}},
}

func (hs *harness) withUsers() {
	hs.store.users["sandbox"] = []session.User{
		{Label: "alice", SmallcaseAuthID: testAuthID, Broker: "kite-leprechaun", Leprechaun: true, LastUsedAt: testNow.Add(-5 * time.Minute)},
		{Label: "bob", SmallcaseAuthID: "6a1432c6a4854d42ea6bce46", Broker: "upstox-leprechaun", Leprechaun: true, LastUsedAt: testNow.Add(-26 * time.Hour)},
		{Label: "carol", SmallcaseAuthID: "7b2543d7b5965e53fb7cdf57", Broker: "zerodha"},
	}
	hs.pump(loadUsersCmd(hs.store, "sandbox"))
}

func (hs *harness) withHistory() {
	body, _ := json.Marshal(map[string]string{"transactionId": "TRX_b", "event": "ORDER_COMPLETED"})
	hs.store.history["sandbox"] = []session.HistoryEntry{
		{TransactionID: "TRX_a0000000000000000000000000000000", Intent: gateway.IntentConnect, User: "alice", CreatedAt: testNow.Add(-time.Hour), Status: gateway.StatusCompleted, Summary: "connect a broker account"},
		{TransactionID: "TRX_b0000000000000000000000000000000", Intent: gateway.IntentTransaction, User: "alice", CreatedAt: testNow.Add(-30 * time.Minute), ExpiresAt: testNow.Add(-25 * time.Minute), Status: gateway.StatusCompleted,
			Summary: "BUY ITC x1", Postbacks: []session.PostbackRecord{{ReceivedAt: testNow.Add(-29 * time.Minute), Event: "ORDER_COMPLETED", Status: "COMPLETED", ChecksumValid: true, Body: body},
				{ReceivedAt: testNow.Add(-28 * time.Minute), Event: "ORDER_COMPLETED", Status: "COMPLETED", ChecksumValid: false, Problem: "checksum does not match the apiSecret"}}},
		{TransactionID: "TRX_c0000000000000000000000000000000", Intent: gateway.IntentHoldingsImport, User: "bob", CreatedAt: testNow.Add(-10 * time.Minute), Status: gateway.StatusErrored, ErrorCode: 1010, ErrorMessage: "user_cancelled"},
	}
}

func TestGolden(t *testing.T) {
	for _, sc := range scenes {
		for _, sz := range goldenSizes {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, sz[0], sz[1]), func(t *testing.T) {
				hs := newHarness(t, sz[0], sz[1])
				sc.setup(hs)
				hs.m.status = "" // status lines depend on timing of their own clearing
				hs.m.layout()
				v := plain(hs.view())
				lines := strings.Split(v, "\n")
				if len(lines) != sz[1] {
					t.Errorf("view has %d lines, want %d", len(lines), sz[1])
				}
				for i, l := range lines {
					if w := len([]rune(l)); w > sz[0] {
						t.Errorf("line %d is %d cells wide, want <= %d: %q", i+1, w, sz[0], l)
					}
				}
				golden.RequireEqual(t, []byte(v))
			})
		}
	}
}

func TestResizeRedraws(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.withUsers()
	hs.send(tyWindow(80, 24))
	if got := len(strings.Split(hs.view(), "\n")); got != 24 {
		t.Fatalf("after a resize to 80x24 the view has %d lines", got)
	}
	hs.send(tyWindow(200, 60))
	if got := len(strings.Split(hs.view(), "\n")); got != 60 {
		t.Fatalf("after a resize to 200x60 the view has %d lines", got)
	}
}
