package flow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
)

// PostbackWaiter hands the postback of a transaction to the journey that
// created it. Wait blocks until a postback with the event arrives for
// transactionID, or ctx ends.
type PostbackWaiter interface {
	Wait(ctx context.Context, transactionID, event string) (session.PostbackRecord, error)
}

// Emulator is an embedded sandbox as the runner drives it. The runner never
// builds one itself: main (through ui/cli) hands in Options.Emulators,
// made from gateway/sandbox, so the journeys depend only on this contract.
type Emulator interface {
	// Start serves the emulated Gateway on addr and returns its base URL.
	Start(addr string) (string, error)
	// SDKURL is the emulated web SDK script.
	SDKURL() string
	// Now is the emulator's clock (the wall clock plus any offset).
	Now() time.Time
	// Play answers a transaction's SDK step as a browser would have.
	Play(ctx context.Context, transactionID string, a gateway.AutoAnswer) (gateway.SDKOutcome, error)
	// Close stops it.
	Close() error
}

// Emulators builds embedded sandboxes and names their test accounts.
type Emulators struct {
	// New builds (without starting) an embedded sandbox.
	New func(gateway.EmulatorConfig) Emulator
	// TestAccounts lists the sandbox's test broker accounts on a gateway.
	TestAccounts func(gatewayName string) []gateway.TestAccount
}

// Options configure a Runner. The zero value runs the active profile with a
// real browser.
type Options struct {
	// ProfileName is the profile to run; "" means $GATEWALK_PROFILE, else
	// the active profile.
	ProfileName string
	// NoBrowser prints the page URL instead of opening a browser.
	NoBrowser bool
	// Auto, on the sandbox, has the sandbox driver complete the SDK step
	// with this scenario instead of a browser; "" uses the browser.
	Auto gateway.Scenario
	// AutoDelay is the pause before the driver answers (for demos).
	AutoDelay time.Duration
	// AutoBroker and AutoAccount choose the leprechaun broker account the
	// driver logs in with ("" = the sandbox's default: the account bound to
	// the token's smallcaseAuthId, else the first one).
	AutoBroker, AutoAccount string
	// Getenv reads the environment (GATEWALK_PROFILE, GATEWALK_SECRET,
	// GATEWALK_API_SECRET, SSH and display variables); nil means os.Getenv.
	Getenv func(string) string
	// Opener opens the browser; nil means bridge.NewBrowserOpener().
	Opener bridge.Opener
	// Logf receives diagnostic lines (never secrets); nil discards them.
	Logf func(format string, args ...any)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Postbacks, when set, adds an await_postback step to orders and
	// holdings imports.
	Postbacks PostbackWaiter
	// PostbackTimeout bounds await_postback; zero means 30s.
	PostbackTimeout time.Duration
	// Emulators provides the in-process sandbox of the built-in sandbox
	// profile; without it such a profile cannot run.
	Emulators Emulators
	// SandboxPostbackURL is where the in-process sandbox POSTs postbacks.
	SandboxPostbackURL string
	// HTTPClient is used for the Gateway API; nil means a dedicated client
	// with keep-alive.
	HTTPClient *http.Client
	// Timeout bounds each HTTP attempt; zero means gateway.DefaultTimeout.
	Timeout time.Duration
	// EphemeralSandbox keeps the built-in sandbox profile's state in this
	// process only (a demo, a test), instead of the config directory.
	EphemeralSandbox bool
	// SecretOptional lets a profile without a secret run (a token issued
	// elsewhere initialises the SDK; nothing is minted or verified here).
	SecretOptional bool
	// OnAttempt, when set, is told of every HTTP attempt of a step as soon
	// as it ends (from the goroutine running the step), so a presenter can
	// show retries while they happen.
	OnAttempt func(Attempt)
}

// Attempt is one HTTP attempt of a step, as reported to Options.OnAttempt.
type Attempt struct {
	Step StepKind
	// N is this attempt (from 1); Of is the most the call makes (GETs are
	// retried after a network error or a 5xx, a create never is).
	N, Of int
	// Reason says why the attempt failed, such as "no answer within 15s" or
	// "HTTP 502"; "" when it got an answer.
	Reason string
	// Retrying reports that the client makes another attempt.
	Retrying bool
	// Exchange is the attempt's record, secrets masked.
	Exchange gateway.Exchange
}

