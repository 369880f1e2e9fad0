package tui

import (
	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session/flow"
)

// TestAccounts are the real sandbox's, so the chooser tests see its accounts.
func (r *fakeRunner) TestAccounts() []gateway.TestAccount {
	return sandbox.TestAccounts(r.Profile().Gateway)
}

// testEmulators is the embedded sandbox, as ui/cli hands it to the runner.
var testEmulators = flow.Emulators{
	New:          func(c gateway.EmulatorConfig) flow.Emulator { return sandbox.Embedded(c) },
	TestAccounts: sandbox.TestAccounts,
}
