package ui

import (
	"context"
	"errors"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/timer"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// stepFinishedMsg reports that Next returned: the step it ran (a copy, nil
// when nothing ran) and a snapshot of every step.
type stepFinishedMsg struct {
	j     Journey
	step  *flow.Step
	steps []flow.Step
}

// journeyEventMsg is one browser page event; ok is false once the channel
// is closed.
type journeyEventMsg struct {
	j  Journey
	ev session.JourneyEvent
	ok bool
}

// curlCopiedMsg reports the clipboard write of a curl command.
type curlCopiedMsg struct{ err error }

// journeyFinishedMsg tells the root that a journey ended, for the session
// export and to refresh the users.
type journeyFinishedMsg struct {
	kind  flow.Kind
	label string
	steps []flow.Step
	ok    bool
}

// Step timeouts: the SDK wait is bounded by the transaction's expiry (plus
// a margin for the bridge to report it); the rest are API calls or local.
const (
	stepTimeout     = 90 * time.Second
	awaitSDKTimeout = gateway.TransactionLifetime + time.Minute
)

// runStepCmd runs the journey's next step.
func runStepCmd(parent context.Context, j Journey, timeout time.Duration) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		s := j.Next(ctx)
		var cp *flow.Step
		if s != nil {
			c := *s
			cp = &c
		}
		return stepFinishedMsg{j: j, step: cp, steps: j.Snapshot()}
	}
}

// waitForJourneyEventCmd reads one browser event; the flow view re-arms it.
func waitForJourneyEventCmd(j Journey) tea.Cmd {
	ch := j.Events()
	return func() tea.Msg {
		ev, ok := <-ch
		return journeyEventMsg{j: j, ev: ev, ok: ok}
	}
}

// copyCurlCmd puts a curl command on the clipboard.
func copyCurlCmd(c Clipboard, text string) tea.Cmd {
	return func() tea.Msg {
		if c == nil {
			return curlCopiedMsg{errors.New("no clipboard in this terminal")}
		}
		return curlCopiedMsg{c.Copy(text)}
	}
}

// flowView is the guided view of one journey: the steps with their state on
// one side, the selected step's details on the other, a live countdown of
// the transaction, and a panel explaining a failure with what to redo.
type flowView struct {
	st   *Styles
	km   *KeyMap
	w, h int

	kind  flow.Kind
	label string
	j     Journey
	clip  Clipboard

	ctx    context.Context
	cancel context.CancelFunc

	steps    []flow.Step
	sel      int
	follow   bool
	running  bool
	finished bool
	now      time.Time
	demo     bool
	auto     gateway.Scenario

	spin     spinner.Model
	timer    timer.Model
	timerOn  bool
	expireAt time.Time

	events []session.JourneyEvent
	curl   string
	detail viewport.Model
}

func newFlowView(st *Styles, km *KeyMap, kind flow.Kind, label string, j Journey, clip Clipboard, now time.Time, demo bool, auto gateway.Scenario) *flowView {
	ctx, cancel := context.WithCancel(context.Background())
	f := &flowView{st: st, km: km, kind: kind, label: label, j: j, clip: clip, ctx: ctx, cancel: cancel,
		now: now, demo: demo, auto: auto, follow: true}
	f.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(st.StepRunning))
	f.detail = viewport.New(40, 10)
	f.steps = j.Snapshot()
	return f
}

// start runs the next pending step and listens to the browser events.
func (f *flowView) start() tea.Cmd {
	return tea.Batch(f.runNext(), waitForJourneyEventCmd(f.j), f.spin.Tick)
}

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
		f.sel = next
	}
	timeout := stepTimeout
	if f.steps[next].Kind == flow.AwaitSDK {
		timeout = awaitSDKTimeout
	}
	f.refreshDetail()
	return runStepCmd(f.ctx, f.j, timeout)
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
	case f.duplicate() != nil:
		return []key.Binding{f.km.Confirm, f.km.Deny, f.km.Back}
	case f.failed() != nil:
		return []key.Binding{f.km.Retry, f.km.Fresh, f.km.Copy, f.km.Up, f.km.Down, f.km.Back}
	case f.finished && f.kind == flow.GuestLogin:
		return []key.Binding{f.km.NextFlow, f.km.Copy, f.km.Up, f.km.Down, f.km.Back}
	case f.finished && f.kind == flow.HoldingsImport:
		return []key.Binding{f.km.Holdings, f.km.Copy, f.km.Up, f.km.Down, f.km.Back}
	}
	return []key.Binding{f.km.Up, f.km.Down, f.km.Copy, f.km.PageDown, f.km.Back}
}

func (f *flowView) FullHelp() [][]key.Binding {
	return [][]key.Binding{{f.km.Up, f.km.Down, f.km.PageUp, f.km.PageDown},
		{f.km.Copy, f.km.Retry, f.km.Fresh, f.km.Confirm, f.km.Deny}, {f.km.NextFlow, f.km.Holdings, f.km.Back}}
}

