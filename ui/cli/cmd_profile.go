package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"gatewalk/gateway"
	"gatewalk/session"
)

func profileCommand() command {
	return command{name: "profile", summary: "list, show, add, edit, use and remove profiles (a gateway and its keys)", run: runProfile}
}

const profileAbout = `Subcommands:
  profile list                    every profile; * marks the active one
  profile show [NAME]             one profile, keys masked (default: the profile in use)
  profile add NAME --env ENV --gateway GATEWAY [flags]
                                  add a profile; keys from --secrets-stdin or a masked prompt
  profile edit NAME [flags]       change only the fields given
  profile use NAME                make NAME the active profile
  profile remove NAME [--yes]     delete a profile with its keys, local users and history

A profile is a Gateway you integrate with: environment, gateway name, the
secret (signs smallcaseAuthTokens) and apiSecret (x-gateway-secret), URLs,
and the localhost port of the browser page. The built-in "sandbox" profile
always exists and needs no keys. The profile in use is --profile NAME, else
$GATEWALK_PROFILE, else the active one.`

func runProfile(ctx context.Context, c *Factory, args []string) error {
	if done, err := parentHelp(c, args, "profile list|show|add|edit|use|remove [flags]", profileAbout, "a subcommand is required"); done {
		return err
	}
	switch args[0] {
	case "list", "ls":
		return runProfileList(c, args[1:])
	case "show":
		return runProfileShow(c, args[1:])
	case "add":
		return runProfileAdd(c, args[1:])
	case "edit":
		return runProfileEdit(c, args[1:])
	case "use":
		return runProfileUse(c, args[1:])
	case "remove", "rm":
		return runProfileRemove(c, args[1:])
	}
	// Not echoed: a misplaced key may be the first argument.
	return usagef("unknown subcommand (not shown in case it was a secret): want list, show, add, edit, use or remove")
}

// openSessionStore opens the config directory ($GATEWALK_CONFIG_DIR, else
// the OS config dir) and prints its repair warnings on stderr.
func openSessionStore(c *Factory) (*session.Store, error) {
	dir, err := session.DefaultDir(c.getenv)
	if err != nil {
		return nil, err
	}
	st, warnings, err := session.OpenStore(dir)
	for _, w := range warnings {
		fmt.Fprintln(c.stderr, "gatewalk: warning:", w)
	}
	return st, err
}

// nameArg takes a profile NAME from the positional argument or --profile.
func nameArg(pos []string, flagValue, usage string) (string, error) {
	switch {
	case len(pos) > 1:
		// The extra arguments are not echoed: a misplaced key may be among them.
		return "", usagef("one NAME at a time: %v; keys come from --secrets-stdin or a prompt; usage: gatewalk %s", unexpectedArgs(pos[1:]), usage)
	case len(pos) == 1 && flagValue != "" && flagValue != pos[0]:
		return "", usagef("the profile is named twice (%q and --profile %q): give one", pos[0], flagValue)
	case len(pos) == 1:
		return pos[0], nil
	}
	return flagValue, nil
}

// envProfile names the profile a command uses when --profile is not given.
const envProfile = session.ProfileEnv

// profileInUse resolves the profile a command uses: --profile (flagValue),
// else $GATEWALK_PROFILE, else the active one. A name that is not a profile is
// a usage error saying where the name came from.
func profileInUse(c *Factory, st *session.Store, flagValue string) (session.Profile, error) {
	p, src, err := st.ResolveProfile(flagValue, c.getenv)
	if err == nil || !errors.Is(err, session.ErrProfileNotFound) {
		return p, err
	}
	if src == session.FromEnv {
		return session.Profile{}, envProfileError(st, c.getenv(envProfile))
	}
	return session.Profile{}, profileNotFound(err)
}

// envProfileError says that $GATEWALK_PROFILE names no profile, and which
// names would do.
func envProfileError(st *session.Store, name string) error {
	names := session.BuiltinProfileName
	if ps, err := st.Profiles(); err == nil {
		var ns []string
		for _, p := range ps {
			ns = append(ns, p.Name)
		}
		names = strings.Join(ns, ", ")
	}
	return usagef("$%s is %q, which is not a profile (the profiles: %s): set it to one of them, "+
		"unset it (unset %s) to use the active profile, or pass --profile NAME", envProfile, name, names, envProfile)
}

