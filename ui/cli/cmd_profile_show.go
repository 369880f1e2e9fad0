package cli

import (
	"fmt"
	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/ui/present"
	"path/filepath"
	"strings"
)

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
	fmt.Fprintf(w, "profile:     %s%s\n", present.SafeLine(v.Name), present.SafeLine(status))
	fmt.Fprintf(w, "environment: %s\n", present.SafeLine(v.Env))
	fmt.Fprintf(w, "gateway:     %s\n", present.SafeLine(v.Gateway))
	fmt.Fprintf(w, "secret:      %s\n", present.SafeLine(keyLine(v.Secret, v.SecretSource, p.Secret, "signs smallcaseAuthTokens")+placeNote(st, p, v.SecretLocation)))
	fmt.Fprintf(w, "apiSecret:   %s\n", present.SafeLine(keyLine(v.APISecret, v.APISecretSource, p.APISecret, "sent as x-gateway-secret")+placeNote(st, p, v.APISecretLocation)))
	fmt.Fprintf(w, "API URL:     %s\n", present.SafeLine(urlLine(v.APIURL, v.APIURLPreset, p.Env)))
	fmt.Fprintf(w, "SDK URL:     %s\n", present.SafeLine(urlLine(v.SDKURL, v.SDKURLPreset, p.Env)))
	if v.CallbackOrigin == "" {
		fmt.Fprintln(w, "callback:    any free localhost port (the sandbox runs the SDK on any localhost origin)")
	} else {
		fmt.Fprintf(w, "callback:    %s (must be whitelisted by smallcase for gateway %s)\n", present.SafeLine(v.CallbackOrigin), present.SafeLine(v.Gateway))
	}
	fmt.Fprintf(w, "leprechaun:  %s\n", yesNo(v.Leprechaun))
	fmt.Fprintf(w, "AMO:         %s\n", yesNo(v.AMO))
	cfgFrom := "built from AMO and leprechaun; --sdk-config sets it"
	if v.SDKConfigSet {
		cfgFrom = "set with --sdk-config"
	}
	fmt.Fprintf(w, "SDK config:  %s (%s)\n", present.SafeLine(string(v.SDKConfig)), cfgFrom)
	if len(v.Brokers) == 0 {
		fmt.Fprintln(w, "brokers:     all")
	} else {
		fmt.Fprintf(w, "brokers:     %s\n", present.SafeLine(strings.Join(v.Brokers, ", ")))
	}
	if v.Users != nil {
		fmt.Fprintf(w, "users:       %d ('gatewalk users list --profile %s')\n", *v.Users, present.SafeLine(v.Name))
	} else {
		fmt.Fprintf(w, "users:       unavailable: %s\n", present.SafeLine(v.UsersUnavailable))
	}
	if v.CreatedAt != "" {
		fmt.Fprintf(w, "created:     %s\nupdated:     %s\n", v.CreatedAt, v.UpdatedAt)
	}
	if len(v.MissingKeys) > 0 {
		fmt.Fprintf(w, "\nMissing: %s. Set them with 'gatewalk profile edit %s --secrets-stdin' or $%s / $%s.\n",
			strings.Join(v.MissingKeys, " and "), present.SafeLine(v.Name), session.EnvSecret, session.EnvAPISecret)
	}
	return nil
}

// placeNote says where a stored key lives, after its line.
func placeNote(st *session.Store, p session.Profile, loc string) string {
	switch loc {
	case "keyring":
		if p.Secret == "" && p.APISecret == "" {
			return "; stored in the OS keyring (service " + session.KeyringService + "), not read: it did not answer"
		}
		return "; stored in the OS keyring (service " + session.KeyringService + ")"
	case "file":
		return "; stored in " + filepath.Join(st.Dir(), "profiles.json") + " (0600, not encrypted; 'gatewalk profile migrate-secrets' moves it to the keyring)"
	case "built-in":
		return "; built in"
	}
	return ""
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
