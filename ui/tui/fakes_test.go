package tui

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/timer"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

const (
	testSecret    = "s3cr3t-signing-key-for-tests"
	testAPISecret = "ap1-secret-header-value-xyz"
)

type fakeStore struct {
	mu       sync.Mutex
	profiles []session.Profile
	active   string
	users    map[string][]session.User
	history  map[string][]session.HistoryEntry
	saved    []session.Profile
	saveErr  error
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		profiles: []session.Profile{session.BuiltinProfile(),
			{Name: "staging", Env: gateway.EnvStaging, Gateway: "acmegw", Secret: "stagingsecret", APISecret: "stagingapisecret", CallbackPort: 8421}},
		active:  "sandbox",
		users:   map[string][]session.User{},
		history: map[string][]session.HistoryEntry{},
	}
}

func (s *fakeStore) Profiles() ([]session.Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]session.Profile(nil), s.profiles...), nil
}
func (s *fakeStore) ActiveName() (string, error) { return s.active, nil }
func (s *fakeStore) SaveProfile(p session.Profile) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saveErr != nil {
		return s.saveErr
	}
	if err := p.Validate(); err != nil {
		return err
	}
	s.saved = append(s.saved, p)
	return nil
}
func (s *fakeStore) UseProfile(name string) error {
	for _, p := range s.profiles {
		if p.Name == name {
			s.active = name
			return nil
		}
	}
	return errors.New("no such profile")
}
func (s *fakeStore) Users(profile string) ([]session.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]session.User(nil), s.users[profile]...), nil
}
func (s *fakeStore) History(profile string) ([]session.HistoryEntry, error) {
	return s.history[profile], nil
}

// script is what a fake step does on one attempt.
type script func(s *flow.Step)

// fakeJourney plays scripted steps.
type fakeJourney struct {
	mu       sync.Mutex
	steps    []*flow.Step
	scripts  map[flow.StepKind][]script
	attempts map[flow.StepKind]int
	events   chan bridge.JourneyEvent
	closed   bool
	retried  []flow.StepKind
	allowDup bool
	ctxErr   error
}

func newFakeJourney(kinds ...flow.StepKind) *fakeJourney {
	j := &fakeJourney{scripts: map[flow.StepKind][]script{}, attempts: map[flow.StepKind]int{}, events: make(chan bridge.JourneyEvent, 8)}
	for _, k := range kinds {
		j.steps = append(j.steps, &flow.Step{Kind: k, Title: "Step " + string(k), Why: "why " + string(k), State: flow.Pending})
	}
	return j
}

// on adds the scripts of successive attempts of step k.
func (j *fakeJourney) on(k flow.StepKind, s ...script) *fakeJourney {
	j.scripts[k] = append(j.scripts[k], s...)
	return j
}

func (j *fakeJourney) Next(ctx context.Context) *flow.Step {
	j.mu.Lock()
	var s *flow.Step
	for _, st := range j.steps {
		if st.State == flow.Failed {
			j.mu.Unlock()
			return nil
		}
		if st.State == flow.Pending {
			s = st
			break
		}
	}
	if s == nil {
		j.mu.Unlock()
		return nil
	}
	n := j.attempts[s.Kind]
	j.attempts[s.Kind]++
	var sc script
	if n < len(j.scripts[s.Kind]) {
		sc = j.scripts[s.Kind][n]
	}
	j.mu.Unlock()
	res := flow.Step{Kind: s.Kind, Title: s.Title, Why: s.Why, State: flow.Done, Started: testNow, Duration: 3 * time.Millisecond,
		Summary: string(s.Kind) + " ok"}
	if sc != nil {
		sc(&res)
	}
	if res.Err == nil && ctx.Err() != nil {
		res.Err = ctx.Err()
	}
	if res.Err != nil {
		res.State = flow.Failed
	}
	j.mu.Lock()
	*s = res
	j.mu.Unlock()
	return s
}

func (j *fakeJourney) Snapshot() []flow.Step {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]flow.Step, len(j.steps))
	for i, s := range j.steps {
		out[i] = *s
	}
	return out
}

func (j *fakeJourney) Events() <-chan bridge.JourneyEvent { return j.events }

func (j *fakeJourney) RetryFrom(k flow.StepKind) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.retried = append(j.retried, k)
	reset := false
	for _, s := range j.steps {
		if s.Kind == k {
			reset = true
		}
		if reset {
			*s = flow.Step{Kind: s.Kind, Title: s.Title, Why: s.Why, State: flow.Pending}
		}
	}
}

func (j *fakeJourney) AllowDuplicate() {
	j.mu.Lock()
	j.allowDup = true
	j.mu.Unlock()
	j.RetryFrom(flow.SaveUser)
}

func (j *fakeJourney) Close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.closed {
		j.closed = true
		close(j.events)
	}
}

func (j *fakeJourney) isClosed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.closed
}