// profileNotFound turns a missing profile into a usage error.
func profileNotFound(err error) error {
	if errors.Is(err, session.ErrProfileNotFound) {
		return &usageError{err.Error()}
	}
	return err
}

// profileView is a profile as list and show print it: keys masked.
type profileView struct {
	Name             string   `json:"name"`
	Builtin          bool     `json:"builtin"`
	Active           bool     `json:"active"`
	InUse            bool     `json:"inUse"`
	Env              string   `json:"env"`
	Gateway          string   `json:"gateway"`
	Secret           string   `json:"secret"`
	SecretSource     string   `json:"secretSource"`
	APISecret        string   `json:"apiSecret"`
	APISecretSource  string   `json:"apiSecretSource"`
	APIURL           string   `json:"apiUrl"`
	APIURLPreset     bool     `json:"apiUrlPreset"`
	SDKURL           string   `json:"sdkUrl"`
	SDKURLPreset     bool     `json:"sdkUrlPreset"`
	CallbackPort     int      `json:"callbackPort"`
	CallbackOrigin   string   `json:"callbackOrigin,omitempty"`
	Leprechaun       bool     `json:"leprechaun"`
	AMO              bool     `json:"amo"`
	Brokers          []string `json:"brokers"`
	Users            *int     `json:"users,omitempty"`
	CreatedAt        string   `json:"createdAt,omitempty"`
	UpdatedAt        string   `json:"updatedAt,omitempty"`
	MissingKeys      []string `json:"missingKeys,omitempty"`
	UsersUnavailable string   `json:"usersUnavailable,omitempty"`
}

func newProfileView(c *Factory, st *session.Store, p session.Profile, active, inUse string) profileView {
	k := p.Keys(c.getenv)
	src := func(fromEnv bool, env string) string {
		if fromEnv {
			return env
		}
		return "profile"
	}
	v := profileView{
		Name: p.Name, Builtin: p.Builtin(), Active: p.Name == active, InUse: p.Name == inUse,
		Env: string(p.Env), Gateway: p.Gateway,
		Secret: gateway.MaskSecret(k.Secret), SecretSource: src(k.SecretFromEnv, session.EnvSecret),
		APISecret: gateway.MaskSecret(k.APISecret), APISecretSource: src(k.APISecretFromEnv, session.EnvAPISecret),
		APIURL: p.ResolvedAPIURL(), APIURLPreset: p.APIURL == "", SDKURL: p.ResolvedSDKURL(), SDKURLPreset: p.SDKURL == "",
		CallbackPort: p.CallbackPort, CallbackOrigin: p.CallbackOrigin(),
		Leprechaun: p.Leprechaun, AMO: p.AMO, Brokers: p.Brokers, MissingKeys: k.Missing(),
	}
	if v.Brokers == nil {
		v.Brokers = []string{}
	}
	if !p.CreatedAt.IsZero() {
		v.CreatedAt = p.CreatedAt.Format(time.RFC3339)
		v.UpdatedAt = p.UpdatedAt.Format(time.RFC3339)
	}
	if us, err := st.Users(p.Name); err == nil {
		n := len(us)
		v.Users = &n
	} else {
		v.UsersUnavailable = err.Error()
	}
	return v
}

