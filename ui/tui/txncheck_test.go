package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
)

// testTxn is the transaction the created script makes.
const testTxn = "TRX_0123456789abcdef0123456789abcdef"

// The Gateway's three answers about testTxn.
var (
	placedRes = flow.Resolution{TransactionID: testTxn, Known: true, Placed: true, Status: gateway.StatusCompleted, Source: "the order details",
		Batches: []gateway.OrderBatch{{BatchID: "b1", Status: "COMPLETED", Filled: 3, Quantity: 3,
			Orders: []gateway.Order{{Tradingsymbol: "INFY", TransactionType: "BUY", Quantity: 3, FilledQuantity: 3, AveragePrice: 1500, Status: "COMPLETE"}}}}}
	unusedRes  = flow.Resolution{TransactionID: testTxn, Known: true, Status: gateway.StatusInitialized, Source: "the sandbox's transaction status"}
	unknownRes = flow.Resolution{TransactionID: testTxn, Source: "the order details",
		Err: errors.New("could not reach the Gateway at https://gatewayapi.smallcase.com (connection refused)")}
)

// unclearOrder places an order whose SDK step ends with ending, and whose
// transaction the Gateway answers with res once releaseResolve is called.
// A fresh transaction then completes.
func unclearOrder(hs *harness, ending script, res flow.Resolution) *fakeJourney {
	hs.t.Helper()
	j := newFakeJourney(orderSteps...).on(flow.CreateTransaction, created, created).on(flow.OpenBrowser, browserOpened, browserOpened).
		on(flow.AwaitSDK, ending).resolves(res).holdResolve()
	hs.runner.journeys = append(hs.runner.journeys, j)
	hs.withUsers()
	hs.placeOrder("INFY", "3")
	return j
}

// offers reports whether the footer offers key k.
func offers(bs []key.Binding, k string) bool {
	for _, b := range bs {
		if b.Enabled() && b.Help().Key == k {
			return true
		}
	}
	return false
}

func mustNotContain(t *testing.T, s string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(s, u) || strings.Contains(flat(s), u) {
			t.Fatalf("view has %q:\n%s", u, s)
		}
	}
}

// pane is the journey's detail pane with its panel, without the steps
// beside it (whose lines would split a phrase of the panel).
func pane(hs *harness) string { return plain(hs.m.flow.rightPane()) }

// creates is how many times the journey created a transaction.
func (j *fakeJourney) creates() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.attempts[flow.CreateTransaction]
}

// TestSecondTabErrorAsksTheGatewayFirst: an order's SDK step that fails
// with invalid_transactionId (another tab used the transaction) may have
// placed the orders. The view asks the Gateway before it offers a fresh
// transaction; f and r only say that it checks; then the answer decides:
// placed, no fresh transaction; not placed, f creates one; unknown, f asks
// for y first.
func TestSecondTabErrorAsksTheGatewayFirst(t *testing.T) {
	cases := []struct {
		name string
		res  flow.Resolution
		says []string
		// then checks what f (and r) do after the answer.
		then func(t *testing.T, hs *harness, j *fakeJourney)
	}{
		{"placed", placedRes, []string{"The Gateway says: orders were placed for " + testTxn + ": BUY INFY × 3 (COMPLETE) (the order details)",
			"Do not create another transaction for this order", "no fresh transaction for this order: its orders were placed",
			"What became of the transaction", "INFY", "COMPLETE"}, afterPlaced},
		{"not placed", unusedRes, []string{"The Gateway says: no orders were placed for " + testTxn + ": it is unused",
			"a fresh transaction is safe", "f (or r) fresh transaction"}, afterNotPlaced},
		{"unknown", unknownRes, []string{"The Gateway says: could not tell whether orders were placed for " + testTxn, "connection refused",
			"Find out whether " + testTxn, "f asks before a fresh transaction"}, afterUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, 120, 40)
			j := unclearOrder(hs, sdkError(3002, "invalid_transactionId"), tc.res)
			f := hs.m.flow
			if s := f.failed(); s == nil || s.Kind != flow.AwaitSDK || j.resolved() != 1 {
				t.Fatalf("failed %+v, Resolve called %d times, want the SDK step and one check", s, j.resolved())
			}
			v := plain(hs.view())
			mustContain(t, v, "invalid_transactionId (3002)", "Checking with the Gateway what became of "+testTxn, "f waits for the Gateway's answer")
			mustNotContain(t, v, "f (or r) fresh transaction", "The Gateway says")
			if sh := f.ShortHelp(); offers(sh, "f") || offers(sh, "r") {
				t.Fatal("the footer offers a fresh transaction while the check runs")
			}
			hs.key("f", "r")
			if len(j.retried) != 0 || j.creates() != 1 {
				t.Fatalf("while checking, f and r retried %v (%d creates)", j.retried, j.creates())
			}
			mustContain(t, plain(hs.view()), "still checking with the Gateway what became of "+testTxn)

			j.releaseResolve()
			hs.pump(nil)
			mustContain(t, plain(hs.view()), tc.says...)
			tc.then(t, hs, j)
		})
	}
}

