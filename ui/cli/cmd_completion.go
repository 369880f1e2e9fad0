package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

func completionCommand() command {
	return command{name: "completion", summary: "print a shell completion script (bash, zsh or fish)", run: runCompletion}
}

// completionShells are the shells completion prints a script for.
var completionShells = []string{"bash", "zsh", "fish"}

const completionAbout = `Prints a script that completes gatewalk's commands, subcommands and flags,
profile names (--profile, profile show|edit|use|remove) and user labels
(--user, users show|remove) in the shell. The script asks gatewalk itself for
the candidates on each Tab, so it stays right as profiles and users change,
and never reads or prints a key.

Install:
  bash  echo 'source <(gatewalk completion bash)' >> ~/.bashrc
  zsh   echo 'source <(gatewalk completion zsh)' >> ~/.zshrc   (after compinit)
  fish  gatewalk completion fish > ~/.config/fish/completions/gatewalk.fish`

func runCompletion(ctx context.Context, c *Factory, args []string) error {
	fs := newFlagSet(c, "completion", "completion bash|zsh|fish", completionAbout)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("name one shell: gatewalk completion bash|zsh|fish")
	}
	switch pos[0] {
	case "bash":
		fmt.Fprint(c.stdout, bashCompletion)
	case "zsh":
		fmt.Fprint(c.stdout, zshCompletion)
	case "fish":
		fmt.Fprint(c.stdout, fishCompletion)
	default:
		return usagef("unknown shell (not shown in case it was a secret): want bash, zsh or fish")
	}
	return nil
}

// completeCommandName is the hidden command the scripts call: `gatewalk
// __complete [WORD...] CURRENT` prints the candidates for CURRENT, one a
// line, given the words before it (the program name left out).
const completeCommandName = "__complete"

// runComplete answers the completion scripts. It never fails loudly: a
// broken config directory just means no names to offer.
func runComplete(c *Factory, args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		args = []string{""}
	}
	for _, s := range completeWords(c, args[:len(args)-1], args[len(args)-1]) {
		fmt.Fprintln(c.stdout, s)
	}
	return exitOK
}

// flagSpec is what completion knows of a flag: its name and whether it is
// a switch (takes no value).
type flagSpec struct {
	name   string
	isBool bool
}

// commandFlags learns the flags of the command at path ([] for the TUI's
// top-level flags) by running it with -h under a flag sink, so the lists
// cannot drift from the commands. It returns nil for a path that is not a
// command.
func commandFlags(c *Factory, path []string) []flagSpec {
	var got *flag.FlagSet
	sink := &Factory{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: c.getenv, now: c.now,
		emulators: c.emulators, stdinIsTerminal: func() bool { return false }, flagSink: func(fs *flag.FlagSet) { got = fs }}
	if len(path) == 0 {
		runDefaultWithFlags(context.Background(), sink, []string{"-h"})
	} else if cmd, ok := findCommand(path[0]); ok {
		_ = cmd.run(context.Background(), sink, append(append([]string(nil), path[1:]...), "-h"))
	}
	if got == nil {
		return nil
	}
	out := []flagSpec{}
	got.VisitAll(func(f *flag.Flag) {
		b, ok := f.Value.(interface{ IsBoolFlag() bool })
		out = append(out, flagSpec{name: f.Name, isBool: ok && b.IsBoolFlag()})
	})
	return out
}

func findCommand(name string) (command, bool) {
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd, true
		}
	}
	return command{}, false
}

// completionLine is the words before the one being completed, read as
// gatewalk will read them.
type completionLine struct {
	path    []string // the command and subcommand named
	flags   []flagSpec
	values  map[string]string // flag values given, by flag name
	pos     int               // positional arguments after the path
	pending string            // a flag that still waits for its value
}

// parseCompletionLine walks the words: it finds the command and its
// subcommand, skips each flag's value, and counts the positional
// arguments. bash splits --flag=value into "--flag", "=", "value".
func parseCompletionLine(c *Factory, words []string) completionLine {
	l := completionLine{values: map[string]string{}}
	l.flags = commandFlags(c, nil)
	for i := 0; i < len(words); i++ {
		w := words[i]
		if l.pending != "" {
			if w == "=" {
				continue
			}
			l.values[l.pending], l.pending = w, ""
			continue
		}
		if strings.HasPrefix(w, "-") && w != "-" && w != "--" {
			name, val, hasVal := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if f, ok := findFlag(l.flags, name); ok && !f.isBool {
				if hasVal {
					l.values[name] = val
				} else {
					l.pending = name
				}
			}
			continue
		}
		l.positional(c, w)
	}
	return l
}

// positional takes a word that is not a flag: the command, its subcommand,
// or an argument.
func (l *completionLine) positional(c *Factory, w string) {
	switch {
	case len(l.path) == 0 && l.pos == 0 && w == "help":
		l.path, l.flags = []string{w}, nil
		return
	case len(l.path) == 0 && l.pos == 0:
		if _, ok := findCommand(w); ok {
			l.path = []string{w}
			l.flags = commandFlags(c, l.path)
			return
		}
	case len(l.path) == 1 && l.pos == 0:
		if cmd, _ := findCommand(l.path[0]); contains(cmd.subcommands, w) {
			l.path = append(l.path, w)
			l.flags = commandFlags(c, l.path)
			return
		}
	}
	l.pos++
}