// Runner holds what every journey of one profile needs: the profile and its
// keys, the Gateway client, the in-process sandbox (sandbox profiles) and
// the browser bridge (started on first use).
type Runner struct {
	store   *session.Store
	profile session.Profile
	keys    session.Keys
	client  *gateway.Client
	sb      Emulator
	state   StatefulEmulator // the built-in sandbox's, when it keeps its state
	sdkURL  string
	opt     Options

	// sh is what every journey's view of the runner shares: the bridge and
	// the auto-answer settings, which SetAuto changes without a restart.
	sh *runnerShared
}

// runnerShared is the mutable part of a Runner. A journey holds a copy of
// the Runner taken when it was created (so its auto-answer settings do not
// change under it) that points to the same runnerShared.
type runnerShared struct {
	mu     sync.Mutex
	bridge *bridge.Bridge
	auto   autoSettings
	// stateReset: the sandbox's saved state was forgotten; do not save it.
	stateReset bool
}

// autoSettings are the Options fields SetAuto changes.
type autoSettings struct {
	scenario        gateway.Scenario
	delay           time.Duration
	broker, account string
}

// Setup resolves the profile and its keys (environment overrides applied),
// starts the in-process sandbox for a sandbox profile whose API URL is not
// set, and builds the Gateway client. The browser bridge starts on the
// first journey that needs it, on the profile's callback port.
func Setup(ctx context.Context, store *session.Store, opt Options) (*Runner, error) {
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	clock := opt.Now
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	if opt.PostbackTimeout <= 0 {
		opt.PostbackTimeout = 30 * time.Second
	}
	p, _, err := store.ResolveProfile(opt.ProfileName, opt.Getenv)
	if err != nil {
		return nil, err
	}
	r := &Runner{store: store, profile: p, keys: p.Keys(opt.Getenv), opt: opt,
		sh: &runnerShared{auto: autoSettings{opt.Auto, opt.AutoDelay, opt.AutoBroker, opt.AutoAccount}}}
	if err := checkAuto(p, opt.Auto); err != nil {
		return nil, err
	}
	if m := r.keys.Missing(); len(m) > 0 && !(opt.SecretOptional && len(m) == 1 && m[0] == "secret") {
		return nil, &MissingKeysError{Profile: p.Name, Missing: m}
	}
	apiURL, sdkURL := p.ResolvedAPIURL(), p.ResolvedSDKURL()
	if p.Env == gateway.EnvSandbox && p.APIURL == "" {
		// The sandbox plays the Gateway, so its identity is the profile's
		// stored keys (the public demo keys for the built-in profile), while
		// the client and the minted tokens use this run's keys: a wrong
		// $GATEWALK_SECRET is then rejected exactly as the real Gateway would.
		// A key the profile does not store is taken from the run.
		idSecret, idAPISecret := p.Secret, p.APISecret
		if idSecret == "" {
			idSecret = r.keys.Secret
		}
		if idAPISecret == "" {
			idAPISecret = r.keys.APISecret
		}
		if opt.Emulators.New == nil {
			return nil, fmt.Errorf("profile %q needs the embedded sandbox, which this program was built without: "+
				"start one with `gatewalk sandbox` and set the profile's --api-url", p.Name)
		}
		sb := opt.Emulators.New(gateway.EmulatorConfig{Gateway: p.Gateway, Secret: idSecret, APISecret: idAPISecret,
			PostbackURL: opt.SandboxPostbackURL, Clock: clock, Logf: opt.Logf})
		if err := r.loadSandboxState(sb); err != nil {
			sb.Close()
			return nil, err
		}
		base, err := sb.Start("127.0.0.1:0")
		if err != nil {
			sb.Close()
			return nil, fmt.Errorf("starting the embedded sandbox: %w", err)
		}
		r.sb = sb
		apiURL = base
		if p.SDKURL == "" {
			sdkURL = sb.SDKURL()
		}
		// One clock for the runner, the bridge and the sandbox, so that
		// Sandbox().Advance moves them all.
		r.opt.Now = sb.Now
	} else if p.Env == gateway.EnvSandbox && sdkURL == "" {
		sdkURL = strings.TrimRight(apiURL, "/") + gateway.SandboxSDKPath
	}
	if apiURL == "" {
		return nil, fmt.Errorf("profile %q has no API URL: set one with `gatewalk profile edit %s --api-url URL`", p.Name, p.Name)
	}
	r.sdkURL = sdkURL
	hc := opt.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 4,
			IdleConnTimeout: 30 * time.Second, ForceAttemptHTTP2: true}}
	}
	r.client = &gateway.Client{BaseURL: apiURL, Gateway: p.Gateway, APISecret: r.keys.APISecret, HTTP: hc, Timeout: opt.Timeout}
	return r, nil
}

