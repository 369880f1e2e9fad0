package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/term"

	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

func doctorCommand() command {
	return command{name: "doctor", summary: "check the config, profile, network, keys, clock, browser page and terminal", run: runDoctor}
}

const doctorAbout = `Checks what a journey needs, one line each (✓ passed, ! a warning, ✗ failed),
with what to do:

  config    the directory's and files' permissions, that they parse, the schema version
  profile   the keys are there (their usual <gateway>_<32 hex> shape is a hint),
            the environment and URLs
  network   the API host resolves and answers TLS; the SDK script answers JavaScript
  keys      mints a guest token and creates one CONNECT transaction (never used; it
            expires in 5 minutes), and tells a wrong gateway name, secret or apiSecret
            apart; --no-create skips it
  clock     the skew against the server's Date header (! above 30s, ✗ above 5 minutes)
  browser   a browser can open here, the callback port is free, the origin smallcase
            must whitelist
  terminal  size, colour, clipboard (OSC 52; tmux's set-clipboard)

Exit 0 when nothing failed, 1 when a check failed, 4 when the Gateway rejected a
key. On the built-in sandbox profile every check passes offline.`

func runDoctor(ctx context.Context, c *Factory, args []string) error {
	fs := newFlagSet(c, "doctor", "doctor [--profile NAME] [--json] [--no-create]", doctorAbout)
	profile := fs.String("profile", "", "profile to check (default: $GATEWALK_PROFILE, else the active profile)")
	jsonOut := fs.Bool("json", false, "print the checks as JSON")
	noCreate := fs.Bool("no-create", false, "do not mint a token and create a CONNECT transaction")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := unexpectedArgs(pos); err != nil {
		return err
	}
	dir, err := session.DefaultDir(c.getenv)
	if err != nil {
		return err
	}
	// Opening repairs permissions; its warnings become doctor's lines.
	store, warnings, err := c.openStore(dir, nil)
	if err != nil {
		return err
	}
	if _, _, err := store.ResolveProfile(*profile, c.getenv); errors.Is(err, session.ErrProfileNotFound) {
		return &usageError{err.Error()}
	}
	rep := flow.Doctor(ctx, store, flow.DoctorOptions{ProfileName: *profile, NoCreate: *noCreate, StoreWarnings: warnings,
		Getenv: c.getenv, Now: c.now, Emulators: c.emulators, Terminal: c.terminalInfo(), TmuxClipboard: tmuxClipboard})
	if *jsonOut {
		if err := writeJSON(c.stdout, struct {
			OK bool `json:"ok"`
			flow.DoctorReport
		}{!rep.Failed(), rep}); err != nil {
			return err
		}
	} else {
		printDoctor(c.stdout, rep)
	}
	switch {
	case rep.KeysRejected:
		return errSilent{code: exitRejected}
	case rep.Failed():
		return errSilent{code: exitError}
	}
	return nil
}

// printDoctor prints one line a check, and what to do under it.
func printDoctor(w io.Writer, rep flow.DoctorReport) {
	if rep.Profile != "" {
		fmt.Fprintf(w, "gatewalk doctor: profile %s (%s)\n", present.SafeLine(rep.Profile), present.SafeLine(rep.Env))
	}
	for _, l := range present.DoctorLines(rep) {
		fmt.Fprintln(w, l)
	}
}

// terminalInfo is what doctor reports of the terminal.
func (c *Factory) terminalInfo() flow.TerminalInfo {
	if c.stdoutIsTerminal == nil || !c.stdoutIsTerminal() {
		return flow.TerminalInfo{}
	}
	w, h, err := term.GetSize(int(os.Stdout.Fd()))
	if err != nil {
		return flow.TerminalInfo{IsTerminal: true}
	}
	return flow.TerminalInfo{IsTerminal: true, Width: w, Height: h}
}

// tmuxClipboard asks tmux for its set-clipboard option.
func tmuxClipboard(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tmux", "show-options", "-gv", "set-clipboard").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