func findFlag(fl []flagSpec, name string) (flagSpec, bool) {
	for _, f := range fl {
		if f.name == name {
			return f, true
		}
	}
	return flagSpec{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// completeWords returns the candidates for cur after words.
func completeWords(c *Factory, words []string, cur string) []string {
	l := parseCompletionLine(c, words)
	if l.pending != "" {
		// The value of a flag; bash hands "--flag=" over as "--flag", "=".
		prefix := ""
		if cur == "=" {
			cur, prefix = "", "="
		}
		return withPrefix(prefix, filterPrefix(flagValues(c, l, l.pending), cur))
	}
	if strings.HasPrefix(cur, "-") {
		if name, val, ok := strings.Cut(strings.TrimLeft(cur, "-"), "="); ok {
			return withPrefix("--"+name+"=", filterPrefix(flagValues(c, l, name), val))
		}
		var out []string
		for _, f := range l.flags {
			out = append(out, "--"+f.name)
		}
		return filterPrefix(out, cur)
	}
	return filterPrefix(positionalValues(c, l), cur)
}

// positionalValues are the candidates for the next positional argument.
func positionalValues(c *Factory, l completionLine) []string {
	switch {
	case len(l.path) == 0 && l.pos == 0:
		return append(commandNames(), "help", "version")
	case len(l.path) == 1 && l.pos == 0:
		switch l.path[0] {
		case "help":
			return append(commandNames(), "exit-codes")
		case "completion":
			return completionShells
		case "run":
			return runbookNames(c)
		case "api":
			return apiMethods
		}
		cmd, _ := findCommand(l.path[0])
		return cmd.subcommands
	case l.pos != 0:
		return nil
	}
	switch strings.Join(l.path, " ") {
	case "profile show", "profile edit", "profile use", "profile remove":
		return profileNames(c)
	case "users show", "users remove":
		return userLabels(c, l.values["profile"])
	}
	return nil
}

func commandNames() []string {
	var out []string
	for _, cmd := range commands() {
		out = append(out, cmd.name)
	}
	return out
}

// flagValues are the candidates for a flag's value.
func flagValues(c *Factory, l completionLine, name string) []string {
	switch name {
	case "profile":
		return profileNames(c)
	case "user":
		return userLabels(c, l.values["profile"])
	case "env":
		return []string{string(gateway.EnvSandbox), string(gateway.EnvProduction), string(gateway.EnvStaging), string(gateway.EnvDevelopment)}
	case "event":
		return sandbox.SampleEvents()
	case "runbook":
		return runbookNames(c)
	case "auto":
		var out []string
		for _, s := range gateway.Scenarios() {
			out = append(out, string(s))
		}
		return out
	case "auto-broker":
		var out []string
		for _, b := range sandbox.Brokers() {
			if b.Testable() {
				out = append(out, b.ID)
			}
		}
		return out
	case "auto-account":
		var out []string
		if bs := sandbox.Brokers(); len(bs) > 0 {
			for _, a := range bs[0].Accounts {
				out = append(out, a.ID)
			}
		}
		return out
	case "market":
		return []string{string(sandbox.MarketOpen), string(sandbox.MarketClosed), string(sandbox.MarketAMO), string(sandbox.MarketAuto)}
	}
	return nil
}

// completionStore opens the config directory for reading names, only when
// it exists: a Tab press never creates it, and its warnings are not shown.
func completionStore(c *Factory) *session.Store {
	dir, err := session.DefaultDir(c.getenv)
	if err != nil {
		return nil
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) || err != nil {
		return nil
	}
	st, _, err := session.OpenStore(dir)
	if err != nil {
		return nil
	}
	return st
}

// profileNames lists the profiles; the built-in one is there without a
// config directory.
func profileNames(c *Factory) []string {
	st := completionStore(c)
	if st == nil {
		return []string{session.BuiltinProfileName}
	}
	ps, err := st.Profiles()
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// userLabels lists the labels of the profile given on the line (else
// $GATEWALK_PROFILE, else the active one). Labels that would not be valid
// are left out: what the shell inserts comes from a file.
func userLabels(c *Factory, profile string) []string {
	st := completionStore(c)
	if st == nil {
		return nil
	}
	p, _, err := st.ResolveProfile(profile, c.getenv)
	if err != nil {
		return nil
	}
	us, err := st.Users(p.Name)
	if err != nil {
		return nil
	}
	var out []string
	for _, u := range us {
		if session.ValidateLabel(u.Label) == nil {
			out = append(out, u.Label)
		}
	}
	return out
}

func filterPrefix(list []string, prefix string) []string {
	var out []string
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func withPrefix(prefix string, list []string) []string {
	if prefix == "" {
		return list
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

// The scripts pass the words before the cursor and the word under it to
// `gatewalk __complete`, and offer what it prints. They call the gatewalk
// the user typed (${COMP_WORDS[0]}), so a gatewalk outside $PATH
// completes too.

const bashCompletion = `# bash completion for gatewalk: source <(gatewalk completion bash)
_gatewalk() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local IFS=$'\n'
    COMPREPLY=($("${COMP_WORDS[0]}" __complete -- "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null))
}
complete -o default -F _gatewalk gatewalk
`

const zshCompletion = `#compdef gatewalk
# zsh completion for gatewalk: source <(gatewalk completion zsh), after compinit
_gatewalk() {
    local -a cands
    cands=("${(@f)$("${words[1]}" __complete -- "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null)}")
    cands=(${cands:#})
    (( ${#cands} )) && compadd -Q -- "${cands[@]}"
}
if [[ "${funcstack[1]}" == _gatewalk ]]; then
    _gatewalk "$@"
else
    compdef _gatewalk gatewalk
fi
`

const fishCompletion = `# fish completion for gatewalk: gatewalk completion fish > ~/.config/fish/completions/gatewalk.fish
function __gatewalk_complete
    set -l words (commandline -opc)
    $words[1] __complete -- $words[2..-1] (commandline -ct) 2>/dev/null
end
complete -c gatewalk -f -a '(__gatewalk_complete)'
`
