package main

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
	"gatewalk/session"
	"gatewalk/session/flow"
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
driver (no browser). Progress goes to stderr, the result to stdout; --json
prints one JSON report with every step. Exit codes: gatewalk help exit-codes.`

// journeyFlags are the flags every headless journey command takes.
type journeyFlags struct {
	profile   string
	user      string
	noBrowser bool
	auto      string
	jsonOut   bool
}

func (f *journeyFlags) register(fs *flag.FlagSet, withAuto bool) {
	fs.StringVar(&f.profile, "profile", "", "profile to use (default: $GATEWALK_PROFILE, else the active profile)")
	fs.StringVar(&f.user, "user", "", "the local user's label (required)")
	fs.BoolVar(&f.noBrowser, "no-browser", false, "print the page URL instead of opening a browser")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON report with every step on stdout")
	if withAuto {
		fs.StringVar(&f.auto, "auto", "", "sandbox only: complete the SDK step with this outcome, no browser ("+scenarioList()+")")
	}
}

func scenarioList() string {
	var s []string
	for _, sc := range gateway.Scenarios() {
		s = append(s, string(sc))
	}
	return strings.Join(s, ", ")
}

// check validates the common flags before anything is started.
func (f *journeyFlags) check(pos []string) error {
	if len(pos) > 0 {
		return usagef("unexpected argument %q (the user is given with --user LABEL)", pos[0])
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
	return nil
}

func runLogin(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "login", "login --user LABEL [--profile NAME] [--no-browser] [--auto OUTCOME] [--allow-duplicate] [--json]", loginAbout)
	var jf journeyFlags
	jf.register(fs, true)
	allowDup := fs.Bool("allow-duplicate", false, "save the user even when another label has the same smallcaseAuthId (same broker account)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := jf.check(pos); err != nil {
		return err
	}
	hr, err := startHeadless(ctx, c, jf)
	if err != nil {
		return err
	}
	defer hr.close()
	j := hr.runner.GuestLogin(jf.user)
	if *allowDup {
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
	c      *cli
	flags  journeyFlags
	runner *flow.Runner
	prog   *progress
}

// startHeadless opens the store and sets the runner up. Errors that come
// from the command line (unknown profile, --auto off the sandbox, missing
// keys) are usage errors: nothing was sent.
func startHeadless(ctx context.Context, c *cli, jf journeyFlags) (*headless, error) {
	store, err := openStore(c)
	if err != nil {
		return nil, err
	}
	r, err := flow.Setup(ctx, store, flow.Options{ProfileName: jf.profile, NoBrowser: jf.noBrowser,
		Auto: gateway.Scenario(jf.auto), Getenv: c.getenv, Now: c.now})
	if err != nil {
		var an *flow.AutoNotSandboxError
		var mk *flow.MissingKeysError
		if errors.As(err, &an) || errors.As(err, &mk) || errors.Is(err, session.ErrProfileNotFound) {
			return nil, &usageError{err.Error()}
		}
		return nil, err
	}
	return &headless{c: c, flags: jf, runner: r, prog: newProgress(c)}, nil
}

func openStore(c *cli) (*session.Store, error) {
	dir, err := session.DefaultDir(c.getenv)
	if err != nil {
		return nil, err
	}
	store, warnings, err := session.OpenStore(dir)
	for _, w := range warnings {
		fmt.Fprintln(c.stderr, "gatewalk: warning:", w)
	}
	return store, err
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
		if err := writeJSON(h.c.stdout, j.Report()); err != nil {
			return err
		}
	}
	if f := j.Failed(); f != nil {
		return journeyError(f)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	if !h.flags.jsonOut {
		printResult(h.c.stdout)
	}
	return nil
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
		}
		s := j.Next(ctx)
		stop()
		if s == nil {
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
		mm  *session.AuthIDMismatchError
		uu  *flow.UnknownUserError
		dup *session.DuplicateAuthIDError
	)
	switch {
	case errors.As(err, &mm):
		return exitSDK
	case errors.Is(err, session.ErrJourneyExpired):
		return exitExpired
	case errors.As(err, &uu):
		return exitUsage
	case errors.As(err, &dup):
		return exitError
	}
	return exitCode(err)
}

// progress shows a journey's steps on stderr: carriage-return updates of
// the countdown on a terminal, plain lines otherwise.
type progress struct {
	w   io.Writer
	tty bool
	now func() time.Time
	mu  sync.Mutex
}

func newProgress(c *cli) *progress {
	return &progress{w: c.stderr, tty: isTerminal(c.stderr), now: c.now}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) header(r *flow.Runner, j *flow.Journey) {
	pr := r.Profile()
	what := map[flow.Kind]string{flow.GuestLogin: "guest login", flow.Order: "order", flow.HoldingsImport: "holdings import",
		flow.HoldingsView: "holdings"}[j.Kind]
	mode := ""
	if a := r.Options().Auto; a != "" {
		mode = ", auto " + string(a)
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
			p.printf("          Opened your browser at %s (if it did not appear, open the link yourself)\n", s.BrowserURL)
		} else {
			p.printf("          %s\n", strings.ReplaceAll(s.BrowserNote, "\n", "\n          "))
		}
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
// events while await_sdk runs; the returned func stops it.
func (p *progress) waiting(j *flow.Journey) func() {
	exp := j.ExpireAt()
	p.printf("  ...     waiting for the SDK result; the transaction expires at %s (%s)\n",
		exp.Local().Format("15:04:05"), clock(exp.Sub(p.now())))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		lastMinute := int(exp.Sub(p.now()) / time.Minute)
		cr := false
		evs := j.Events()
		for {
			select {
			case <-stop:
				if cr {
					p.printf("\r\033[K")
				}
				return
			case ev, ok := <-evs:
				if !ok {
					evs = nil
					continue
				}
				if cr {
					p.printf("\r\033[K")
					cr = false
				}
				detail := ""
				if ev.Detail != "" {
					detail = ": " + ev.Detail
				}
				p.printf("          %s%s\n", eventLabel(ev.Kind), detail)
			case <-tick.C:
				left := exp.Sub(p.now())
				if p.tty {
					p.printf("\r\033[K          %s left", clock(left))
					cr = true
				} else if m := int(left / time.Minute); m < lastMinute && left > 0 {
					lastMinute = m
					p.printf("          %s left\n", clock(left))
				}
			}
		}
	}()
	return func() { close(stop); <-done }
}

// eventLabel names a browser page event for the progress lines.
func eventLabel(k session.JourneyEventKind) string {
	switch k {
	case session.JourneyPageOpened:
		return "browser: page opened"
	case session.JourneySDKLoaded:
		return "browser: SDK loaded"
	case session.JourneySDKLoadFailed:
		return "browser: the SDK script did not load"
	case session.JourneySDKStarted:
		return "browser: SDK journey started"
	case session.JourneyTabClosed:
		return "browser: the tab was closed before a result"
	case session.JourneyResult:
		return "result"
	}
	return "browser: " + strings.ReplaceAll(string(k), "_", " ")
}

// clock formats a duration as m:ss (0:00 once past).
func clock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
