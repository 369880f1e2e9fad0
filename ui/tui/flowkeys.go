package tui

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/session/flow"
)

// handleKey applies a key: the answer to a question of the panel (a fresh
// transaction the Gateway could not clear, a duplicate id) first, then moving,
// the step's actions and what follows a finished journey. Any other key
// only redraws the details.
func (f *flowView) handleKey(k tea.KeyMsg) tea.Cmd {
	for _, handle := range []func(tea.KeyMsg) (tea.Cmd, bool){f.answerFreshKey, f.duplicateKey, f.moveKey, f.stepKey, f.nextFlowKey} {
		if cmd, ok := handle(k); ok {
			return cmd
		}
	}
	f.refreshDetail()
	return nil
}

// duplicateKey answers the question of the duplicate-id panel: y saves
// the user anyway, n keeps the one user.
func (f *flowView) duplicateKey(k tea.KeyMsg) (tea.Cmd, bool) {
	dup := f.duplicate()
	if dup == nil || f.running || f.dupDeclined {
		return nil, false
	}
	switch {
	case key.Matches(k, f.km.Confirm):
		f.j.AllowDuplicate()
		f.follow = true
		f.recorded = false
		return tea.Batch(f.runNext(), f.spin.Tick), true
	case key.Matches(k, f.km.Deny):
		f.dupDeclined = true
		f.refreshDetail()
		return setStatus("not saved: "+f.label+" and "+dup.Existing.Label+" stay one user; connect with another broker account to add a new one", statusInfo), true
	}
	return nil, false
}

// moveKey leaves the journey, moves the step selection or scrolls the
// details.
func (f *flowView) moveKey(k tea.KeyMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(k, f.km.Back):
		// The root leaves the journey (asking first when its
		// transaction is live).
		return emit(navigatedBackMsg{}), true
	case key.Matches(k, f.km.Up):
		if f.sel > 0 {
			f.selectStep(f.sel - 1)
		}
		f.follow = false
	case key.Matches(k, f.km.Down):
		if f.sel < len(f.steps)-1 {
			f.selectStep(f.sel + 1)
		}
		f.follow = false
	case key.Matches(k, f.km.PageDown):
		f.detail.HalfPageDown()
	case key.Matches(k, f.km.PageUp):
		f.detail.HalfPageUp()
	default:
		return nil, false
	}
	return nil, true
}

// stepKey copies the selected step's request, retries a failed step or
// asks for a fresh transaction.
func (f *flowView) stepKey(k tea.KeyMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(k, f.km.Copy):
		return f.copyCurl(), true
	case key.Matches(k, f.km.CopyTxn, f.km.CopyAuthID, f.km.CopyURL, f.km.CopyToken):
		return f.copyValue(k), true
	case key.Matches(k, f.km.Retry) && !f.running:
		return f.retryFailed(), true
	case key.Matches(k, f.km.Fresh) && f.running:
		return f.freshDuringWait(), true
	case key.Matches(k, f.km.Fresh):
		if f.failed() == nil || f.step(flow.CreateTransaction) == nil || f.duplicate() != nil {
			return nil, true
		}
		if f.sdkCompletedOrder() {
			return setStatus(notRecreated, statusError), true
		}
		return f.freshAfterCheck(flow.CreateTransaction), true
	}
	return nil, false
}

// nextFlowKey goes on from a finished journey: an order or an import for
// the user a guest login connected, the holdings an import fetched.
func (f *flowView) nextFlowKey(k tea.KeyMsg) (tea.Cmd, bool) {
	if !f.finished {
		return nil, false
	}
	switch {
	case f.kind == flow.GuestLogin && key.Matches(k, f.km.Order):
		return emit(openOrderFormMsg{label: f.label}), true
	case f.kind == flow.GuestLogin && key.Matches(k, f.km.Import):
		return emit(openImportFormMsg{label: f.label}), true
	case f.kind == flow.HoldingsImport && key.Matches(k, f.km.Holdings):
		if s := f.step(flow.FetchHoldings); s != nil && s.Holdings != nil {
			return emit(holdingsFetchedMsg{label: f.label, h: s.Holdings}), true
		}
	}
	return nil, false
}

// copyCurl puts the selected step's last request on the clipboard as a
// curl command, and shows it in the details.
func (f *flowView) copyCurl() tea.Cmd {
	s := f.selected()
	if s == nil || len(s.Exchanges) == 0 {
		return setStatus("this step sent no HTTP request: select a create or fetch step", statusInfo)
	}
	f.curl = s.Exchanges[len(s.Exchanges)-1].Curl()
	f.refreshDetail()
	f.detail.GotoBottom()
	return copyCurlCmd(f.clip, f.curl)
}

