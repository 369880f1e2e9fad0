package cli

import (
	"context"
	"fmt"
	"io"

	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

func loginCommand() command {
	return command{name: "login", summary: "connect a broker account as a local user (guest login, headless)", run: runLogin}
}

const loginAbout = `Guest login without the TUI: mints a guest token, creates a CONNECT
transaction, opens the browser on the local SDK page (the URL is always
printed), waits for the SDK result (live countdown on stderr), verifies the
returned smallcaseAuthToken with the profile's secret and saves the user's
smallcaseAuthId under LABEL.

A smallcaseAuthId another user of the profile already has is refused (both
labels would be the same broker account) unless --allow-duplicate is given.
If LABEL exists already, the result must carry its stored smallcaseAuthId.

On the sandbox, --auto OUTCOME completes the SDK step through the sandbox
driver (no browser), logged in as --auto-broker/--auto-account (default
kite-leprechaun LEP001; each account is its own smallcaseAuthId). The
built-in sandbox profile keeps its sandbox's state in the config directory
between commands (gatewalk sandbox reset starts it over). Progress goes to stderr, the result to stdout; --json
prints one JSON report with every step. Exit codes: gatewalk help exit-codes.`

func runLogin(ctx context.Context, c *Factory, args []string) error {
	fs := newFlagSet(c, "login", "login --user LABEL [--profile NAME] [--no-browser] [--auto OUTCOME [--auto-broker BROKER] [--auto-account ACCOUNT]] [--allow-duplicate] [--json]", loginAbout)
	var jf journeyFlags
	jf.register(fs, true)
	allowDup := fs.Bool("allow-duplicate", false, "save the user even when another label has the same smallcaseAuthId (same broker account)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	return jf.finish(c, login(ctx, c, &jf, pos, *allowDup))
}

func login(ctx context.Context, c *Factory, jf *journeyFlags, pos []string, allowDup bool) error {
	if err := jf.check(pos); err != nil {
		return err
	}
	hr, err := startHeadless(ctx, c, jf)
	if err != nil {
		return err
	}
	defer hr.close()
	j := hr.runner.GuestLogin(jf.user)
	if allowDup {
		j.AllowDuplicate()
	}
	return hr.drive(ctx, j, func(w io.Writer) {
		s := j.Step(flow.SaveUser)
		if s.User == nil {
			return
		}
		fmt.Fprintf(w, "user:            %s\nsmallcaseAuthId: %s\nbroker:          %s\nprofile:         %s\n",
			present.SafeLine(s.User.Label), present.SafeLine(s.User.SmallcaseAuthID), present.SafeLine(s.User.Broker), present.SafeLine(hr.runner.Profile().Name))
	})
}
