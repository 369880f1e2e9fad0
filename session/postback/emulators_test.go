package postback_test

import (
	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session/flow"
)

// testEmulators is the embedded sandbox, as ui/cli hands it in.
var testEmulators = flow.Emulators{
	New:          func(c gateway.EmulatorConfig) flow.Emulator { return sandbox.Embedded(c) },
	TestAccounts: sandbox.TestAccounts,
}
