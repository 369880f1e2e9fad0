package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"gatewalk/assets"
	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/session/runbook"
	"gatewalk/ui/present"
)

func runCommand() command {
	return command{name: "run", summary: "run a runbook: journeys in order, each checked against its expectation", run: runRunbook}
}

const runAbout = `Runs a runbook: a JSON file with a name, the profile it expects (or "any")
and an ordered list of steps, each a journey (login, order, holdings, sdk,
api) with its arguments and an expectation (outcome success, market_closed,
user_mismatch, expired, keys_rejected, ...; batchStatus, orderStatus,
holdingsContain, status). Every journey creates its own fresh transaction;
an sdk step runs, as gatewalk sdk does, the one the api step before it
created (POST /gateway/{gateway}/transaction), or its transactionId.
Each step is reported on stderr as the journeys report theirs, then a
summary goes to stdout; --json prints one JSON report instead and --junit
FILE writes JUnit XML (one testcase per step) for CI. --export-curl and
--export-postman write the finished journeys as a bash script of curl calls
and a Postman collection (v2.1) that replay them with fresh tokens and
transactions, keys from the environment (never in the files).

RUNBOOK is a file, or the name of a listed runbook: without RUNBOOK, run
lists the shipped examples (demo, leprechaun-regression) and the .json
files in the config directory's runbooks folder.

--auto (sandbox profiles) has the sandbox answer each SDK step as the step
says (its "auto", default success), with no browser; without it each SDK
step opens the page as usual. On a production profile the steps that
place orders or write through the API are listed first and the run starts
only after you type yes (or with --yes).

Exit codes: 0 when every expectation held, 1 when one did not (the error
names the step), 2 for usage (a runbook that does not parse says where).`

// runFlags is the command line of run.
type runFlags struct {
	profile   string
	auto      bool
	noBrowser bool
	jsonOut   bool
	junit     string
	curl      string
	postman   string
	yes       bool
	// reported is set once the JSON report is on stdout.
	reported bool
}

func runRunbook(ctx context.Context, c *Factory, args []string) error {
	fs := newFlagSet(c, "run", "run [RUNBOOK] [--profile NAME] [--auto] [--json] [--junit FILE] [--export-curl FILE] [--export-postman FILE] [--no-browser] [--yes]", runAbout)
	var rf runFlags
	fs.StringVar(&rf.profile, "profile", "", "profile to run on (default: the runbook's, else $GATEWALK_PROFILE, else the active profile)")
	fs.BoolVar(&rf.auto, "auto", false, "sandbox only: the sandbox answers every SDK step as the step says, no browser")
	fs.BoolVar(&rf.noBrowser, "no-browser", false, "print the page URL instead of opening a browser")
	fs.BoolVar(&rf.jsonOut, "json", false, "print one JSON report on stdout")
	fs.StringVar(&rf.junit, "junit", "", "write JUnit XML (one testcase per step) to FILE")
	fs.StringVar(&rf.curl, "export-curl", "", "write the finished journeys as a bash script of curl calls to FILE")
	fs.StringVar(&rf.postman, "export-postman", "", "write the finished journeys as a Postman collection (v2.1) to FILE")
	fs.BoolVar(&rf.yes, "yes", false, "on a production profile, run without asking (required without a terminal)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	err = runbookRun(ctx, c, &rf, pos)
	if err != nil && rf.jsonOut && !rf.reported {
		// One JSON document on stdout, also when the run did not start.
		_ = writeJSON(c.stdout, jsonFailure{OK: false, Error: err.Error(), ExitCode: exitCode(err)})
	}
	return err
}

// runbookRun lists the runbooks, or runs one and reports it.
func runbookRun(ctx context.Context, c *Factory, rf *runFlags, pos []string) error {
	dir, err := session.DefaultDir(c.getenv)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return listRunbooks(c, runbook.Dir(dir))
	}
	if len(pos) > 1 {
		return unexpectedArgs(pos[1:])
	}
	rb, source, err := runbook.Find(pos[0], assets.Runbooks(), runbook.Dir(dir))
	if err != nil {
		var nf *runbook.NotFoundError
		if errors.As(err, &nf) || source != "" {
			return usagef("runbook %s", err)
		}
		return usagef("runbook: %v", err)
	}
	profile, err := runbookProfile(rb, rf.profile)
	if err != nil {
		return err
	}
	if err := outputFolders(map[string]string{"--junit": rf.junit, "--export-curl": rf.curl, "--export-postman": rf.postman}); err != nil {
		return err
	}
	hr, err := startHeadless(ctx, c, &journeyFlags{profile: profile, noBrowser: rf.noBrowser || rf.auto})
	if err != nil {
		return err
	}
	defer hr.close()
	if rf.auto && hr.runner.Profile().Env != gateway.EnvSandbox {
		return usagef("--auto answers the SDK steps with the sandbox: profile %q is %s; run without --auto to use the browser", hr.runner.Profile().Name, hr.runner.Profile().Env)
	}
	if err := confirmRunbook(c, hr.runner.Profile(), rb, rf.yes); err != nil {
		return err
	}
	rep, recs := executeRunbook(ctx, hr, rb, source, rf.auto)
	if rf.jsonOut {
		if err := writeJSON(c.stdout, rep); err != nil {
			return err
		}
		rf.reported = true
	} else {
		printRunSummary(c.stdout, rep)
	}
	if rf.junit != "" {
		if err := writeJUnit(rf.junit, rep); err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
	}
	if err := writeExports(c, hr.runner, recs, rf.curl, rf.postman); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return &exitCodedError{code: exitInterrupted, err: fmt.Errorf("interrupted after %d of %d steps", len(rep.Steps), len(rb.Steps))}
	}
	return runVerdict(rep)
}

