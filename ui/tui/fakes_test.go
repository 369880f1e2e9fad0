package tui

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
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
	runbooks map[string][]byte
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
func (s *fakeStore) SaveRunbook(name string, data []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runbooks == nil {
		s.runbooks = map[string][]byte{}
	}
	if _, ok := s.runbooks[name]; ok {
		return "", errors.New(name + " exists")
	}
	s.runbooks[name] = data
	return "/config/runbooks/" + name + ".json", nil
}

// script is what a fake step does on one attempt.
type script func(s *flow.Step)

// fakeJourney plays scripted steps.
type fakeJourney struct {
	mu    sync.Mutex
	steps []*flow.Step
	// wallExpire, when set, is what WallExpireAt answers (a Gateway whose
	// clock runs ahead); else the created transaction's expireAt.
	wallExpire time.Time
	scripts    map[flow.StepKind][]script
	attempts   map[flow.StepKind]int
	// waits are the attempts, by step and attempt number, that wait until
	// their context ends, as the SDK step waits for the browser.
	waits  map[flow.StepKind]map[int]bool
	events chan bridge.JourneyEvent
	closed bool
	// abandoned is set by Abandon; cancelledFirst says the context of the
	// last step Next ran had ended when Abandon was called.
	abandoned      bool
	cancelledFirst bool
	// stepCtx is the context of the last Next.
	stepCtx  context.Context
	retried  []flow.StepKind
	allowDup bool
	// parked tells the harness that a step waits, and for what; the
	// harness sets it when the journey is handed to the model.
	parked chan<- (<-chan struct{})
	// resolution is what Resolve answers (resolves); nil: NeedsResolution
	// is false, as for a guest login. resolveHeld, when set, holds Resolve
	// (parked, for the harness) until releaseResolve; resolveCalls counts
	// the calls of Resolve.
	resolution   *flow.Resolution
	resolveHeld  chan struct{}
	resolveCalls int
}

func newFakeJourney(kinds ...flow.StepKind) *fakeJourney {
	j := &fakeJourney{scripts: map[flow.StepKind][]script{}, attempts: map[flow.StepKind]int{}, waits: map[flow.StepKind]map[int]bool{},
		events: make(chan bridge.JourneyEvent, 8)}
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

// waiting makes the next attempt of step k (after those given to on) wait
// until its context ends, as the SDK step waits for the browser; it then
// fails with the context's error, as the real step does.
func (j *fakeJourney) waiting(k flow.StepKind) *fakeJourney {
	if j.waits[k] == nil {
		j.waits[k] = map[int]bool{}
	}
	j.waits[k][len(j.scripts[k])] = true
	j.scripts[k] = append(j.scripts[k], nil)
	return j
}

// park tells the harness that the step waits for ctx, then waits.
func (j *fakeJourney) park(ctx context.Context) {
	if j.parked == nil {
		panic("fakeJourney: a waiting step needs a journey handed over by the harness's runner (or adopt)")
	}
	j.parked <- ctx.Done()
	<-ctx.Done()
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
	j.stepCtx = ctx
	var sc script
	if n < len(j.scripts[s.Kind]) {
		sc = j.scripts[s.Kind][n]
	}
	wait := j.waits[s.Kind][n]
	j.mu.Unlock()
	if wait {
		j.park(ctx)
	}
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

// resolves makes j an order journey whose unclear endings the Gateway
// answers with res (Said is filled in as the real Resolve does).
func (j *fakeJourney) resolves(res flow.Resolution) *fakeJourney {
	j.resolution = &res
	return j
}

// holdResolve makes Resolve wait until releaseResolve, so that a test sees
// the view while the check runs.
func (j *fakeJourney) holdResolve() *fakeJourney {
	j.resolveHeld = make(chan struct{})
	return j
}

// releaseResolve lets a held Resolve answer; the harness delivers its
// message at its next pump.
func (j *fakeJourney) releaseResolve() { close(j.resolveHeld) }

// NeedsResolution is flow.Journey's rule for a journey given a resolution:
// a transaction was created, the SDK step did not settle, and the ending
// is one that leaves open whether the transaction placed orders.
func (j *fakeJourney) NeedsResolution(err error) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.resolution == nil || err == nil {
		return false
	}
	txn := false
	for _, s := range j.steps {
		switch {
		case s.Kind == flow.CreateTransaction && s.Transaction != nil:
			txn = true
		case s.Kind == flow.AwaitSDK && s.State == flow.Done:
			return false
		}
	}
	if !txn {
		return false
	}
	var sdk *gateway.SDKError
	var un *flow.UnreachableError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, bridge.ErrJourneyClosed):
		return true
	case errors.As(err, &sdk):
		return sdk.Message == "invalid_transactionId" || sdk.Message == "transaction_in_process" || sdk.Message == "internal_error"
	}
	return errors.As(err, &un)
}

