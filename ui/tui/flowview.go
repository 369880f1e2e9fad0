package tui

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/timer"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// flowView is the guided view of one journey: the steps with their state on
// one side, the selected step's details on the other, a live countdown of
// the transaction, and a panel explaining a failure with what to redo.
type flowView struct {
	st    *Styles
	km    *KeyMap
	sched scheduler
	w, h  int

	kind    flow.Kind
	label   string
	j       Journey
	clip    Clipboard
	profile session.Profile
	api     string

	ctx    context.Context
	cancel context.CancelFunc
	// stepCtx is the running step's context: cancelled when the browser
	// tab closes during the SDK wait, or when f asks for a fresh
	// transaction while it waits.
	stepCtx    context.Context
	stepCancel context.CancelFunc
	tabClosed  bool
	// pageStarted: the page reported that it started the SDK (sdk_started).
	pageStarted bool
	freshAfter  bool
	// chk asks the Gateway what became of the transaction when the SDK
	// step ended without saying whether orders were placed (flowcheck.go).
	chk txnCheck

	steps    []flow.Step
	sel      int
	follow   bool
	running  bool
	finished bool
	now      time.Time
	demo     bool
	auto     AutoAnswer
	// dupDeclined is set once n refused to save a duplicate id.
	dupDeclined bool
	// attempt counts the runs of this journey (1 + retries); recorded
	// says the current attempt was handed to the export already.
	attempt  int
	recorded bool
	// ended are the attempts that ended since the root last took them
	// (takeEnded), for the session export. Every attempt is kept: a failure
	// that was retried stays next to the attempt that completed.
	ended []journeyRecord

	spin     spinner.Model
	timer    timer.Model
	timerOn  bool
	expireAt time.Time

	events []bridge.JourneyEvent
	curl   string
	detail viewport.Model
}

// flowInfo is where a journey runs, for the screen and the export.
type flowInfo struct {
	profile session.Profile
	api     string
	auto    AutoAnswer
	now     time.Time
	demo    bool
}

func newFlowView(st *Styles, km *KeyMap, sched scheduler, kind flow.Kind, label string, j Journey, clip Clipboard, info flowInfo) *flowView {
	ctx, cancel := context.WithCancel(context.Background())
	f := &flowView{st: st, km: km, sched: sched, kind: kind, label: label, j: j, clip: clip, ctx: ctx, cancel: cancel,
		profile: info.profile, api: info.api, now: info.now, demo: info.demo, auto: info.auto, follow: true, attempt: 1}
	f.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(st.StepRunning))
	f.detail = viewport.New(40, 10)
	f.steps = j.Snapshot()
	return f
}

// start runs the next pending step and listens to the browser events.
func (f *flowView) start() tea.Cmd {
	return tea.Batch(f.runNext(), f.listen(), f.spin.Tick)
}

// listen reads the next browser event; Update re-arms it after each one.
func (f *flowView) listen() tea.Cmd { return f.sched.wait(waitForJourneyEventCmd(f.j)) }

// runNext marks the next pending step as running in the local copy and
// runs it.
func (f *flowView) runNext() tea.Cmd {
	f.steps = f.j.Snapshot()
	next := -1
	for i, s := range f.steps {
		if s.State == flow.Pending {
			next = i
			break
		}
	}
	if next < 0 {
		return nil
	}
	f.steps[next].State = flow.Running
	f.steps[next].Started = f.now
	f.running, f.finished = true, false
	if f.follow {
		f.selectStep(next)
	}
	timeout := stepTimeout
	if f.steps[next].Kind == flow.AwaitSDK {
		timeout = awaitSDKTimeout
	}
	f.refreshDetail()
	f.stepCtx, f.stepCancel = context.WithCancel(f.ctx)
	return runStepCmd(f.stepCtx, f.j, timeout)
}

// runningStep is the step running now, or nil.
func (f *flowView) runningStep() *flow.Step {
	if !f.running {
		return nil
	}
	for i := range f.steps {
		if f.steps[i].State == flow.Running {
			return &f.steps[i]
		}
	}
	return nil
}

// takeEnded hands over the attempts that ended.
func (f *flowView) takeEnded() []journeyRecord {
	e := f.ended
	f.ended = nil
	return e
}

// currentTitle names the step running (or failed, or next) for people.
func (f *flowView) currentTitle() string {
	for _, st := range []flow.StepState{flow.Running, flow.Failed, flow.Pending} {
		for _, s := range f.steps {
			if s.State == st {
				return s.Title
			}
		}
	}
	return "the last step"
}

// cancelStep cancels the running step's context (the journey's Next then
// returns it failed with context.Canceled).
func (f *flowView) cancelStep() {
	if f.stepCancel != nil {
		f.stepCancel()
	}
}

// selectStep selects step i and shows its details from their first line.
func (f *flowView) selectStep(i int) {
	if i != f.sel {
		f.curl = ""
	}
	f.sel = i
	f.refreshDetail()
	f.detail.GotoTop()
}

