package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// checkState is how far the flow view got in asking the Gateway what became
// of a transaction whose SDK step ended without saying (another tab used
// it, the tab was closed, the wait was stopped, the network was lost).
type checkState int

const (
	// checkNone: the ending was clear, or nothing failed.
	checkNone checkState = iota
	// checkRunning: resolveTransactionCmd runs.
	checkRunning
	// checkDone: res holds the Gateway's answer.
	checkDone
)

// txnCheck is the check of the failed attempt's transaction. Until it
// answers that no orders were placed, a fresh transaction for the same
// order could place them twice: f (and r, which redoes the create too)
// waits for the answer, is refused once orders were placed, and asks for y
// when the Gateway could not say.
type txnCheck struct {
	state checkState
	res   flow.Resolution
	// fresh is set when f during the SDK wait asked for a fresh
	// transaction: it follows an answer that no orders were placed.
	fresh bool
	// ask is the step a fresh transaction would redo from while the panel
	// asks for y ("" when it does not ask).
	ask flow.StepKind
}

// placed and unknown read the answer (false while none came).
func (c txnCheck) placed() bool  { return c.state == checkDone && c.res.Known && c.res.Placed }
func (c txnCheck) unknown() bool { return c.state == checkDone && !c.res.Known }

// safe reports that nothing stands in the way of a fresh transaction: no
// check was needed, or the Gateway says no orders were placed.
func (c txnCheck) safe() bool {
	return c.state == checkNone || c.state == checkDone && c.res.Known && !c.res.Placed
}

// stepFailed shows the failed step fs. An SDK step that ended without
// saying whether the transaction placed orders starts the Gateway's check
// first. f during the wait ends the attempt here and starts a fresh one,
// unless the check must answer first.
func (f *flowView) stepFailed(fs flow.Step) tea.Cmd {
	f.timerOn = false
	// Next has returned: the journey can be read without a race.
	unclear := fs.Kind == flow.AwaitSDK && f.j.NeedsResolution(fs.Err)
	if f.freshAfter && fs.Kind == flow.AwaitSDK {
		// f during the wait: this attempt ends here.
		f.freshAfter = false
		f.ended = append(f.ended, f.record(false, "left for a fresh transaction during the SDK wait"))
		f.recorded = true
		if !unclear {
			return f.retry(flow.CreateTransaction)
		}
		f.chk.fresh = true
	}
	var cmd tea.Cmd
	if unclear {
		cmd = f.startCheck()
	}
	for i := range f.steps {
		if f.steps[i].State == flow.Failed {
			f.selectStep(i)
		}
	}
	f.refreshDetail()
	if !f.recorded {
		f.recorded = true
		p := f.problem(fs)
		end := "failed at “" + fs.Title + "”"
		if p.Name != "" {
			end += ": " + p.Name
		}
		f.ended = append(f.ended, f.record(false, end))
	}
	return cmd
}

// txnID is the failed attempt's transaction id (the answer's, else the
// create step's).
func (f *flowView) txnID() string {
	if id := f.chk.res.TransactionID; id != "" {
		return id
	}
	if c := f.step(flow.CreateTransaction); c != nil && c.Transaction != nil {
		return c.Transaction.TransactionID
	}
	return "the transaction"
}

// shownID is txnID as the screen shows it: terminal-safe, redacted in demo
// mode. The root redacts only the body, after the panel wrapped its lines:
// the status line needs it, and the panel keeps its width.
func (f *flowView) shownID() string {
	return present.RedactID(present.SafeLine(f.txnID()), f.demo)
}

// said is the Gateway's answer in one terminal-safe line, redacted in demo
// mode as shownID is.
func (f *flowView) said() string {
	return f.shown(present.SafeLine(f.chk.res.Summary()))
}

// startCheck asks the Gateway what became of the failed attempt's
// transaction.
func (f *flowView) startCheck() tea.Cmd {
	f.chk.state = checkRunning
	f.chk.res = flow.Resolution{TransactionID: f.txnID()}
	return tea.Batch(resolveTransactionCmd(f.ctx, f.j, resolveTimeout),
		setStatus("checking with the Gateway what became of "+f.shownID()+" before anything else", statusInfo))
}

// resolved takes the Gateway's answer. An f pressed during the wait goes on
// to a fresh transaction only when no orders were placed; when the Gateway
// could not say, it asks first.
func (f *flowView) resolved(msg transactionResolvedMsg) tea.Cmd {
	// An answer for a journey left, or for an attempt no longer failed
	// (nothing retries while a check runs), is dropped.
	if msg.j != f.j || f.chk.state != checkRunning {
		return nil
	}
	res := msg.res
	if res.TransactionID == "" {
		res.TransactionID = f.txnID()
	}
	wanted := f.chk.fresh
	f.chk = txnCheck{state: checkDone, res: res}
	said := f.said()
	var cmd tea.Cmd
	switch {
	case f.chk.safe() && wanted:
		return tea.Batch(f.retry(flow.CreateTransaction), setStatus(said+": a fresh transaction is being created", statusInfo))
	case f.chk.safe():
		cmd = setStatus(said+": f creates a fresh transaction", statusOK)
	case f.chk.placed():
		cmd = setStatus(said+": no fresh transaction for this order", statusError)
	default:
		if wanted {
			f.chk.ask = flow.CreateTransaction
		}
		cmd = setStatus(said, statusError)
	}
	f.refreshDetail()
	return cmd
}

