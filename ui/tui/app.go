package tui

import (
	"context"
	"io/fs"
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
	"gatewalk/session/runbook"
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
	// Doctor runs the doctor's checks (d on home); nil hides them.
	Doctor Doctor
	// StartupWarnings are warnings printed before the interface started
	// (such as the config directory's mode being repaired): the status line
	// shows them too, as they would scroll away behind the screen.
	StartupWarnings []string
	// Runbooks are the shipped runbooks and RunbookDir the config
	// directory's runbooks folder, which b lists.
	Runbooks   fs.FS
	RunbookDir string
	// Runbook, when set, opens the presenter on it at start (--runbook),
	// RunbookSource naming where it came from.
	Runbook       *runbook.Runbook
	RunbookSource string

	// sched builds the commands that wait (nil = tea's clock); the tests
	// set one that never waits.
	sched scheduler
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
	cfg   Config
	st    *Styles
	km    KeyMap
	sched scheduler
	help  help.Model
	w, h  int
	now   time.Time

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
	// asked is the confirmation shown before leaving a live transaction
	// (nil when none is); unfinished is what quitting left behind, for Run.
	asked      *leaveAsk
	unfinished *UnfinishedError
}

// New builds the interface.
func New(cfg Config) *Model {
	m := &Model{cfg: cfg, st: NewStyles(cfg.NoColor), km: DefaultKeyMap(), sched: cfg.sched, now: cfg.Now, demo: cfg.Demo, w: 80, h: 24}
	if m.sched == nil {
		m.sched = teaScheduler{}
	}
	m.st.cursorMode = m.sched.cursorMode()
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
	if cfg.Runbook != nil {
		m.stack = append(m.stack, newPresenter(m.st, &m.km, cfg.Runbook, cfg.RunbookSource, m.auto.On(), m.demo))
	}
	m.connOpt = ConnectOptions{Profile: cfg.Profile}
	m.layout()
	return m
}

// Init starts the profile's runner and the clock.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{connectCmd(m.cfg.Connect, m.connOpt), tickClockCmd(m.sched), tea.SetWindowTitle("gatewalk")}
	if len(m.cfg.StartupWarnings) > 0 {
		ws := make([]string, len(m.cfg.StartupWarnings))
		for i, w := range m.cfg.StartupWarnings {
			ws[i] = present.SafeLine(w)
		}
		cmds = append(cmds, m.setStatus("warning: "+strings.Join(ws, "; "), statusError))
	}
	return tea.Batch(cmds...)
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
	if m.asked != nil {
		// The footer answers the question of the status line.
		return m.help.View(helpKeys{short: m.leaveKeys()})
	}
	short := m.active().ShortHelp()
	if !m.active().capturing() {
		// In a text field ? is typed, not a key: offer it only elsewhere.
		short = append(short, m.km.Help)
	}
	km := helpKeys{short: short, full: append(m.active().FullHelp(),
		[]key.Binding{m.km.Help, m.km.Demo, m.km.ExportSession, m.km.ExportReplay, m.km.SaveRunbook, m.km.Quit})}
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
	wasFlow := m.active() == screen(m.flow)
	if wasFlow {
		m.leaveFlow()
	}
	m.stack = m.stack[:len(m.stack)-1]
	if wasFlow {
		m.presenterStepEnded()
	}
}

func (m *Model) setStatus(text string, level statusLevel) tea.Cmd {
	if m.restartNote != "" {
		text += "; " + m.restartNote
		m.restartNote = ""
	}
	m.statusID++
	m.status, m.statusLevel = text, level
	m.layout()
	return clearStatusCmd(m.sched, m.statusID)
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
	return m.openFlowOver(kind, label, j)
}

// openFlowOver opens the journey's screen above the active one (the
// presenter of a runbook).
func (m *Model) openFlowOver(kind flow.Kind, label string, j Journey) tea.Cmd {
	info := flowInfo{profile: m.profile, api: m.runner.APIURL(), auto: m.runner.Auto(), now: m.now, demo: m.demo}
	f := newFlowView(m.st, &m.km, m.sched, kind, label, j, m.cfg.Clipboard, info)
	m.flow = f
	// The selection stays the operator's: a guest login's label is no user
	// until the journey saves it (journeyFinished selects it then), and a
	// guest's SDK run has none.
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
		return m, m.clockTicked(msg)
	case stepFinishedMsg, journeyEventMsg, transactionResolvedMsg, spinner.TickMsg, timer.TickMsg, timer.StartStopMsg, timer.TimeoutMsg, curlCopiedMsg, valueCopiedMsg:
		return m, m.toFlow(msg)
	}
	return m, m.route(msg)
}
