package tui

import (
	"context"
	"errors"
	"net/url"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// DefaultAutoDelay is how long the sandbox waits before answering when it
// answers the SDK step itself, so an audience sees the waiting step.
const DefaultAutoDelay = 2 * time.Second

// FlowConnector returns a Connector that runs flow.Setup on store with base
// options. The auto-answer is set afterwards with Runner.SetAuto, which
// waits base.AutoDelay (DefaultAutoDelay when zero) before answering.
func FlowConnector(store *session.Store, base flow.Options) Connector {
	return func(ctx context.Context, opt ConnectOptions) (Runner, error) {
		o := base
		if opt.Profile != "" {
			o.ProfileName = opt.Profile
		}
		r, err := flow.Setup(ctx, store, o)
		if err != nil {
			return nil, err
		}
		return FlowRunner(r), nil
	}
}

// FlowRunner adapts a *flow.Runner to Runner. The auto-answer it starts
// with is the runner's own (flow.Options.Auto).
func FlowRunner(r *flow.Runner) Runner {
	o := r.Options()
	delay := o.AutoDelay
	if delay == 0 {
		delay = DefaultAutoDelay
	}
	return &flowRunner{r: r, delay: delay, auto: AutoAnswer{Scenario: o.Auto, Broker: o.AutoBroker, Account: o.AutoAccount}}
}

// A *flow.Journey is handed to the screens as it is.
var _ Journey = (*flow.Journey)(nil)

type flowRunner struct {
	r     *flow.Runner
	delay time.Duration
	auto  AutoAnswer
}

func (f *flowRunner) Profile() session.Profile { return f.r.Profile() }
func (f *flowRunner) Keys() session.Keys       { return f.r.Keys() }
func (f *flowRunner) Auto() AutoAnswer         { return f.auto }
func (f *flowRunner) APIURL() string           { return f.r.Client().BaseURL }

func (f *flowRunner) SetAuto(a AutoAnswer) error {
	if err := f.r.SetAuto(a.Scenario, f.delay, a.Broker, a.Account); err != nil {
		return err
	}
	if !a.On() {
		a = AutoAnswer{}
	}
	f.auto = a
	return nil
}

// applyAuto sets the runner's auto-answer for the next journey: a guest
// login connects the chosen account, a connected journey logs in as the
// user's own account (the sandbox's default for a connected token), since
// another account would be a user mismatch.
func (f *flowRunner) applyAuto(guest bool) {
	a := f.auto
	if !guest {
		a.Broker, a.Account = "", ""
	}
	_ = f.r.SetAuto(a.Scenario, f.delay, a.Broker, a.Account) // f.auto was accepted before
}

func (f *flowRunner) GuestLogin(label string) Journey {
	f.applyAuto(true)
	return f.r.GuestLogin(label)
}
func (f *flowRunner) Order(label string, oc gateway.OrderConfig) Journey {
	f.applyAuto(false)
	return f.r.Order(label, oc)
}
func (f *flowRunner) HoldingsImport(label string, opt gateway.HoldingsOptions) Journey {
	f.applyAuto(false)
	return f.r.HoldingsImport(label, opt)
}
func (f *flowRunner) RunTransaction(spec flow.RunSpec) Journey {
	f.applyAuto(spec.Guest || spec.Token != "")
	return f.r.RunTransaction(spec)
}
func (f *flowRunner) ResetSandboxState() error {
	if !f.r.KeepsSandboxState() {
		return errors.New("only the built-in sandbox profile keeps a sandbox state")
	}
	return f.r.ResetSandboxState()
}
func (f *flowRunner) FetchHoldings(ctx context.Context, label string, opt gateway.HoldingsOptions) (*gateway.Holdings, []gateway.Exchange, error) {
	return f.r.FetchHoldings(ctx, label, opt)
}
func (f *flowRunner) FetchOrderDetails(ctx context.Context, label, txnID string) (*gateway.OrderDetails, []gateway.Exchange, error) {
	return f.r.FetchOrderDetails(ctx, label, txnID)
}
func (f *flowRunner) Call(ctx context.Context, method, path string, q url.Values, label string, body []byte) flow.CallResult {
	return f.r.Call(ctx, method, path, q, label, body)
}
func (f *flowRunner) Close() error { return f.r.Close() }

func (f *flowRunner) TestAccounts() []gateway.TestAccount { return f.r.TestAccounts() }