// outputFolders checks, before anything runs, that the folder of each file
// to write exists.
func outputFolders(files map[string]string) error {
	for _, name := range []string{"--junit", "--export-curl", "--export-postman"} {
		f := files[name]
		if f == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Dir(f)); err != nil || !fi.IsDir() {
			return usagef("%s: the folder %s does not exist; nothing was run", name, filepath.Dir(f))
		}
	}
	return nil
}

// runbookProfile is the profile a run uses: --profile, else the runbook's.
// A runbook that names a profile runs only there.
func runbookProfile(rb *runbook.Runbook, flagProfile string) (string, error) {
	want := rb.Profile
	if want == "" || want == runbook.AnyProfile {
		return flagProfile, nil
	}
	if flagProfile != "" && flagProfile != want {
		return "", usagef("runbook %q expects profile %q, not %q: run it without --profile, or change its \"profile\" to \"any\"", rb.Name, want, flagProfile)
	}
	return want, nil
}

// runVerdict is the run's error: nil when every step passed, else one that
// names the first failing step and its first failure.
func runVerdict(rep present.RunReport) error {
	for _, s := range rep.Steps {
		if s.OK {
			continue
		}
		msg := fmt.Sprintf("step %q failed: %s", s.Name, strings.Join(s.Failures, "; "))
		switch {
		case rep.Failed == 2:
			msg += " (and 1 more failed step)"
		case rep.Failed > 2:
			msg += fmt.Sprintf(" (and %d more failed steps)", rep.Failed-1)
		}
		return &exitCodedError{code: exitError, err: errors.New(msg)}
	}
	return nil
}

// executeRunbook runs every step in order, each reported on stderr, and
// checks it; a failed step does not stop the run, so the report lists every
// step.
func executeRunbook(ctx context.Context, h *headless, rb *runbook.Runbook, source string, auto bool) (present.RunReport, []present.Record) {
	p := h.runner.Profile()
	rep := present.RunReport{Runbook: rb.Name, Source: source, Profile: p.Name, Auto: auto, OK: true}
	start := time.Now()
	var recs []present.Record
	// lastTxn is the transaction the last api step created, which an sdk
	// step without a transactionId runs.
	lastTxn := ""
	for i := range rb.Steps {
		if ctx.Err() != nil {
			break
		}
		s := &rb.Steps[i]
		h.prog.printf("step %d/%d: %s\n", i+1, len(rb.Steps), present.SafeLine(s.Name))
		if s.Narration != "" {
			h.prog.printf("  %s\n", present.SafeLine(s.Narration))
		}
		sr, rec := runStep(ctx, h, s, auto, &lastTxn)
		if rec != nil {
			recs = append(recs, *rec)
		}
		if ctx.Err() != nil && !sr.OK {
			break
		}
		mark := "PASS"
		if !sr.OK {
			mark = "FAIL"
		}
		h.prog.printf("%s %s: outcome %s\n", mark, present.SafeLine(s.Name), present.SafeLine(sr.Outcome))
		for _, f := range sr.Failures {
			h.prog.printf("  %s\n", present.SafeLine(f))
		}
		if sr.OK {
			rep.Passed++
		} else {
			rep.Failed++
			rep.OK = false
		}
		rep.Steps = append(rep.Steps, sr)
	}
	if len(rep.Steps) < len(rb.Steps) {
		rep.OK = false
	}
	rep.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	return rep, recs
}

