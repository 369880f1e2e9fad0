package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"gatewalk/assets"
	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/session/postback"
	"gatewalk/session/runbook"
	"gatewalk/ui/present"
	"gatewalk/ui/tui"
)

// runDefault is `gatewalk` with no arguments: the TUI on the active profile.
func runDefault(ctx context.Context, c *Factory) int {
	return runDefaultWithFlags(ctx, c, nil)
}

// runDefaultWithFlags is `gatewalk [--profile P] [--demo] [--no-browser]`.
func runDefaultWithFlags(ctx context.Context, c *Factory, args []string) int {
	fs := newFlagSet(c, "gatewalk", "[--profile NAME] [--demo] [--no-browser] [--runbook FILE]", `Starts the interactive TUI on the active profile (the built-in sandbox
profile on a fresh machine: no keys, no network).

In the TUI: c connects a user (guest login), o places an order, i imports
holdings, h views holdings, t inspects a token, y shows the transaction
history, p switches or edits profiles, D toggles demo mode, a (on the
sandbox) has the sandbox answer the SDK step itself, as the test account
you choose, b lists the runbooks (enter presents one step by step), X
exports the session to Markdown, W saves it as a runbook, ? shows every
key. --demo starts in demo mode with the sandbox answering by itself;
--runbook FILE (or the name of a listed runbook) opens its presenter.

Quitting while a transaction waits for its SDK result asks first; after
such a quit the exit status is 130 and the transaction is named on
stderr.`)
	profile := fs.String("profile", "", "profile to use (default: $GATEWALK_PROFILE, else the active profile)")
	demo := fs.Bool("demo", false, "demo mode: secrets and ids redacted on screen, large narration; on the sandbox, the sandbox answers the SDK step itself")
	noBrowser := fs.Bool("no-browser", false, "show the browser URL instead of opening a browser")
	rbArg := fs.String("runbook", "", "open the presenter on this runbook (a file, or the name of one `gatewalk run` lists)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		if errors.Is(err, errHelp()) {
			return exitOK
		}
		fmt.Fprintf(c.stderr, "gatewalk: %s\n", present.Safe(err.Error()))
		return exitCode(err)
	}
	if err := unexpectedArgs(pos); err != nil {
		fmt.Fprintf(c.stderr, "gatewalk: %s\nRun 'gatewalk help' for the list of commands.\n", present.Safe(err.Error()))
		return exitUsage
	}
	// Both ends must be a terminal: Bubble Tea reads keys from stdin and
	// draws on stdout. Checked before anything touches the screen.
	if !c.stdinIsTerminal() || c.stdoutIsTerminal == nil || !c.stdoutIsTerminal() {
		fmt.Fprintln(c.stderr, "gatewalk: the TUI needs a terminal; see `gatewalk help` for the headless commands")
		return exitUsage
	}
	dir, err := session.DefaultDir(c.getenv)
	if err != nil {
		fmt.Fprintf(c.stderr, "gatewalk: %s\n", present.Safe(err.Error()))
		return exitError
	}
	// Keyring warnings are printed at once until the TUI draws, then kept
	// for after it: a line on stderr would tear the screen.
	kw := &heldWarnings{w: c.stderr}
	defer kw.release()
	store, warnings, err := c.openStore(dir, kw.warn)
	if err != nil {
		fmt.Fprintf(c.stderr, "gatewalk: %s\n", present.Safe(err.Error()))
		return exitError
	}
	for _, w := range warnings {
		fmt.Fprintf(c.stderr, "gatewalk: warning: %s\n", present.SafeLine(w))
	}
	var rb *runbook.Runbook
	rbSource := ""
	if *rbArg != "" {
		var err error
		if rb, rbSource, err = runbook.Find(*rbArg, assets.Runbooks(), runbook.Dir(dir)); err != nil {
			fmt.Fprintf(c.stderr, "gatewalk: --runbook: %s\n", present.Safe(err.Error()))
			return exitUsage
		}
		if *profile, err = runbookProfile(rb, *profile); err != nil {
			fmt.Fprintf(c.stderr, "gatewalk: %s\n", present.Safe(err.Error()))
			return exitUsage
		}
	}
	// An unknown profile is said here, in plain text, not in a TUI that
	// would start on nothing.
	if _, _, err := store.ResolveProfile(*profile, c.getenv); err != nil {
		if errors.Is(err, session.ErrProfileNotFound) {
			fmt.Fprintf(c.stderr, "gatewalk: %s\n", present.Safe(err.Error())) // names `gatewalk profile list`
			return exitUsage
		}
		fmt.Fprintf(c.stderr, "gatewalk: %s\n", present.Safe(err.Error()))
		return exitError
	}
	opt := flow.Options{Emulators: c.emulators, ProfileName: *profile, NoBrowser: *noBrowser, Getenv: c.getenv}
	// Postbacks: an in-process receiver; the embedded sandbox posts to it and
	// sandbox journeys end on the ORDER_COMPLETED / HOLDINGS_IMPORT postback.
	rcv := postback.NewReceiver(postback.Config{Store: store, Now: c.now})
	pbURL, err := rcv.Start("127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(c.stderr, "gatewalk: postback receiver: %s\n", present.Safe(err.Error()))
		return exitError
	}
	defer rcv.Close()
	connect := func(ctx context.Context, co tui.ConnectOptions) (tui.Runner, error) {
		o := opt
		name := co.Profile
		if name == "" {
			name = o.ProfileName
		}
		if p, _, err := store.ResolveProfile(name, c.getenv); err == nil && p.Env == gateway.EnvSandbox && p.APIURL == "" {
			rcv.SetProfile(p.Name, p.Keys(c.getenv).APISecret)
			o.Postbacks, o.SandboxPostbackURL = rcv, pbURL
		}
		return tui.FlowConnector(store, o)(ctx, co)
	}
	cfg := tui.Config{
		Store:     store,
		Connect:   connect,
		Clipboard: tui.OSC52Clipboard(os.Stderr),
		Profile:   *profile,
		Demo:      *demo,
		// A demo does not depend on a browser: on the sandbox, the sandbox
		// answers the SDK step itself after a short pause (a turns it off).
		Auto:            *demo,
		NoColor:         c.getenv("NO_COLOR") != "",
		Now:             c.now(),
		StartupWarnings: warnings,
		// Exports go to the working directory, shown as an absolute path.
		ExportDir: exportDir(),
		Doctor: func(ctx context.Context, profile string) flow.DoctorReport {
			return flow.Doctor(ctx, store, flow.DoctorOptions{ProfileName: profile, Getenv: c.getenv, Now: c.now,
				Emulators: c.emulators, Terminal: c.terminalInfo(), TmuxClipboard: tmuxClipboard})
		},

		Runbooks:      assets.Runbooks(),
		RunbookDir:    runbook.Dir(dir),
		Runbook:       rb,
		RunbookSource: rbSource,
	}
	kw.hold()
	err = tui.Run(ctx, cfg, c.stdin, c.stdout)
	kw.release()
	if err != nil {
		fmt.Fprintf(c.stderr, "gatewalk: %s\n", present.Safe(err.Error()))
		var unfinished *tui.UnfinishedError
		if errors.As(err, &unfinished) {
			return exitInterrupted
		}
		return exitError
	}
	return exitOK
}

// heldWarnings prints warnings at once, or, between hold and release, keeps
// them for release.
type heldWarnings struct {
	w    io.Writer
	mu   sync.Mutex
	held bool
	kept []string
}

func (h *heldWarnings) warn(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held {
		h.kept = append(h.kept, s)
		return
	}
	fmt.Fprintln(h.w, "gatewalk: warning:", present.SafeLine(s))
}

func (h *heldWarnings) hold() {
	h.mu.Lock()
	h.held = true
	h.mu.Unlock()
}

func (h *heldWarnings) release() {
	h.mu.Lock()
	kept := h.kept
	h.held, h.kept = false, nil
	h.mu.Unlock()
	for _, s := range kept {
		fmt.Fprintln(h.w, "gatewalk: warning:", present.SafeLine(s))
	}
}

// exportDir is the working directory as an absolute path ("" when it
// cannot be told: exports are then written relative to it).
func exportDir() string {
	d, err := os.Getwd()
	if err != nil {
		return ""
	}
	return d
}