// record is the current attempt as the export keeps it.
func (f *flowView) record(ok bool, end string) journeyRecord {
	return journeyRecord{kind: f.kind, label: f.label, steps: append([]flow.Step(nil), f.steps...), ok: ok, end: end,
		attempt: f.attempt, profile: f.profile, api: f.api, auto: f.auto}
}

// liveTransaction is the transaction of the running journey, when one was
// created and the journey is still running; settled says the SDK step had
// already answered.
func (f *flowView) liveTransaction() (txn *gateway.TransactionCreated, settled bool) {
	if f == nil || !f.running {
		return nil, false
	}
	c := f.step(flow.CreateTransaction)
	if c == nil || c.State != flow.Done || c.Transaction == nil {
		return nil, false
	}
	if a := f.step(flow.AwaitSDK); a != nil && a.State == flow.Done {
		settled = true
	}
	t := *c.Transaction
	if !f.expireAt.IsZero() {
		t.ExpireAt = f.expireAt // on the terminal's clock
	}
	return &t, settled
}

func (f *flowView) failed() *flow.Step {
	for i := range f.steps {
		if f.steps[i].State == flow.Failed {
			return &f.steps[i]
		}
	}
	return nil
}

func (f *flowView) allDone() bool {
	for _, s := range f.steps {
		if s.State != flow.Done && s.State != flow.Skipped {
			return false
		}
	}
	return len(f.steps) > 0
}

func (f *flowView) step(k flow.StepKind) *flow.Step {
	for i := range f.steps {
		if f.steps[i].Kind == k {
			return &f.steps[i]
		}
	}
	return nil
}

// duplicate reports whether the failure is the duplicate-id refusal.
func (f *flowView) duplicate() *session.DuplicateAuthIDError {
	var dup *session.DuplicateAuthIDError
	if s := f.failed(); s != nil && errors.As(s.Err, &dup) {
		return dup
	}
	return nil
}

func (f *flowView) SetSize(w, h int) {
	f.w, f.h = w, h
	f.refreshDetail()
}

func (f *flowView) capturing() bool { return false }

func (f *flowView) ShortHelp() []key.Binding {
	switch {
	case f.duplicate() != nil && f.dupDeclined:
		return []key.Binding{f.km.Up, f.km.Down, f.km.Back}
	case f.duplicate() != nil:
		return []key.Binding{f.km.Confirm, f.km.Deny, f.km.Back}
	case f.chk.ask != "":
		return f.askKeys()
	case f.failed() != nil:
		switch p := f.problem(*f.failed()); {
		case p.Redo == "", p.Redo == flow.CreateTransaction && f.step(flow.CreateTransaction) == nil:
			return []key.Binding{f.km.Copy, f.km.Up, f.km.Down, f.km.Back}
		case p.Redo == flow.CreateTransaction:
			return []key.Binding{f.freshBinding(), f.km.Copy, f.km.Up, f.km.Down, f.km.Back}
		}
		return []key.Binding{f.km.Retry, f.freshBinding(), f.km.Copy, f.km.Up, f.km.Down, f.km.Back}
	case f.finished && f.kind == flow.GuestLogin:
		return []key.Binding{f.km.NextFlow, f.km.Copy, f.km.Up, f.km.Down, f.km.Back}
	case f.finished && f.kind == flow.HoldingsImport:
		return []key.Binding{f.km.Holdings, f.km.Copy, f.km.Up, f.km.Down, f.km.Back}
	}
	if s := f.runningStep(); s != nil && s.Kind == flow.AwaitSDK && f.step(flow.CreateTransaction) != nil {
		return []key.Binding{f.km.Fresh, f.km.Up, f.km.Down, f.km.Copy, f.km.Back}
	}
	return []key.Binding{f.km.Up, f.km.Down, f.km.Copy, f.km.PageDown, f.km.Back}
}

func (f *flowView) FullHelp() [][]key.Binding {
	return [][]key.Binding{{f.km.Up, f.km.Down, f.km.PageUp, f.km.PageDown},
		{f.km.Copy, f.km.CopyTxn, f.km.CopyAuthID, f.km.CopyURL, f.km.CopyToken},
		{f.km.Retry, f.km.Fresh, f.km.Confirm, f.km.Deny}, {f.km.NextFlow, f.km.Holdings, f.km.Back}}
}

// stop cancels a running step and releases the journey. A journey left
// while its transaction is live is abandoned, not only closed: its history
// says ABANDONED and the browser page is told that nothing waits for it.
// The step's context is cancelled first, as Abandon asks.
func (f *flowView) stop() {
	live, _ := f.liveTransaction()
	f.cancel()
	if live != nil {
		f.j.Abandon()
	} else {
		f.j.Close()
	}
	f.timerOn = false
}

// sawResult reports whether the browser page posted a result already.
func (f *flowView) sawResult() bool {
	for _, ev := range f.events {
		if ev.Kind == bridge.JourneyResult {
			return true
		}
	}
	return false
}

