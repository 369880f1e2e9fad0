package tui

import (
	"strings"
	"testing"
	"time"

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
