package tui

import (
	"strings"
	"testing"

	"gatewalk/session"
	"gatewalk/session/flow"
)

// withDave adds dave to the users and selects him, as an operator who
// moved the cursor down to the last user.
func (hs *harness) withDave() {
	hs.t.Helper()
	hs.withUsers()
	hs.store.users["sandbox"] = append(hs.store.users["sandbox"], session.User{Label: "dave", SmallcaseAuthID: "8c3654e8c6a76f64ac8de068", Broker: "zerodha"})
	hs.pump(loadUsersCmd(hs.store, "sandbox"))
	hs.key("down", "down", "down")
	if got := hs.m.home.selected(); got != "dave" {
		hs.t.Fatalf("selected %q, want dave", got)
	}
}

// mustSelect checks that the header, the cursor, the Actions line and o
// all name the user want.
func (hs *harness) mustSelect(want string) {
	hs.t.Helper()
	for len(hs.m.stack) > 1 {
		hs.key("esc")
		if hs.m.asked != nil {
			hs.key("y")
		}
	}
	v := plain(hs.view())
	header := strings.SplitN(v, "\n", 2)[0]
	if !strings.Contains(header, "user "+want) {
		hs.t.Fatalf("header %q does not name %s", header, want)
	}
	if got := hs.m.home.selected(); got != want {
		hs.t.Fatalf("cursor on %q, want %s:\n%s", got, want, v)
	}
	mustContain(hs.t, v, "› "+want, "place an order for "+want)
	hs.key("o")
	f, ok := hs.m.active().(*orderForm)
	if !ok || f.label != want {
		hs.t.Fatalf("o opened %T for %+v, want the order form for %s", hs.m.active(), hs.m.active(), want)
	}
	hs.key("esc")
}

// TestGuestSDKRunKeepsTheSelection: a guest's SDK run saves no user, so the
// selected user stays the one the operator chose.
func TestGuestSDKRunKeepsTheSelection(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.withDave()
	hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(flow.MintToken, flow.CheckTransaction, flow.OpenBrowser, flow.AwaitSDK, flow.VerifyResult, flow.SaveUser, flow.FetchOrders))
	hs.key("s")
	hs.typeText("TRX_0123abcd")
	hs.key("tab", "enter")
	if len(hs.runner.runs) != 1 || !hs.runner.runs[0].Guest {
		t.Fatalf("runs %+v, want one guest run", hs.runner.runs)
	}
	if hs.m.flow == nil || !hs.m.flow.finished {
		t.Fatalf("the run did not finish:\n%s", plain(hs.view()))
	}
	hs.mustSelect("dave")
}

// TestLeftGuestLoginKeepsTheSelection: a guest login left before it saved
// its user leaves the selection as it was; its label names no user.
func TestLeftGuestLoginKeepsTheSelection(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.withDave()
	hs.startGuest("gina", newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).waiting(flow.AwaitSDK))
	hs.key("esc")
	if hs.m.asked == nil {
		t.Fatalf("esc on a live transaction did not ask:\n%s", plain(hs.view()))
	}
	hs.key("y")
	if hs.m.active() != screen(hs.m.home) {
		t.Fatalf("y did not leave: %T", hs.m.active())
	}
	hs.mustSelect("dave")
}

// TestSavedUserIsSelected: a guest login that saved its user selects it.
func TestSavedUserIsSelected(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.withDave()
	gina := session.User{Label: "gina", SmallcaseAuthID: "9d4765f9d7b87a75bd9ef179", Broker: "kite-leprechaun"}
	saved := func(s *flow.Step) {
		hs.store.mu.Lock()
		hs.store.users["sandbox"] = append(hs.store.users["sandbox"], gina)
		hs.store.mu.Unlock()
		s.User = &gina
	}
	hs.startGuest("gina", newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.VerifyResult, verified).on(flow.SaveUser, saved))
	if hs.m.flow == nil || !hs.m.flow.finished {
		t.Fatalf("the guest login did not finish:\n%s", plain(hs.view()))
	}
	hs.mustSelect("gina")
}
