package tui

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/timer"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// Config is what the interface needs from main.
type Config struct {
	Store     Store
	Connect   Connector
	Clipboard Clipboard
	// Profile is the profile to open; "" means the active one.
	Profile string
	// Demo starts in demo mode: ids and secrets redacted, narration large.
	Demo bool
	// Auto starts with the sandbox answering the SDK step itself (on a
	// sandbox profile; elsewhere it is ignored with a note).
	Auto bool
	// NoColor drops colours (NO_COLOR).
	NoColor bool
	// Now is the clock at start; later readings arrive by tea.Tick.
	Now time.Time
	// ExportDir is where exports are written ("" = the working directory).
	ExportDir string
}

// usersLoadedMsg carries the local users of a profile.
type usersLoadedMsg struct {
	profile string
	users   []session.User
	err     error
}

// holdingsFetchedMsg carries holdings for the holdings view.
type holdingsFetchedMsg struct {
	label string
	h     *gateway.Holdings
	err   error
}

func loadUsersCmd(s Store, profile string) tea.Cmd {
	return func() tea.Msg {
		us, err := s.Users(profile)
		return usersLoadedMsg{profile: profile, users: us, err: err}
	}
}

func fetchHoldingsCmd(r Runner, label string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		h, _, err := r.FetchHoldings(ctx, label, gateway.HoldingsOptions{V2: true, MFHoldings: true})
		return holdingsFetchedMsg{label: label, h: h, err: err}
	}
}

// Model is the root of the interface: the frame and a stack of screens.
type Model struct {
	cfg  Config
	st   *Styles
	km   KeyMap
	help help.Model
	w, h int
	now  time.Time

	runner  Runner
	profile session.Profile
	connOpt ConnectOptions
	selUser string
	demo    bool
	// auto is the auto-answer the operator chose; it is applied to every
	// runner (SetAuto), so switching it never restarts the sandbox.
	auto AutoAnswer
	// restartNote tells, with the next status line (the profile screen's
	// "saved"), that the profile in use restarted with its new settings.
	restartNote string

	home  *homeView
	stack []screen
	flow  *flowView

	status      string
	statusLevel statusLevel
	statusID    int

	records []journeyRecord
	// secrets are the keys of every runner of this run, scrubbed from the
	// export (its journeys may have run on an earlier profile).
	secrets  []string
	quitting bool
	// quitAsked shows the quit confirmation (a transaction is live);
	// unfinished is what quitting left behind, for Run.
	quitAsked  bool
	unfinished *UnfinishedError
}

// New builds the interface.
func New(cfg Config) *Model {
	m := &Model{cfg: cfg, st: NewStyles(cfg.NoColor), km: DefaultKeyMap(), now: cfg.Now, demo: cfg.Demo, w: 80, h: 24}
	if cfg.Auto {
		m.auto = AutoAnswer{Scenario: gateway.ScenarioSuccess}
	}
	m.help = help.New()
	if cfg.NoColor {
		m.help.Styles = plainHelpStyles()
	}
	m.home = newHomeView(m.st, &m.km)
	m.home.now = cfg.Now
	m.home.profile = cfg.Profile
	m.home.demo = cfg.Demo
	m.stack = []screen{m.home}
	m.connOpt = ConnectOptions{Profile: cfg.Profile}
	m.layout()
	return m
}

// Init starts the profile's runner and the clock.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(connectCmd(m.cfg.Connect, m.connOpt), tickClockCmd(), tea.SetWindowTitle("gatewalk"))
}

// Runner returns the current runner (nil before it connected), for main to
// close after the program ends.
func (m *Model) Runner() Runner { return m.runner }

// Close stops a running journey and closes the runner.
func (m *Model) Close() error {
	if m.flow != nil {
		m.flow.stop()
	}
	if m.runner != nil {
		return m.runner.Close()
	}
	return nil
}

func (m *Model) active() screen { return m.stack[len(m.stack)-1] }

func (m *Model) push(s screen) {
	m.stack = append(m.stack, s)
	m.layout()
}

// resetToHome leaves only home, stopping a journey that is still open.
func (m *Model) resetToHome() {
	m.leaveFlow()
	m.stack = m.stack[:1]
}

// leaveFlow stops the open journey, keeping the attempt that had not ended
// yet for the export.
func (m *Model) leaveFlow() {
	f := m.flow
	if f == nil {
		return
	}
	m.records = append(m.records, f.takeEnded()...)
	if !f.recorded {
		f.recorded = true
		m.records = append(m.records, f.record(false, "stopped by the operator while “"+f.currentTitle()+"” ran"))
	}
	f.stop()
	m.flow = nil
}