func runProfileList(c *Factory, args []string) error {
	fs := newFlagSet(c, "profile list", "profile list [--profile NAME] [--json]",
		"Lists the profiles, keys masked. * marks the active profile; > marks the one this run\nuses when --profile or $GATEWALK_PROFILE names another.")
	profile := fs.String("profile", "", "mark NAME as the profile in use (default: $GATEWALK_PROFILE, else the active one)")
	jsonOut := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := unexpectedArgs(pos); err != nil {
		return &usageError{err.Error() + ". 'gatewalk profile show NAME' shows one profile"}
	}
	st, err := openSessionStore(c)
	if err != nil {
		return err
	}
	ps, err := st.Profiles()
	if err != nil {
		return err
	}
	active, err := st.ActiveName()
	if err != nil {
		return err
	}
	inUse := active
	switch env := c.getenv(envProfile); {
	case *profile != "":
		if _, err := st.Profile(*profile); err != nil {
			return profileNotFound(err)
		}
		inUse = *profile
	case env != "":
		// The list is what shows the right name: it must work when the
		// variable is wrong.
		if _, err := st.Profile(env); err == nil {
			inUse = env
		} else if errors.Is(err, session.ErrProfileNotFound) {
			fmt.Fprintf(c.stderr, "gatewalk: warning: %v\n", envProfileError(st, env))
		} else {
			return err
		}
	}
	views := make([]profileView, 0, len(ps))
	for _, p := range ps {
		views = append(views, newProfileView(c, st, p, active, inUse))
	}
	if *jsonOut {
		return writeJSON(c.stdout, views)
	}
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tNAME\tENV\tGATEWAY\tCALLBACK\tSECRET\tAPISECRET\tUSERS")
	var usersProblem string
	for _, v := range views {
		mark := ""
		if v.Active {
			mark = "*"
		}
		if v.InUse && !v.Active {
			mark = ">"
		}
		users := "?"
		if v.Users != nil {
			users = fmt.Sprint(*v.Users)
		} else {
			usersProblem = v.UsersUnavailable
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, v.Name, v.Env, v.Gateway, callbackText(v),
			keyText(v.Secret, v.SecretSource), keyText(v.APISecret, v.APISecretSource), users)
	}
	tw.Flush()
	if inUse != active {
		fmt.Fprintf(c.stdout, "\nThis run uses %q; the active profile is %q ('gatewalk profile use NAME' changes it).\n", inUse, active)
	}
	if usersProblem != "" {
		fmt.Fprintf(c.stderr, "gatewalk: warning: local users unavailable: %s\n", usersProblem)
	}
	return nil
}

func callbackText(v profileView) string {
	if v.CallbackOrigin == "" {
		return "any free port"
	}
	return v.CallbackOrigin
}

func keyText(masked, source string) string {
	if masked == "" {
		return "(none)"
	}
	if source != "profile" {
		return masked + " ($" + source + ")"
	}
	return masked
}

func runProfileShow(c *Factory, args []string) error {
	fs := newFlagSet(c, "profile show", "profile show [NAME] [--profile NAME] [--json]",
		"Shows a profile with its keys masked (first four characters) and where each\nkey comes from. Without NAME: --profile, else $GATEWALK_PROFILE, else the active profile.")
	profile := fs.String("profile", "", "the profile to show")
	jsonOut := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	name, err := nameArg(pos, *profile, "profile show [NAME]")
	if err != nil {
		return err
	}
	st, err := openSessionStore(c)
	if err != nil {
		return err
	}
	active, err := st.ActiveName()
	if err != nil {
		return err
	}
	// The profile this run would use: --profile, else $GATEWALK_PROFILE,
	// else the active one. NAME shows another without changing that.
	var p session.Profile
	inUse := active
	if len(pos) == 1 {
		if p, err = st.Profile(pos[0]); err != nil {
			return profileNotFound(err)
		}
		if *profile != "" {
			inUse = *profile
		} else if env := c.getenv(envProfile); env != "" {
			if _, err := st.Profile(env); err == nil {
				inUse = env
			}
		}
	} else {
		if p, err = profileInUse(c, st, name); err != nil {
			return err
		}
		inUse = p.Name
	}
	v := newProfileView(c, st, p, active, inUse)
	if *jsonOut {
		return writeJSON(c.stdout, v)
	}
	w := c.stdout
	status := ""
	switch {
	case v.Builtin && v.Active:
		status = " (built-in, active)"
	case v.Builtin:
		status = " (built-in)"
	case v.Active:
		status = " (active)"
	case v.InUse:
		status = " (in use for this run; the active profile is " + active + ")"
	}
	fmt.Fprintf(w, "profile:     %s%s\n", v.Name, status)
	fmt.Fprintf(w, "environment: %s\n", v.Env)
	fmt.Fprintf(w, "gateway:     %s\n", v.Gateway)
	fmt.Fprintf(w, "secret:      %s\n", keyLine(v.Secret, v.SecretSource, p.Secret, "signs smallcaseAuthTokens"))
	fmt.Fprintf(w, "apiSecret:   %s\n", keyLine(v.APISecret, v.APISecretSource, p.APISecret, "sent as x-gateway-secret"))
	fmt.Fprintf(w, "API URL:     %s\n", urlLine(v.APIURL, v.APIURLPreset, p.Env))
	fmt.Fprintf(w, "SDK URL:     %s\n", urlLine(v.SDKURL, v.SDKURLPreset, p.Env))
	if v.CallbackOrigin == "" {
		fmt.Fprintln(w, "callback:    any free localhost port (the sandbox runs the SDK on any localhost origin)")
	} else {
		fmt.Fprintf(w, "callback:    %s (must be whitelisted by smallcase for gateway %s)\n", v.CallbackOrigin, v.Gateway)
	}
	fmt.Fprintf(w, "leprechaun:  %s\n", yesNo(v.Leprechaun))
	fmt.Fprintf(w, "AMO:         %s\n", yesNo(v.AMO))
	if len(v.Brokers) == 0 {
		fmt.Fprintln(w, "brokers:     all")
	} else {
		fmt.Fprintf(w, "brokers:     %s\n", strings.Join(v.Brokers, ", "))
	}
	if v.Users != nil {
		fmt.Fprintf(w, "users:       %d ('gatewalk users list --profile %s')\n", *v.Users, v.Name)
	} else {
		fmt.Fprintf(w, "users:       unavailable: %s\n", v.UsersUnavailable)
	}
	if v.CreatedAt != "" {
		fmt.Fprintf(w, "created:     %s\nupdated:     %s\n", v.CreatedAt, v.UpdatedAt)
	}
	if len(v.MissingKeys) > 0 {
		fmt.Fprintf(w, "\nMissing: %s. Set them with 'gatewalk profile edit %s --secrets-stdin' or $%s / $%s.\n",
			strings.Join(v.MissingKeys, " and "), v.Name, session.EnvSecret, session.EnvAPISecret)
	}
	return nil
}

