package tui

import (
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// WallExpireAt is the scripted wall-clock expiry, else the created
// transaction's expireAt.
func (j *fakeJourney) WallExpireAt() time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.wallExpire.IsZero() {
		return j.wallExpire
	}
	for _, s := range j.steps {
		if s.Kind == flow.CreateTransaction && s.Transaction != nil {
			return s.Transaction.ExpireAt
		}
	}
	return time.Time{}
}

// TestCountdownFollowsTheGatewaysClock: when the Gateway's clock runs
// ahead (a sandbox whose clock was advanced), the countdown and the leave
// prompt count down to the journey's wall-clock expiry, not to the
// expireAt the Gateway sent.
func TestCountdownFollowsTheGatewaysClock(t *testing.T) {
	hs := newHarness(t, 100, 30)
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).waiting(flow.AwaitSDK)
	// The transaction's expireAt is 5:00 from testNow on the Gateway's
	// clock, which runs 2 minutes ahead: 3:00 are left on the terminal's.
	j.wallExpire = testNow.Add(3 * time.Minute)
	hs.startGuest("alice", j)
	if v := plain(hs.view()); !strings.Contains(v, "3:00") || strings.Contains(v, "5:00 left") {
		t.Fatalf("countdown not on the terminal's clock:\n%s", v)
	}
	hs.key("esc")
	if v := plain(hs.view()); !strings.Contains(v, "(3:00 left)") {
		t.Fatalf("the leave prompt does not give the terminal's time left:\n%s", v)
	}
}

// TestCompletedOrderIsNotRetriedFromTheStart: when the SDK resolved an
// order and a later step failed (the returned token is another account's),
// neither r nor f creates another transaction for the same order.
func TestCompletedOrderIsNotRetriedFromTheStart(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.store.users["sandbox"] = []session.User{{Label: "alice", SmallcaseAuthID: testAuthID}}
	hs.pump(loadUsersCmd(hs.store, "sandbox"))
	resolved := func(s *flow.Step) {
		s.Outcome = &gateway.SDKOutcome{Result: &gateway.SDKResult{Success: true, Transaction: "TRANSACTION", Broker: "kite"}}
	}
	mismatch := failWith(&gateway.AuthIDMismatchError{Expected: testAuthID, Got: "609e978be1bc39bd68e3be00"})
	j := newFakeJourney(orderSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).
		on(flow.AwaitSDK, resolved).on(flow.VerifyResult, mismatch)
	hs.runner.journeys = append(hs.runner.journeys, j)
	hs.placeOrder("INFY", "3")
	for _, k := range []string{"r", "f"} {
		hs.key(k)
		if v := plain(hs.view()); !strings.Contains(v, "not retried: the SDK completed this order") {
			t.Fatalf("%s after a completed order's later failure:\n%s", k, v)
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, k := range j.retried {
		if k == flow.MintToken || k == flow.CreateTransaction {
			t.Fatalf("the journey was redone from %s", k)
		}
	}
}
