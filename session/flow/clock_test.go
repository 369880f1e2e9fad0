package flow

import (
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

// within reports whether t is d away from want, give or take a few seconds.
func within(t, want time.Time) bool {
	d := t.Sub(want)
	return d > -5*time.Second && d < 5*time.Second
}

// TestExpiryFollowsAnAdvancedSandboxClock: after the sandbox's clock was
// advanced, the terminal's expiry (the bridge's and the countdown's) is
// the transaction's five minutes on the terminal's clock, not the
// sandbox's expireAt read as local time.
func TestExpiryFollowsAnAdvancedSandboxClock(t *testing.T) {
	oc := gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}}

	t.Run("a sandbox in another process", func(t *testing.T) {
		st := newStore(t)
		sb := externalProfile(t, st, sandbox.Config{}, 0)
		sb.Advance(2 * time.Minute)
		j := setup(t, st, Options{ProfileName: "ext", NoBrowser: true}).Order("alice", oc)
		runUntilSDK(t, j)
		server := j.Step(CreateTransaction).Transaction.ExpireAt
		if !within(server, time.Now().Add(7*time.Minute)) {
			t.Fatalf("the sandbox's expireAt %v is not on its advanced clock", server)
		}
		if want := time.Now().Add(gateway.TransactionLifetime); !within(j.ExpireAt(), want) || !within(j.WallExpireAt(), want) {
			t.Fatalf("expiry %v / wall %v, want about %v", j.ExpireAt(), j.WallExpireAt(), want)
		}
	})

	t.Run("the embedded sandbox", func(t *testing.T) {
		st := newStore(t)
		mustRun(t, setup(t, st, Options{Auto: gateway.ScenarioSuccess}).GuestLogin("alice"))
		r := setup(t, st, Options{NoBrowser: true})
		testSandbox(r).Advance(2 * time.Minute)
		j := r.Order("alice", oc)
		runUntilSDK(t, j)
		if want := r.Options().Now().Add(gateway.TransactionLifetime); !within(j.ExpireAt(), want) {
			t.Fatalf("expiry on the runner's (sandbox's) clock %v, want about %v", j.ExpireAt(), want)
		}
		if want := time.Now().Add(gateway.TransactionLifetime); !within(j.WallExpireAt(), want) {
			t.Fatalf("wall-clock expiry %v, want about %v", j.WallExpireAt(), want)
		}
	})
}
