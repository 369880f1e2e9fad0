package tui

import (
	"errors"
	"strconv"

	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// route hands a result to its owner: the root for what changes the
// session, the stack or the status line, else the screens.
func (m *Model) route(msg tea.Msg) tea.Cmd {
	if saved, ok := msg.(profileSavedMsg); ok {
		if restart := m.restartIfInUse(saved); restart != nil {
			return tea.Batch(restart, m.toScreens(msg))
		}
	}
	for _, handle := range []func(tea.Msg) (tea.Cmd, bool){m.routeSession, m.routeNavigation, m.routeOutcome, m.routeRunbook} {
		if cmd, ok := handle(msg); ok {
			return cmd
		}
	}
	return m.toScreens(msg)
}

// routeSession handles the runner, the profiles and the users.
func (m *Model) routeSession(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case runnerConnectedMsg:
		cmd := m.runnerConnected(msg)
		m.syncPresenters()
		return cmd, true
	case runnerClosedMsg:
		return nil, true
	case reconnectAskedMsg:
		return m.askLeave(leaveAsk{kind: leaveReconnect, opt: m.connOpt}), true
	case usersLoadedMsg:
		m.usersLoaded(msg)
		return nil, true
	case userSelectedMsg:
		m.selUser = msg.label
		return nil, true
	case profilesChangedMsg:
		return loadProfilesCmd(m.cfg.Store), true
	case profileChosenMsg:
		return useProfileCmd(m.cfg.Store, msg.name), true
	case profileUsedMsg:
		return m.profileUsed(msg), true
	case autoChosenMsg:
		return m.chooseAuto(msg.a), true
	}
	return nil, false
}

// routeNavigation opens and leaves screens and journeys.
func (m *Model) routeNavigation(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case navigatedBackMsg:
		return m.askBack(), true
	case guestLoginAskedMsg:
		return m.startJourney(flow.GuestLogin, msg.label), true
	case openOrderFormMsg:
		m.pushFor(msg.label, newOrderForm(m.st, &m.km, msg.label))
		return nil, true
	case openImportFormMsg:
		m.pushFor(msg.label, newImportForm(m.st, &m.km, msg.label))
		return nil, true
	case orderSubmittedMsg:
		return m.orderSubmitted(msg), true
	case orderConfirmedMsg:
		return m.orderConfirmed(msg), true
	case importSubmittedMsg:
		return m.importSubmitted(msg), true
	case sandboxResetAskedMsg:
		if m.runner == nil {
			return m.notReady(), true
		}
		return resetSandboxCmd(m.runner), true
	case sandboxResetMsg:
		if msg.err != nil {
			return m.setStatus("not reset: "+present.Safe(msg.err.Error()), statusError), true
		}
		return tea.Batch(m.restartRunner(), m.setStatus("the sandbox starts over: its transactions, orders and holdings are forgotten", statusOK)), true
	case openDoctorMsg:
		v := newDoctorView(m.st, &m.km, m.profile.Name, m.cfg.Doctor, m.demo)
		m.push(v)
		return v.start(), true
	case doctorFinishedMsg:
		if v, ok := m.active().(*doctorView); ok {
			_, cmd := v.Update(msg)
			return cmd, true
		}
		return nil, true
	case openRunFormMsg:
		m.pushFor(msg.label, newRunForm(m.st, &m.km, m.profile, msg.label))
		return nil, true
	case runSubmittedMsg:
		return m.runSubmitted(msg), true
	case holdingsAskedMsg:
		return m.holdingsAsked(msg), true
	case holdingsFetchedMsg:
		return m.holdingsFetched(msg), true
	case openTokenMsg:
		m.openToken()
		return nil, true
	case openHistoryMsg:
		return m.openHistory(), true
	case refetchAskedMsg:
		return m.refetchAsked(msg), true
	case openProfilesMsg:
		m.push(newProfileView(m.st, &m.km, m.cfg.Store, m.home.profile, m.demo))
		return loadProfilesCmd(m.cfg.Store), true
	}
	return nil, false
}

// routeOutcome tells, on the status line, how a journey or an export
// ended.
func (m *Model) routeOutcome(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case journeyFinishedMsg:
		return m.journeyFinished(msg), true
	case fileExportedMsg:
		return m.fileExported(msg), true
	case sessionExportedMsg:
		return m.sessionExported(msg), true
	}
	return nil, false
}

// restartIfInUse restarts the runner when the profile in use was saved:
// its keys, URLs and port take effect now, not after switching away and
// back. It returns nil when nothing restarts.
func (m *Model) restartIfInUse(saved profileSavedMsg) tea.Cmd {
	if saved.err != nil || saved.p.Name != m.profile.Name || m.runner == nil {
		return nil
	}
	m.restartNote = "profile " + saved.p.Name + " is in use: restarted with its new settings"
	return m.restartRunner()
}

