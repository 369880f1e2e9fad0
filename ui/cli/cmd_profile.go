package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/ui/present"
)

func profileCommand() command {
	return command{name: "profile", summary: "list, show, add, edit, use and remove profiles (a gateway and its keys)", subcommands: []string{"list", "show", "add", "edit", "use", "remove", "migrate-secrets"}, run: runProfile}
}

const profileAbout = `Subcommands:
  profile list                    every profile; * marks the active one
  profile show [NAME]             one profile, keys masked (default: the profile in use)
  profile add NAME --env ENV --gateway GATEWAY [flags]
                                  add a profile; keys from --secrets-stdin or a masked prompt
  profile edit NAME [flags]       change only the fields given
  profile use NAME                make NAME the active profile
  profile remove NAME [--yes]     delete a profile with its keys, local users and history
  profile migrate-secrets [NAME]  move keys kept in profiles.json to the OS keyring

A profile is a Gateway you integrate with: environment, gateway name, the
secret (signs smallcaseAuthTokens) and apiSecret (x-gateway-secret), URLs,
and the localhost port of the browser page. Keys live in the OS keyring
(profiles.json when none answers, or with --insecure-storage). The built-in "sandbox" profile
always exists and needs no keys. The profile in use is --profile NAME, else
$GATEWALK_PROFILE, else the active one.`

func runProfile(ctx context.Context, c *Factory, args []string) error {
	if done, err := parentHelp(c, args, "profile list|show|add|edit|use|remove|migrate-secrets [flags]", profileAbout, "a subcommand is required"); done {
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
	case "migrate-secrets":
		return runProfileMigrateSecrets(c, args[1:])
	}
	// Not echoed: a misplaced key may be the first argument.
	return usagef("unknown subcommand (not shown in case it was a secret): want list, show, add, edit, use, remove or migrate-secrets")
}

// openSessionStore opens the config directory ($GATEWALK_CONFIG_DIR, else
// the OS config dir) and prints its repair warnings on stderr.
func openSessionStore(c *Factory) (*session.Store, error) {
	dir, err := session.DefaultDir(c.getenv)
	if err != nil {
		return nil, err
	}
	st, warnings, err := c.openStore(dir, nil)
	for _, w := range warnings {
		fmt.Fprintln(c.stderr, "gatewalk: warning:", present.SafeLine(w))
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
	Name            string `json:"name"`
	Builtin         bool   `json:"builtin"`
	Active          bool   `json:"active"`
	InUse           bool   `json:"inUse"`
	Env             string `json:"env"`
	Gateway         string `json:"gateway"`
	Secret          string `json:"secret"`
	SecretSource    string `json:"secretSource"`
	APISecret       string `json:"apiSecret"`
	APISecretSource string `json:"apiSecretSource"`
	// SecretLocation and APISecretLocation say where the stored key lives:
	// keyring, file, built-in, or none.
	SecretLocation    string   `json:"secretLocation"`
	APISecretLocation string   `json:"apiSecretLocation"`
	APIURL            string   `json:"apiUrl"`
	APIURLPreset      bool     `json:"apiUrlPreset"`
	SDKURL            string   `json:"sdkUrl"`
	SDKURLPreset      bool     `json:"sdkUrlPreset"`
	CallbackPort      int      `json:"callbackPort"`
	CallbackOrigin    string   `json:"callbackOrigin,omitempty"`
	Leprechaun        bool     `json:"leprechaun"`
	AMO               bool     `json:"amo"`
	Brokers           []string `json:"brokers"`
	// SDKConfig is the config the SDK page gives new scDK; SDKConfigSet
	// says whether the profile sets it (else it is built from amo and
	// leprechaun).
	SDKConfig        json.RawMessage `json:"sdkConfig"`
	SDKConfigSet     bool            `json:"sdkConfigSet"`
	Users            *int            `json:"users,omitempty"`
	CreatedAt        string          `json:"createdAt,omitempty"`
	UpdatedAt        string          `json:"updatedAt,omitempty"`
	MissingKeys      []string        `json:"missingKeys,omitempty"`
	UsersUnavailable string          `json:"usersUnavailable,omitempty"`
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
		SDKConfig: json.RawMessage(p.SDKConfigJSON()), SDKConfigSet: p.SDKConfig != "",
		SecretLocation: keyLocation(p, p.Secret), APISecretLocation: keyLocation(p, p.APISecret),
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

// keyLocation is where a stored key lives: "keyring", "file", "built-in", or
// "none" when the profile stores none (a keyring that did not answer counts
// as keyring: the key is there, unread).
func keyLocation(p session.Profile, stored string) string {
	switch {
	case p.Builtin():
		return "built-in"
	case p.SecretStore == session.SecretsInKeyring:
		return "keyring"
	case stored == "":
		return "none"
	}
	return "file"
}