func keyLine(masked, source, stored, role string) string {
	if masked == "" {
		return "(none)"
	}
	if source != "profile" {
		s := fmt.Sprintf("%s from $%s for this run (%s)", masked, source, role)
		if stored != "" {
			s += "; stored: " + gateway.MaskSecret(stored)
		}
		return s
	}
	return fmt.Sprintf("%s (%s)", masked, role)
}

func urlLine(u string, preset bool, env gateway.Environment) string {
	switch {
	case u == "" && env == gateway.EnvSandbox:
		return "the embedded sandbox's (its address is chosen when it starts)"
	case preset:
		return u + " (" + string(env) + " preset)"
	}
	return u + " (override)"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// profileCmd is what a subcommand that changes one profile starts from: its
// flag set, where --profile is another way to give NAME.
type profileCmd struct {
	fs      *flag.FlagSet
	profile *string
}

func newProfileCmd(c *Factory, name, usage, about string) *profileCmd {
	fs := newFlagSet(c, name, usage, about)
	return &profileCmd{fs: fs, profile: fs.String("profile", "", "the profile's name (instead of NAME)")}
}

// name parses args and takes the profile's NAME from the positional
// argument or --profile ("" when neither gives it); usage is the command
// line an error shows.
func (pc *profileCmd) name(args []string, usage string) (string, error) {
	pos, err := parseFlags(pc.fs, args)
	if err != nil {
		return "", err
	}
	return nameArg(pos, *pc.profile, usage)
}

// profileFlags are the fields add and edit take.
type profileFlags struct {
	*profileCmd
	env, gw        *string
	apiURL, sdkURL *string
	port           *int
	leprechaun     *bool
	amo            *bool
	brokers        *string
	secretsStdin   *bool
	secretsPrompt  *bool
}

func newProfileFlags(c *Factory, name, usage, about string) *profileFlags {
	pc := newProfileCmd(c, name, usage, about)
	fs := pc.fs
	return &profileFlags{
		profileCmd:    pc,
		env:           fs.String("env", "", "environment: "+strings.Join(gateway.EnvironmentNames(), ", ")),
		gw:            fs.String("gateway", "", "the gateway name smallcase issued (lower case, e.g. gatewaydemo)"),
		apiURL:        fs.String("api-url", "", "API base URL (default: the environment's preset; \"\" restores it)"),
		sdkURL:        fs.String("sdk-url", "", "web SDK script URL (default: the environment's preset; \"\" restores it)"),
		port:          fs.Int("callback-port", 0, "localhost port of the browser page, 1024-65535, whitelisted by smallcase (required except for sandbox)"),
		leprechaun:    fs.Bool("leprechaun", false, "leprechaun (test broker) mode; --leprechaun=false turns it off"),
		amo:           fs.Bool("amo", false, "allow after-market orders; --amo=false turns it off"),
		brokers:       fs.String("brokers", "", "comma-separated broker ids shown to users (default: all); unknown ids are kept with a warning"),
		secretsStdin:  fs.Bool("secrets-stdin", false, "read the keys from standard input: the secret on the first line, the apiSecret on the second, nothing more"),
		secretsPrompt: fs.Bool("secrets-prompt", false, "ask for the keys at a masked prompt (edit; add asks when stdin is a terminal)"),
	}
}

// apply copies the flags that were given onto p.
func (pf *profileFlags) apply(p *session.Profile) {
	pf.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "env":
			p.Env = gateway.Environment(strings.ToLower(*pf.env))
		case "gateway":
			p.Gateway = *pf.gw
		case "api-url":
			p.APIURL = *pf.apiURL
		case "sdk-url":
			p.SDKURL = *pf.sdkURL
		case "callback-port":
			p.CallbackPort = *pf.port
		case "leprechaun":
			p.Leprechaun = *pf.leprechaun
		case "amo":
			p.AMO = *pf.amo
		case "brokers":
			p.Brokers = strings.Split(*pf.brokers, ",")
		}
	})
}

