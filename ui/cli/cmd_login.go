package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

func loginCommand() command {
	return command{name: "login", summary: "connect a broker account as a local user (guest login, headless)", run: runLogin}
}

const loginAbout = `Guest login without the TUI: mints a guest token, creates a CONNECT
transaction, opens the browser on the local SDK page (the URL is always
printed), waits for the SDK result (live countdown on stderr), verifies the
returned smallcaseAuthToken with the profile's secret and saves the user's
smallcaseAuthId under LABEL.

A smallcaseAuthId another user of the profile already has is refused (both
labels would be the same broker account) unless --allow-duplicate is given.
If LABEL exists already, the result must carry its stored smallcaseAuthId.

On the sandbox, --auto OUTCOME completes the SDK step through the sandbox
driver (no browser), logged in as --auto-broker/--auto-account (default
kite-leprechaun LEP001; each account is its own smallcaseAuthId). Each
command on the built-in sandbox profile runs its own sandbox: its state
lasts one process. Progress goes to stderr, the result to stdout; --json
prints one JSON report with every step. Exit codes: gatewalk help exit-codes.`

// journeyFlags are the flags every headless journey command takes.
type journeyFlags struct {
	profile     string
	user        string
	noBrowser   bool
	auto        string
	autoBroker  string
	autoAccount string
	jsonOut     bool
	// reported is set once the JSON report is on stdout.
	reported bool
}

func (f *journeyFlags) register(fs *flag.FlagSet, withAuto bool) {
	fs.StringVar(&f.profile, "profile", "", "profile to use (default: $GATEWALK_PROFILE, else the active profile)")
	fs.StringVar(&f.user, "user", "", "the local user's label (required)")
	fs.BoolVar(&f.noBrowser, "no-browser", false, "print the page URL instead of opening a browser")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON report with every step on stdout (also on failure)")
	if withAuto {
		fs.StringVar(&f.auto, "auto", "", "sandbox only: complete the SDK step with this outcome, no browser ("+scenarioList()+")")
		fs.StringVar(&f.autoBroker, "auto-broker", "", "with --auto: the leprechaun broker the sandbox driver logs in with ("+brokerList()+
			"; default: the user's own broker, else the first)")
		fs.StringVar(&f.autoAccount, "auto-account", "", "with --auto: the broker's test account ("+accountList()+
			"; default: the user's own account, else the first). Each broker account is a distinct smallcaseAuthId")
	}
}

func scenarioList() string {
	var s []string
	for _, sc := range gateway.Scenarios() {
		s = append(s, string(sc))
	}
	return strings.Join(s, ", ")
}

// brokerList names the sandbox's leprechaun brokers.
func brokerList() string {
	var s []string
	for _, b := range sandbox.Brokers() {
		s = append(s, b.ID)
	}
	return strings.Join(s, ", ")
}

// accountList names the test accounts every leprechaun broker has.
func accountList() string {
	var s []string
	if bs := sandbox.Brokers(); len(bs) > 0 {
		for _, a := range bs[0].Accounts {
			s = append(s, a.ID+" ("+a.Name+")")
		}
	}
	return strings.Join(s, ", ")
}

// leprechaunBroker resolves a --auto-broker value, with or without the
// -leprechaun suffix.
func leprechaunBroker(v string) (sandbox.Broker, bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	for _, b := range sandbox.Brokers() {
		if b.ID == v || strings.TrimSuffix(b.ID, "-leprechaun") == v {
			return b, true
		}
	}
	return sandbox.Broker{}, false
}

// check validates the common flags before anything is started.
func (f *journeyFlags) check(pos []string) error {
	if err := unexpectedArgs(pos); err != nil {
		return usagef("%v; the user is given with --user LABEL", err)
	}
	if f.user == "" {
		return usagef("--user LABEL is required")
	}
	if err := session.ValidateLabel(f.user); err != nil {
		return usagef("--user: %v", err)
	}
	if f.auto != "" {
		ok := false
		for _, sc := range gateway.Scenarios() {
			ok = ok || string(sc) == f.auto
		}
		if !ok {
			return usagef("--auto %q: unknown outcome (want one of %s)", f.auto, scenarioList())
		}
	}
	if (f.autoBroker != "" || f.autoAccount != "") && f.auto == "" {
		return usagef("--auto-broker and --auto-account choose the account the sandbox driver logs in with: add --auto OUTCOME")
	}
	if f.autoBroker != "" {
		b, ok := leprechaunBroker(f.autoBroker)
		if !ok {
			return usagef("--auto-broker %q: unknown broker (want one of %s)", f.autoBroker, brokerList())
		}
		f.autoBroker = b.ID
	}
	if f.autoAccount != "" {
		ok := false
		for _, b := range sandbox.Brokers()[:1] {
			for _, a := range b.Accounts {
				if strings.EqualFold(a.ID, strings.TrimSpace(f.autoAccount)) {
					ok, f.autoAccount = true, a.ID
				}
			}
		}
		if !ok {
			return usagef("--auto-account %q: unknown test account (want one of %s)", f.autoAccount, accountList())
		}
	}
	return nil
}

