package tui

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/ui/present"
)

// historyLoadedMsg carries a profile's transaction history.
type historyLoadedMsg struct {
	entries []session.HistoryEntry
	err     error
}

// orderDetailsFetchedMsg carries re-fetched order details of a transaction.
type orderDetailsFetchedMsg struct {
	txnID string
	od    *gateway.OrderDetails
	x     []gateway.Exchange
	err   error
}

func loadHistoryCmd(s Store, profile string) tea.Cmd {
	return func() tea.Msg {
		es, err := s.History(profile)
		return historyLoadedMsg{es, err}
	}
}

func fetchOrderDetailsCmd(r Runner, label, txnID string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		od, x, err := r.FetchOrderDetails(ctx, label, txnID)
		return orderDetailsFetchedMsg{txnID: txnID, od: od, x: x, err: err}
	}
}

// historyView lists the profile's transactions with their postbacks, and
// re-fetches the order details of one.
type historyView struct {
	st   *Styles
	km   *KeyMap
	w, h int
	demo bool

	entries []session.HistoryEntry
	now     time.Time // when the view opened: a live transaction past its expiry shows as expired
	loading bool
	// pending are the keys typed while loading, replayed once loaded.
	pending []tea.KeyMsg
	err     error
	cursor  int

	fetching string
	details  map[string]*gateway.OrderDetails
	fetchErr map[string]error
}

func newHistoryView(st *Styles, km *KeyMap, demo bool, now time.Time) *historyView {
	return &historyView{st: st, km: km, demo: demo, loading: true, now: now,
		details: map[string]*gateway.OrderDetails{}, fetchErr: map[string]error{}}
}

func (v *historyView) SetSize(w, h int) { v.w, v.h = w, h }
func (v *historyView) capturing() bool  { return false }
func (v *historyView) ShortHelp() []key.Binding {
	return []key.Binding{v.km.Up, v.km.Down, v.km.Refetch, v.km.Back}
}
func (v *historyView) FullHelp() [][]key.Binding {
	return [][]key.Binding{{v.km.Up, v.km.Down, v.km.Top, v.km.Bottom}, {v.km.Refetch, v.km.Back}}
}

func (v *historyView) selected() *session.HistoryEntry {
	if v.cursor >= 0 && v.cursor < len(v.entries) {
		return &v.entries[v.cursor]
	}
	return nil
}

// sortPostbacks copies the entries with each one's postbacks in the order
// they were received.
func sortPostbacks(es []session.HistoryEntry) []session.HistoryEntry {
	out := append([]session.HistoryEntry(nil), es...)
	for i := range out {
		pbs := append([]session.PostbackRecord(nil), out[i].Postbacks...)
		sort.SliceStable(pbs, func(a, b int) bool { return pbs[a].ReceivedAt.Before(pbs[b].ReceivedAt) })
		out[i].Postbacks = pbs
	}
	return out
}

// statusText is an entry's status with its error message, if any,
// terminal-safe. A
// transaction left unfinished (a closed tab, a quit) stays INITIALIZED or
// USED in the history; past its expiry it is shown as the Gateway has it.
func statusText(e session.HistoryEntry, now time.Time) string {
	status := string(e.Status)
	if !e.Status.Final() && !e.ExpiresAt.IsZero() && !now.IsZero() && now.After(e.ExpiresAt) {
		status = string(gateway.StatusExpired) + " (left " + status + ")"
	}
	if e.ErrorCode != 0 || e.ErrorMessage != "" {
		status += " " + e.ErrorMessage
	}
	return present.SafeLine(status)
}

// status is an entry's status as the list shows it: its error message is
// the SDK's or the Gateway's, redacted in demo mode before the column cuts
// it.
func (v *historyView) status(e session.HistoryEntry) string {
	return shownText(v.demo, statusText(e, v.now))
}

// user is an entry's user as the list shows it: in demo mode redacted (a
// label may be the user's smallcaseAuthId) before the column cuts it.
func (v *historyView) user(e session.HistoryEntry) string {
	return shownText(v.demo, present.SafeLine(e.User))
}