// afterPlaced: neither f nor r is offered, and neither creates anything.
func afterPlaced(t *testing.T, hs *harness, j *fakeJourney) {
	if sh := hs.m.flow.ShortHelp(); offers(sh, "f") || offers(sh, "r") {
		t.Fatal("the footer offers a fresh transaction for orders that were placed")
	}
	hs.key("f", "r")
	if len(j.retried) != 0 || j.creates() != 1 {
		t.Fatalf("f/r after placed orders retried %v (%d creates)", j.retried, j.creates())
	}
	mustContain(t, plain(hs.view()), "no fresh transaction: the Gateway says "+testTxn+" placed orders")
}

// afterNotPlaced: f is offered and creates the fresh transaction at once;
// a late answer about the first attempt changes nothing.
func afterNotPlaced(t *testing.T, hs *harness, j *fakeJourney) {
	f := hs.m.flow
	if !offers(f.ShortHelp(), "f") {
		t.Fatal("the footer does not offer the fresh transaction the Gateway cleared")
	}
	hs.key("f")
	if len(j.retried) != 1 || j.retried[0] != flow.CreateTransaction || j.creates() != 2 || !f.finished {
		t.Fatalf("f retried %v (%d creates, finished %v)", j.retried, j.creates(), f.finished)
	}
	hs.send(transactionResolvedMsg{j: j, res: placedRes})
	mustNotContain(t, plain(hs.view()), "orders were placed")
}

// afterUnknown: f (and r) ask first; any other key keeps the transaction,
// y creates the fresh one.
func afterUnknown(t *testing.T, hs *harness, j *fakeJourney) {
	f := hs.m.flow
	if !offers(f.ShortHelp(), "f") {
		t.Fatal("the footer does not offer f")
	}
	hs.key("f")
	question := "The Gateway could not say whether " + testTxn + " placed orders. A fresh transaction for the same order could place them twice. " +
		"y creates one anyway, any other key keeps this one"
	mustContain(t, pane(hs), question)
	mustContain(t, plain(hs.view()), "create one anyway")
	if len(j.retried) != 0 {
		t.Fatalf("f created a fresh transaction without asking: %v", j.retried)
	}
	hs.key("down")
	if len(j.retried) != 0 {
		t.Fatalf("another key created a fresh transaction: %v", j.retried)
	}
	mustContain(t, plain(hs.view()), "kept "+testTxn+": no fresh transaction was created")
	mustNotContain(t, pane(hs), question)
	hs.key("r") // r redoes the create too: it asks as well
	mustContain(t, pane(hs), question)
	hs.key("y")
	if len(j.retried) != 1 || j.retried[0] != flow.CreateTransaction || j.creates() != 2 || !f.finished {
		t.Fatalf("y retried %v (%d creates, finished %v)", j.retried, j.creates(), f.finished)
	}
}

// TestCheckRedactedInDemo: in demo mode the answer (in the panel, the
// details and the status line) shows no transaction id.
func TestCheckRedactedInDemo(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.key("D")
	j := unclearOrder(hs, sdkError(3002, "invalid_transactionId"), placedRes)
	mustContain(t, pane(hs), "Checking with the Gateway what became of")
	mustNotContain(t, plain(hs.view()), testTxn)
	j.releaseResolve()
	hs.pump(nil)
	v := plain(hs.view())
	mustContain(t, pane(hs), "orders were placed for", "BUY INFY × 3")
	mustNotContain(t, v, testTxn)
}

// TestTabClosedOrderAsksTheGatewayFirst: a tab closed during an order's
// SDK wait may have placed the orders: the status line does not advise f,
// and the Gateway's answer decides as for a second tab's error.
func TestTabClosedOrderAsksTheGatewayFirst(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  flow.Resolution
	}{{"placed", placedRes}, {"not placed", unusedRes}} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, 120, 40)
			j := newFakeJourney(orderSteps...).on(flow.CreateTransaction, created, created).on(flow.OpenBrowser, browserOpened).
				waiting(flow.AwaitSDK).resolves(tc.res)
			hs.runner.journeys = append(hs.runner.journeys, j)
			hs.withUsers()
			hs.placeOrder("INFY", "3")
			hs.update(journeyEventMsg{j: j, ev: bridge.JourneyEvent{Kind: bridge.JourneySDKStarted, At: testNow}, ok: true})
			cmd := hs.update(journeyEventMsg{j: j, ev: bridge.JourneyEvent{Kind: bridge.JourneyTabClosed, Detail: "pagehide", At: testNow}, ok: true})
			hs.pump(cmd)
			v := plain(hs.view())
			mustContain(t, v, "tab_closed", "stopped waiting: the browser tab was closed")
			mustNotContain(t, v, "f starts a fresh transaction")
			if j.resolved() != 1 {
				t.Fatalf("Resolve called %d times after the tab closed", j.resolved())
			}
			hs.key("f")
			switch tc.name {
			case "placed":
				mustContain(t, plain(hs.view()), "orders were placed for "+testTxn, "Do not create another transaction")
				if len(j.retried) != 0 {
					t.Fatalf("f after placed orders retried %v", j.retried)
				}
			case "not placed":
				if len(j.retried) != 1 || j.creates() != 2 {
					t.Fatalf("f after no orders retried %v (%d creates)", j.retried, j.creates())
				}
			}
		})
	}
}

