package ui

import (
	"context"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// Store is what the interface reads and writes in the operator's config
// directory. *session.Store implements it.
type Store interface {
	Profiles() ([]session.Profile, error)
	ActiveName() (string, error)
	SaveProfile(p session.Profile) error
	UseProfile(name string) error
	Users(profile string) ([]session.User, error)
	History(profile string) ([]session.HistoryEntry, error)
}

// Journey is one run of a flow, driven step by step. *flow.Journey
// implements it.
type Journey interface {
	// Next runs the next pending step and returns it (nil when the journey
	// is done or stopped at a failed step).
	Next(ctx context.Context) *flow.Step
	// Snapshot copies the steps; safe while Next runs elsewhere.
	Snapshot() []flow.Step
	// Events carries the browser page's events while the SDK step runs.
	Events() <-chan session.JourneyEvent
	// RetryFrom resets a step and the later ones to pending.
	RetryFrom(k flow.StepKind)
	// AllowDuplicate confirms saving an id another local user has.
	AllowDuplicate()
	// Close releases the browser page and closes Events.
	Close()
}

// Runner starts journeys on one profile. FlowRunner adapts a *flow.Runner.
type Runner interface {
	Profile() session.Profile
	// Keys are the profile's secrets after environment overrides: the
	// secret checks token signatures; both are scrubbed from exports.
	Keys() session.Keys
	// Auto is the sandbox scenario the driver answers with ("" = browser).
	Auto() gateway.Scenario
	GuestLogin(label string) Journey
	Order(label string, oc gateway.OrderConfig) Journey
	HoldingsImport(label string, opt gateway.HoldingsOptions) Journey
	FetchHoldings(ctx context.Context, label string, opt gateway.HoldingsOptions) (*gateway.Holdings, []gateway.Exchange, error)
	FetchOrderDetails(ctx context.Context, label, txnID string) (*gateway.OrderDetails, []gateway.Exchange, error)
	Close() error
}

// ConnectOptions say how to build a Runner.
type ConnectOptions struct {
	// Profile is the profile name; "" means the active one.
	Profile string
	// Auto has the sandbox answer the SDK step itself (demo mode).
	Auto bool
}

// Connector builds a Runner: it resolves the profile and its keys, and
// starts the in-process sandbox and the browser bridge as needed. It is
// called from a tea.Cmd, never from Update.
type Connector func(ctx context.Context, opt ConnectOptions) (Runner, error)

// Clipboard copies text to the operator's clipboard (OSC 52 in a terminal).
type Clipboard interface {
	Copy(text string) error
}

// ClipboardFunc adapts a function to Clipboard.
type ClipboardFunc func(text string) error

// Copy calls f(text).
func (f ClipboardFunc) Copy(text string) error { return f(text) }
