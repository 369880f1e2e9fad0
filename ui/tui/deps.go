package tui

import (
	"context"
	"net/url"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
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
	// SaveRunbook writes a runbook NAME.json to the config directory's
	// runbooks folder, never over an existing one, and returns its path.
	SaveRunbook(name string, data []byte) (string, error)
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
	Events() <-chan bridge.JourneyEvent
	// RetryFrom resets a step and the later ones to pending.
	RetryFrom(k flow.StepKind)
	// AllowDuplicate confirms saving an id another local user has.
	AllowDuplicate()
	// Abandon is Close for a journey left while its transaction is live:
	// it marks the history entry ABANDONED (unless a result settled it)
	// and tells the browser page that the terminal stopped waiting. Cancel
	// a running Next's context first.
	Abandon()
	// WallExpireAt is the live transaction's expiry on the wall clock
	// (zero before one exists).
	WallExpireAt() time.Time
	// Close releases the browser page and closes Events.
	Close()
	// NeedsResolution reports whether the journey's ending with err leaves
	// open whether its transaction placed orders (an order journey whose
	// SDK step did not settle with its own answer). No I/O; call it only
	// when no Next runs.
	NeedsResolution(err error) bool
	// Resolve asks the Gateway what became of the journey's transaction
	// (whether orders were placed). It does I/O: call it from a tea.Cmd.
	Resolve(ctx context.Context) flow.Resolution
}

// Runner starts journeys on one profile. FlowRunner adapts a *flow.Runner.
type Runner interface {
	Profile() session.Profile
	// Keys are the profile's secrets after environment overrides: the
	// secret checks token signatures; both are scrubbed from exports.
	Keys() session.Keys
	// Auto is how the SDK step is answered (Scenario "" = the browser).
	Auto() AutoAnswer
	// SetAuto changes how the SDK step of the journeys started from now on
	// is answered, keeping the runner (and the embedded sandbox's state).
	// Off the sandbox, an answer other than off is refused.
	SetAuto(a AutoAnswer) error
	// APIURL is the Gateway API the runner talks to (the embedded
	// sandbox's address included), for exports.
	APIURL() string
	GuestLogin(label string) Journey
	Order(label string, oc gateway.OrderConfig) Journey
	HoldingsImport(label string, opt gateway.HoldingsOptions) Journey
	// RunTransaction runs the SDK step alone on a transaction created
	// elsewhere (see flow.Runner.RunTransaction).
	RunTransaction(spec flow.RunSpec) Journey
	// ResetSandboxState forgets the built-in sandbox's saved state (it
	// does I/O: call it from a tea.Cmd); an error on other profiles.
	// Restart the runner after it.
	ResetSandboxState() error
	FetchHoldings(ctx context.Context, label string, opt gateway.HoldingsOptions) (*gateway.Holdings, []gateway.Exchange, error)
	FetchOrderDetails(ctx context.Context, label, txnID string) (*gateway.OrderDetails, []gateway.Exchange, error)
	// Call makes one partner API call with a fresh guest token (label "")
	// or the user's connected token (a runbook's api step).
	Call(ctx context.Context, method, path string, q url.Values, label string, body []byte) flow.CallResult
	// TestAccounts lists the sandbox's test broker accounts (nil off the
	// sandbox), for the auto-answer chooser.
	TestAccounts() []gateway.TestAccount
	Close() error
}

// AutoAnswer says how the SDK step is answered: by the sandbox driver
// playing Scenario after a short pause, or by the browser (Scenario "").
// A guest login logs in as Broker and Account ("" = the sandbox's default
// account); orders and imports log in as the user's own account.
type AutoAnswer struct {
	Scenario        gateway.Scenario
	Broker, Account string
}

// On reports whether the sandbox answers by itself.
func (a AutoAnswer) On() bool { return a.Scenario != "" }

// ConnectOptions say how to build a Runner.
type ConnectOptions struct {
	// Profile is the profile name; "" means the active one.
	Profile string
	// Generation tells apart two connections to the same profile (after
	// the profile was edited), so a late answer of the first is dropped.
	Generation int
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