// notReady is the status line of an action that needs the runner before it
// connected.
func (m *Model) notReady() tea.Cmd {
	return m.setStatus("the profile is not ready yet", statusError)
}

func (m *Model) runnerConnected(msg runnerConnectedMsg) tea.Cmd {
	if msg.opt != m.connOpt {
		// A late answer of a connection that was replaced.
		if msg.r != nil {
			return closeRunnerCmd(msg.r)
		}
		return nil
	}
	m.home.connecting = false
	m.home.connErr = msg.err
	if msg.err != nil {
		return nil
	}
	m.runner = msg.r
	m.profile = msg.r.Profile()
	k := msg.r.Keys()
	m.secrets = append(m.secrets, k.Secret, k.APISecret)
	m.home.profile = m.profile.Name
	return tea.Batch(loadUsersCmd(m.cfg.Store, m.profile.Name), m.applyAuto())
}

func (m *Model) usersLoaded(msg usersLoadedMsg) {
	if msg.profile != m.profile.Name {
		return
	}
	m.home.usersErr = msg.err
	m.home.setUsers(msg.users, m.selUser)
	m.selUser = m.home.selected()
}

func (m *Model) profileUsed(msg profileUsedMsg) tea.Cmd {
	if msg.err != nil {
		return m.setStatus("could not switch: "+msg.err.Error(), statusError)
	}
	return m.askLeave(leaveAsk{kind: leaveSwitch, opt: ConnectOptions{Profile: msg.name, Generation: m.connOpt.Generation}})
}

// pushFor opens a screen for the user label.
func (m *Model) pushFor(label string, s screen) {
	m.selUser = label
	m.push(s)
}

// orderSubmitted shows the order from the form as it will be sent; only
// enter on that review creates it (orderConfirmed).
func (m *Model) orderSubmitted(msg orderSubmittedMsg) tea.Cmd {
	if m.runner == nil {
		return m.notReady()
	}
	if _, ok := m.active().(*orderForm); !ok {
		// A second enter on the form, typed before the review opened.
		return nil
	}
	info := reviewInfo{label: msg.label, profile: m.profile, auto: m.runner.Auto(), gen: m.connOpt.Generation}
	for _, u := range m.home.users {
		if u.Label == msg.label {
			info.broker = u.Broker
		}
	}
	m.push(newOrderReview(m.st, &m.km, info, msg.oc))
	return nil
}

// orderConfirmed creates the reviewed order, unless the connection changed
// since the review: then the operator reviews it again.
func (m *Model) orderConfirmed(msg orderConfirmedMsg) tea.Cmd {
	if _, ok := m.active().(*orderReview); !ok {
		return nil
	}
	if m.runner == nil || msg.gen != m.connOpt.Generation {
		m.back()
		return m.setStatus("not placed: the profile restarted since the review; check the order and press enter again", statusError)
	}
	return m.openFlow(flow.Order, msg.label, m.runner.Order(msg.label, msg.oc))
}

// runSubmitted runs the form's transactionId, once: only while the form is
// the active screen.
func (m *Model) runSubmitted(msg runSubmittedMsg) tea.Cmd {
	if _, ok := m.active().(*runForm); !ok {
		return nil
	}
	if m.runner == nil {
		// The form asks for one run only: it is closed, s opens a new one.
		m.back()
		return m.setStatus("not run: the profile is restarting; press s again in a moment", statusError)
	}
	return m.openFlow(flow.SDKRun, msg.spec.Label, m.runner.RunTransaction(msg.spec))
}

func (m *Model) importSubmitted(msg importSubmittedMsg) tea.Cmd {
	if m.runner == nil {
		return m.notReady()
	}
	return m.openFlow(flow.HoldingsImport, msg.label, m.runner.HoldingsImport(msg.label, msg.opt))
}

func (m *Model) holdingsAsked(msg holdingsAskedMsg) tea.Cmd {
	if m.runner == nil {
		return m.notReady()
	}
	return tea.Batch(m.setStatus("fetching the holdings of "+msg.label+"…", statusInfo), fetchHoldingsCmd(m.runner, msg.label))
}

func (m *Model) holdingsFetched(msg holdingsFetchedMsg) tea.Cmd {
	if msg.err != nil {
		p := flow.Explain(msg.err)
		text := p.Advice
		if text == "" {
			text = p.Meaning
		}
		return m.setStatus("holdings of "+msg.label+" not fetched: "+text, statusError)
	}
	m.status = "" // the "fetching…" line is done with
	hv := newHoldingsView(m.st, &m.km, msg.label, msg.h)
	hv.exportDir = m.cfg.ExportDir
	m.push(hv)
	return nil
}

func (m *Model) openToken() {
	secret := ""
	if m.runner != nil {
		secret = m.runner.Keys().Secret
	}
	m.push(newTokenView(m.st, &m.km, secret, m.now, m.demo))
}

func (m *Model) openHistory() tea.Cmd {
	if m.runner == nil {
		return m.notReady()
	}
	m.push(newHistoryView(m.st, &m.km, m.demo, m.now))
	return loadHistoryCmd(m.cfg.Store, m.profile.Name)
}

