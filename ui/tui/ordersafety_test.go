package tui

import (
	"context"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// placeOrder opens the order form for the selected user, types one row
// and places it through the review.
func (hs *harness) placeOrder(ticker, qty string) {
	hs.t.Helper()
	hs.key("o")
	hs.typeText(ticker)
	hs.key("tab")
	hs.typeText(qty)
	hs.key("enter") // the review
	if _, ok := hs.m.active().(*orderReview); !ok {
		hs.t.Fatalf("enter on the form opened %T, want the review:\n%s", hs.m.active(), plain(hs.view()))
	}
	hs.key("enter") // placed
}

// TestOrderFormTypesIntoEmptyFields: the examples of a row are
// placeholders, so what is typed is what is sent: INFY and 3 in a fresh
// form (and ITC and 3 in an added row) are sent as they are, not glued to
// a default (TCSINFY, 13).
func TestOrderFormTypesIntoEmptyFields(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.withUsers()
	hs.key("o")
	f := hs.m.active().(*orderForm)
	if r := f.rows[0]; r.ticker.Value() != "" || r.qty.Value() != "" {
		t.Fatalf("a fresh row holds %q × %q: a default must be a placeholder, not a value", r.ticker.Value(), r.qty.Value())
	}
	mustContain(t, plain(hs.view()), "e.g. TCS", "e.g. 1")
	hs.typeText("INFY")
	hs.key("tab")
	hs.typeText("3")
	hs.key("ctrl+n")
	if r := f.rows[1]; r.ticker.Value() != "" || r.qty.Value() != "" {
		t.Fatalf("an added row holds %q × %q", r.ticker.Value(), r.qty.Value())
	}
	hs.typeText("ITC")
	hs.key("tab")
	hs.typeText("3")
	hs.key("ctrl+b")
	// Each row shows the line it sends.
	v := plain(hs.view())
	mustContain(t, v, "BUY INFY × 3", "SELL ITC × 3")
	hs.key("enter", "enter")
	want := []gateway.OrderConfig{{Type: gateway.OrderSecurities, Securities: []gateway.Security{
		{Ticker: "INFY", Quantity: 3, Type: gateway.Buy}, {Ticker: "ITC", Quantity: 3, Type: gateway.Sell}}}}
	if !reflect.DeepEqual(hs.runner.orders, want) {
		t.Fatalf("runner.Order got %+v, want %+v", hs.runner.orders, want)
	}
}

// TestOrderFormQuantityDigitsOnly: the quantity takes digits; any other
// character typed or pasted is dropped, with a note.
func TestOrderFormQuantityDigitsOnly(t *testing.T) {
	f := newOrderForm(NewStyles(true), ptr(DefaultKeyMap()), "alice")
	f.SetSize(100, 20)
	f.Update(keyMsg("tab"))
	for _, k := range []tea.KeyMsg{keyMsg("3"), keyMsg("a"), keyMsg("-"), keyMsg("space"), keyMsg("5"), keyMsgRunes("1x2", true)} {
		f.Update(k)
	}
	if got := f.rows[0].qty.Value(); got != "3512" {
		t.Fatalf("quantity = %q, want 3512 (digits only)", got)
	}
	f.Update(keyMsg("e"))
	mustContain(t, plain(f.View()), "the quantity takes digits only")
}

// TestOrderFormEmptyFieldsRefused: an empty ticker is refused with an
// error, never sent as its placeholder. An empty quantity, or the side SDK,
// leaves it to the user in the SDK's review screen, and says so in the line
// as it will be sent; rows that leave out different fields break the
// Gateway's rule and are refused naming it.
func TestOrderFormEmptyFieldsRefused(t *testing.T) {
	f := newOrderForm(NewStyles(true), ptr(DefaultKeyMap()), "alice")
	f.SetSize(100, 20)
	if _, cmd := f.Update(keyMsg("enter")); cmd != nil {
		t.Fatalf("an empty form was submitted: %+v", cmd())
	}
	mustContain(t, plain(f.View()), "Cannot submit: row 1: ticker is empty", "↳ ticker is empty")
	for _, r := range "INFY" {
		f.Update(keyMsg(string(r)))
	}
	mustContain(t, plain(f.View()), "BUY INFY (quantity chosen in the SDK)")
	_, cmd := f.Update(keyMsg("enter"))
	msg, ok := cmd().(orderSubmittedMsg)
	if !ok || !reflect.DeepEqual(msg.oc.Securities, []gateway.Security{{Ticker: "INFY", Type: gateway.Buy}}) {
		t.Fatalf("submitted %+v", msg)
	}

	// A second row with a quantity: the rows now differ.
	f.Update(keyMsg("tab"))
	f.Update(keyMsg("tab"))
	f.Update(keyMsg("ctrl+n"))
	for _, r := range "TCS" {
		f.Update(keyMsg(string(r)))
	}
	f.Update(keyMsg("tab"))
	f.Update(keyMsg("2"))
	if _, cmd := f.Update(keyMsg("enter")); cmd != nil {
		t.Fatalf("a mix of rows with and without a quantity was submitted: %+v", cmd())
	}
	mustContain(t, plain(f.View()), "must be specified for all stocks")
	f.Update(keyMsg("backspace"))
	f.Update(keyMsg("tab"))
	f.Update(keyMsg("ctrl+b"))
	f.Update(keyMsg("ctrl+b"))
	mustContain(t, plain(f.View()), "(side chosen in the SDK) TCS (quantity chosen in the SDK)")
	if _, cmd := f.Update(keyMsg("enter")); cmd != nil {
		t.Fatalf("a row with a side and one without were submitted: %+v", cmd())
	}
	f.row, f.col = 0, 2
	f.Update(keyMsg("ctrl+b"))
	f.Update(keyMsg("ctrl+b"))
	_, cmd = f.Update(keyMsg("enter"))
	msg, ok = cmd().(orderSubmittedMsg)
	if !ok || !reflect.DeepEqual(msg.oc.Securities, []gateway.Security{{Ticker: "INFY"}, {Ticker: "TCS"}}) {
		t.Fatalf("ticker-only rows: submitted %+v", msg)
	}
	// Quantities on both rows, sides left to the SDK: ticker and quantity.
	for i, q := range []string{"4", "9"} {
		f.row, f.col = i, 1
		f.focus()
		f.Update(keyMsg(q))
	}
	_, cmd = f.Update(keyMsg("enter"))
	msg, ok = cmd().(orderSubmittedMsg)
	if !ok || !reflect.DeepEqual(msg.oc.Securities, []gateway.Security{{Ticker: "INFY", Quantity: 4}, {Ticker: "TCS", Quantity: 9}}) {
		t.Fatalf("ticker and quantity rows: submitted %+v", msg)
	}
}

// TestOrderReviewBeforePlacing: enter on the form shows the order as it
// will be sent and creates nothing; esc goes back to the form with what
// was typed; enter on the review places it.
func TestOrderReviewBeforePlacing(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.withUsers()
	hs.key("o")
	form := hs.m.active().(*orderForm)
	hs.typeText("INFY")
	hs.key("tab")
	hs.typeText("3")
	hs.key("enter")
	if _, ok := hs.m.active().(*orderReview); !ok {
		t.Fatalf("enter on the form opened %T, want the review", hs.m.active())
	}
	if len(hs.runner.orders) != 0 || len(hs.runner.started) != 0 {
		t.Fatalf("the form created the order before its review: %+v", hs.runner.orders)
	}
	v := plain(hs.view())
	mustContain(t, v, "Review the order", "nothing has been sent yet", "BUY INFY × 3", "TRANSACTION · SECURITIES · 1 line (1 BUY, 0 SELL)",
		"user      alice", "broker    kite-leprechaun", "SANDBOX  sandbox · gateway gatewaydemo · leprechaun mode",
		"answered by you, in the browser", "enter place the order", "esc edit the order")
	if strings.Contains(v, "REAL orders") {
		t.Fatalf("a sandbox order is called real:\n%s", v)
	}

	hs.key("esc")
	if hs.m.active() != screen(form) {
		t.Fatalf("esc on the review opened %T, want the form", hs.m.active())
	}
	if r := form.rows[0]; r.ticker.Value() != "INFY" || r.qty.Value() != "3" {
		t.Fatalf("the form lost what was typed: %q × %q", r.ticker.Value(), r.qty.Value())
	}
	if len(hs.runner.orders) != 0 {
		t.Fatal("esc on the review placed the order")
	}
	hs.key("enter", "enter")
	want := []gateway.OrderConfig{{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "INFY", Quantity: 3, Type: gateway.Buy}}}}
	if !reflect.DeepEqual(hs.runner.orders, want) || hs.m.flow == nil || hs.m.flow.kind != flow.Order {
		t.Fatalf("enter on the review: orders %+v, flow %v", hs.runner.orders, hs.m.flow)
	}
}

