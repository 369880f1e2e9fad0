package cli

import (
	"flag"
	"fmt"
	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/ui/present"
)

func runProfileEdit(c *Factory, args []string) error {
	pf := newProfileFlags(c, "profile edit",
		"profile edit NAME [--env ENV] [--gateway GATEWAY] [--api-url URL] [--sdk-url URL] [--callback-port N] [--leprechaun[=false]] [--amo[=false]] [--brokers a,b] [--sdk-config JSON] [--secrets-stdin|--secrets-prompt] [--insecure-storage[=false]]",
		`Changes only the fields given; the rest stays. New keys come from
--secrets-stdin (two lines: the secret, then the apiSecret) or
--secrets-prompt (a masked prompt). --api-url "" and --sdk-url "" restore the
environment's presets; --brokers "" allows all brokers. The keys stay where
they are (the OS keyring, or profiles.json); --insecure-storage moves them to
profiles.json, --insecure-storage=false to the keyring.`)
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
		present.SafeLine(name), present.SafeLine(string(p.Env)), present.SafeLine(p.Gateway), present.SafeLine(gateway.MaskSecret(p.Secret)), present.SafeLine(gateway.MaskSecret(p.APISecret)))
	if p.Secret != "" || p.APISecret != "" {
		fmt.Fprintf(c.stdout, "Keys: %s.\n", present.SafeLine(secretPlace(st, p)))
	}
	return nil
}