// warnUnknownBrokers warns about broker ids that are not among the known
// ones. They are kept: the Gateway publishes no authoritative list.
func warnUnknownBrokers(c *Factory, flagName string, ids []string) {
	var trimmed []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" {
			trimmed = append(trimmed, id)
		}
	}
	unknown := session.UnknownBrokers(trimmed)
	if len(unknown) == 0 {
		return
	}
	q := make([]string, len(unknown))
	for i, id := range unknown {
		q[i] = fmt.Sprintf("%q", id)
	}
	what := q[0] + " is not a broker id"
	if len(q) > 1 {
		what = strings.Join(q, ", ") + " are not broker ids"
	}
	fmt.Fprintf(c.stderr, "gatewalk: warning: %s: %s gatewalk knows; kept as given, check the spelling "+
		"(known: %s, each also with %s)\n", flagName, what, strings.Join(session.KnownBrokers(), ", "), session.LeprechaunSuffix)
}

// validationUsage turns a profile validation error into a usage error that
// names the flag.
func validationUsage(err error) error {
	var ve *gateway.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	flagFor := map[string]string{"env": "--env", "gateway": "--gateway", "apiUrl": "--api-url", "sdkUrl": "--sdk-url",
		"callbackPort": "--callback-port", "brokers": "--brokers", "secret": "keys", "name": "NAME"}
	name := flagFor[ve.Field]
	if name == "" {
		name = ve.Field
	}
	return usagef("%s: %s", name, ve.Problem)
}

const keysOnStdin = "printf '%s\\n%s\\n' \"$SECRET\" \"$API_SECRET\" | gatewalk profile "

// readProfileKeys reads the secret and the apiSecret from stdin (two lines)
// or, on a terminal, from a masked prompt. prompted is whether
// --secrets-prompt asked for the prompt.
func readProfileKeys(c *Factory, fromStdin, prompted bool, cmdline string) (secret, apiSecret string, err error) {
	if fromStdin {
		return readKeysFromStdin(c.stdin, cmdline)
	}
	if !keysPromptable(c) {
		if prompted {
			return "", "", usagef("--secrets-prompt needs a terminal, and standard input is not one; pipe the keys with "+
				"--secrets-stdin instead: %s%s --secrets-stdin", keysOnStdin, cmdline)
		}
		return "", "", usagef("the keys are needed and standard input is not a terminal to ask them at: pipe them with "+
			"--secrets-stdin (%s%s --secrets-stdin); keys are never taken as arguments", keysOnStdin, cmdline)
	}
	fmt.Fprintln(c.stderr, "The keys are not shown as you type.")
	if secret, err = promptSecret(c, "secret (signs smallcaseAuthTokens): "); err != nil {
		return "", "", err
	}
	if apiSecret, err = promptSecret(c, "apiSecret (x-gateway-secret): "); err != nil {
		return "", "", err
	}
	if secret == "" || apiSecret == "" {
		return "", "", usagef("both the secret and the apiSecret are needed")
	}
	return secret, apiSecret, nil
}

