package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// Factory carries the process's concrete dependencies, handed to every
// command, so commands run in tests with buffers, a fixed clock and
// environment, and without building the binary.
type Factory struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time
	// stdinIsTerminal reports whether stdin is an interactive terminal.
	stdinIsTerminal func() bool
	// stdoutIsTerminal reports whether stdout is a terminal; nil means no.
	stdoutIsTerminal func() bool
	// version is what `gatewalk --version` prints.
	version string
	// emulators builds the embedded sandbox of the built-in profile.
	emulators flow.Emulators
	// flagSink, when set, receives a command's flag set in place of its
	// usage block on -h: shell completion learns the flags from the
	// commands themselves.
	flagSink func(*flag.FlagSet)
	// keyring keeps profiles' keys; nil keeps them in profiles.json.
	keyring session.KeyringBackend
	// onStoreRead, when set, hears of each config file a command reads
	// from disk (tests).
	onStoreRead func(name string)
}

// sandboxEmulators is gateway/sandbox as the journey runner takes it.
var sandboxEmulators = flow.Emulators{
	New:          func(c gateway.EmulatorConfig) flow.Emulator { return sandbox.Embedded(c) },
	TestAccounts: sandbox.TestAccounts,
}

// NewFactory is the Factory of a real process: the standard streams, the
// process environment and the wall clock. version is printed by --version.
// It takes the secrets out of the process environment (see
// secretsOutOfEnvironment), so no child process inherits them.
func NewFactory(version string) *Factory {
	getenv := secretsOutOfEnvironment()
	return &Factory{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		getenv: getenv, now: time.Now, version: version, emulators: sandboxEmulators,
		stdinIsTerminal:  func() bool { return isTerminalFile(os.Stdin) },
		stdoutIsTerminal: func() bool { return isTerminalFile(os.Stdout) },
		keyring:          session.OSKeyring(getenv),
	}
}

// openStore opens the config directory dir with the process's keyring;
// the keyring's warnings (one of each kind per command) go to warn, or to
// stderr when warn is nil.
func (c *Factory) openStore(dir string, warn func(string)) (*session.Store, []string, error) {
	if warn == nil {
		warn = func(s string) { fmt.Fprintln(c.stderr, "gatewalk: warning:", present.SafeLine(s)) }
	}
	return session.OpenStoreWith(dir, session.StoreOptions{Keyring: c.keyring, Warn: warn, OnRead: c.onStoreRead})
}

// isTerminalFile reports whether f is a terminal. A character device is not
// enough: /dev/null is one too.
func isTerminalFile(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	// subcommands are the subcommands run dispatches on (aliases left
	// out), for shell completion.
	subcommands []string
	// run executes the command; args exclude the command name.
	run func(ctx context.Context, c *Factory, args []string) error
}

// Exit codes, documented in `gatewalk help exit-codes` and the README.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitSDK      = 3
	exitRejected = 4
	exitExpired  = 5
	// exitInterrupted is 128+SIGINT, as shells report a process that
	// Ctrl-C ended.
	exitInterrupted = 130
)

const exitCodesHelp = `Exit codes:
    0  success
    1  anything else (network failure, a corrupt config file, ...)
    2  usage: an unknown command or flag, or invalid input caught before any request
    3  the SDK journey ended in an error (user_cancelled, user_mismatch, market_closed, ...)
    4  keys or token rejected (wrong secret or apiSecret, unknown gateway, invalid or expired JWT),
       or a postback checksum that does not hold (postback verify)
    5  the transaction expired before the journey finished
  130  interrupted (Ctrl-C or SIGTERM) while a journey ran; its transaction is left unfinished
`

// usageError is bad input caught before anything was sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitCodedError forces an exit code.
type exitCodedError struct {
	code int
	err  error
}

func (e *exitCodedError) Error() string { return e.err.Error() }
func (e *exitCodedError) Unwrap() error { return e.err }

// errSilent ends a command with a code after it already printed why.
type errSilent struct{ code int }

func (e errSilent) Error() string { return fmt.Sprintf("exit %d", e.code) }

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var (
		ue  *usageError
		ce  *exitCodedError
		se  errSilent
		sdk *gateway.SDKError
		api *gateway.APIError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ce):
		return ce.code
	case errors.As(err, &ue), errors.Is(err, flag.ErrHelp):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &sdk):
		if sdk.Message == "transaction_expired" {
			return exitExpired
		}
		return exitSDK
	case errors.As(err, &api):
		if api.KeysRejected() {
			return exitRejected
		}
		if api.Kind() == gateway.KindExpired {
			return exitExpired
		}
		return exitError
	case errors.Is(err, gateway.ErrTokenSignature), errors.Is(err, gateway.ErrTokenExpired),
		errors.Is(err, gateway.ErrTokenAlgorithm), errors.Is(err, gateway.ErrTokenMalformed):
		return exitRejected
	}
	var ve *gateway.ValidationError
	if errors.As(err, &ve) {
		return exitUsage
	}
	return exitError
}

