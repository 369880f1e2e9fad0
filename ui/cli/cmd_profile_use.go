package cli

import (
	"errors"
	"fmt"
	"gatewalk/session"
	"gatewalk/ui/present"
)

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
	fmt.Fprintf(c.stdout, "Active profile: %s\n", present.SafeLine(name))
	if env := c.getenv(envProfile); env != "" && env != name {
		fmt.Fprintf(c.stderr, "gatewalk: note: $GATEWALK_PROFILE=%s still takes precedence in this shell\n", present.SafeLine(env))
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
	fmt.Fprintf(c.stdout, "Removed profile %s", present.SafeLine(name))
	if n > 0 {
		fmt.Fprintf(c.stdout, " and its %d local user(s)", n)
	}
	fmt.Fprintln(c.stdout, ".")
	if active == name {
		fmt.Fprintf(c.stdout, "It was the active profile: the built-in %s profile is active now ('gatewalk profile use NAME' chooses another).\n",
			session.BuiltinProfileName)
	}
	if env := c.getenv(envProfile); env == name {
		fmt.Fprintf(c.stderr, "gatewalk: note: $%s still names %s in this shell: unset it or set it to another profile\n", envProfile, present.SafeLine(name))
	}
	return nil
}