// prodProfile is a production profile for the tests.
var prodProfile = session.Profile{Name: "live", Env: gateway.EnvProduction, Gateway: "acmegw", Secret: "prodsecret", APISecret: "prodapisecret", CallbackPort: 8422}

// onProfile reconnects the harness's runner on p, with alice as its user.
func (hs *harness) onProfile(p session.Profile) {
	hs.t.Helper()
	hs.runner.profile = p
	hs.store.users[p.Name] = []session.User{{Label: "alice", SmallcaseAuthID: testAuthID, Broker: "zerodha"}}
	hs.send(runnerConnectedMsg{r: hs.runner, opt: hs.m.connOpt})
}

// TestOrderReviewShowsProduction: on production the review says, where it
// cannot be missed, that the orders are real.
func TestOrderReviewShowsProduction(t *testing.T) {
	hs := newHarness(t, 80, 24)
	hs.onProfile(prodProfile)
	hs.key("o")
	hs.typeText("INFY")
	hs.key("tab")
	hs.typeText("3")
	hs.key("enter")
	v := plain(hs.view())
	mustContain(t, v, "PRODUCTION: these are REAL orders in a real broker account", "PRODUCTION  live · gateway acmegw",
		"broker    zerodha", "BUY INFY × 3")
	if len(hs.runner.orders) != 0 {
		t.Fatal("a production order was placed without its review")
	}
}

