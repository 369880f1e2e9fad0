package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

func TestHistoryShowsUnfinishedPastExpiryAsExpired(t *testing.T) {
	st := NewStyles(true)
	km := DefaultKeyMap()
	v := newHistoryView(st, &km, false, testNow)
	v.SetSize(120, 30)
	v.loading = false
	v.entries = []session.HistoryEntry{
		{TransactionID: "TRX_a0000000000000000000000000000001", Intent: gateway.IntentTransaction, User: "alice",
			CreatedAt: testNow.Add(-time.Hour), ExpiresAt: testNow.Add(-55 * time.Minute), Status: gateway.StatusInitialized},
		{TransactionID: "TRX_a0000000000000000000000000000002", Intent: gateway.IntentConnect, User: "bob",
			CreatedAt: testNow.Add(-time.Minute), ExpiresAt: testNow.Add(4 * time.Minute), Status: gateway.StatusInitialized},
	}
	out := plain(v.View())
	mustContain(t, out, "EXPIRED (left INITIALIZED)")
	mustContain(t, out, "without finishing")
	mustContain(t, out, "bob   INITIALIZED")
	if n := countSubstr(out, "EXPIRED (left"); n != 2 { // the list row and the detail of the selected entry
		t.Fatalf("only the transaction past its expiry is expired; got %d:\n%s", n, out)
	}
}

func countSubstr(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}

func TestMoveCursor(t *testing.T) {
	km := DefaultKeyMap()
	for _, tc := range []struct {
		key       string
		cursor, n int
		want      int
		moved     bool
	}{
		{"up", 0, 3, 0, true}, {"up", 2, 3, 1, true}, {"down", 2, 3, 2, true}, {"down", 0, 3, 1, true},
		{"g", 2, 3, 0, true}, {"G", 0, 3, 2, true}, {"G", 0, 0, 0, true}, {"down", 0, 0, 0, true}, {"x", 1, 3, 1, false},
	} {
		got, moved := moveCursor(&km, keyMsg(tc.key), tc.cursor, tc.n)
		if got != tc.want || moved != tc.moved {
			t.Errorf("%s from %d of %d: %d %v, want %d %v", tc.key, tc.cursor, tc.n, got, moved, tc.want, tc.moved)
		}
	}
}

func TestAutoChooserKeepsTheCursorInView(t *testing.T) {
	st := NewStyles(true)
	km := DefaultKeyMap()
	accs := sandbox.TestAccounts("gatewaydemo")
	c := newAutoChooser(st, &km, accs, nil, AutoAnswer{})
	c.SetSize(80, 12)
	for range len(accs) - 1 {
		c.Update(keyMsg("down"))
	}
	last := accs[len(accs)-1]
	drawn := false
	for _, l := range strings.Split(plain(c.View()), "\n") {
		drawn = drawn || (strings.HasPrefix(strings.TrimSpace(l), "› "+last.Broker) && strings.Contains(l, last.Account))
	}
	if !drawn {
		t.Fatalf("the selected row (%s %s) is not drawn after moving down:\n%s", last.Broker, last.Account, plain(c.View()))
	}
}

// TestKeysTypedWhileHistoryLoadsAreKept: keys pressed before the history
// has loaded act once it has, in order, instead of being dropped.
func TestKeysTypedWhileHistoryLoadsAreKept(t *testing.T) {
	km := DefaultKeyMap()
	v := newHistoryView(NewStyles(true), &km, false, testNow)
	v.SetSize(100, 30)
	v.Update(keyMsg("down"))
	v.Update(keyMsg("down"))
	v.Update(keyMsg("down"))
	entries := make([]session.HistoryEntry, 10000)
	for i := range entries {
		entries[i] = session.HistoryEntry{TransactionID: fmt.Sprintf("TRX_%032x", i), Intent: gateway.IntentConnect,
			CreatedAt: testNow.Add(-time.Duration(i) * time.Minute)}
	}
	v.Update(historyLoadedMsg{entries: entries})
	if v.cursor != 3 {
		t.Fatalf("cursor %d after three downs typed while loading, want 3", v.cursor)
	}
}