// historyWidths sizes the list's columns to the entries: every column as
// wide as its widest cell when the width allows; otherwise the status
// gives way to the transaction id.
func (v *historyView) historyWidths() (intentW, userW, statusW, idW int) {
	intentW, userW, statusW, idW = len("INTENT"), len("USER"), len("STATUS"), len("TRANSACTION")
	for _, e := range v.entries {
		intentW = max(intentW, ansi.StringWidth(present.SafeLine(string(e.Intent))))
		userW = max(userW, ansi.StringWidth(v.user(e)))
		statusW = max(statusW, ansi.StringWidth(v.status(e)))
		idW = max(idW, ansi.StringWidth(present.RedactID(present.SafeLine(e.TransactionID), v.demo)))
	}
	userW = min(userW, 16)
	// cursor, CREATED, the separators and the postback count
	rest := v.w - 2 - 14 - intentW - userW - 4 - 4
	if statusW+idW <= rest {
		return
	}
	// The id gets the room first (an id is never cut; a status may be):
	// the status keeps at least 10 cells, and only below that do both
	// share what is left.
	s := rest - idW
	if s < 10 {
		s = min(statusW, max(10, rest/2))
	}
	return intentW, userW, max(s, 6), max(rest-s, 8)
}

// maxPendingKeys bounds the keys kept while a screen loads.
const maxPendingKeys = 64

// refetch is the command the root runs for the r key; it needs the runner.
type refetchAskedMsg struct{ label, txnID string }

func (v *historyView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case historyLoadedMsg:
		v.loading, v.entries, v.err = false, sortPostbacks(msg.entries), msg.err
		if v.cursor >= len(v.entries) {
			v.cursor = max(len(v.entries)-1, 0)
		}
		// Keys typed while the history loaded act now, in order.
		pending := v.pending
		v.pending = nil
		var cmds []tea.Cmd
		for _, k := range pending {
			_, cmd := v.Update(k)
			cmds = append(cmds, cmd)
		}
		return v, tea.Batch(cmds...)
	case orderDetailsFetchedMsg:
		v.fetching = ""
		if msg.err != nil {
			v.fetchErr[msg.txnID] = msg.err
			delete(v.details, msg.txnID)
		} else {
			v.details[msg.txnID] = msg.od
			delete(v.fetchErr, msg.txnID)
		}
	case tea.KeyMsg:
		if v.loading && !key.Matches(msg, v.km.Back) && len(v.pending) < maxPendingKeys {
			v.pending = append(v.pending, msg)
			return v, nil
		}
		if c, moved := moveCursor(v.km, msg, v.cursor, len(v.entries)); moved {
			v.cursor = c
			return v, nil
		}
		switch {
		case key.Matches(msg, v.km.Back):
			return v, emit(navigatedBackMsg{})
		case key.Matches(msg, v.km.Refetch):
			e := v.selected()
			switch {
			case e == nil:
				return v, nil
			case e.Intent != gateway.IntentTransaction:
				return v, setStatus("order details exist only for TRANSACTION (order) transactions", statusInfo)
			case e.User == "":
				return v, setStatus("this transaction has no local user to mint a connected token for", statusError)
			}
			v.fetching = e.TransactionID
			return v, emit(refetchAskedMsg{label: e.User, txnID: e.TransactionID})
		}
	}
	return v, nil
}