// checkAuto refuses an auto-answer scenario off the sandbox or unknown to it.
func checkAuto(p session.Profile, scenario gateway.Scenario) error {
	if scenario == "" {
		return nil
	}
	if p.Env != gateway.EnvSandbox {
		return &AutoNotSandboxError{Profile: p.Name, Env: p.Env}
	}
	if !knownScenario(scenario) {
		return fmt.Errorf("unknown sandbox scenario %q (want one of %v)", scenario, gateway.Scenarios())
	}
	return nil
}

// SetAuto changes, without restarting anything, how the SDK step of the
// journeys created from now on is answered: by the sandbox driver with
// scenario after delay, logged in as broker and account ("" = the
// sandbox's default), or by the browser when scenario is "". Journeys
// already created keep the settings they started with. The sandbox, its
// state and the browser bridge are untouched.
func (r *Runner) SetAuto(scenario gateway.Scenario, delay time.Duration, broker, account string) error {
	if err := checkAuto(r.profile, scenario); err != nil {
		return err
	}
	if scenario == "" {
		delay, broker, account = 0, "", ""
	}
	r.sh.mu.Lock()
	r.sh.auto = autoSettings{scenario, delay, broker, account}
	r.sh.mu.Unlock()
	return nil
}

// forJourney is the runner as a new journey sees it: a copy whose options
// carry the auto-answer settings in effect now.
func (r *Runner) forJourney() *Runner {
	c := *r
	c.opt = r.Options()
	return &c
}

func knownScenario(s gateway.Scenario) bool {
	for _, k := range gateway.Scenarios() {
		if k == s {
			return true
		}
	}
	return false
}

// Close stops the bridge and the in-process sandbox.
func (r *Runner) Close() error {
	r.sh.mu.Lock()
	b := r.sh.bridge
	r.sh.bridge = nil
	r.sh.mu.Unlock()
	var errs []error
	if b != nil {
		errs = append(errs, b.Close())
	}
	if r.sb != nil {
		r.saveSandboxState()
		errs = append(errs, r.sb.Close())
	}
	if t, ok := r.client.HTTP.Transport.(*http.Transport); ok && r.opt.HTTPClient == nil {
		t.CloseIdleConnections()
	}
	return errors.Join(errs...)
}

// Profile is the profile the runner uses (keys as stored; see Keys).
func (r *Runner) Profile() session.Profile { return r.profile }

// Keys are the keys in effect (environment overrides applied). Never print
// them: use gateway.MaskSecret.
func (r *Runner) Keys() session.Keys { return r.keys }

// Store is the session store.
func (r *Runner) Store() *session.Store { return r.store }

// Client is the Gateway API client.
func (r *Runner) Client() *gateway.Client { return r.client }

// Sandbox is the in-process sandbox, nil when the profile has none.
func (r *Runner) Sandbox() Emulator { return r.sb }

// TestAccounts lists the sandbox's test broker accounts on the profile's
// gateway, for choosing one to auto-answer as; nil off the sandbox.
func (r *Runner) TestAccounts() []gateway.TestAccount {
	if r.profile.Env != gateway.EnvSandbox || r.opt.Emulators.TestAccounts == nil {
		return nil
	}
	return r.opt.Emulators.TestAccounts(r.profile.Gateway)
}

// SDKURL is the web SDK script the browser page loads.
func (r *Runner) SDKURL() string { return r.sdkURL }

// Options are the options the runner was set up with (defaults filled),
// with the auto-answer settings in effect now (see SetAuto).
func (r *Runner) Options() Options {
	o := r.opt
	r.sh.mu.Lock()
	a := r.sh.auto
	r.sh.mu.Unlock()
	o.Auto, o.AutoDelay, o.AutoBroker, o.AutoAccount = a.scenario, a.delay, a.broker, a.account
	return o
}

// Bridge starts the loopback browser bridge on the profile's callback port
// if it is not running yet, and returns it. A busy port is a
// *bridge.PortBusyError.
func (r *Runner) Bridge() (*bridge.Bridge, error) {
	r.sh.mu.Lock()
	defer r.sh.mu.Unlock()
	if r.sh.bridge != nil {
		return r.sh.bridge, nil
	}
	b, err := bridge.Start(bridge.Config{Port: r.profile.CallbackPort, Logf: r.opt.Logf, Now: r.opt.Now})
	if err != nil {
		return nil, err
	}
	r.sh.bridge = b
	return b, nil
}