func (f *flowView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case clockTickedMsg:
		f.now = msg.now
		return f, nil
	case spinner.TickMsg:
		if !f.running {
			return f, nil
		}
		var cmd tea.Cmd
		f.spin, cmd = f.spin.Update(msg)
		return f, f.sched.animate(cmd)
	case timer.TickMsg, timer.StartStopMsg, timer.TimeoutMsg:
		if !f.timerOn {
			return f, nil
		}
		var cmd tea.Cmd
		f.timer, cmd = f.timer.Update(msg)
		return f, f.sched.animate(cmd)
	case journeyEventMsg:
		if msg.j != f.j || !msg.ok {
			return f, nil
		}
		f.events = append(f.events, msg.ev)
		if len(f.events) > 20 {
			f.events = f.events[len(f.events)-20:]
		}
		var cmd tea.Cmd
		if msg.ev.Kind == bridge.JourneySDKStarted {
			f.pageStarted = true
		}
		if s := f.runningStep(); msg.ev.Kind == bridge.JourneyTabClosed && s != nil && s.Kind == flow.AwaitSDK && !f.sawResult() && !f.pageStarted {
			// Closed before Start was pressed: the transaction is unused
			// and the link still runs it.
			cmd = setStatus("the browser tab was closed before the journey started: the transaction is unused, open the link again", statusInfo)
		} else if s != nil && msg.ev.Kind == bridge.JourneyTabClosed && s.Kind == flow.AwaitSDK && !f.sawResult() {
			// The page used the transaction; nothing will answer for it any
			// more, so stop waiting out its five minutes.
			f.tabClosed = true
			f.cancelStep()
			next := "f starts a fresh transaction"
			if f.kind == flow.Order {
				// The page may have placed the orders before it closed:
				// the step's end asks the Gateway first.
				next = "asking the Gateway whether " + f.shownID() + " placed orders"
			}
			cmd = setStatus("the browser tab was closed before the SDK answered: "+next, statusError)
		}
		f.refreshDetail()
		return f, tea.Batch(f.listen(), cmd)
	case stepFinishedMsg:
		if msg.j != f.j {
			return f, nil
		}
		return f, f.stepFinished(msg)
	case transactionResolvedMsg:
		return f, f.resolved(msg)
	case valueCopiedMsg:
		if msg.err != nil {
			return f, setStatus("could not copy the "+msg.what+" ("+msg.err.Error()+")", statusError)
		}
		shown := present.SafeLine(msg.value)
		if msg.what == "token" {
			// A token is a credential: named, not shown.
			shown = "(" + strconv.Itoa(len(msg.value)) + " characters)"
		}
		return f, setStatus(msg.what+" "+shown+" sent to the clipboard by OSC 52 (in tmux: set -g set-clipboard on)", statusOK)
	case curlCopiedMsg:
		if msg.err != nil {
			return f, setStatus("could not copy ("+msg.err.Error()+"): the command is shown in the pane", statusError)
		}
		return f, setStatus("curl sent to the clipboard by OSC 52 (in tmux: set -g set-clipboard on); the pane shows it ready to paste · apiSecret: $GATEWALK_API_SECRET", statusOK)
	case tea.KeyMsg:
		return f, f.handleKey(msg)
	}
	return f, nil
}

func (f *flowView) stepFinished(msg stepFinishedMsg) tea.Cmd {
	f.steps = msg.steps
	f.running = false
	f.cancelStep()
	var cmds []tea.Cmd
	if s := msg.step; s != nil {
		switch {
		case s.Kind == flow.CreateTransaction && s.State == flow.Done && s.Transaction != nil:
			// The journey's wall-clock expiry: the Gateway's expireAt moved
			// by how far its clock runs ahead (an advanced sandbox clock).
			f.expireAt = s.Transaction.ExpireAt
			if !msg.expireAt.IsZero() {
				f.expireAt = msg.expireAt
			}
			// The step's end is a fresher reading of the clock than the
			// last once-a-second tick.
			now := f.now
			if end := s.Started.Add(s.Duration); !s.Started.IsZero() && end.After(now) {
				now = end
			}
			f.timer = timer.NewWithInterval(f.expireAt.Sub(now).Round(time.Second), time.Second)
			f.timerOn = true
			cmds = append(cmds, f.sched.animate(f.timer.Init()))
		case s.Kind == flow.AwaitSDK:
			f.timerOn = false
		}
	}
	if s := msg.step; s != nil && s.Kind == flow.AwaitSDK && s.State != flow.Failed {
		// The result won the race with f: carry on with this transaction.
		f.freshAfter = false
	}
	if fs := f.failed(); fs != nil {
		return tea.Batch(append(cmds, f.stepFailed(*fs))...)
	}
	if f.allDone() || msg.step == nil {
		f.finished = true
		f.timerOn = false
		f.refreshDetail()
		if !f.recorded {
			f.recorded = true
			rec := f.record(f.allDone(), "")
			f.ended = append(f.ended, rec)
			if rec.ok {
				cmds = append(cmds, emit(journeyFinishedMsg{rec: rec, note: f.note()}))
			}
		}
		return tea.Batch(cmds...)
	}
	cmds = append(cmds, f.runNext(), f.spin.Tick)
	return tea.Batch(cmds...)
}