// TestFreshDuringAnOrderWaitAsksTheGatewayFirst: f during an order's SDK
// wait stops waiting, then creates the fresh transaction only once the
// Gateway says no orders were placed; placed orders stop it, and an
// unknown answer asks for y at once.
func TestFreshDuringAnOrderWaitAsksTheGatewayFirst(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  flow.Resolution
	}{{"placed", placedRes}, {"not placed", unusedRes}, {"unknown", unknownRes}} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, 120, 40)
			j := newFakeJourney(orderSteps...).on(flow.CreateTransaction, created, created).on(flow.OpenBrowser, browserOpened, browserOpened).
				waiting(flow.AwaitSDK).resolves(tc.res)
			hs.runner.journeys = append(hs.runner.journeys, j)
			hs.withUsers()
			hs.placeOrder("INFY", "3")
			f := hs.m.flow
			hs.key("f")
			if j.resolved() != 1 {
				t.Fatalf("Resolve called %d times after f during the wait", j.resolved())
			}
			switch tc.name {
			case "placed":
				if len(j.retried) != 0 || j.creates() != 1 {
					t.Fatalf("a fresh transaction after placed orders: %v", j.retried)
				}
				mustContain(t, plain(hs.view()), "orders were placed for "+testTxn, "Do not create another transaction")
			case "not placed":
				if len(j.retried) != 1 || j.creates() != 2 || !f.finished {
					t.Fatalf("retried %v (%d creates, finished %v), want the fresh transaction", j.retried, j.creates(), f.finished)
				}
			case "unknown":
				if len(j.retried) != 0 {
					t.Fatalf("a fresh transaction without asking: %v", j.retried)
				}
				mustContain(t, pane(hs), "The Gateway could not say whether "+testTxn+" placed orders", "y creates one anyway")
				hs.key("y")
				if len(j.retried) != 1 || j.creates() != 2 {
					t.Fatalf("y retried %v (%d creates)", j.retried, j.creates())
				}
			}
		})
	}
}

// TestClearOrderEndingNeedsNoCheck: an SDK error that says what happened
// (the user cancelled) asks the Gateway nothing, and f creates the fresh
// transaction at once.
func TestClearOrderEndingNeedsNoCheck(t *testing.T) {
	hs := newHarness(t, 120, 40)
	j := unclearOrder(hs, sdkError(1010, "user_cancelled"), placedRes)
	mustNotContain(t, plain(hs.view()), "Checking with the Gateway", "The Gateway says")
	hs.key("f")
	if j.resolved() != 0 || len(j.retried) != 1 || j.creates() != 2 {
		t.Fatalf("Resolve called %d times, retried %v (%d creates)", j.resolved(), j.retried, j.creates())
	}
}

// TestResolveTransactionCmdAgainstSandbox: on a real journey, an order
// stopped during its SDK wait needs the check, and resolveTransactionCmd
// brings the sandbox's answer that its unused transaction placed nothing.
func TestResolveTransactionCmdAgainstSandbox(t *testing.T) {
	store, _, err := session.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fr, err := flow.Setup(context.Background(), store, flow.Options{Emulators: testEmulators, Getenv: func(string) string { return "" },
		NoBrowser: true, AutoDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := FlowRunner(fr)
	t.Cleanup(func() { r.Close() })
	if err := r.SetAuto(AutoAnswer{Scenario: gateway.ScenarioSuccess}); err != nil {
		t.Fatal(err)
	}
	if f := runAll(t, r.GuestLogin("alice")); f != nil {
		t.Fatalf("guest login: %s failed: %v", f.Kind, f.Err)
	}
	if err := r.SetAuto(AutoAnswer{}); err != nil {
		t.Fatal(err)
	}
	j := r.Order("alice", gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "INFY", Quantity: 3, Type: gateway.Buy}}})
	t.Cleanup(j.Close)
	for _, k := range []flow.StepKind{flow.MintToken, flow.CreateTransaction, flow.OpenBrowser} {
		if s := j.Next(context.Background()); s == nil || s.Kind != k || s.State != flow.Done {
			t.Fatalf("step %s: %+v", k, s)
		}
	}
	if !j.NeedsResolution(context.Canceled) || j.NeedsResolution(&gateway.SDKError{Code: 1010, Message: "user_cancelled"}) {
		t.Fatal("NeedsResolution does not tell a stopped wait from a clear ending")
	}
	msg, ok := resolveTransactionCmd(context.Background(), j, resolveTimeout)().(transactionResolvedMsg)
	if !ok || msg.j != j {
		t.Fatalf("resolveTransactionCmd returned %+v", msg)
	}
	if res := msg.res; !res.Known || res.Placed || !strings.Contains(res.Summary(), "no orders were placed for TRX_") {
		t.Fatalf("an unused transaction resolved as %+v (%s)", res, res.Summary())
	}
}