// finish prints {"ok":false,"error":...,"exitCode":N} on stdout when --json
// was given and the command failed before its report was printed, so a
// script reading stdout always gets one JSON document.
func (f *journeyFlags) finish(c *Factory, err error) error {
	if err == nil || !f.jsonOut || f.reported || errors.Is(err, flag.ErrHelp) {
		return err
	}
	f.reported = true
	_ = writeJSON(c.stdout, jsonFailure{OK: false, Error: err.Error(), ExitCode: exitCode(err)})
	return err
}

// jsonFailure is the --json answer of a command that failed before it had
// a journey to report.
type jsonFailure struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error"`
	ExitCode int    `json:"exitCode"`
}

func runLogin(ctx context.Context, c *Factory, args []string) error {
	fs := newFlagSet(c, "login", "login --user LABEL [--profile NAME] [--no-browser] [--auto OUTCOME [--auto-broker BROKER] [--auto-account ACCOUNT]] [--allow-duplicate] [--json]", loginAbout)
	var jf journeyFlags
	jf.register(fs, true)
	allowDup := fs.Bool("allow-duplicate", false, "save the user even when another label has the same smallcaseAuthId (same broker account)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	return jf.finish(c, login(ctx, c, &jf, pos, *allowDup))
}

func login(ctx context.Context, c *Factory, jf *journeyFlags, pos []string, allowDup bool) error {
	if err := jf.check(pos); err != nil {
		return err
	}
	hr, err := startHeadless(ctx, c, jf)
	if err != nil {
		return err
	}
	defer hr.close()
	j := hr.runner.GuestLogin(jf.user)
	if allowDup {
		j.AllowDuplicate()
	}
	return hr.drive(ctx, j, func(w io.Writer) {
		s := j.Step(flow.SaveUser)
		if s.User == nil {
			return
		}
		fmt.Fprintf(w, "user:            %s\nsmallcaseAuthId: %s\nbroker:          %s\nprofile:         %s\n",
			s.User.Label, s.User.SmallcaseAuthID, s.User.Broker, hr.runner.Profile().Name)
	})
}

// headless is a running headless command: the store, the runner and the
// progress printer.
type headless struct {
	c      *Factory
	flags  *journeyFlags
	runner *flow.Runner
	prog   *progress
}

// startHeadless opens the store and sets the runner up. Errors that come
// from the command line (unknown profile, --auto off the sandbox, missing
// keys) are usage errors: nothing was sent.
func startHeadless(ctx context.Context, c *Factory, jf *journeyFlags) (*headless, error) {
	store, err := openSessionStore(c)
	if err != nil {
		return nil, err
	}
	prog := newProgress(c)
	r, err := flow.Setup(ctx, store, flow.Options{Emulators: c.emulators, ProfileName: jf.profile, NoBrowser: jf.noBrowser,
		Auto: gateway.Scenario(jf.auto), AutoBroker: jf.autoBroker, AutoAccount: jf.autoAccount,
		Getenv: c.getenv, Now: c.now, OnAttempt: prog.attempt})
	if err != nil {
		var an *flow.AutoNotSandboxError
		var mk *flow.MissingKeysError
		if errors.As(err, &an) || errors.As(err, &mk) || errors.Is(err, session.ErrProfileNotFound) {
			return nil, &usageError{err.Error()}
		}
		return nil, err
	}
	return &headless{c: c, flags: jf, runner: r, prog: prog}, nil
}

func (h *headless) close() { _ = h.runner.Close() }

// requireUser fails before any request when a connected journey names a
// user the profile does not have.
func (h *headless) requireUser() error {
	p := h.runner.Profile()
	if _, err := h.runner.Store().User(p.Name, h.flags.user); err != nil {
		if errors.Is(err, session.ErrUserNotFound) {
			return &usageError{(&flow.UnknownUserError{Profile: p.Name, Label: h.flags.user}).Error()}
		}
		return err
	}
	return nil
}

// drive runs the journey to its end with progress on stderr, then prints
// the report (--json) or the result (printResult) on stdout.
func (h *headless) drive(ctx context.Context, j *flow.Journey, printResult func(io.Writer)) error {
	defer j.Close()
	h.prog.header(h.runner, j)
	runJourney(ctx, j, h.prog)
	if h.flags.jsonOut {
		if err := writeJSON(h.c.stdout, present.JourneyReport(j)); err != nil {
			return err
		}
		h.flags.reported = true
	}
	if ctx.Err() != nil {
		return interruptedError(j)
	}
	if f := j.Failed(); f != nil {
		return journeyError(f)
	}
	if !h.flags.jsonOut {
		printResult(h.c.stdout)
	}
	return nil
}

// interruptedError says what an interrupted journey leaves behind.
func interruptedError(j *flow.Journey) error {
	msg := "interrupted before any transaction was created"
	exp := j.ExpireAt()
	id := j.TransactionID()
	switch {
	case exp.IsZero() || id == "":
		if j.Step(flow.CreateTransaction) == nil {
			msg = "interrupted"
		}
	case j.Step(flow.AwaitSDK) != nil && j.Step(flow.AwaitSDK).State == flow.Done:
		msg = fmt.Sprintf("interrupted: transaction %s had finished; its result was not fetched", id)
	default:
		msg = fmt.Sprintf("interrupted: transaction %s left unfinished (it expires at %s)", id, exp.Local().Format("15:04:05"))
	}
	return &exitCodedError{code: exitInterrupted, err: errors.New(msg)}
}

// runJourney drives j step by step, showing each on p.
func runJourney(ctx context.Context, j *flow.Journey, p *progress) {
	for ctx.Err() == nil {
		cur := j.Current()
		if cur == nil || cur.State == flow.Failed {
			return
		}
		stop := func() {}
		if cur.Kind == flow.AwaitSDK {
			stop = p.waiting(j)
		} else {
			p.start(cur)
		}
		s := j.Next(ctx)
		stop()
		if s == nil {
			p.endLive()
			return
		}
		if ctx.Err() != nil && s.State == flow.Failed {
			// Said once by the command: interrupted, and what is left.
			p.endLive()
			return
		}
		p.step(s)
	}
}

// journeyError turns a failed step into the command's error, with what to
// do next and the documented exit code.
func journeyError(s *flow.Step) error {
	pr := flow.Explain(s.Err)
	msg := fmt.Sprintf("%s failed: %v", strings.ToLower(s.Title[:1])+s.Title[1:], s.Err)
	if pr.Advice != "" {
		msg += "\n  what to do: " + pr.Advice
	}
	return &exitCodedError{code: journeyExitCode(s.Err), err: errors.New(msg)}
}

// journeyExitCode extends exitCode with the journey's own errors.
func journeyExitCode(err error) int {
	var (
		mm  *gateway.AuthIDMismatchError
		uu  *flow.UnknownUserError
		dup *session.DuplicateAuthIDError
		nsa *flow.NotSandboxAccountError
	)
	switch {
	case errors.As(err, &nsa) && nsa.Err == nil:
		return exitUsage // caught before any request
	case errors.As(err, &mm):
		return exitSDK
	case errors.Is(err, bridge.ErrJourneyExpired):
		return exitExpired
	case errors.As(err, &uu):
		return exitUsage
	case errors.As(err, &dup):
		return exitError
	}
	return exitCode(err)
}

// progress shows a journey's steps on stderr: on a terminal the running
// step and the countdown are updated in place; otherwise every line is
// plain and printed once.
type progress struct {
	w   io.Writer
	tty bool
	now func() time.Time
	mu  sync.Mutex
	// live is the line of the running step shown on a terminal without a
	// newline, replaced by the step's result.
	live string
}

func newProgress(c *Factory) *progress {
	return &progress{w: c.stderr, tty: isTerminal(c.stderr), now: c.now}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminalFile(f)
}

// printf prints whole lines, replacing the live line on a terminal.
func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLiveLocked()
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) clearLiveLocked() {
	if p.live != "" {
		fmt.Fprint(p.w, "\r\033[K")
		p.live = ""
	}
}

