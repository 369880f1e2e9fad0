package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/ui/present"
)

// leaveKind is what the operator asked for that leaves the open journey.
type leaveKind int

const (
	// leaveQuit quits the program (q, ctrl+c).
	leaveQuit leaveKind = iota + 1
	// leaveBack goes back from the journey's screen (esc).
	leaveBack
	// leaveSwitch reconnects on another profile (the profile screen).
	leaveSwitch
	// leaveReconnect reconnects on the same profile.
	leaveReconnect
)

// leaveAsk is a question the status line asks before leaving a journey
// whose transaction is live: y goes on with it, any other key stays.
type leaveAsk struct {
	kind leaveKind
	// opt is the connection to open (leaveSwitch, leaveReconnect).
	opt ConnectOptions
}

// askQuit quits at once, unless a journey's transaction is live: then it
// asks first, since quitting leaves the transaction unfinished.
func (m *Model) askQuit() tea.Cmd { return m.askLeave(leaveAsk{kind: leaveQuit}) }

// askBack leaves the active screen; from the journey's screen it asks
// first when the transaction is live.
func (m *Model) askBack() tea.Cmd {
	if m.flow != nil && m.active() == screen(m.flow) {
		return m.askLeave(leaveAsk{kind: leaveBack})
	}
	if _, ok := m.active().(*holdingsView); ok {
		// The table is where a holdings journey ends: back goes home, past
		// the finished journey or form it was opened from.
		m.back()
		for len(m.stack) > 1 {
			if txn, _ := m.flow.liveTransaction(); txn != nil && m.active() == screen(m.flow) {
				break // never leave a live transaction without asking
			}
			m.back()
		}
		return nil
	}
	m.back()
	return nil
}

// askLeave does a at once when no transaction is live, else asks first.
// Every way out of a live journey comes through here.
func (m *Model) askLeave(a leaveAsk) tea.Cmd {
	if txn, _ := m.flow.liveTransaction(); txn == nil {
		return m.leave(a)
	}
	m.asked = &a
	m.layout()
	return nil
}

// answerLeave takes the key pressed while the question is shown: y (or,
// for a quit, q or ctrl+c again) goes on, any other key stays.
func (m *Model) answerLeave(k tea.KeyMsg) tea.Cmd {
	a := *m.asked
	m.asked = nil
	m.layout()
	if key.Matches(k, m.km.Confirm) || a.kind == leaveQuit && key.Matches(k, m.km.Quit) {
		// What the status line said before (such as "still here" from an
		// earlier answer) is no longer true.
		m.status = ""
		m.statusID++
		if txn, _ := m.flow.liveTransaction(); txn != nil && a.kind == leaveBack {
			id := present.RedactID(txn.TransactionID, m.demo)
			return tea.Batch(m.leave(a), m.setStatus("left the journey: transaction "+id+" is left unfinished (ABANDONED in the history)", statusInfo))
		}
		return m.leave(a)
	}
	text := "still here: the journey goes on"
	if a.kind == leaveSwitch {
		text = "still here on profile " + m.profile.Name + ": the journey goes on (profile " + a.opt.Profile + " opens next time)"
	}
	return m.setStatus(text, statusInfo)
}

// leave does what a asked for. Leaving the journey (leaveFlow) abandons
// a live transaction.
func (m *Model) leave(a leaveAsk) tea.Cmd {
	switch a.kind {
	case leaveQuit:
		return m.quit()
	case leaveBack:
		m.back()
		return nil
	case leaveSwitch:
		return tea.Batch(m.reconnect(a.opt), m.setStatus("switched to profile "+a.opt.Profile, statusOK))
	case leaveReconnect:
		return m.reconnect(a.opt)
	}
	return nil
}

// leaveVerb is the question and its yes, by what was asked.
func (a leaveAsk) leaveVerb() (question, yes string) {
	switch a.kind {
	case leaveBack:
		return "Leave?", "leaves"
	case leaveSwitch:
		return "Switch to profile " + present.SafeLine(a.opt.Profile) + "?", "switches"
	case leaveReconnect:
		return "Restart the profile?", "restarts"
	}
	return "Quit?", "quits"
}

// leavePrompt is the question shown while asked: it names the live
// transaction and its time left.
func (m *Model) leavePrompt() string {
	q, yes := m.asked.leaveVerb()
	txn, settled := m.flow.liveTransaction()
	if txn == nil {
		return q + " y " + yes + ", any other key stays"
	}
	id := present.RedactID(txn.TransactionID, m.demo)
	what := "is waiting for the SDK result (" + present.Countdown(txn.ExpireAt.Sub(m.now)) + " left) and will be left unfinished"
	if settled {
		what = "has finished, but its result is not fetched yet"
	}
	return q + " Transaction " + id + " " + what + ": y " + yes + ", any other key stays"
}

// leaveKeys are the footer while asked.
func (m *Model) leaveKeys() []key.Binding {
	_, yes := m.asked.leaveVerb()
	y, n := m.km.Confirm, m.km.Deny
	y.SetHelp(y.Help().Key, yes)
	n.SetHelp(n.Help().Key, "stay (any other key too)")
	return []key.Binding{y, n}
}
