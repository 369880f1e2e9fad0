package main

import (
	"context"
	"fmt"
)

// runDefault is `gatewalk` with no arguments: the TUI on the active profile.
func runDefault(ctx context.Context, c *cli) int {
	return runDefaultWithFlags(ctx, c, nil)
}

// runDefaultWithFlags is `gatewalk [--profile P] [--demo] [--no-browser]`.
func runDefaultWithFlags(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "gatewalk", "[--profile NAME] [--demo] [--no-browser]", "Starts the interactive TUI.")
	fs.String("profile", "", "profile to use (default: the active profile, or $GATEWALK_PROFILE)")
	fs.Bool("demo", false, "demo mode: redact secrets and ids, large narration")
	fs.Bool("no-browser", false, "print the browser URL instead of opening it")
	if _, err := parseFlags(fs, args); err != nil {
		return exitCode(err)
	}
	printUsage(c.stdout)
	fmt.Fprintln(c.stdout)
	return exitOK
}