// TestOrderReviewInAutoMode: the sandbox answering the SDK step by itself
// skips no review, and the review says who answers.
func TestOrderReviewInAutoMode(t *testing.T) {
	hs := harnessFor(t, newFakeStore(), newFakeRunner())
	hs.start(Config{Auto: true, ExportDir: t.TempDir(), Connect: func(context.Context, ConnectOptions) (Runner, error) { return hs.runner, nil }}, 120, 40)
	hs.withUsers()
	hs.key("o")
	hs.typeText("INFY")
	hs.key("tab")
	hs.typeText("3")
	hs.key("enter")
	if _, ok := hs.m.active().(*orderReview); !ok || len(hs.runner.orders) != 0 {
		t.Fatalf("auto-answer: %T active, orders %+v", hs.m.active(), hs.runner.orders)
	}
	mustContain(t, plain(hs.view()), "answered by the sandbox itself: success (auto-answer)")
}

// TestOrderReviewPlacesOnce: a second enter (a double press, or a key
// typed ahead) places nothing more; a review made before the profile
// restarted places nothing.
func TestOrderReviewPlacesOnce(t *testing.T) {
	r := newOrderReview(NewStyles(true), ptr(DefaultKeyMap()), reviewInfo{label: "alice"}, gateway.OrderConfig{Type: gateway.OrderSecurities})
	if _, cmd := r.Update(keyMsg("enter")); cmd == nil {
		t.Fatal("enter placed nothing")
	} else if _, ok := cmd().(orderConfirmedMsg); !ok {
		t.Fatal("enter did not confirm the order")
	}
	if _, cmd := r.Update(keyMsg("enter")); cmd != nil {
		t.Fatal("a second enter placed the order again")
	}

	hs := newHarness(t, 120, 40)
	hs.withUsers()
	hs.key("o")
	hs.typeText("INFY")
	hs.key("tab")
	hs.typeText("3")
	hs.key("enter")
	hs.m.connOpt.Generation++ // the runner restarted under the review
	hs.key("enter")
	if len(hs.runner.orders) != 0 {
		t.Fatal("a review of an earlier connection placed the order")
	}
	mustContain(t, plain(hs.view()), "not placed: the profile restarted since the review")
}

// liveOrder places an order whose SDK step waits with a live transaction.
func liveOrder(hs *harness) *fakeJourney {
	hs.t.Helper()
	j := newFakeJourney(orderSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).waiting(flow.AwaitSDK)
	hs.runner.journeys = append(hs.runner.journeys, j)
	hs.withUsers()
	hs.placeOrder("INFY", "3")
	if txn, _ := hs.m.flow.liveTransaction(); txn == nil {
		hs.t.Fatal("the order's transaction is not live")
	}
	return j
}

