package cli

import (
	"errors"
	"flag"
	"fmt"
	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/ui/present"
	"path/filepath"
	"strings"
)

// profileFlags are the fields add and edit take.
type profileFlags struct {
	*profileCmd
	env, gw        *string
	apiURL, sdkURL *string
	port           *int
	leprechaun     *bool
	amo            *bool
	brokers        *string
	sdkConfig      *string
	secretsStdin   *bool
	secretsPrompt  *bool
	insecure       *bool
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
		sdkConfig:     fs.String("sdk-config", "", `the config given to new scDK as a JSON object, e.g. '{"amo":true,"isLeprechaun":true}' (default: amo and, with --leprechaun, isLeprechaun and leprechaunEnabled; "" restores it)`),
		secretsStdin:  fs.Bool("secrets-stdin", false, "read the keys from standard input: the secret on the first line, the apiSecret on the second, nothing more"),
		secretsPrompt: fs.Bool("secrets-prompt", false, "ask for the keys at a masked prompt (edit; add asks when stdin is a terminal)"),
		insecure:      fs.Bool("insecure-storage", false, "keep the keys in profiles.json (0600) instead of the OS keyring; --insecure-storage=false moves them to the keyring"),
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
		case "insecure-storage":
			p.SecretStore = session.SecretsInKeyring
			if *pf.insecure {
				p.SecretStore = session.SecretsInFile
			}
		case "sdk-config":
			// Checked by Validate; --sdk-config "" restores the default.
			p.SDKConfig = strings.TrimSpace(*pf.sdkConfig)
			if c, err := session.ParseSDKConfig(p.SDKConfig); err == nil {
				p.SDKConfig = c
			}
		case "brokers":
			// --brokers "" clears the list (all brokers shown again).
			p.Brokers = nil
			for _, b := range strings.Split(*pf.brokers, ",") {
				if b = strings.TrimSpace(b); b != "" {
					p.Brokers = append(p.Brokers, b)
				}
			}
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
		"callbackPort": "--callback-port", "brokers": "--brokers", "sdkConfig": "--sdk-config", "secret": "keys", "name": "NAME"}
	name := flagFor[ve.Field]
	if name == "" {
		name = ve.Field
	}
	return usagef("%s: %s", name, ve.Problem)
}

func runProfileAdd(c *Factory, args []string) error {
	pf := newProfileFlags(c, "profile add",
		"profile add NAME --env ENV --gateway GATEWAY [--api-url URL] [--sdk-url URL] [--callback-port N] [--leprechaun] [--amo] [--brokers a,b] [--sdk-config JSON] [--secrets-stdin] [--insecure-storage] [--use]",
		`Adds a profile. The secret and the apiSecret are read from standard input
with --secrets-stdin (two lines: the secret, then the apiSecret) or asked at a
masked prompt when standard input is a terminal; never from arguments. A
sandbox-environment profile without keys uses the public demo gateway's.
Real environments need --callback-port: the Gateway runs the web SDK only on
origins it has whitelisted, so ask smallcase to whitelist http://localhost:PORT.

The keys are kept in the OS keyring (service gatewalk), profiles.json only
saying so. When no keyring answers (within 3 s), they go to profiles.json
(mode 0600, not encrypted) with a warning; --insecure-storage chooses that
file on purpose.

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
		present.SafeLine(name), present.SafeLine(string(p.Env)), present.SafeLine(p.Gateway), present.SafeLine(gateway.MaskSecret(p.Secret)), present.SafeLine(gateway.MaskSecret(p.APISecret)))
	printKeysPlace(c, st, name)
	if *use {
		fmt.Fprintf(c.stdout, "It is the active profile.\n")
	} else {
		fmt.Fprintf(c.stdout, "Use it with --profile %s, or make it active: gatewalk profile use %s\n", present.SafeLine(name), present.SafeLine(name))
	}
	return nil
}

// printKeysPlace says where the keys of a profile just saved are kept.
func printKeysPlace(c *Factory, st *session.Store, name string) {
	p, err := st.Profile(name)
	if err != nil || (p.Secret == "" && p.APISecret == "") {
		return
	}
	fmt.Fprintf(c.stdout, "Keys: %s.\n", present.SafeLine(secretPlace(st, p)))
}

// secretPlace says where a profile's stored keys live, for people.
func secretPlace(st *session.Store, p session.Profile) string {
	switch {
	case p.Builtin():
		return "built in (the public demo keys)"
	case p.SecretStore == session.SecretsInKeyring:
		return "in the OS keyring (service " + session.KeyringService + ")"
	}
	return "in " + filepath.Join(st.Dir(), "profiles.json") + " (mode 0600, not encrypted)"
}