// bodyHeight is what is left between the header and the footer.
func (m *Model) helpView() string {
	short := m.active().ShortHelp()
	if !m.active().capturing() {
		// In a text field ? is typed, not a key: offer it only elsewhere.
		short = append(short, m.km.Help)
	}
	km := helpKeys{short: short, full: append(m.active().FullHelp(),
		[]key.Binding{m.km.Help, m.km.Demo, m.km.ExportSession, m.km.Quit})}
	return m.help.View(km)
}

func (m *Model) bodyHeight() int {
	// header, blank line, status lines, help lines
	return max(m.h-2-len(m.statusLines())-(strings.Count(m.helpView(), "\n")+1), 3)
}

func (m *Model) layout() {
	m.help.Width = m.w
	bh := m.bodyHeight()
	for _, s := range m.stack {
		s.SetSize(m.w, bh)
	}
}

// back leaves the active screen (stopping its journey, if any).
func (m *Model) back() {
	if len(m.stack) < 2 {
		return
	}
	if m.active() == screen(m.flow) {
		m.leaveFlow()
	}
	m.stack = m.stack[:len(m.stack)-1]
}

func (m *Model) setStatus(text string, level statusLevel) tea.Cmd {
	if m.restartNote != "" {
		text += "; " + m.restartNote
		m.restartNote = ""
	}
	m.statusID++
	m.status, m.statusLevel = text, level
	m.layout()
	return clearStatusCmd(m.statusID)
}

func (m *Model) startJourney(kind flow.Kind, label string) tea.Cmd {
	if m.runner == nil {
		return m.setStatus("the profile is not ready yet", statusError)
	}
	var j Journey
	switch kind {
	case flow.GuestLogin:
		if a := m.auto; a.On() && a.Account == "" && m.runner.Auto().On() {
			// No account chosen: connect one no local user holds, so that
			// each new user is a new broker account.
			a.Broker, a.Account = freeAccount(m.testAccounts(), m.home.users)
			if m.runner.SetAuto(a) == nil {
				defer func() { _ = m.runner.SetAuto(m.auto) }()
			}
		}
		j = m.runner.GuestLogin(label)
	default:
		return nil
	}
	return m.openFlow(kind, label, j)
}

func (m *Model) openFlow(kind flow.Kind, label string, j Journey) tea.Cmd {
	m.resetToHome()
	info := flowInfo{profile: m.profile, api: m.runner.APIURL(), auto: m.runner.Auto(), now: m.now, demo: m.demo}
	f := newFlowView(m.st, &m.km, kind, label, j, m.cfg.Clipboard, info)
	m.flow = f
	m.selUser = label
	m.push(f)
	return f.start()
}

// Update routes messages: keys to the active screen (after the global
// keys), results to the screen that asked for them.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.KeyMsg:
		return m, m.handleKey(msg)
	case statusMsg:
		return m, m.setStatus(msg.text, msg.level)
	case statusClearedMsg:
		if msg.id == m.statusID {
			m.status = ""
			m.layout()
		}
		return m, nil
	case clockTickedMsg:
		m.now = msg.now
		cmds := []tea.Cmd{tickClockCmd()}
		for _, s := range m.stack {
			_, cmd := s.Update(msg)
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	case stepFinishedMsg, journeyEventMsg, spinner.TickMsg, timer.TickMsg, timer.StartStopMsg, timer.TimeoutMsg, curlCopiedMsg:
		if m.flow == nil {
			return m, nil
		}
		_, cmd := m.flow.Update(msg)
		// Recorded at once, not by a message that a quit could overtake.
		m.records = append(m.records, m.flow.takeEnded()...)
		return m, cmd
	}
	return m, m.route(msg)
}

