package flow

import (
	"context"
	"strings"
	"testing"

	"gatewalk/gateway"
	"gatewalk/session/bridge"
)

// TestResolveTellsPlacedFromUnused: the sandbox's status tells a used
// transaction (orders placed, with their lines) from an unused one.
func TestResolveTellsPlacedFromUnused(t *testing.T) {
	st := newStore(t)
	mustRun(t, setup(t, st, Options{Auto: gateway.ScenarioSuccess}).GuestLogin("alice"))
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	oc := gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "INFY", Quantity: 3, Type: gateway.Buy}}}
	placed := r.Order("alice", oc)
	mustRun(t, placed)
	res := placed.Resolve(context.Background())
	if !res.Known || !res.Placed || !strings.Contains(res.Summary(), "INFY × 3") || res.Said != res.Summary() {
		t.Fatalf("a completed order resolved as %+v", res)
	}

	unused := setup(t, st, Options{NoBrowser: true}).Order("alice", oc)
	runUntilSDK(t, unused)
	res = unused.Resolve(context.Background())
	if !res.Known || res.Placed || res.Status != gateway.StatusInitialized || !strings.Contains(res.Summary(), "no orders were placed") {
		t.Fatalf("an unused transaction resolved as %+v", res)
	}
	if !unused.NeedsResolution(context.Canceled) || !unused.NeedsResolution(bridge.ErrJourneyClosed) ||
		!unused.NeedsResolution(&gateway.SDKError{Message: "invalid_transactionId"}) {
		t.Fatal("an interrupted, closed or second-tab ending of a live order needs no resolution")
	}
	if unused.NeedsResolution(&gateway.SDKError{Message: "user_cancelled"}) || placed.NeedsResolution(context.Canceled) {
		t.Fatal("a clear ending was sent to resolution")
	}
	if unused.NeedsResolution(bridge.ErrJourneyExpired) {
		t.Fatal("an expiry before the SDK started is unclear")
	}
	unused.mu.Lock()
	unused.sdkStarted = true // the page said the SDK started
	unused.mu.Unlock()
	if !unused.NeedsResolution(bridge.ErrJourneyExpired) {
		t.Fatal("an expiry after the SDK started needs no check with the Gateway")
	}
}

// TestCompletedOrderIsNeverRecreated: once the SDK resolved an order, a
// retry from the token or the create (the advice of a later failure)
// creates no second transaction.
func TestCompletedOrderIsNeverRecreated(t *testing.T) {
	st := newStore(t)
	mustRun(t, setup(t, st, Options{Auto: gateway.ScenarioSuccess}).GuestLogin("alice"))
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	j := r.Order("alice", gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "INFY", Quantity: 3, Type: gateway.Buy}}})
	mustRun(t, j)
	if !j.SDKCompletedOrder() {
		t.Fatal("a completed order is not reported as such")
	}
	first := j.TransactionID()
	before := testSandbox(r).Transactions()
	for _, k := range []StepKind{CreateTransaction, MintToken} {
		j.RetryFrom(k)
		j.Run(context.Background(), nil)
	}
	if j.TransactionID() != first || testSandbox(r).Transactions() != before {
		t.Fatalf("a retry created another transaction (%s → %s, %d → %d)", first, j.TransactionID(), before, testSandbox(r).Transactions())
	}
}