// TestLeavingALiveTransactionAsks: esc, q and ctrl+c each ask, naming the
// transaction and its time left, while it waits for the SDK; any other key
// keeps the journey running; y abandons it, after its step's context was
// cancelled.
func TestLeavingALiveTransactionAsks(t *testing.T) {
	for _, k := range []string{"esc", "q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			hs := newHarness(t, 120, 40)
			j := liveOrder(hs)
			f := hs.m.flow
			question, yes := "Quit?", "y quits"
			if k == "esc" {
				question, yes = "Leave?", "y leaves"
			}
			hs.key(k)
			v := plain(hs.view())
			mustContain(t, v, question+" Transaction TRX_0123456789abcdef0123456789abcdef is waiting for the SDK result (5:00 left)", yes, "stay")
			if hs.m.active() != screen(f) || hs.m.quitting || j.isClosed() || f.ctx.Err() != nil {
				t.Fatalf("%s left before the answer: active %T, quitting %v, closed %v", k, hs.m.active(), hs.m.quitting, j.isClosed())
			}

			hs.key("n")
			if hs.m.active() != screen(f) || hs.m.quitting || j.isClosed() || f.ctx.Err() != nil || !f.running {
				t.Fatalf("n did not keep the journey running: active %T, closed %v", hs.m.active(), j.isClosed())
			}
			if ab, _ := j.wasAbandoned(); ab {
				t.Fatal("n abandoned the journey")
			}
			mustContain(t, plain(hs.view()), "still here: the journey goes on")

			hs.key(k, "y")
			ab, cancelledFirst := j.wasAbandoned()
			if !ab || !cancelledFirst || f.ctx.Err() == nil {
				t.Fatalf("y: abandoned %v, step cancelled first %v", ab, cancelledFirst)
			}
			switch k {
			case "esc":
				if hs.m.active() != screen(hs.m.home) || hs.m.flow != nil || hs.m.quitting {
					t.Fatalf("y after esc: %T active, quitting %v", hs.m.active(), hs.m.quitting)
				}
			default:
				if !hs.m.quitting || hs.m.unfinished == nil {
					t.Fatalf("y after %s: quitting %v, unfinished %+v", k, hs.m.quitting, hs.m.unfinished)
				}
			}
		})
	}
}

// TestSwitchingProfileAsksWhileLive: a profile switch that lands while a
// transaction is live asks too, and abandons it only on y.
func TestSwitchingProfileAsksWhileLive(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := liveOrder(hs)
	hs.send(profileUsedMsg{name: "staging"})
	mustContain(t, plain(hs.view()), "Switch to profile staging? Transaction TRX_0123456789abcdef0123456789abcdef is waiting")
	if hs.m.connOpt.Profile == "staging" || j.isClosed() {
		t.Fatal("switched before the answer")
	}
	hs.key("n")
	if hs.m.connOpt.Profile == "staging" || j.isClosed() || hs.m.flow == nil {
		t.Fatal("n switched")
	}
	mustContain(t, plain(hs.view()), "profile staging opens next time")
	hs.send(profileUsedMsg{name: "staging"})
	hs.key("y")
	if ab, first := j.wasAbandoned(); !ab || !first || hs.m.connOpt.Profile != "staging" {
		t.Fatalf("y: abandoned %v (cancelled first %v), profile %q", ab, first, hs.m.connOpt.Profile)
	}
}

// TestLeavingWithoutLiveTransaction: with no transaction created, esc
// leaves at once and closes the journey; nothing is abandoned.
func TestLeavingWithoutLiveTransaction(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := newFakeJourney(guestSteps...).waiting(flow.AwaitSDK)
	hs.startGuest("dave", j)
	hs.key("esc")
	if ab, _ := j.wasAbandoned(); ab || !j.isClosed() || hs.m.flow != nil || hs.m.asked != nil {
		t.Fatalf("esc without a transaction: abandoned %v, closed %v, asked %v", ab, j.isClosed(), hs.m.asked)
	}
}

// TestOrderFormDoubleEnterOneReview: a second enter on the form, typed
// before the review opened, opens no second review.
func TestOrderFormDoubleEnterOneReview(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.withUsers()
	hs.key("o")
	hs.typeText("INFY")
	hs.key("tab")
	hs.typeText("3")
	first, second := hs.update(keyMsg("enter")), hs.update(keyMsg("enter"))
	hs.pump(tea.Batch(first, second))
	reviews := 0
	for _, s := range hs.m.stack {
		if _, ok := s.(*orderReview); ok {
			reviews++
		}
	}
	if reviews != 1 || len(hs.runner.orders) != 0 {
		t.Fatalf("two enters on the form: %d reviews, %d orders", reviews, len(hs.runner.orders))
	}
}