func (m *Model) refetchAsked(msg refetchAskedMsg) tea.Cmd {
	if m.runner == nil {
		return emit(orderDetailsFetchedMsg{txnID: msg.txnID, err: errors.New("the profile is not ready yet (it is starting); try again in a moment")})
	}
	return fetchOrderDetailsCmd(m.runner, msg.label, msg.txnID)
}

func (m *Model) journeyFinished(msg journeyFinishedMsg) tea.Cmd {
	text := present.JourneyTitle(msg.rec.kind) + " for " + msg.rec.label + " completed"
	if msg.rec.label == "" {
		text = present.JourneyTitle(msg.rec.kind) + " completed"
	}
	if l := savedUser(msg.rec.steps); l != "" {
		// The journey saved a user: it is the one selected once the users
		// are reloaded.
		m.selUser = l
	}
	level := statusOK
	if msg.note != "" {
		text += ", but " + msg.note
		level = statusError
	}
	if m.presenterBelow() {
		text += "; esc returns to the runbook"
	}
	return tea.Batch(m.setStatus(text, level), loadUsersCmd(m.cfg.Store, m.profile.Name))
}

// savedUser is the label of the user a journey's steps saved, "" when
// they saved none (a guest's SDK run, a TRANSACTION).
func savedUser(steps []flow.Step) string {
	for _, s := range steps {
		if s.Kind == flow.SaveUser && s.State == flow.Done && s.User != nil {
			return s.User.Label
		}
	}
	return ""
}

func (m *Model) fileExported(msg fileExportedMsg) tea.Cmd {
	if msg.err != nil {
		return m.setStatus("export failed: "+msg.err.Error(), statusError)
	}
	return m.setStatus("exported "+strconv.Itoa(msg.rows)+" rows to "+msg.path, statusOK)
}

func (m *Model) sessionExported(msg sessionExportedMsg) tea.Cmd {
	if msg.err != nil {
		return m.setStatus("export failed: "+msg.err.Error(), statusError)
	}
	return m.setStatus("session exported to "+msg.path+" (secrets removed)", statusOK)
}

// clockTicked hands the time to every screen and asks for the next tick.
func (m *Model) clockTicked(msg clockTickedMsg) tea.Cmd {
	m.now = msg.now
	cmds := []tea.Cmd{tickClockCmd(m.sched)}
	for i := range m.stack {
		cmds = append(cmds, m.updateAt(i, msg))
	}
	return tea.Batch(cmds...)
}

// toFlow hands a message of the journey (its step results, browser events,
// spinner and countdown) to the journey's screen.
func (m *Model) toFlow(msg tea.Msg) tea.Cmd {
	i := m.flowAt()
	if i < 0 {
		return nil
	}
	cmd := m.updateAt(i, msg)
	// Recorded at once, not by a message that a quit could overtake.
	m.records = append(m.records, m.flow.takeEnded()...)
	return cmd
}

// flowAt is where the journey's screen is in the stack, -1 without one.
func (m *Model) flowAt() int {
	for i, s := range m.stack {
		if m.flow != nil && s == screen(m.flow) {
			return i
		}
	}
	return -1
}

// toScreens hands a result to the screen that asked for it, else to the
// active screen.
func (m *Model) toScreens(msg tea.Msg) tea.Cmd {
	for i := len(m.stack) - 1; i >= 0; i-- {
		if owns(m.stack[i], msg) || i == len(m.stack)-1 && !ownedResult(msg) {
			return m.updateAt(i, msg)
		}
	}
	return nil
}

// ownedResult reports whether msg is the result of a screen that may not be
// on top: it goes to that screen, wherever it is in the stack.
func ownedResult(msg tea.Msg) bool {
	switch msg.(type) {
	case historyLoadedMsg, orderDetailsFetchedMsg, profilesLoadedMsg, profileSavedMsg:
		return true
	}
	return false
}

// owns reports whether s is the screen that asked for the result msg.
func owns(s screen, msg tea.Msg) bool {
	switch msg.(type) {
	case historyLoadedMsg, orderDetailsFetchedMsg:
		_, ok := s.(*historyView)
		return ok
	case profilesLoadedMsg, profileSavedMsg:
		_, ok := s.(*profileView)
		return ok
	}
	return false
}

// updateAt hands msg to the screen at i of the stack and keeps the screen
// its Update returns, as m.home or m.flow too when it was one of them.
func (m *Model) updateAt(i int, msg tea.Msg) tea.Cmd {
	old := m.stack[i]
	s, cmd := old.Update(msg)
	m.stack[i] = s
	if h, ok := s.(*homeView); ok && old == screen(m.home) {
		m.home = h
	}
	if f, ok := s.(*flowView); ok && m.flow != nil && old == screen(m.flow) {
		m.flow = f
	}
	return cmd
}
