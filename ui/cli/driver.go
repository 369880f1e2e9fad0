package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
	"io"
	"strings"
	"time"
)

// journeyFlags are the flags every headless journey command takes.
type journeyFlags struct {
	profile     string
	user        string
	noBrowser   bool
	auto        string
	autoBroker  string
	autoAccount string
	jsonOut     bool
	// exportCurl and exportPostman are where the finished journey is
	// exported (export.go).
	exportCurl, exportPostman string
	// reported is set once the JSON report is on stdout.
	reported bool
}

func (f *journeyFlags) register(fs *flag.FlagSet, withAuto bool) {
	fs.StringVar(&f.profile, "profile", "", "profile to use (default: $GATEWALK_PROFILE, else the active profile)")
	fs.StringVar(&f.user, "user", "", "the local user's label (required)")
	fs.BoolVar(&f.noBrowser, "no-browser", false, "print the page URL instead of opening a browser")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON report with every step on stdout (also on failure)")
	registerExports(fs, f)
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
		if b.Testable() {
			s = append(s, b.ID)
		}
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
	return f.checkAuto()
}

// checkAuto validates --auto, --auto-broker and --auto-account.
func (f *journeyFlags) checkAuto() error {
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
		if !b.Testable() {
			return usagef("--auto-broker %q: %s (leprechaun brokers: %s)", f.autoBroker, b.Note, brokerList())
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
	return outputFolders(map[string]string{"--export-curl": f.exportCurl, "--export-postman": f.exportPostman})
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
	return startHeadlessWith(ctx, c, jf, func(*flow.Options) {})
}

// startHeadlessWith is startHeadless with the runner's options changed by
// tweak first.
func startHeadlessWith(ctx context.Context, c *Factory, jf *journeyFlags, tweak func(*flow.Options)) (*headless, error) {
	store, err := openSessionStore(c)
	if err != nil {
		return nil, err
	}
	prog := newProgress(c)
	opt := flow.Options{Emulators: c.emulators, ProfileName: jf.profile, NoBrowser: jf.noBrowser,
		Auto: gateway.Scenario(jf.auto), AutoBroker: jf.autoBroker, AutoAccount: jf.autoAccount,
		Getenv: c.getenv, Now: c.now, OnAttempt: prog.attempt}
	tweak(&opt)
	r, err := flow.Setup(ctx, store, opt)
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
	res := h.resolve(ctx, j)
	if err := h.export(j); err != nil {
		return err
	}
	if h.flags.jsonOut {
		rep := present.JourneyReport(j)
		rep.Resolution = res
		if err := writeJSON(h.c.stdout, rep); err != nil {
			return err
		}
		h.flags.reported = true
	}
	if ctx.Err() != nil {
		return withResolution(interruptedError(j), res)
	}
	if f := j.Failed(); f != nil {
		if j.SDKCompletedOrder() {
			// Whatever failed after, the orders may be placed: never advise
			// running the order again.
			return withResolution(journeyError(f), &flow.Resolution{Known: true, Placed: true, Source: "the SDK's result",
				TransactionID: j.TransactionID()})
		}
		return withResolution(journeyError(f), res)
	}
	if !h.flags.jsonOut {
		printResult(h.c.stdout)
	}
	return nil
}

// interruptedError says what an interrupted journey leaves behind.
func interruptedError(j *flow.Journey) error {
	msg := "interrupted before any transaction was created"
	exp := j.WallExpireAt()
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
		mm   *gateway.AuthIDMismatchError
		uu   *flow.UnknownUserError
		dup  *session.DuplicateAuthIDError
		nsa  *flow.NotSandboxAccountError
		used *flow.AlreadyRunError
	)
	switch {
	case errors.As(err, &nsa) && nsa.Err == nil:
		return exitUsage // caught before any request
	case errors.As(err, &mm):
		return exitSDK
	case errors.As(err, new(*flow.BoundToAnotherUserError)), errors.As(err, new(*flow.TokenOfAnotherUserError)):
		return exitUsage // refused before the SDK started
	case errors.Is(err, bridge.ErrJourneyExpired):
		return exitExpired
	case errors.As(err, &uu):
		return exitUsage
	case errors.As(err, &dup):
		return exitError
	case errors.As(err, &used):
		if used.Status == gateway.StatusExpired {
			return exitExpired
		}
		return exitError
	}
	return exitCode(err)
}

// resolve asks the Gateway what became of the journey's transaction when
// the journey ended without a clear answer (see flow.Journey.NeedsResolution),
// and says it on stderr; nil when there was nothing to ask.
func (h *headless) resolve(ctx context.Context, j *flow.Journey) *flow.Resolution {
	var err error
	if ctx.Err() != nil {
		err = ctx.Err()
	} else if f := j.Failed(); f != nil {
		err = f.Err
	}
	if !j.NeedsResolution(err) {
		return nil
	}
	fmt.Fprintf(h.c.stderr, "checking with the Gateway what became of %s ...\n", present.SafeLine(j.TransactionID()))
	// An interrupt must not stop the check: it is what the operator needs
	// to know before doing anything else.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	res := j.Resolve(rctx)
	fmt.Fprintf(h.c.stderr, "  %s\n", present.SafeLine(res.Summary()))
	return &res
}

// withResolution replaces the advice of a journey error when the Gateway
// says the orders were placed, or cannot say: a fresh transaction for the
// same order could place them twice.
func withResolution(err error, res *flow.Resolution) error {
	if res == nil || (res.Known && !res.Placed) {
		return err
	}
	var ce *exitCodedError
	if !errors.As(err, &ce) {
		return err
	}
	msg := ce.err.Error()
	if i := strings.Index(msg, "\n  what to do: "); i >= 0 {
		msg = msg[:i]
	}
	if res.Placed {
		msg += "\n  what to do: do NOT create a fresh transaction for this order: the Gateway says it was placed (" + res.Source + ")"
	} else {
		msg += "\n  what to do: find out whether " + res.TransactionID + " placed orders (the broker's order book, the Gateway dashboard, " +
			"or its ORDER_COMPLETED postback) before creating a fresh transaction: if it did, a fresh one places them twice"
	}
	return &exitCodedError{code: ce.code, err: errors.New(msg)}
}
