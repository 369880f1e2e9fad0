package gateway

import "time"

// What the product knows of an emulator of the Gateway (gatewalk's sandbox),
// so that the journey runner and the TUI can use one without depending on
// its package: main builds the emulator and hands it in.

// SandboxSDKPath is where a sandbox serves its emulation of the web SDK
// script, relative to its API base URL.
const SandboxSDKPath = "/scdk/2.0.0/scdk.js"

// EmulatorConfig is what a journey runner tells the embedded sandbox it
// starts: the identity it plays (gateway name and keys), where postbacks
// go, its clock and its request log.
type EmulatorConfig struct {
	Gateway, Secret, APISecret string
	// PostbackURL receives the sandbox's postbacks when set.
	PostbackURL string
	// Clock is the sandbox's time source; nil means the wall clock.
	Clock func() time.Time
	// Logf receives one line per request; secrets are never logged.
	Logf func(format string, args ...any)
}

// AutoAnswer is how a sandbox plays a transaction's SDK step in place of a
// browser: logged in as Broker and Account ("" = its defaults), ending in
// Outcome, with the page's config.amo.
type AutoAnswer struct {
	Broker  string   `json:"broker"`
	Account string   `json:"account"`
	Outcome Scenario `json:"outcome"`
	AMO     bool     `json:"amo,omitempty"`
}

// TestAccount is one of a sandbox's test (leprechaun) broker accounts.
type TestAccount struct {
	Broker, BrokerName string
	Account, Name      string
	// SmallcaseAuthID is the id the sandbox gives the account on the
	// gateway it was asked about.
	SmallcaseAuthID string
}