func (r *Runner) now() time.Time { return r.opt.Now() }

// timeout is the client's limit for one attempt.
func (r *Runner) timeout() time.Duration {
	if r.client.Timeout > 0 {
		return r.client.Timeout
	}
	return gateway.DefaultTimeout
}

// attempts is the most attempts the client makes for a method.
func (r *Runner) attempts(method string) int {
	if method != http.MethodGet {
		return 1
	}
	switch {
	case r.client.Retries > 0:
		return 1 + r.client.Retries
	case r.client.Retries == 0:
		return 1 + gateway.DefaultRetries
	}
	return 1
}

// GuestLogin is the guest login journey for a new local user label: mint a
// guest token, create a CONNECT transaction, open the browser, await the
// SDK result, verify the returned token, save the user. When label is
// already a local user, the result must carry that user's smallcaseAuthId.
func (r *Runner) GuestLogin(label string) *Journey {
	return r.withTitles(newJourney(r.forJourney(), GuestLogin, label, MintToken, CreateTransaction, OpenBrowser, AwaitSDK, VerifyResult, SaveUser))
}

// Order is the connected-user order journey: mint a connected token for the
// stored user, create a TRANSACTION with oc, open the browser, await the SDK
// result, verify it belongs to the same smallcaseAuthId, fetch the order
// details from the API.
func (r *Runner) Order(label string, oc gateway.OrderConfig) *Journey {
	steps := []StepKind{MintToken, CreateTransaction, OpenBrowser, AwaitSDK, VerifyResult, FetchOrders}
	if r.opt.Postbacks != nil {
		steps = append(steps, AwaitPostback)
	}
	j := newJourney(r.forJourney(), Order, label, steps...)
	j.order = &oc
	return r.withTitles(j)
}

// HoldingsImport is the holdings import journey: connected token,
// HOLDINGS_IMPORT (v2 and mutual funds per opt), browser, await, verify,
// fetch holdings.
func (r *Runner) HoldingsImport(label string, opt gateway.HoldingsOptions) *Journey {
	steps := []StepKind{MintToken, CreateTransaction, OpenBrowser, AwaitSDK, VerifyResult, FetchHoldings}
	if r.opt.Postbacks != nil {
		steps = append(steps, AwaitPostback)
	}
	j := newJourney(r.forJourney(), HoldingsImport, label, steps...)
	j.holdings = opt
	return r.withTitles(j)
}

// ViewHoldings is a two-step journey that fetches a connected user's
// holdings without an import: mint a connected token, fetch holdings.
func (r *Runner) ViewHoldings(label string, opt gateway.HoldingsOptions) *Journey {
	j := newJourney(r.forJourney(), HoldingsView, label, MintToken, FetchHoldings)
	j.holdings = opt
	return r.withTitles(j)
}

// ViewOrderDetails is a two-step journey that re-fetches the order details
// of a past transaction of a user: mint a connected token, fetch orders.
func (r *Runner) ViewOrderDetails(label, transactionID string) *Journey {
	j := newJourney(r.forJourney(), OrderDetailsView, label, MintToken, FetchOrders)
	j.txnID = transactionID
	return r.withTitles(j)
}

// FetchHoldings fetches a connected user's holdings ("view holdings",
// without an import).
func (r *Runner) FetchHoldings(ctx context.Context, label string, opt gateway.HoldingsOptions) (*gateway.Holdings, []gateway.Exchange, error) {
	j := r.ViewHoldings(label, opt)
	defer j.Close()
	failed := j.Run(ctx, nil)
	x := j.exchanges()
	if failed != nil {
		return nil, x, failed.Err
	}
	return j.Step(FetchHoldings).Holdings, x, nil
}

// FetchOrderDetails re-fetches the order details of a past transaction.
func (r *Runner) FetchOrderDetails(ctx context.Context, label, txnID string) (*gateway.OrderDetails, []gateway.Exchange, error) {
	j := r.ViewOrderDetails(label, txnID)
	defer j.Close()
	failed := j.Run(ctx, nil)
	x := j.exchanges()
	if failed != nil {
		return nil, x, failed.Err
	}
	return j.Step(FetchOrders).Orders, x, nil
}

func (j *Journey) exchanges() []gateway.Exchange {
	var out []gateway.Exchange
	for _, s := range j.Snapshot() {
		out = append(out, s.Exchanges...)
	}
	return out
}