// fakeRunner hands out the journeys the test prepared.
type fakeRunner struct {
	profile  session.Profile
	auto     AutoAnswer
	autoSets []AutoAnswer
	journeys []*fakeJourney
	started  []string
	orders   []gateway.OrderConfig
	imports  []gateway.HoldingsOptions
	holdings *gateway.Holdings
	od       *gateway.OrderDetails
	fetchErr error
	closed   bool
}

func newFakeRunner() *fakeRunner { return &fakeRunner{profile: session.BuiltinProfile()} }

func (r *fakeRunner) Profile() session.Profile { return r.profile }
func (r *fakeRunner) Keys() session.Keys {
	return session.Keys{Secret: testSecret, APISecret: testAPISecret}
}
func (r *fakeRunner) Auto() AutoAnswer { return r.auto }
func (r *fakeRunner) SetAuto(a AutoAnswer) error {
	if a.On() && r.profile.Env != gateway.EnvSandbox {
		return errors.New("auto-answer needs the sandbox")
	}
	r.autoSets = append(r.autoSets, a)
	r.auto = a
	return nil
}
func (r *fakeRunner) APIURL() string { return "http://127.0.0.1:9" }
func (r *fakeRunner) next(kind string) Journey {
	r.started = append(r.started, kind)
	if len(r.journeys) == 0 {
		return newFakeJourney(flow.MintToken)
	}
	j := r.journeys[0]
	r.journeys = r.journeys[1:]
	return j
}
func (r *fakeRunner) GuestLogin(label string) Journey { return r.next("guest:" + label) }
func (r *fakeRunner) Order(label string, oc gateway.OrderConfig) Journey {
	r.orders = append(r.orders, oc)
	return r.next("order:" + label)
}
func (r *fakeRunner) HoldingsImport(label string, opt gateway.HoldingsOptions) Journey {
	r.imports = append(r.imports, opt)
	return r.next("import:" + label)
}
func (r *fakeRunner) FetchHoldings(ctx context.Context, label string, opt gateway.HoldingsOptions) (*gateway.Holdings, []gateway.Exchange, error) {
	return r.holdings, nil, r.fetchErr
}
func (r *fakeRunner) FetchOrderDetails(ctx context.Context, label, txnID string) (*gateway.OrderDetails, []gateway.Exchange, error) {
	return r.od, nil, r.fetchErr
}
func (r *fakeRunner) Close() error { r.closed = true; return nil }

type fakeClip struct {
	mu   sync.Mutex
	text []string
}

func (c *fakeClip) Copy(t string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.text = append(c.text, t)
	return nil
}

// harness is a root model wired to fakes, at a fixed size and clock.
type harness struct {
	t      *testing.T
	m      *Model
	store  *fakeStore
	runner *fakeRunner
	clip   *fakeClip
}

func newHarness(t *testing.T, w, h int) *harness {
	t.Helper()
	hs := &harness{t: t, store: newFakeStore(), runner: newFakeRunner(), clip: &fakeClip{}}
	hs.m = New(Config{Store: hs.store, Clipboard: hs.clip, Now: testNow, ExportDir: t.TempDir(),
		Connect: func(context.Context, ConnectOptions) (Runner, error) { return hs.runner, nil }})
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.pump(hs.m.Init())
	return hs
}

// send delivers msg and runs the commands that follow.
func (hs *harness) send(msg tea.Msg) {
	hs.t.Helper()
	_, cmd := hs.m.Update(msg)
	hs.pump(cmd)
}

func (hs *harness) key(keys ...string) {
	hs.t.Helper()
	for _, k := range keys {
		hs.send(keyMsg(k))
	}
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "ctrl+n":
		return tea.KeyMsg{Type: tea.KeyCtrlN}
	case "ctrl+x":
		return tea.KeyMsg{Type: tea.KeyCtrlX}
	case "ctrl+t":
		return tea.KeyMsg{Type: tea.KeyCtrlT}
	case "ctrl+b":
		return tea.KeyMsg{Type: tea.KeyCtrlB}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// typeText sends each rune as a key press.
func (hs *harness) typeText(s string) {
	for _, r := range s {
		hs.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// pump runs commands and feeds their messages back until none is left.
// Commands that block (ticks, channel reads) are given up after a short
// wait; animation and clock messages are dropped so the loop ends.
func (hs *harness) pump(cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0 && n < 500; n++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- c() }()
		var msg tea.Msg
		select {
		case msg = <-ch:
		case <-time.After(60 * time.Millisecond):
			continue
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg, spinner.TickMsg, timer.TickMsg, timer.StartStopMsg, timer.TimeoutMsg, clockTickedMsg, statusClearedMsg:
		default:
			if isSequence(msg) {
				continue
			}
			_, next := hs.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

func isSequence(msg tea.Msg) bool {
	_, ok := msg.(interface{ isSeq() })
	return ok
}

func (hs *harness) view() string { return hs.m.View() }

func tyWindow(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// contextLike is context.Context, named short for the connector stubs.
type contextLike = context.Context

func keyMsgRunes(s string, paste bool) tea.KeyMsg {
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: paste}
}
