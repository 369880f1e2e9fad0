package tui

import (
	"strings"
	"testing"

	"gatewalk/gateway/sandbox"
	"gatewalk/session"
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
