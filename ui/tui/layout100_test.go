package tui

import (
	"strings"
	"testing"

	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// TestAutoChooserColumnsStayApart: at 100x30 every column of the chooser
// starts where its heading does, with blanks before it, also after the
// longest account name and a long list of the users connected as it.
func TestAutoChooserColumnsStayApart(t *testing.T) {
	hs := newHarness(t, 100, 30)
	var lep005 string
	for _, a := range sandbox.TestAccounts(hs.runner.Profile().Gateway) {
		if a.Broker == "kite-leprechaun" && a.Account == "LEP005" {
			lep005 = a.SmallcaseAuthID
		}
	}
	hs.store.users["sandbox"] = []session.User{{Label: "fails", SmallcaseAuthID: lep005, Broker: "kite-leprechaun"},
		{Label: "fails-again-with-a-longer-label", SmallcaseAuthID: lep005, Broker: "kite-leprechaun"}}
	hs.pump(loadUsersCmd(hs.store, "sandbox"))
	hs.key("a")
	v := plain(hs.view())
	head := lineWith(v, "CONNECTED AS")
	row := lineWith(v, "Order failure")
	if head == "" || row == "" {
		t.Fatalf("no heading or no LEP005 row:\n%s", v)
	}
	for _, col := range [][2]string{{"ACCOUNT", "LEP005"}, {"NAME", "Order failure"}, {"CONNECTED AS", "fails, "}} {
		at := strings.Index(head, col[0])
		if got := strings.Index(row, col[1]); got != at || row[at-2:at] != "  " {
			t.Fatalf("%s starts at %d under %s at %d, or without two blanks before it:\n%s\n%s", col[1], got, col[0], at, head, row)
		}
	}
	if !strings.Contains(row, "…") || len([]rune(row)) > 100 {
		t.Fatalf("the users connected as the account are not cut to the width:\n%s", row)
	}
}

// TestGuestLoginNextHintWraps: at 100x30 the hint after a guest login is
// wrapped in the detail pane, not cut.
func TestGuestLoginNextHintWraps(t *testing.T) {
	hs := newHarness(t, 100, 30)
	j := newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).on(flow.VerifyResult, verified)
	hs.startGuest("alice", j)
	if hs.m.flow == nil || !hs.m.flow.finished {
		t.Fatalf("the guest login did not finish:\n%s", plain(hs.view()))
	}
	v := plain(hs.view())
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if !strings.Contains(l, "Connected. Next:") {
			continue
		}
		if strings.Contains(l, "…") || i+1 == len(lines) || !strings.Contains(l+" "+lines[i+1], "holdings for") || !strings.Contains(lines[i+1], "alice.") {
			t.Fatalf("the hint is cut, not wrapped:\n%s", v)
		}
		return
	}
	t.Fatalf("no hint after the guest login:\n%s", v)
}

// TestGuestSDKRunTitleNamesTheGuest: an SDK run with a guest token says so
// in its title, where a user's run names the user.
func TestGuestSDKRunTitleNamesTheGuest(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.withUsers()
	hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(flow.MintToken, flow.CheckTransaction, flow.OpenBrowser, flow.AwaitSDK, flow.VerifyResult, flow.SaveUser, flow.FetchOrders))
	hs.key("s")
	hs.typeText("TRX_0123abcd")
	hs.key("tab", "enter")
	mustContain(t, plain(hs.view()), "Run a transactionId · guest  done")
}

// TestLeavingReplacesStillHere: a "still here" from an earlier answer does
// not stay on the status line once y left the journey.
func TestLeavingReplacesStillHere(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.startGuest("gina", newFakeJourney(guestSteps...).on(flow.CreateTransaction, created).on(flow.OpenBrowser, browserOpened).waiting(flow.AwaitSDK))
	hs.key("esc", "x")
	mustContain(t, plain(hs.view()), "still here: the journey goes on")
	hs.key("esc", "y")
	if hs.m.active() != screen(hs.m.home) {
		t.Fatalf("y did not leave: %T", hs.m.active())
	}
	v := plain(hs.view())
	if strings.Contains(v, "still here") {
		t.Fatalf("the status line still says the journey goes on:\n%s", v)
	}
	mustContain(t, v, "left the journey: transaction TRX_0123456789abcdef0123456789abcdef is left unfinished")
}

// TestOrderReviewValuesLineUp: the review's values start in one column,
// the profile's badge word included (its padding is blank in plain text),
// on the sandbox and on production.
func TestOrderReviewValuesLineUp(t *testing.T) {
	for _, prod := range []bool{false, true} {
		hs := newHarness(t, 100, 30)
		badge := "SANDBOX"
		if prod {
			hs.onProfile(prodProfile)
			badge = "PRODUCTION"
		} else {
			hs.withUsers()
		}
		hs.key("o")
		hs.typeText("INFY")
		hs.key("tab")
		hs.typeText("3")
		hs.key("enter")
		v := plain(hs.view())
		field := func(name string) string {
			for _, l := range strings.Split(v, "\n") {
				if strings.HasPrefix(l, "  "+name+" ") {
					return l
				}
			}
			return ""
		}
		want := strings.Index(field("user"), "alice")
		for _, f := range [][2]string{{"profile", badge}, {"broker", "zerodha"}, {"SDK step", "answered"}} {
			if f[1] == "zerodha" && !prod {
				f[1] = "kite-leprechaun"
			}
			if got := strings.Index(field(f[0]), f[1]); got != want || want < 0 {
				t.Fatalf("%s starts at %d, the user at %d:\n%s", f[1], got, want, v)
			}
		}
	}
}