// Resolve answers the scripted resolution, after releaseResolve when held.
func (j *fakeJourney) Resolve(ctx context.Context) flow.Resolution {
	j.mu.Lock()
	j.resolveCalls++
	var res flow.Resolution
	if j.resolution != nil {
		res = *j.resolution
	}
	held := j.resolveHeld
	j.mu.Unlock()
	if held != nil {
		if j.parked == nil {
			panic("fakeJourney: a held Resolve needs a journey handed over by the harness's runner (or adopt)")
		}
		j.parked <- held
		<-held
	}
	res.Said = res.Summary()
	return res
}

// resolved counts the calls of Resolve.
func (j *fakeJourney) resolved() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.resolveCalls
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

// Abandon records the abandon, then closes as the real journey does.
func (j *fakeJourney) Abandon() {
	j.mu.Lock()
	j.abandoned = true
	j.cancelledFirst = j.stepCtx == nil || j.stepCtx.Err() != nil
	j.mu.Unlock()
	j.Close()
}

// wasAbandoned reports Abandon, and whether the step's context had ended
// before it.
func (j *fakeJourney) wasAbandoned() (abandoned, cancelledFirst bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.abandoned, j.cancelledFirst
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
	runs     []flow.RunSpec
	resets   int
	resetErr error
	holdings *gateway.Holdings
	od       *gateway.OrderDetails
	fetchErr error
	closed   bool
	// calls are the api calls made; call answers them.
	calls []string
	call  func(method, path, label string) flow.CallResult
	// parked is the harness's, given to every journey handed out.
	parked chan<- (<-chan struct{})
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
	j.parked = r.parked
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
func (r *fakeRunner) RunTransaction(spec flow.RunSpec) Journey {
	r.runs = append(r.runs, spec)
	return r.next("sdk:" + spec.TransactionID)
}
func (r *fakeRunner) ResetSandboxState() error {
	r.resets++
	return r.resetErr
}
func (r *fakeRunner) FetchHoldings(ctx context.Context, label string, opt gateway.HoldingsOptions) (*gateway.Holdings, []gateway.Exchange, error) {
	return r.holdings, nil, r.fetchErr
}
func (r *fakeRunner) FetchOrderDetails(ctx context.Context, label, txnID string) (*gateway.OrderDetails, []gateway.Exchange, error) {
	return r.od, nil, r.fetchErr
}
func (r *fakeRunner) Call(ctx context.Context, method, path string, q url.Values, label string, body []byte) flow.CallResult {
	r.calls = append(r.calls, method+" "+path)
	if r.call != nil {
		return r.call(method, path, label)
	}
	return flow.CallResult{Err: errors.New("no call scripted")}
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

// harness is a root model wired to fakes, at a fixed size and clock, with
// a scheduler that never waits.
type harness struct {
	t      *testing.T
	m      *Model
	store  *fakeStore
	runner *fakeRunner
	clip   *fakeClip

	// scheduled are the commands that would have waited, oldest first.
	scheduled []scheduledMsg
	// parked receives what a fake journey's waiting step waits for;
	// waiting are the commands parked so.
	parked  chan (<-chan struct{})
	waiting []parkedCmd
}

// parkedCmd is a command whose step waits until its context ends (until):
// its message comes on msg after that.
type parkedCmd struct {
	until <-chan struct{}
	msg   <-chan tea.Msg
}

// scheduledMsg is what the test scheduler's commands return at once in
// place of waiting: a tick (after, fire), or a command that waits for an
// outside event (wait) or on a bubbles component's clock (animation).
type scheduledMsg struct {
	after     time.Duration
	fire      func(time.Time) tea.Msg
	wait      tea.Cmd
	animation tea.Cmd
}

// testScheduler is the tests' scheduler: nothing waits, the cursor does
// not blink.
type testScheduler struct{}

func (testScheduler) tick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	return emit(scheduledMsg{after: d, fire: fn})
}

func (testScheduler) wait(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return emit(scheduledMsg{wait: cmd})
}

func (testScheduler) animate(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return emit(scheduledMsg{animation: cmd})
}

func (testScheduler) cursorMode() cursor.Mode { return cursor.CursorStatic }

// commandGuard bounds the wait for one command to return (or park). It is
// no drop: a command that takes longer fails the test.
const commandGuard = time.Minute

// maxMessages bounds the messages of one pump: more fails the test as a
// command loop.
const maxMessages = 10000

// newHarness is a harness on the fake runner's sandbox profile at w×h.
func newHarness(t *testing.T, w, h int) *harness {
	t.Helper()
	hs := harnessFor(t, newFakeStore(), newFakeRunner())
	hs.start(Config{Clipboard: hs.clip, ExportDir: t.TempDir(),
		Connect: func(context.Context, ConnectOptions) (Runner, error) { return hs.runner, nil }}, w, h)
	return hs
}

// harnessFor is a harness on store and runner, its model not built yet
// (start builds it).
func harnessFor(t *testing.T, store *fakeStore, runner *fakeRunner) *harness {
	hs := &harness{t: t, store: store, runner: runner, clip: &fakeClip{}, parked: make(chan (<-chan struct{}))}
	runner.parked = hs.parked
	return hs
}

// start builds the model from cfg, with the harness's store, clock and
// scheduler, at w×h, and runs Init's commands. Closing the model at the
// end of the test ends the steps that still wait.
func (hs *harness) start(cfg Config, w, h int) {
	hs.t.Helper()
	cfg.Store, cfg.Now, cfg.sched = hs.store, testNow, testScheduler{}
	hs.m = New(cfg)
	hs.t.Cleanup(func() { _ = hs.m.Close() })
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.pump(hs.m.Init())
}

// adopt hands j's waiting steps to the harness, for a journey given to
// the model without the runner.
func (hs *harness) adopt(j *fakeJourney) *fakeJourney {
	j.parked = hs.parked
	return j
}

// send delivers msg and runs the commands that follow.
func (hs *harness) send(msg tea.Msg) {
	hs.t.Helper()
	hs.pump(hs.update(msg))
}

// update hands msg to the model, keeping the model it returns.
func (hs *harness) update(msg tea.Msg) tea.Cmd {
	m, cmd := hs.m.Update(msg)
	hs.m = m.(*Model)
	return cmd
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
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
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

// pump runs cmd and every command that follows, each to completion, and
// feeds their messages to the model until none is left. Nothing is given
// up after a time:
//   - what would wait (ticks, browser events, bubbles' timers) comes back
//     at once as a scheduledMsg, kept in hs.scheduled for the test to fire;
//   - spinner and timer ticks are dropped by type, so that bubbles never
//     schedules its next frame;
//   - a command whose fake step waits for its context parks; once that
//     context has ended (the operator left, quit or asked for a fresh
//     transaction), its message is delivered like any other.
func (hs *harness) pump(cmd tea.Cmd) {
	hs.t.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; ; n++ {
		if n > maxMessages {
			hs.t.Fatalf("more than %d messages after one input: a command loop", maxMessages)
		}
		if len(queue) == 0 {
			msg, ok := hs.unparked()
			if !ok {
				return
			}
			queue = append(queue, hs.deliver(msg)...)
			continue
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		if msg, ok := hs.run(c); ok {
			queue = append(queue, hs.deliver(msg)...)
		}
	}
}

// run runs c to completion; ok is false when its step parked instead.
func (hs *harness) run(c tea.Cmd) (msg tea.Msg, ok bool) {
	hs.t.Helper()
	done := make(chan tea.Msg, 1)
	go func() { done <- c() }()
	guard := time.NewTimer(commandGuard)
	defer guard.Stop()
	select {
	case msg := <-done:
		return msg, true
	case until := <-hs.parked:
		// Only c runs now (the others parked before): the step is c's.
		hs.waiting = append(hs.waiting, parkedCmd{until: until, msg: done})
		return nil, false
	case <-guard.C:
		hs.t.Fatalf("a command neither returned nor waited for its context in %v", commandGuard)
		return nil, false
	}
}

// unparked is the message of the oldest parked command whose context has
// ended; ok is false when there is none.
func (hs *harness) unparked() (msg tea.Msg, ok bool) {
	hs.t.Helper()
	for i, p := range hs.waiting {
		select {
		case <-p.until:
		default:
			continue
		}
		hs.waiting = append(hs.waiting[:i:i], hs.waiting[i+1:]...)
		guard := time.NewTimer(commandGuard)
		defer guard.Stop()
		select {
		case msg := <-p.msg:
			return msg, true
		case <-guard.C:
			hs.t.Fatalf("a step did not end in %v after its context did", commandGuard)
		}
	}
	return nil, false
}

// deliver hands msg to the model, or keeps or drops it; it returns the
// commands that follow.
func (hs *harness) deliver(msg tea.Msg) []tea.Cmd {
	switch msg := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		return msg
	case scheduledMsg:
		hs.scheduled = append(hs.scheduled, msg)
		return nil
	case tea.QuitMsg:
		// The program would end here; the test looks at the model.
		return nil
	case spinner.TickMsg, timer.TickMsg:
		// The spinner's or the countdown's next frame: handing it over
		// would schedule another.
		return nil
	}
	return []tea.Cmd{hs.update(msg)}
}

// fire delivers, as at time at, the oldest scheduled tick of duration d,
// and runs what follows; ok is false when there is none.
func (hs *harness) fire(d time.Duration, at time.Time) (ok bool) {
	hs.t.Helper()
	for i, s := range hs.scheduled {
		if s.fire != nil && s.after == d {
			hs.scheduled = append(hs.scheduled[:i:i], hs.scheduled[i+1:]...)
			hs.send(s.fire(at))
			return true
		}
	}
	return false
}

// listen runs the oldest scheduled wait for an outside event (which must
// have happened: the command runs to completion) and what follows; ok is
// false when there is none.
func (hs *harness) listen() (ok bool) {
	hs.t.Helper()
	for i, s := range hs.scheduled {
		if s.wait != nil {
			hs.scheduled = append(hs.scheduled[:i:i], hs.scheduled[i+1:]...)
			hs.pump(s.wait)
			return true
		}
	}
	return false
}

// count is how many scheduled commands match.
func (hs *harness) count(match func(scheduledMsg) bool) int {
	n := 0
	for _, s := range hs.scheduled {
		if match(s) {
			n++
		}
	}
	return n
}

func (hs *harness) view() string { return hs.m.View() }

func tyWindow(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// contextLike is context.Context, named short for the connector stubs.
type contextLike = context.Context

func keyMsgRunes(s string, paste bool) tea.KeyMsg {
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: paste}
}