// freshAfterCheck redoes from redo (a fresh transaction) when the check
// allows it: while it runs it only says so, once orders were placed it
// refuses, and when the Gateway could not say it asks for y.
func (f *flowView) freshAfterCheck(redo flow.StepKind) tea.Cmd {
	switch {
	case f.chk.safe():
		return f.retry(redo)
	case f.chk.state == checkRunning:
		return setStatus("still checking with the Gateway what became of "+f.shownID()+": a fresh transaction waits for its answer", statusInfo)
	case f.chk.placed():
		return setStatus("no fresh transaction: the Gateway says "+f.shownID()+" placed orders, and another transaction for the same order would place them again", statusError)
	}
	f.chk.ask = redo
	f.refreshDetail()
	return setStatus("y creates a fresh transaction anyway, any other key keeps "+f.shownID(), statusError)
}

// answerFreshKey takes the answer to "create one anyway?": y redoes, any
// other key keeps the transaction as it is.
func (f *flowView) answerFreshKey(k tea.KeyMsg) (tea.Cmd, bool) {
	redo := f.chk.ask
	if redo == "" {
		return nil, false
	}
	f.chk.ask = ""
	id := f.shownID()
	if key.Matches(k, f.km.Confirm) {
		return tea.Batch(f.retry(redo),
			setStatus("a fresh transaction for the same order, though the Gateway could not say whether "+id+" placed orders", statusInfo)), true
	}
	f.refreshDetail()
	return setStatus("kept "+id+": no fresh transaction was created", statusInfo), true
}

// freshQuestion is what the panel asks before a fresh transaction when the
// Gateway could not say whether orders were placed.
func (f *flowView) freshQuestion() string {
	return "The Gateway could not say whether " + f.shownID() + " placed orders. A fresh transaction for the same order " +
		"could place them twice. y creates one anyway, any other key keeps this one"
}

// withCheck is p as the check changes it: no redo while the check runs or
// once orders were placed, the advice to find out first when the Gateway
// could not say.
func (f *flowView) withCheck(p flow.Problem) flow.Problem {
	redo := p.Redo
	if redo == "" {
		redo = flow.CreateTransaction
	}
	id := f.shownID()
	switch {
	case f.chk.state == checkNone:
		return p
	case f.chk.state == checkRunning:
		p.Advice = "Wait for the Gateway's answer: if " + id + " placed the orders, a fresh transaction for the same order places them twice."
		p.Redo = ""
	case f.chk.placed():
		p.Advice = "Do not create another transaction for this order: its orders were placed, and a fresh one would place them again. " +
			"Check them in the broker's order book (or esc, then y: the history, where r re-fetches its orders)."
		p.Redo = ""
	case f.chk.unknown() && f.chk.ask != "":
		// The panel's question says it, and must fit.
		p.Advice = ""
		p.Redo = redo
	case f.chk.unknown():
		p.Advice = "Find out whether " + id + " placed orders (the broker's order book, the Gateway dashboard, or its ORDER_COMPLETED " +
			"postback) before creating a fresh transaction: if it did, a fresh one places them twice."
		p.Redo = redo
	default:
		p.Advice = "No orders were placed, so a fresh transaction is safe: f creates one and a new page."
		p.Redo = redo
	}
	return p
}

// checkLine is what the panel says of the check ("" without one).
func (f *flowView) checkLine() string {
	switch f.chk.state {
	case checkRunning:
		return "Checking with the Gateway what became of " + f.shownID() + " (whether it placed orders)…"
	case checkDone:
		return "The Gateway says: " + f.said()
	}
	return ""
}

// checkKeys is the key line of the failure panel during a check ("" when
// the usual one applies).
func (f *flowView) checkKeys() string {
	switch {
	case f.chk.ask != "":
		return f.freshQuestion()
	case f.chk.state == checkRunning:
		return "f waits for the Gateway's answer · esc back"
	case f.chk.placed():
		return "no fresh transaction for this order: its orders were placed · esc back"
	case f.chk.unknown():
		return "f asks before a fresh transaction, from “" + f.titleOf(flow.CreateTransaction) + "” · esc back"
	}
	return ""
}

// freshBinding is the f of the footer: it says when f asks first.
func (f *flowView) freshBinding() key.Binding {
	b := f.km.Fresh
	if f.chk.unknown() {
		b.SetHelp(b.Help().Key, "fresh transaction (asks first)")
	}
	return b
}

// askKeys are the footer while the panel asks for y.
func (f *flowView) askKeys() []key.Binding {
	y, n := f.km.Confirm, f.km.Deny
	y.SetHelp(y.Help().Key, "create one anyway")
	n.SetHelp(n.Help().Key, "keep this one (any other key too)")
	return []key.Binding{y, n}
}

// checkDetail is the detail pane's section on the check, under the failed
// SDK step: the answer and the orders it lists.
func (d *detail) checkDetail(s flow.Step) {
	f := d.f
	if s.Kind != flow.AwaitSDK || s.State != flow.Failed || f.chk.state == checkNone {
		return
	}
	d.section("What became of the transaction")
	style := d.st.Warn
	if f.chk.safe() {
		style = d.st.StatusOK
	}
	for _, l := range wrap(f.checkLine(), d.w) {
		d.add(style.Render(l))
	}
	if r := f.chk.res; f.chk.state == checkDone && len(r.Batches) > 0 {
		d.add(orderLines(d.st, &gateway.OrderDetails{TransactionID: r.TransactionID, Status: r.Status, Batches: r.Batches}, d.w, f.demo)...)
	}
}