// stop cancels a running step and releases the journey.
func (f *flowView) stop() {
	f.cancel()
	f.j.Close()
	f.timerOn = false
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
		return f, cmd
	case timer.TickMsg, timer.StartStopMsg, timer.TimeoutMsg:
		if !f.timerOn {
			return f, nil
		}
		var cmd tea.Cmd
		f.timer, cmd = f.timer.Update(msg)
		return f, cmd
	case journeyEventMsg:
		if msg.j != f.j || !msg.ok {
			return f, nil
		}
		f.events = append(f.events, msg.ev)
		if len(f.events) > 20 {
			f.events = f.events[len(f.events)-20:]
		}
		f.refreshDetail()
		return f, waitForJourneyEventCmd(f.j)
	case stepFinishedMsg:
		if msg.j != f.j {
			return f, nil
		}
		return f, f.stepFinished(msg)
	case curlCopiedMsg:
		if msg.err != nil {
			return f, setStatus("could not copy ("+msg.err.Error()+"): the command is shown in the pane", statusError)
		}
		return f, setStatus("curl command copied (the apiSecret is $GATEWALK_API_SECRET)", statusOK)
	case tea.KeyMsg:
		return f, f.handleKey(msg)
	}
	return f, nil
}

func (f *flowView) stepFinished(msg stepFinishedMsg) tea.Cmd {
	f.steps = msg.steps
	f.running = false
	var cmds []tea.Cmd
	if s := msg.step; s != nil {
		switch {
		case s.Kind == flow.CreateTransaction && s.State == flow.Done && s.Transaction != nil:
			f.expireAt = s.Transaction.ExpireAt
			// The step's end is a fresher reading of the clock than the
			// last once-a-second tick.
			now := f.now
			if end := s.Started.Add(s.Duration); !s.Started.IsZero() && end.After(now) {
				now = end
			}
			f.timer = timer.NewWithInterval(f.expireAt.Sub(now).Round(time.Second), time.Second)
			f.timerOn = true
			cmds = append(cmds, f.timer.Init())
		case s.Kind == flow.AwaitSDK:
			f.timerOn = false
		}
	}
	if fs := f.failed(); fs != nil {
		f.timerOn = false
		for i := range f.steps {
			if f.steps[i].State == flow.Failed {
				f.sel = i
			}
		}
		f.refreshDetail()
		return tea.Batch(cmds...)
	}
	if f.allDone() || msg.step == nil {
		f.finished = true
		f.timerOn = false
		f.refreshDetail()
		cmds = append(cmds, emit(journeyFinishedMsg{kind: f.kind, label: f.label, steps: f.steps, ok: f.allDone()}))
		return tea.Batch(cmds...)
	}
	cmds = append(cmds, f.runNext(), f.spin.Tick)
	return tea.Batch(cmds...)
}

func (f *flowView) handleKey(k tea.KeyMsg) tea.Cmd {
	km := f.km
	if dup := f.duplicate(); dup != nil && !f.running {
		switch {
		case key.Matches(k, km.Confirm):
			f.j.AllowDuplicate()
			f.follow = true
			return tea.Batch(f.runNext(), f.spin.Tick)
		case key.Matches(k, km.Deny):
			return setStatus("not saved: "+f.label+" and "+dup.Existing.Label+" stay one user; connect with another broker account to add a new one", statusInfo)
		}
	}
	switch {
	case key.Matches(k, km.Back):
		f.stop()
		return emit(navigatedBackMsg{})
	case key.Matches(k, km.Up):
		if f.sel > 0 {
			f.sel--
		}
		f.follow = false
		f.curl = ""
	case key.Matches(k, km.Down):
		if f.sel < len(f.steps)-1 {
			f.sel++
		}
		f.follow = false
		f.curl = ""
	case key.Matches(k, km.PageDown):
		f.detail.HalfPageDown()
		return nil
	case key.Matches(k, km.PageUp):
		f.detail.HalfPageUp()
		return nil
	case key.Matches(k, km.Copy):
		s := f.selected()
		if s == nil || len(s.Exchanges) == 0 {
			return setStatus("this step sent no HTTP request: select a create or fetch step", statusInfo)
		}
		f.curl = s.Exchanges[len(s.Exchanges)-1].Curl()
		f.refreshDetail()
		f.detail.GotoBottom()
		return copyCurlCmd(f.clip, f.curl)
	case key.Matches(k, km.Retry) && !f.running:
		fs := f.failed()
		if fs == nil {
			return nil
		}
		p := flow.Explain(fs.Err)
		if p.Redo == "" {
			return setStatus("nothing to retry as is: "+p.Advice+" (esc goes back)", statusError)
		}
		return f.retry(p.Redo)
	case key.Matches(k, km.Fresh) && !f.running:
		if f.failed() == nil || f.step(flow.CreateTransaction) == nil {
			return nil
		}
		return f.retry(flow.CreateTransaction)
	case f.finished && f.kind == flow.GuestLogin && key.Matches(k, km.Order):
		return emit(openOrderFormMsg{label: f.label})
	case f.finished && f.kind == flow.GuestLogin && key.Matches(k, km.Import):
		return emit(openImportFormMsg{label: f.label})
	case f.finished && f.kind == flow.HoldingsImport && key.Matches(k, km.Holdings):
		if s := f.step(flow.FetchHoldings); s != nil && s.Holdings != nil {
			return emit(holdingsFetchedMsg{label: f.label, h: s.Holdings})
		}
	}
	f.refreshDetail()
	return nil
}

func (f *flowView) retry(k flow.StepKind) tea.Cmd {
	f.j.RetryFrom(k)
	f.follow = true
	f.curl = ""
	f.events = nil
	return tea.Batch(f.runNext(), f.spin.Tick)
}

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