// endLive removes the live line, if any.
func (p *progress) endLive() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLiveLocked()
}

// startsSlow are the steps that wait on the network: their start is shown
// even when stderr is not a terminal, so a slow answer is never silent.
var startsSlow = map[flow.StepKind]bool{flow.CreateTransaction: true, flow.FetchOrders: true,
	flow.FetchHoldings: true, flow.AwaitPostback: true}

// start shows the step that is about to run.
func (p *progress) start(s *flow.Step) {
	line := fmt.Sprintf("  %-7s %s", "...", s.Title)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLiveLocked()
	switch {
	case p.tty:
		fmt.Fprint(p.w, line)
		p.live = line
	case startsSlow[s.Kind]:
		fmt.Fprintln(p.w, line)
	}
}

// attempt reports a failed HTTP attempt of the running step (called from
// the journey's goroutine while the step runs).
func (p *progress) attempt(a flow.Attempt) {
	if a.Reason == "" || a.Of < 2 {
		return
	}
	msg := fmt.Sprintf("attempt %d/%d failed: %s", a.N, a.Of, a.Reason)
	if a.Retrying {
		msg += "; retrying"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	live := p.live
	p.clearLiveLocked()
	fmt.Fprintf(p.w, "          %s\n", msg)
	if live != "" {
		fmt.Fprint(p.w, live)
		p.live = live
	}
}

func (p *progress) header(r *flow.Runner, j *flow.Journey) {
	pr := r.Profile()
	what := map[flow.Kind]string{flow.GuestLogin: "guest login", flow.Order: "order", flow.HoldingsImport: "holdings import",
		flow.HoldingsView: "holdings"}[j.Kind]
	mode := ""
	if a := r.Options().Auto; a != "" {
		mode = ", auto " + string(a)
		if o := r.Options(); o.AutoBroker != "" || o.AutoAccount != "" {
			mode += " as " + strings.Trim(o.AutoBroker+" "+o.AutoAccount, " ")
		}
	}
	p.printf("gatewalk %s as %q on profile %s (%s, gateway %s%s)\n", what, j.UserLabel, pr.Name, pr.Env, pr.Gateway, mode)
}

func (p *progress) step(s *flow.Step) {
	mark := "ok"
	switch s.State {
	case flow.Failed:
		mark = "FAILED"
	case flow.Skipped:
		mark = "skipped"
	}
	line := fmt.Sprintf("  %-7s %s (%s)", mark, s.Title, roundDuration(s.Duration))
	if s.Summary != "" {
		line += ": " + s.Summary
	}
	p.printf("%s\n", line)
	if s.Kind == flow.OpenBrowser && s.BrowserURL != "" {
		if s.Opened {
			p.printf("          if the browser did not appear, open the link yourself\n")
		} else if _, more, ok := strings.Cut(s.BrowserNote, "\n"); ok {
			// The summary has the URL; the rest is the SSH hint.
			p.printf("          %s\n", strings.ReplaceAll(more, "\n", "\n          "))
		}
	}
	for _, w := range s.Warnings {
		p.printf("          warning: %s\n", w)
	}
	if s.Err != nil {
		pr := flow.Explain(s.Err)
		if pr.Name != "" && pr.Code != 0 {
			p.printf("          %s (%d): %s\n", pr.Name, pr.Code, pr.Meaning)
		}
	}
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000)
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// waiting shows the countdown to the transaction's expiry and the page's
// events while await_sdk runs; the returned func stops it once every event
// already delivered has been shown, so the same run always prints the same
// lines.
func (p *progress) waiting(j *flow.Journey) func() {
	exp := j.ExpireAt()
	p.printf("  ...     waiting for the SDK result; the transaction expires at %s (%s)\n",
		exp.Local().Format("15:04:05"), present.Countdown(exp.Sub(p.now())))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		lastMinute := int(exp.Sub(p.now()) / time.Minute)
		cr := false
		evs := j.Events()
		show := func(ev bridge.JourneyEvent) {
			if cr {
				p.printf("\r\033[K")
				cr = false
			}
			p.printf("          %s\n", eventLine(ev))
		}
		for {
			select {
			case <-stop:
				// Events sent before the step ended are already in the
				// channel: show them all before returning.
				for evs != nil {
					select {
					case ev, ok := <-evs:
						if !ok {
							evs = nil
							continue
						}
						show(ev)
					default:
						evs = nil
					}
				}
				if cr {
					p.printf("\r\033[K")
				}
				return
			case ev, ok := <-evs:
				if !ok {
					evs = nil
					continue
				}
				show(ev)
			case <-tick.C:
				left := exp.Sub(p.now())
				if p.tty {
					p.printf("\r\033[K          %s left", present.Countdown(left))
					cr = true
				} else if m := int(left / time.Minute); m < lastMinute && left > 0 {
					lastMinute = m
					p.printf("          %s left\n", present.Countdown(left))
				}
			}
		}
	}()
	return func() { close(stop); <-done }
}

// eventLine is a browser event as the progress lines show it.
func eventLine(ev bridge.JourneyEvent) string {
	if ev.Kind == bridge.JourneyResult {
		return "result: " + present.SafeLine(ev.Detail)
	}
	return "browser: " + present.EventText(ev)
}