func (m *Model) route(msg tea.Msg) tea.Cmd {
	var restart tea.Cmd
	if saved, ok := msg.(profileSavedMsg); ok && saved.err == nil && saved.p.Name == m.profile.Name && m.runner != nil {
		// The profile in use changed: its keys, URLs and port take effect
		// now, not after switching away and back.
		m.restartNote = "profile " + saved.p.Name + " is in use: restarted with its new settings"
		restart = m.restartRunner()
	}
	if restart != nil {
		return tea.Batch(restart, m.toScreens(msg))
	}
	switch msg := msg.(type) {
	case runnerConnectedMsg:
		if msg.opt != m.connOpt {
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
	case runnerClosedMsg:
		return nil
	case usersLoadedMsg:
		if msg.profile != m.profile.Name {
			return nil
		}
		m.home.usersErr = msg.err
		m.home.setUsers(msg.users, m.selUser)
		m.selUser = m.home.selected()
		return nil
	case userSelectedMsg:
		m.selUser = msg.label
		return nil
	case navigatedBackMsg:
		m.back()
		return nil
	case guestLoginAskedMsg:
		return m.startJourney(flow.GuestLogin, msg.label)
	case openOrderFormMsg:
		m.selUser = msg.label
		m.push(newOrderForm(m.st, &m.km, msg.label))
		return nil
	case openImportFormMsg:
		m.selUser = msg.label
		m.push(newImportForm(m.st, &m.km, msg.label))
		return nil
	case orderSubmittedMsg:
		if m.runner == nil {
			return m.setStatus("the profile is not ready yet", statusError)
		}
		return m.openFlow(flow.Order, msg.label, m.runner.Order(msg.label, msg.oc))
	case importSubmittedMsg:
		if m.runner == nil {
			return m.setStatus("the profile is not ready yet", statusError)
		}
		return m.openFlow(flow.HoldingsImport, msg.label, m.runner.HoldingsImport(msg.label, msg.opt))
	case holdingsAskedMsg:
		if m.runner == nil {
			return m.setStatus("the profile is not ready yet", statusError)
		}
		return tea.Batch(m.setStatus("fetching the holdings of "+msg.label+"…", statusInfo), fetchHoldingsCmd(m.runner, msg.label))
	case holdingsFetchedMsg:
		if msg.err != nil {
			p := flow.Explain(msg.err)
			text := p.Advice
			if text == "" {
				text = p.Meaning
			}
			return m.setStatus("holdings of "+msg.label+" not fetched: "+text, statusError)
		}
		m.status = "" // the "fetching…" line is done with
		m.push(newHoldingsView(m.st, &m.km, msg.label, msg.h))
		return nil
	case openTokenMsg:
		secret := ""
		if m.runner != nil {
			secret = m.runner.Keys().Secret
		}
		m.push(newTokenView(m.st, &m.km, secret, m.now, m.demo))
		return nil
	case openHistoryMsg:
		if m.runner == nil {
			return m.setStatus("the profile is not ready yet", statusError)
		}
		m.push(newHistoryView(m.st, &m.km, m.demo, m.now))
		return loadHistoryCmd(m.cfg.Store, m.profile.Name)
	case refetchAskedMsg:
		if m.runner == nil {
			return emit(orderDetailsFetchedMsg{txnID: msg.txnID, err: errors.New("the profile is not ready yet (it is starting); try again in a moment")})
		}
		return fetchOrderDetailsCmd(m.runner, msg.label, msg.txnID)
	case openProfilesMsg:
		m.push(newProfileView(m.st, &m.km, m.cfg.Store, m.home.profile))
		return loadProfilesCmd(m.cfg.Store)
	case profilesChangedMsg:
		return loadProfilesCmd(m.cfg.Store)
	case profileChosenMsg:
		return useProfileCmd(m.cfg.Store, msg.name)
	case profileUsedMsg:
		if msg.err != nil {
			return m.setStatus("could not switch: "+msg.err.Error(), statusError)
		}
		return tea.Batch(m.reconnect(ConnectOptions{Profile: msg.name, Generation: m.connOpt.Generation}), m.setStatus("switched to profile "+msg.name, statusOK))
	case reconnectAskedMsg:
		return m.reconnect(m.connOpt)
	case journeyFinishedMsg:
		text := present.JourneyTitle(msg.rec.kind) + " for " + msg.rec.label + " completed"
		level := statusOK
		if msg.note != "" {
			text += ", but " + msg.note
			level = statusError
		}
		return tea.Batch(m.setStatus(text, level), loadUsersCmd(m.cfg.Store, m.profile.Name))
	case autoChosenMsg:
		return m.chooseAuto(msg.a)
	case fileExportedMsg:
		if msg.err != nil {
			return m.setStatus("export failed: "+msg.err.Error(), statusError)
		}
		return m.setStatus("exported "+strconv.Itoa(msg.rows)+" rows to "+msg.path, statusOK)
	case sessionExportedMsg:
		if msg.err != nil {
			return m.setStatus("export failed: "+msg.err.Error(), statusError)
		}
		return m.setStatus("session exported to "+msg.path+" (secrets removed)", statusOK)
	}
	return m.toScreens(msg)
}

// toScreens hands a result to the screen that asked for it, else to the
// active screen.
func (m *Model) toScreens(msg tea.Msg) tea.Cmd {
	for i := len(m.stack) - 1; i >= 0; i-- {
		switch msg.(type) {
		case historyLoadedMsg, orderDetailsFetchedMsg:
			if _, ok := m.stack[i].(*historyView); !ok {
				continue
			}
		case profilesLoadedMsg, profileSavedMsg:
			if _, ok := m.stack[i].(*profileView); !ok {
				continue
			}
		default:
			if i != len(m.stack)-1 {
				continue
			}
		}
		_, cmd := m.stack[i].Update(msg)
		return cmd
	}
	return nil
}
