package tui

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session/flow"
	"gatewalk/session/runbook"
	"gatewalk/ui/present"
)

// openRunbooksMsg asks the root for the runbook list (home's b).
type openRunbooksMsg struct{}

// runbookSavedMsg reports the session saved as a runbook.
type runbookSavedMsg struct {
	path string
	err  error
}

// routeRunbook handles the runbook list, the presenter and the session
// saved as a runbook.
func (m *Model) routeRunbook(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case openRunbooksMsg:
		m.push(newRunbookList(m.st, &m.km, m.cfg.RunbookDir))
		return loadRunbooksCmd(m.cfg.Runbooks, m.cfg.RunbookDir), true
	case runbookChosenMsg:
		m.push(newPresenter(m.st, &m.km, msg.rb, msg.source, m.auto.On(), m.demo))
		return nil, true
	case runbookStepAskedMsg:
		return m.runbookStepAsked(msg.idx), true
	case replayExportedMsg:
		return m.replayExported(msg), true
	case runbookSavedMsg:
		if msg.err != nil {
			return m.setStatus("not saved as a runbook: "+msg.err.Error(), statusError), true
		}
		return m.setStatus("session saved as the runbook "+msg.path+" (b lists it; gatewalk run replays it)", statusOK), true
	}
	return nil, false
}

// runbookStepAsked runs a step of the presenter's runbook: a journey on
// the journey screen above the presenter (esc comes back, and the
// journey's steps are checked then), or a holdings fetch or an api call
// in a command.
func (m *Model) runbookStepAsked(idx int) tea.Cmd {
	p, ok := m.active().(*presenterView)
	if !ok || idx != p.running {
		return nil
	}
	if m.runner == nil {
		p.running = -1
		return m.notReady()
	}
	p.auto = m.auto.On()
	s := p.rb.Steps[idx]
	if why := m.runbookRefusal(p.rb, s); why != "" {
		p.stepRefused(idx, why)
		return m.setStatus("step "+s.Name+" not run: "+why, statusError)
	}
	switch {
	case s.Journey == runbook.JourneyAPI:
		return callRunbookAPICmd(m.runner, idx, s)
	case s.Journey == runbook.JourneyHoldings && !s.Import:
		return fetchRunbookHoldingsCmd(m.runner, idx, s)
	}
	restore := m.stepAuto(s)
	defer restore()
	var j Journey
	kind := flow.GuestLogin
	switch s.Journey {
	case runbook.JourneyLogin:
		j = m.runner.GuestLogin(s.User)
		if s.AllowDuplicate {
			j.AllowDuplicate()
		}
	case runbook.JourneyOrder:
		kind, j = flow.Order, m.runner.Order(s.User, *s.Order)
	case runbook.JourneySDK:
		spec, err := s.RunSpec(p.lastTxn)
		if err != nil {
			p.stepRefused(idx, err.Error())
			return m.setStatus("step "+s.Name+" not run: "+err.Error(), statusError)
		}
		kind, j = flow.SDKRun, m.runner.RunTransaction(spec)
		if s.AllowDuplicate {
			j.AllowDuplicate()
		}
	default:
		kind, j = flow.HoldingsImport, m.runner.HoldingsImport(s.User, gateway.HoldingsOptions{V2: s.V2, MFHoldings: s.MF})
	}
	return m.openFlowOver(kind, s.User, j)
}

// runbookRefusal says why the presenter does not run s on this profile:
// a runbook for another profile, or a real order (the order screen, with
// its review, places those).
func (m *Model) runbookRefusal(rb *runbook.Runbook, s runbook.Step) string {
	if want := rb.Profile; want != "" && want != runbook.AnyProfile && want != m.profile.Name {
		return "the runbook expects profile " + want + " (p switches)"
	}
	if m.profile.Env == gateway.EnvProduction && (s.Journey == runbook.JourneyOrder || s.Journey == runbook.JourneySDK ||
		s.Journey == runbook.JourneyAPI && s.Method != http.MethodGet) {
		return "profile " + m.profile.Name + " is production: real orders are placed from the order screen (o), after its review"
	}
	return ""
}