// maxKeysInput bounds what --secrets-stdin reads: two keys and their line ends.
const maxKeysInput = 16 << 10

// readKeysFromStdin reads --secrets-stdin's input: the secret on the first
// line, the apiSecret on the second, each ended by \n or \r\n (the last may
// lack it); blank lines may follow. Anything else is refused rather than
// guessed at, and no key is ever repeated in a message.
func readKeysFromStdin(r io.Reader, cmdline string) (secret, apiSecret string, err error) {
	want := func(problem string) error {
		return usagef("--secrets-stdin: %s; it wants two lines, the secret then the apiSecret (e.g. %s%s --secrets-stdin)",
			problem, keysOnStdin, cmdline)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxKeysInput+1))
	if err != nil {
		return "", "", fmt.Errorf("--secrets-stdin: reading standard input: %w", err)
	}
	if len(b) > maxKeysInput {
		return "", "", want(fmt.Sprintf("standard input is longer than %d KiB", maxKeysInput>>10))
	}
	lines := strings.Split(string(b), "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	switch {
	case len(lines) == 0:
		return "", "", want("standard input is empty")
	case len(lines) == 1:
		return "", "", want("standard input has one line, the apiSecret is missing")
	case len(lines) > 2:
		return "", "", want(fmt.Sprintf("standard input has %d lines; a third would be ignored, so nothing was saved", len(lines)))
	}
	for i, name := range []string{"secret", "apiSecret"} {
		k := lines[i]
		switch {
		case k == "":
			return "", "", want(fmt.Sprintf("line %d (the %s) is empty", i+1, name))
		case strings.TrimSpace(k) != k:
			return "", "", want(fmt.Sprintf("line %d (the %s) starts or ends with spaces or tabs, which no key has "+
				"(nothing was saved; the value is not shown); remove them", i+1, name))
		case strings.ContainsFunc(k, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return "", "", want(fmt.Sprintf("line %d (the %s) holds a control character (nothing was saved; the value is not shown)", i+1, name))
		}
	}
	return lines[0], lines[1], nil
}

// keysPromptable reports whether the keys can be asked at a prompt: stdin
// is a terminal. For a real file (stdin), the terminal check is authoritative
// (/dev/null is a character device, not a terminal).
func keysPromptable(c *Factory) bool {
	if f, ok := c.stdin.(*os.File); ok {
		return term.IsTerminal(int(f.Fd()))
	}
	return c.stdinIsTerminal != nil && c.stdinIsTerminal()
}