// Main runs the command line args (without the program name) and returns
// the process's exit code.
func Main(ctx context.Context, c *Factory, args []string) int {
	if len(args) == 0 {
		return runDefault(ctx, c)
	}
	switch args[0] {
	case "-h", "--help", "help":
		return runHelp(c, args[1:])
	case "--version", "-version", "version":
		fmt.Fprintf(c.stdout, "gatewalk %s\n", c.versionString())
		return exitOK
	case completeCommandName:
		return runComplete(c, args[1:])
	}
	if strings.HasPrefix(args[0], "-") {
		return runDefaultWithFlags(ctx, c, args)
	}
	for _, cmd := range commands() {
		if cmd.name == args[0] {
			err := cmd.run(ctx, c, args[1:])
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			if err != nil {
				var se errSilent
				if !errors.As(err, &se) {
					fmt.Fprintf(c.stderr, "gatewalk %s: %s\n", cmd.name, present.Safe(err.Error()))
				}
			}
			return exitCode(err)
		}
	}
	fmt.Fprintf(c.stderr, "gatewalk: unknown command %q\nRun 'gatewalk help' for the list of commands.\n", args[0])
	return exitUsage
}

func runHelp(c *Factory, args []string) int {
	if len(args) > 0 {
		if args[0] == "exit-codes" {
			fmt.Fprint(c.stdout, exitCodesHelp)
			return exitOK
		}
		if args[0] == "version" {
			fmt.Fprintln(c.stdout, "Usage: gatewalk version (or --version)\n\nPrints the version of gatewalk.")
			return exitOK
		}
		for _, cmd := range commands() {
			if cmd.name == args[0] {
				// `help profile add` is `profile add -h`.
				sub := append(append([]string(nil), args[1:]...), "-h")
				_ = cmd.run(context.Background(), &Factory{stdin: strings.NewReader(""), stdout: c.stdout, stderr: c.stdout, getenv: c.getenv, now: c.now, emulators: c.emulators, stdinIsTerminal: func() bool { return false }}, sub)
				return exitOK
			}
		}
		fmt.Fprintf(c.stderr, "gatewalk help: no help for %q\n", args[0])
		return exitUsage
	}
	printUsage(c.stdout, c.versionString())
	return exitOK
}

func printUsage(w io.Writer, version string) {
	fmt.Fprintf(w, `gatewalk %s: walk smallcase Gateway flows from a terminal.

Usage:
  gatewalk [--profile NAME] [--demo] [--no-browser] [--runbook FILE]   start the TUI (sandbox profile by default)
  gatewalk COMMAND [flags]

Commands:
`, version)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	cmds = append(cmds,
		command{name: "help", summary: "this list; help COMMAND [SUBCOMMAND] shows a command's flags, help exit-codes the exit codes"},
		command{name: "version", summary: "print the version (also --version)"})
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, cmd := range cmds {
		fmt.Fprintf(tw, "  %s\t%s\n", cmd.name, cmd.summary)
	}
	tw.Flush()
	fmt.Fprint(w, `
Run 'gatewalk COMMAND -h' for a command's flags, 'gatewalk help exit-codes' for exit codes.

Environment:
  GATEWALK_CONFIG_DIR   where profiles, users and history live (default: the OS config dir + /gatewalk)
  GATEWALK_PROFILE      the profile to use when --profile is not given
  GATEWALK_SECRET       the JWT secret for this run (overrides the profile's)
  GATEWALK_API_SECRET   the apiSecret for this run (overrides the profile's)
  NO_COLOR              no colours in the TUI
`)
}

// newFlagSet builds a FlagSet whose usage block goes to c.stdout: it is
// printed only when asked for (-h, --help, `gatewalk help COMMAND`), by
// parseFlags.
func newFlagSet(c *Factory, name, usage, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stdout)
	fs.Usage = func() {
		if c.flagSink != nil {
			c.flagSink(fs)
			return
		}
		fmt.Fprintf(c.stdout, "Usage: gatewalk %s\n\n%s\n", usage, strings.TrimSpace(about))
		var any bool
		fs.VisitAll(func(*flag.Flag) { any = true })
		if any {
			fmt.Fprintln(c.stdout, "\nFlags:")
			fmt.Fprint(c.stdout, doubleDashDefaults(fs))
		}
	}
	return fs
}

// parseFlags parses flags that may come before or after positional
// arguments, and returns the positional ones. -h or --help prints the usage
// block (on stdout) and returns flag.ErrHelp; a bad flag is a usageError of
// one line that points at -h, without the usage block.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	usage, out := fs.Usage, fs.Output()
	// The flag package prints the error and the usage on every parse error;
	// the caller prints the error once, so both are silenced during Parse.
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	defer func() { fs.Usage = usage; fs.SetOutput(out) }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				usage()
				return nil, err
			}
			cmd := "gatewalk " + fs.Name() + " -h"
			if fs.Name() == "gatewalk" {
				cmd = "gatewalk help"
			}
			return nil, &usageError{fmt.Sprintf("%v\nrun '%s' for usage", hideFlagValue(fs, err), cmd)}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// readSecretLine reads one line from r, trimming the line ending only.
func readSecretLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("nothing on standard input")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// unexpectedArgs refuses positional arguments a command does not take,
// without echoing them: a secret pasted by mistake must not end up on the
// screen or in a log.
func unexpectedArgs(pos []string) error {
	if len(pos) == 0 {
		return nil
	}
	what := "an unexpected argument"
	if len(pos) > 1 {
		what = fmt.Sprintf("%d unexpected arguments", len(pos))
	}
	return usagef("%s (not shown: secrets are never taken as arguments; they come from the environment, stdin or a prompt). "+
		"See -h for what the command takes", what)
}

// errHelp is returned after a command printed its help.
func errHelp() error { return flag.ErrHelp }

// parentHelp handles a command with subcommands called with no arguments
// (a usage error, the help on stderr) or with -h/--help/help (the help on
// stdout). done is false when args name a subcommand.
func parentHelp(c *Factory, args []string, usage, about, missing string) (done bool, err error) {
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
		return false, nil
	}
	w := c.stdout
	if len(args) == 0 {
		w = c.stderr
	}
	fmt.Fprintf(w, "Usage: gatewalk %s\n\n%s\n", usage, about)
	if len(args) == 0 {
		return true, usagef("%s", missing)
	}
	return true, errHelp()
}

// flagValueRe matches the flag package's "invalid value" errors, which
// quote the value given: a key typed after the wrong flag must not be echoed.
var flagValueRe = regexp.MustCompile(`^invalid (boolean )?value ".*" for (?:flag )?-(\S+): (.*)$`)

// flagNoValueRe matches the flag package's error for a flag given last
// without its value.
var flagNoValueRe = regexp.MustCompile(`^flag needs an argument: -(\S+)$`)

// hideFlagValue rewrites a flag parse error in the words of the command
// line (--name, not the flag package's "invalid value for -name") and so
// that it does not repeat the value: "--fail-first: want a whole number
// (the value given is not shown)". A flag whose own check names it
// (--buy "TCS:0": ...) says just that.
func hideFlagValue(fs *flag.FlagSet, err error) string {
	if m := flagNoValueRe.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Sprintf("--%s needs a value", m[1])
	}
	m := flagValueRe.FindStringSubmatch(err.Error())
	switch {
	case m == nil:
		return err.Error()
	case m[1] != "":
		return fmt.Sprintf("--%s is a switch and takes no value (the value given is not shown)", m[2])
	}
	name, msg := "--"+m[2], m[3]
	if strings.HasPrefix(msg, name+" ") || strings.HasPrefix(msg, name+":") {
		return msg
	}
	switch msg {
	case "parse error":
		msg = "want " + flagValueKind(fs.Lookup(m[2])) + " (the value given is not shown)"
	case "value out of range":
		msg = "the number is out of range (the value given is not shown)"
	}
	return name + ": " + msg
}

// flagValueKind names what a flag of the flag package's own types takes.
func flagValueKind(f *flag.Flag) string {
	g, ok := flag.Getter(nil), false
	if f != nil {
		g, ok = f.Value.(flag.Getter)
	}
	if !ok {
		return "a valid value"
	}
	switch g.Get().(type) {
	case int, int64, uint, uint64:
		return "a whole number"
	case float64:
		return "a number"
	case time.Duration:
		return "a duration such as 30s, 5m or 1h"
	}
	return "a valid value"
}

// versionString is the version --version prints.
func (c *Factory) versionString() string {
	if c.version == "" {
		return "0.0.0-dev"
	}
	return c.version
}

// commands is the subcommand table; each entry lives in its own cmd_*.go.
func commands() []command {
	return []command{
		tokenCommand(),
		profileCommand(), usersCommand(),
		loginCommand(), orderCommand(), sdkCommand(), holdingsCommand(), demoCommand(),
		apiCommand(), runCommand(),
		listenCommand(), postbackCommand(),
		sandboxCommand(), completionCommand(), doctorCommand(),
	}
}

// secretEnv are the environment variables that may carry a key.
var secretEnv = []string{session.EnvSecret, session.EnvAPISecret, "GATEWALK_SANDBOX_SECRET", "GATEWALK_SANDBOX_API_SECRET"}

// secretsOutOfEnvironment reads the secret variables once and removes them
// from the process environment, so that no child process — the browser
// and whatever it starts — inherits a partner's keys. It returns the
// getenv the commands use, which still answers them.
func secretsOutOfEnvironment() func(string) string {
	kept := map[string]string{}
	for _, k := range secretEnv {
		if v, ok := os.LookupEnv(k); ok {
			kept[k] = v
			_ = os.Unsetenv(k)
		}
	}
	return func(k string) string {
		if v, ok := kept[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
}

// doubleDashDefaults is the flag package's defaults listing with each
// flag written --name, as the README and the error messages write them
// (the package accepts both forms).
func doubleDashDefaults(fs *flag.FlagSet) string {
	var b strings.Builder
	out := fs.Output()
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(out)
	lines := strings.SplitAfter(b.String(), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "  -") {
			lines[i] = "  --" + l[len("  -"):]
		}
	}
	return strings.Join(lines, "")
}