// runStep runs one step: a journey through the headless driver, or an api
// call.
func runStep(ctx context.Context, h *headless, s *runbook.Step, auto bool, lastTxn *string) (sr present.RunStepReport, rec *present.Record) {
	sr = present.RunStepReport{Name: s.Name, Journey: s.Journey, Expected: s.Expect.WantOutcome()}
	start := time.Now()
	defer func() { sr.DurationMs = float64(time.Since(start).Microseconds()) / 1000 }()
	if s.Journey == runbook.JourneyAPI {
		path, q, body := s.Request(h.runner.Profile().Gateway)
		res := h.runner.Call(ctx, s.Method, path, q, s.User, body)
		status := "no answer"
		if res.Response != nil {
			status = fmt.Sprintf("HTTP %d", res.Response.Status)
		}
		h.prog.printf("  %s %s: %s\n", s.Method, present.SafeLine(path), status)
		sr.Call = present.CallOf(res.Exchanges)
		if id := runbook.CreatedTransaction(res); id != "" {
			*lastTxn = id
		}
		sr.Outcome, sr.Failures = s.CheckCall(res)
		sr.OK = len(sr.Failures) == 0
		return sr, callRecord(h.runner, s, res)
	}
	j, err := s.NewJourney(h.runner, auto, *lastTxn)
	if err != nil {
		sr.Outcome, sr.Failures = runbook.OutcomeFailed, []string{err.Error()}
		return sr, nil
	}
	defer j.Close()
	h.prog.header(h.runner, j)
	runJourney(ctx, j, h.prog)
	res := h.resolve(ctx, j)
	jr := present.JourneyReport(j)
	jr.Resolution = res
	sr.Report = &jr
	sr.Outcome, sr.Failures = s.CheckJourney(j)
	sr.OK = len(sr.Failures) == 0
	return sr, journeyRecord(h.runner, j)
}

// callRecord is an api step's call as the exports take it: replayed when
// the Gateway answered success:true.
func callRecord(r *flow.Runner, s *runbook.Step, res flow.CallResult) *present.Record {
	st := flow.Step{Kind: present.StepAPICall, Title: s.Name, State: flow.Done, Exchanges: res.Exchanges, Err: res.Err}
	if res.Err != nil || res.Response == nil {
		st.State = flow.Failed
	}
	if s.User != "" {
		if u, err := r.Store().User(r.Profile().Name, s.User); err == nil {
			st.User = &u
		}
	}
	return &present.Record{Kind: present.KindAPICall, Label: s.User, Steps: []flow.Step{st}, OK: st.State == flow.Done,
		Attempt: 1, Profile: r.Profile(), API: r.Client().BaseURL}
}

// journeyRecord is a finished journey as the exports take it.
func journeyRecord(r *flow.Runner, j *flow.Journey) *present.Record {
	o := r.Options()
	return &present.Record{Kind: j.Kind, Label: j.UserLabel, Steps: j.Snapshot(), OK: j.Done() && j.Failed() == nil,
		Attempt: 1, Profile: r.Profile(), API: r.Client().BaseURL, Auto: o.Auto, AutoBroker: o.AutoBroker, AutoAccount: o.AutoAccount}
}

// writeExports writes the curl script (0700, to be run) and the Postman
// collection (0600) of the run's journeys, each replaced atomically.
func writeExports(c *Factory, r *flow.Runner, recs []present.Record, curlFile, postmanFile string) error {
	keys := r.Keys()
	if curlFile != "" {
		script := present.CurlScript(recs, c.now(), keys.Secret, keys.APISecret)
		if err := writeFileAtomic(curlFile, []byte(script), 0o700); err != nil {
			return fmt.Errorf("--export-curl: %w", err)
		}
		fmt.Fprintf(c.stderr, "curl script written to %s (run it with GATEWALK_SECRET and GATEWALK_API_SECRET set)\n", present.SafeLine(curlFile))
	}
	if postmanFile != "" {
		col, err := present.PostmanCollection(recs, c.now(), keys.Secret, keys.APISecret)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(postmanFile, col, 0o600); err != nil {
			return fmt.Errorf("--export-postman: %w", err)
		}
		fmt.Fprintf(c.stderr, "Postman collection written to %s (set secret and apiSecret in an environment)\n", present.SafeLine(postmanFile))
	}
	return nil
}