func (v *historyView) View() string {
	st := v.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Transaction history") + st.Subtle.Render("  newest first; postbacks shown under their transaction") + "\n")
	switch {
	case v.loading:
		return b.String() + st.Subtle.Render("loading…")
	case v.err != nil:
		return b.String() + st.InlineErr.Render(present.Safe(v.err.Error()))
	case len(v.entries) == 0:
		return b.String() + st.Subtle.Render("No transactions yet: run a guest login, an order or an import from the home screen.")
	}
	intentW, userW, statusW, idW := v.historyWidths()
	b.WriteString("  " + st.TableHead.Render(pad("CREATED", 14)+" "+pad("INTENT", intentW)+" "+pad("USER", userW)+" "+pad("STATUS", statusW)+" "+pad("TRANSACTION", idW)) + "\n")
	listH := max(min(len(v.entries), (v.h-2)/2), 1)
	start := 0
	if v.cursor >= listH {
		start = v.cursor - listH + 1
	}
	for i := start; i < len(v.entries) && i < start+listH; i++ {
		e := v.entries[i]
		pb := ""
		if n := len(e.Postbacks); n > 0 {
			pb = " ✉" + strconv.Itoa(n)
		}
		line := pad(e.CreatedAt.Local().Format("01-02 15:04:05"), 14) + " " + pad(present.SafeLine(string(e.Intent)), intentW) + " " + pad(v.user(e), userW) + " " +
			pad(v.status(e), statusW) + " " + pad(present.RedactID(present.SafeLine(e.TransactionID), v.demo), idW) + pb
		if i == v.cursor {
			b.WriteString(st.Cursor.Render("› ") + st.Selected.Render(pad(line, v.w-2)) + "\n")
		} else {
			b.WriteString("  " + pad(line, v.w-2) + "\n")
		}
	}
	e := v.selected()
	if e == nil {
		return b.String()
	}
	b.WriteString("\n" + st.PaneTitle.Render("Transaction "+present.RedactID(present.SafeLine(e.TransactionID), v.demo)) + "\n")
	if e.Summary != "" {
		b.WriteString(present.Safe(e.Summary) + "\n")
	}
	switch {
	case e.Status.Final():
		// A finished transaction no longer expires: say how it ended and
		// when, as far as gatewalk saw it (the last postback).
		line := st.Label.Render("status  ") + st.Strong.Render(present.SafeLine(string(e.Status)))
		if n := len(e.Postbacks); n > 0 {
			line += st.Subtle.Render(" · last postback " + e.Postbacks[n-1].ReceivedAt.Local().Format("2006-01-02 15:04:05"))
		} else {
			line += st.Subtle.Render(" · created " + e.CreatedAt.Local().Format("2006-01-02 15:04:05"))
		}
		b.WriteString(line + "\n")
	case !e.ExpiresAt.IsZero() && !v.now.IsZero() && v.now.After(e.ExpiresAt):
		b.WriteString(st.Label.Render("status  ") + statusText(session.HistoryEntry{Status: e.Status, ExpiresAt: e.ExpiresAt}, v.now) + st.Subtle.Render(" · expired "+e.ExpiresAt.Local().Format("2006-01-02 15:04:05")+" without finishing") + "\n")
	case !e.ExpiresAt.IsZero():
		b.WriteString(st.Label.Render("status  ") + present.SafeLine(string(e.Status)) + st.Subtle.Render(" · expires "+e.ExpiresAt.Local().Format("2006-01-02 15:04:05")) + "\n")
	}
	if e.ErrorCode != 0 {
		info := gateway.ExplainSDKError(e.ErrorCode, e.ErrorMessage)
		// The SDK's message, redacted before it is wrapped.
		for _, l := range wrap(shownText(v.demo, "error "+present.SafeLine(e.ErrorMessage)+" ("+strconv.Itoa(e.ErrorCode)+"): "+present.SafeLine(info.Meaning)), v.w) {
			b.WriteString(st.InlineErr.Render(l) + "\n")
		}
	}
	for _, p := range e.Postbacks {
		ok := st.StatusOK.Render(present.ChecksumLabel(true))
		if !p.ChecksumValid {
			ok = st.StatusErr.Render(present.ChecksumLabel(false))
		}
		line := "✉ " + p.ReceivedAt.Local().Format("15:04:05") + " " + present.SafeLine(p.Event) + " " + present.SafeLine(p.Status) + " · " + ok
		if p.Problem != "" {
			line += " · " + st.Warn.Render(present.SafeLine(p.Problem))
		}
		// The postback's words, redacted before the line is cut.
		b.WriteString(pad(shownText(v.demo, line), v.w) + "\n")
	}
	if e.Intent == gateway.IntentTransaction {
		switch {
		case v.fetching == e.TransactionID:
			b.WriteString(st.Subtle.Render("fetching order details…") + "\n")
		case v.fetchErr[e.TransactionID] != nil:
			for _, l := range wrap(shownText(v.demo, "could not fetch the order details: "+present.Safe(v.fetchErr[e.TransactionID].Error())), v.w) {
				b.WriteString(st.InlineErr.Render(l) + "\n")
			}
		case v.details[e.TransactionID] != nil:
			for _, l := range orderLines(st, v.details[e.TransactionID], v.w, v.demo) {
				b.WriteString(l + "\n")
			}
		default:
			b.WriteString(st.Subtle.Render("r re-fetches the order details from the API") + "\n")
		}
	}
	return fitLines(b.String(), v.h)
}