// restoreOnInterrupt makes Ctrl-C at a masked prompt end the command with
// the terminal's echo back on and nothing saved (exit 130). Nothing else is
// in flight while the prompt waits. The returned func stops watching.
func restoreOnInterrupt(c *Factory, fd int) (stop func()) {
	state, err := term.GetState(fd)
	if err != nil {
		return func() {}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			term.Restore(fd, state)
			fmt.Fprintln(c.stderr, "\ninterrupted: nothing was saved")
			os.Exit(130)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}

// promptSecret asks for one secret without echo on a terminal stdin.
func promptSecret(c *Factory, prompt string) (string, error) {
	fmt.Fprint(c.stderr, prompt)
	defer fmt.Fprintln(c.stderr)
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		defer restoreOnInterrupt(c, int(f.Fd()))()
		b, err := term.ReadPassword(int(f.Fd()))
		if err != nil {
			return "", fmt.Errorf("reading the key: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	// A terminal that is not this process's stdin file: read one line, a
	// byte at a time so that the next prompt's line stays unread.
	var line []byte
	b := make([]byte, 1)
	for len(line) < 4<<10 {
		n, err := c.stdin.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
		}
		if err == io.EOF && len(line) == 0 {
			return "", usagef("no key entered")
		}
		if err != nil {
			break
		}
	}
	return strings.TrimSpace(string(line)), nil
}

func runProfileAdd(c *Factory, args []string) error {
	pf := newProfileFlags(c, "profile add",
		"profile add NAME --env ENV --gateway GATEWAY [--api-url URL] [--sdk-url URL] [--callback-port N] [--leprechaun] [--amo] [--brokers a,b] [--secrets-stdin] [--use]",
		`Adds a profile. The secret and the apiSecret are read from standard input
with --secrets-stdin (two lines: the secret, then the apiSecret) or asked at a
masked prompt when standard input is a terminal; never from arguments. A
sandbox-environment profile without keys uses the public demo gateway's.
Real environments need --callback-port: the Gateway runs the web SDK only on
origins it has whitelisted, so ask smallcase to whitelist http://localhost:PORT.

Example:
  printf '%s\n%s\n' "$SECRET" "$API_SECRET" | gatewalk profile add staging \
    --env staging --gateway acmebroking --callback-port 8421 --leprechaun --secrets-stdin`)
	use := pf.fs.Bool("use", false, "make it the active profile")
	name, err := pf.name(args, "profile add NAME --env ENV --gateway GATEWAY")
	if err != nil {
		return err
	}
	if name == "" {
		return usagef("a NAME is required: gatewalk profile add NAME --env ENV --gateway GATEWAY")
	}
	if *pf.env == "" || *pf.gw == "" {
		return usagef("--env and --gateway are required (environments: %s)", strings.Join(gateway.EnvironmentNames(), ", "))
	}
	p := session.Profile{Name: name}
	pf.apply(&p)
	// Check everything but the keys before asking for them.
	probe := p
	probe.Secret, probe.APISecret = "x", "x"
	if name == session.BuiltinProfileName {
		return usagef("%q is the built-in profile; choose another name", name)
	}
	if err := probe.Validate(); err != nil {
		return validationUsage(err)
	}
	warnUnknownBrokers(c, "--brokers", p.Brokers)
	st, err := openSessionStore(c)
	if err != nil {
		return err
	}
	if _, err := st.Profile(name); err == nil {
		return usagef("%q is already a profile: 'gatewalk profile edit %s' changes it", name, name)
	}
	cmdline := "add " + name + " --env " + string(p.Env) + " --gateway " + p.Gateway
	switch {
	case *pf.secretsStdin:
		p.Secret, p.APISecret, err = readProfileKeys(c, true, false, cmdline)
	case p.Env == gateway.EnvSandbox && !*pf.secretsPrompt:
		p.Secret, p.APISecret = session.DemoSecret, session.DemoSecret
	default:
		p.Secret, p.APISecret, err = readProfileKeys(c, false, *pf.secretsPrompt, cmdline)
	}
	if err != nil {
		return err
	}
	if err := st.AddProfile(p); err != nil {
		if errors.Is(err, session.ErrProfileExists) {
			return &usageError{err.Error()}
		}
		return validationUsage(err)
	}
	if *use {
		if err := st.UseProfile(name); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.stdout, "Added profile %s: %s, gateway %s, secret %s, apiSecret %s.\n",
		name, p.Env, p.Gateway, gateway.MaskSecret(p.Secret), gateway.MaskSecret(p.APISecret))
	if *use {
		fmt.Fprintf(c.stdout, "It is the active profile.\n")
	} else {
		fmt.Fprintf(c.stdout, "Use it with --profile %s, or make it active: gatewalk profile use %s\n", name, name)
	}
	return nil
}

func runProfileEdit(c *Factory, args []string) error {
	pf := newProfileFlags(c, "profile edit",
		"profile edit NAME [--env ENV] [--gateway GATEWAY] [--api-url URL] [--sdk-url URL] [--callback-port N] [--leprechaun[=false]] [--amo[=false]] [--brokers a,b] [--secrets-stdin|--secrets-prompt]",
		`Changes only the fields given; the rest stays. New keys come from
--secrets-stdin (two lines: the secret, then the apiSecret) or
--secrets-prompt (a masked prompt). --api-url "" and --sdk-url "" restore the
environment's presets; --brokers "" allows all brokers.`)
	name, err := pf.name(args, "profile edit NAME [flags]")
	if err != nil {
		return err
	}
	if name == "" {
		return usagef("a NAME is required: gatewalk profile edit NAME [flags]")
	}
	if name == session.BuiltinProfileName {
		return usagef("%q is the built-in profile and cannot be changed: add your own with 'gatewalk profile add NAME --env sandbox --gateway gatewaydemo'", name)
	}
	if *pf.secretsStdin && *pf.secretsPrompt {
		return usagef("--secrets-stdin or --secrets-prompt, not both")
	}
	changed := 0
	pf.fs.Visit(func(f *flag.Flag) {
		if f.Name != "profile" {
			changed++
		}
	})
	if changed == 0 {
		return usagef("nothing to change: give the flags to change (gatewalk profile edit -h)")
	}
	st, err := openSessionStore(c)
	if err != nil {
		return err
	}
	p, err := st.Profile(name)
	if err != nil {
		return profileNotFound(err)
	}
	pf.apply(&p)
	probe := p
	if probe.Secret == "" || *pf.secretsStdin || *pf.secretsPrompt {
		probe.Secret, probe.APISecret = "x", "x"
	}
	if err := probe.Validate(); err != nil {
		return validationUsage(err)
	}
	if *pf.brokers != "" {
		warnUnknownBrokers(c, "--brokers", p.Brokers)
	}
	var secret, apiSecret string
	newKeys := *pf.secretsStdin || *pf.secretsPrompt
	if newKeys {
		secret, apiSecret, err = readProfileKeys(c, *pf.secretsStdin, *pf.secretsPrompt, "edit "+name)
		if err != nil {
			return err
		}
	}
	// The flags are applied again to the profile as stored when the lock is
	// held: a change another process made while the keys were typed stays.
	p, err = st.UpdateProfile(name, func(q *session.Profile) error {
		pf.apply(q)
		if newKeys {
			q.Secret, q.APISecret = secret, apiSecret
		}
		return nil
	})
	if err != nil {
		return validationUsage(profileNotFound(err))
	}
	fmt.Fprintf(c.stdout, "Updated profile %s: %s, gateway %s, secret %s, apiSecret %s.\n",
		name, p.Env, p.Gateway, gateway.MaskSecret(p.Secret), gateway.MaskSecret(p.APISecret))
	return nil
}

func runProfileUse(c *Factory, args []string) error {
	pc := newProfileCmd(c, "profile use", "profile use NAME", "Makes NAME the active profile: the one used when neither --profile nor $GATEWALK_PROFILE says otherwise.")
	name, err := pc.name(args, "profile use NAME")
	if err != nil {
		return err
	}
	if name == "" {
		return usagef("a NAME is required: gatewalk profile use NAME ('gatewalk profile list' shows them)")
	}
	st, err := openSessionStore(c)
	if err != nil {
		return err
	}
	if err := st.UseProfile(name); err != nil {
		return profileNotFound(err)
	}
	fmt.Fprintf(c.stdout, "Active profile: %s\n", name)
	if env := c.getenv(envProfile); env != "" && env != name {
		fmt.Fprintf(c.stderr, "gatewalk: note: $GATEWALK_PROFILE=%s still takes precedence in this shell\n", env)
	}
	return nil
}

func runProfileRemove(c *Factory, args []string) error {
	pc := newProfileCmd(c, "profile remove", "profile remove NAME [--yes]",
		"Deletes a profile with its keys, its local users and its transaction history.\nA profile with local users is removed only with --yes. The built-in sandbox\nprofile cannot be removed.")
	yes := pc.fs.Bool("yes", false, "remove it even though it has local users")
	name, err := pc.name(args, "profile remove NAME")
	if err != nil {
		return err
	}
	if name == "" {
		return usagef("a NAME is required: gatewalk profile remove NAME")
	}
	if name == session.BuiltinProfileName {
		return usagef("%q is the built-in profile and cannot be removed", name)
	}
	st, err := openSessionStore(c)
	if err != nil {
		return err
	}
	active, err := st.ActiveName()
	if err != nil {
		return err
	}
	n, err := st.RemoveProfileChecked(name, *yes)
	var has *session.ProfileHasUsersError
	if errors.As(err, &has) {
		return usagef("%v ('gatewalk users list --profile %s' shows them); add --yes to remove it anyway", err, name)
	}
	if err != nil {
		return profileNotFound(err)
	}
	fmt.Fprintf(c.stdout, "Removed profile %s", name)
	if n > 0 {
		fmt.Fprintf(c.stdout, " and its %d local user(s)", n)
	}
	fmt.Fprintln(c.stdout, ".")
	if active == name {
		fmt.Fprintf(c.stdout, "It was the active profile: the built-in %s profile is active now ('gatewalk profile use NAME' chooses another).\n",
			session.BuiltinProfileName)
	}
	if env := c.getenv(envProfile); env == name {
		fmt.Fprintf(c.stderr, "gatewalk: note: $%s still names %s in this shell: unset it or set it to another profile\n", envProfile, name)
	}
	return nil
}