// copyValue puts what k names on the clipboard: the journey's
// transactionId, its user's smallcaseAuthId, the browser page's URL, or the
// selected step's token (else the newest one).
func (f *flowView) copyValue(k tea.KeyMsg) tea.Cmd {
	var what, val string
	switch {
	case key.Matches(k, f.km.CopyTxn):
		what = "transactionId"
		for _, s := range f.steps {
			if s.Transaction != nil && s.Transaction.TransactionID != "" {
				val = s.Transaction.TransactionID
			}
		}
	case key.Matches(k, f.km.CopyAuthID):
		what = "smallcaseAuthId"
		for _, s := range f.steps {
			switch {
			case s.Verified != nil && s.Verified.SmallcaseAuthID != "":
				val = s.Verified.SmallcaseAuthID
			case s.User != nil && s.User.SmallcaseAuthID != "" && val == "":
				val = s.User.SmallcaseAuthID
			}
		}
	case key.Matches(k, f.km.CopyURL):
		what = "page URL"
		if s := f.step(flow.OpenBrowser); s != nil {
			val = s.BrowserURL
		}
	default:
		what = "token"
		for _, s := range f.steps {
			if s.Token != "" {
				val = s.Token
			}
		}
		if s := f.selected(); s != nil && s.Token != "" {
			val = s.Token
		}
	}
	if val == "" {
		return setStatus("no "+what+" yet in this journey", statusInfo)
	}
	return copyValueCmd(f.clip, what, val)
}

// retryFailed runs the failed step again, or says why it cannot be
// retried as is.
func (f *flowView) retryFailed() tea.Cmd {
	fs := f.failed()
	if fs == nil || f.duplicate() != nil {
		return nil
	}
	p := f.problem(*fs)
	if p.Redo == flow.CreateTransaction && f.step(flow.CreateTransaction) == nil {
		// A transaction made elsewhere (s): gatewalk cannot make a fresh one.
		return setStatus(notRerun, statusError)
	}
	if (p.Redo == flow.MintToken || p.Redo == flow.CreateTransaction) && f.sdkCompletedOrder() {
		return setStatus(notRecreated, statusError)
	}
	if f.chk.state != checkNone {
		// The redo creates a transaction again: the check decides.
		return f.freshAfterCheck(p.Redo)
	}
	if p.Redo == "" {
		return setStatus("nothing to retry as is: "+p.Advice+" (esc goes back)", statusError)
	}
	return f.retry(p.Redo)
}

// freshDuringWait gives up the transaction the SDK step waits for, for a
// fresh one (the step's result then starts it, see stepFinished).
func (f *flowView) freshDuringWait() tea.Cmd {
	if s := f.runningStep(); s != nil && s.Kind == flow.AwaitSDK && f.step(flow.CreateTransaction) != nil && !f.freshAfter {
		f.freshAfter = true
		f.cancelStep()
		if f.kind == flow.Order {
			// The page may have placed the orders already: the step's end
			// asks the Gateway before a fresh one (see stepFailed).
			return setStatus("leaving this transaction: a fresh one follows once the Gateway says "+f.shownID()+" placed no orders", statusInfo)
		}
		return setStatus("leaving this transaction: a fresh one is being created", statusInfo)
	}
	return nil
}

func (f *flowView) retry(k flow.StepKind) tea.Cmd {
	f.j.RetryFrom(k)
	f.follow = true
	f.curl = ""
	f.events = nil
	f.tabClosed, f.dupDeclined = false, false
	f.freshAfter = false
	f.chk = txnCheck{}
	if f.recorded {
		f.attempt++
	}
	f.recorded = false
	next := f.runNext()
	if next == nil && f.kind == flow.SDKRun {
		// The runner refused to start the SDK again on this transaction.
		return setStatus(notRerun, statusError)
	}
	return tea.Batch(next, f.spin.Tick)
}

// notRerun says why a transaction run with s is not run again.
const notRerun = "not retried: this transaction came from your backend and was already handed to the SDK, which runs a " +
	"transactionId once; create a fresh one with your backend and run it with s"

func (f *flowView) selected() *flow.Step {
	if f.sel < 0 || f.sel >= len(f.steps) {
		return nil
	}
	return &f.steps[f.sel]
}

// countdown is the time left on the live transaction while it matters.
func (f *flowView) countdown() (time.Duration, bool) {
	if !f.timerOn {
		return 0, false
	}
	return f.timer.Timeout, true
}

// notRecreated says why an order whose SDK step completed is not redone
// from its token or create.
const notRecreated = "not retried: the SDK completed this order's transaction, so its orders may be placed; " +
	"a new transaction would place them again. Check the order details (or the broker's order book) instead"

// sdkCompletedOrder reports whether the SDK resolved this order journey's
// transaction (whatever failed after).
func (f *flowView) sdkCompletedOrder() bool {
	if f.kind != flow.Order {
		return false
	}
	s := f.step(flow.AwaitSDK)
	return s != nil && s.State == flow.Done && s.Outcome != nil && s.Outcome.Result != nil
}