// writesReal lists the steps that write on the Gateway: orders, and api
// calls other than GET.
func writesReal(rb *runbook.Runbook) []string {
	var out []string
	for _, s := range rb.Steps {
		switch {
		case s.Journey == runbook.JourneyOrder:
			what := strings.Join(present.OrderLines(*s.Order), ", ")
			out = append(out, fmt.Sprintf("%s: order for %s: %s", s.Name, s.User, what))
		case s.Journey == runbook.JourneyAPI && s.Method != http.MethodGet:
			out = append(out, fmt.Sprintf("%s: %s %s", s.Name, s.Method, s.Path))
		case s.Journey == runbook.JourneySDK:
			out = append(out, fmt.Sprintf("%s: the SDK runs a transaction (its orders are real)", s.Name))
		}
	}
	return out
}

// confirmRunbook applies the rule of every production-writing command to
// a whole run: its real orders and writes are listed, then it needs yes on
// a terminal, or --yes without one.
func confirmRunbook(c *Factory, p session.Profile, rb *runbook.Runbook, yes bool) error {
	if p.Env != gateway.EnvProduction {
		return nil
	}
	writes := writesReal(rb)
	if len(writes) == 0 {
		return nil
	}
	fmt.Fprintf(c.stderr, "runbook %q on profile %s (PRODUCTION) places real orders or writes:\n", present.SafeLine(rb.Name), present.SafeLine(p.Name))
	for _, w := range writes {
		fmt.Fprintf(c.stderr, "  %s\n", present.SafeLine(w))
	}
	return confirmTyped(c, yes, stdinTerminal(c),
		usagef("profile %q is production: a runbook with real orders needs --yes without a terminal to confirm it; nothing was sent", p.Name),
		"Run these real orders?", "sent")
}

// printRunSummary prints one line per step and the verdict.
func printRunSummary(w io.Writer, rep present.RunReport) {
	fmt.Fprintf(w, "runbook %s on profile %s\n", present.SafeLine(rep.Runbook), present.SafeLine(rep.Profile))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, s := range rep.Steps {
		mark := "PASS"
		if !s.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%.1f ms\n", mark, present.SafeLine(s.Name), present.SafeLine(s.Journey), present.SafeLine(s.Outcome), s.DurationMs)
	}
	tw.Flush()
	for _, s := range rep.Steps {
		for _, f := range s.Failures {
			fmt.Fprintf(w, "  %s: %s\n", present.SafeLine(s.Name), present.SafeLine(f))
		}
	}
	verdict := "all passed"
	if !rep.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "%d of %d steps passed, %d failed in %.1f ms: %s\n", rep.Passed, len(rep.Steps), rep.Failed, rep.DurationMs, verdict)
}

// runbookNames are the names `gatewalk run` takes: the shipped runbooks
// and those of the config directory (read only when it exists).
func runbookNames(c *Factory) []string {
	dir := ""
	if d, err := session.DefaultDir(c.getenv); err == nil {
		dir = runbook.Dir(d)
	}
	entries, err := runbook.List(assets.Runbooks(), dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.Err == nil && (len(out) == 0 || out[len(out)-1] != e.Name) {
			out = append(out, e.Name)
		}
	}
	return out
}

// listRunbooks prints the shipped runbooks and those in dir.
func listRunbooks(c *Factory, dir string) error {
	entries, err := runbook.List(assets.Runbooks(), dir)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTEPS\tPROFILE\tSOURCE\tDESCRIPTION")
	for _, e := range entries {
		if e.Err != nil {
			fmt.Fprintf(tw, "%s\t-\t-\t%s\tdoes not parse: %s\n", present.SafeLine(e.Name), present.SafeLine(e.Source), present.SafeLine(e.Err.Error()))
			continue
		}
		prof := e.Runbook.Profile
		if prof == "" {
			prof = runbook.AnyProfile
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", present.SafeLine(e.Name), len(e.Runbook.Steps), present.SafeLine(prof), present.SafeLine(e.Source), present.SafeLine(e.Runbook.Description))
	}
	tw.Flush()
	fmt.Fprintf(c.stdout, "\nrun one with: gatewalk run NAME [--auto]; your own go in %s\n", present.SafeLine(dir))
	return nil
}

// writeJUnit writes the JUnit XML next to its final name and renames it
// into place, so a CI job never reads half a file.
func writeJUnit(path string, rep present.RunReport) error {
	data, err := present.JUnit(rep)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o644)
}

// writeFileAtomic writes data next to path and renames it into place, so
// a reader never sees half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gatewalk-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
