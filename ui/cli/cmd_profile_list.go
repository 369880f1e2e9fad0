package cli

import (
	"errors"
	"fmt"
	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/ui/present"
	"text/tabwriter"
)

func runProfileList(c *Factory, args []string) error {
	fs := newFlagSet(c, "profile list", "profile list [--profile NAME] [--json]",
		"Lists the profiles, keys masked. * marks the active profile; > marks the one this run\nuses when --profile or $GATEWALK_PROFILE names another. KEYS IN says where the stored\nkeys live: keyring (the OS keyring), file (profiles.json), built-in or none.")
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
			fmt.Fprintf(c.stderr, "gatewalk: warning: %s\n", present.SafeLine(envProfileError(st, env).Error()))
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
	fmt.Fprintln(tw, "\tNAME\tENV\tGATEWAY\tCALLBACK\tSECRET\tAPISECRET\tUSERS\tKEYS IN")
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
		env := string(v.Env)
		if v.Leprechaun && v.Env != string(gateway.EnvSandbox) {
			env += " · leprechaun" // the environment stays visible
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, present.SafeLine(v.Name), present.SafeLine(env), present.SafeLine(v.Gateway), present.SafeLine(callbackText(v)),
			present.SafeLine(keyText(v.Secret, v.SecretSource)), present.SafeLine(keyText(v.APISecret, v.APISecretSource)), users, v.SecretLocation)
	}
	tw.Flush()
	if inUse != active {
		fmt.Fprintf(c.stdout, "\nThis run uses %q; the active profile is %q ('gatewalk profile use NAME' changes it).\n", inUse, active)
	}
	if usersProblem != "" {
		fmt.Fprintf(c.stderr, "gatewalk: warning: local users unavailable: %s\n", present.SafeLine(usersProblem))
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