// stepAuto has the sandbox answer the step's SDK step as the step says,
// when the auto-answer is on; it returns what puts the operator's choice
// back.
func (m *Model) stepAuto(s runbook.Step) func() {
	if !m.auto.On() {
		return func() {}
	}
	a := AutoAnswer{Scenario: s.AutoScenario(), Broker: s.Broker, Account: s.Account}
	if a.Broker != "" && !strings.HasSuffix(a.Broker, "-leprechaun") {
		a.Broker += "-leprechaun"
	}
	if m.runner.SetAuto(a) != nil {
		return func() {}
	}
	return func() { _ = m.runner.SetAuto(m.auto) }
}

// syncPresenters tells the presenters whether the sandbox answers the SDK
// steps (the auto-answer may be off once the profile turns out not to be
// the sandbox).
func (m *Model) syncPresenters() {
	for _, s := range m.stack {
		if p, ok := s.(*presenterView); ok {
			p.auto = m.auto.On()
		}
	}
}

// presenterBelow reports whether the journey's screen was opened by a
// presenter, which esc returns to.
func (m *Model) presenterBelow() bool {
	i := m.flowAt()
	if i < 1 {
		return false
	}
	p, ok := m.stack[i-1].(*presenterView)
	return ok && p.running >= 0
}

// presenterStepEnded checks the journey the presenter ran once its screen
// is left, with the steps of its last attempt.
func (m *Model) presenterStepEnded() {
	p, ok := m.active().(*presenterView)
	if !ok || p.running < 0 || len(m.records) == 0 {
		return
	}
	rec := m.records[len(m.records)-1]
	s := p.rb.Steps[p.running]
	outcome, failures := s.CheckSteps(rec.steps)
	p.finish(p.running, outcome, failures)
	// The journey's "esc returns to the runbook" is done with.
	m.status = ""
	m.layout()
}

// fetchRunbookHoldingsCmd fetches the holdings of a holdings step and checks
// them.
func fetchRunbookHoldingsCmd(r Runner, idx int, s runbook.Step) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		h, xs, err := r.FetchHoldings(ctx, s.User, gateway.HoldingsOptions{V2: s.V2, MFHoldings: s.MF})
		st := flow.Step{Kind: flow.FetchHoldings, Title: "Fetch the holdings", State: flow.Done, Holdings: h, Exchanges: xs, Err: err}
		if err != nil {
			st.State = flow.Failed
		}
		outcome, failures := s.CheckSteps([]flow.Step{st})
		return runbookStepCheckedMsg{idx: idx, outcome: outcome, failures: failures}
	}
}

// callRunbookAPICmd makes an api step's call and checks it.
func callRunbookAPICmd(r Runner, idx int, s runbook.Step) tea.Cmd {
	path, q, body := s.Request(r.Profile().Gateway)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res := r.Call(ctx, s.Method, path, q, s.User, body)
		outcome, failures := s.CheckCall(res)
		return runbookStepCheckedMsg{idx: idx, outcome: outcome, failures: failures, txnID: runbook.CreatedTransaction(res)}
	}
}

// saveSessionRunbook saves the journeys of this run as a runbook in the
// config directory.
func (m *Model) saveSessionRunbook() tea.Cmd {
	rb, err := present.SessionRunbook(markdownRecords(m.records), m.now)
	if err != nil {
		return m.setStatus("not saved as a runbook: "+err.Error(), statusError)
	}
	data, err := json.MarshalIndent(rb, "", "  ")
	if err != nil {
		return m.setStatus("not saved as a runbook: "+err.Error(), statusError)
	}
	return saveRunbookCmd(m.cfg.Store, "session-"+m.now.Format("20060102-150405"), append(data, '\n'))
}

func saveRunbookCmd(s Store, name string, data []byte) tea.Cmd {
	return func() tea.Msg {
		path, err := s.SaveRunbook(name, data)
		return runbookSavedMsg{path: path, err: err}
	}
}
