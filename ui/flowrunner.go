package ui

import (
	"context"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// DefaultAutoDelay is how long the sandbox waits before answering in demo
// mode, so an audience sees the waiting step.
const DefaultAutoDelay = 2 * time.Second

// FlowConnector returns a Connector that runs flow.Setup on store with base
// options; ConnectOptions.Auto sets Auto to the success scenario with
// DefaultAutoDelay (when base.AutoDelay is zero).
func FlowConnector(store *session.Store, base flow.Options) Connector {
	return func(ctx context.Context, opt ConnectOptions) (Runner, error) {
		o := base
		if opt.Profile != "" {
			o.ProfileName = opt.Profile
		}
		if opt.Auto {
			o.Auto = gateway.ScenarioSuccess
			if o.AutoDelay == 0 {
				o.AutoDelay = DefaultAutoDelay
			}
		} else {
			o.Auto = ""
		}
		r, err := flow.Setup(ctx, store, o)
		if err != nil {
			return nil, err
		}
		return FlowRunner(r), nil
	}
}

// FlowRunner adapts a *flow.Runner to Runner.
func FlowRunner(r *flow.Runner) Runner { return flowRunner{r} }

type flowRunner struct{ r *flow.Runner }

func (f flowRunner) Profile() session.Profile { return f.r.Profile() }
func (f flowRunner) Keys() session.Keys       { return f.r.Keys() }
func (f flowRunner) Auto() gateway.Scenario   { return f.r.Options().Auto }
func (f flowRunner) GuestLogin(label string) Journey {
	return f.r.GuestLogin(label)
}
func (f flowRunner) Order(label string, oc gateway.OrderConfig) Journey {
	return f.r.Order(label, oc)
}
func (f flowRunner) HoldingsImport(label string, opt gateway.HoldingsOptions) Journey {
	return f.r.HoldingsImport(label, opt)
}
func (f flowRunner) FetchHoldings(ctx context.Context, label string, opt gateway.HoldingsOptions) (*gateway.Holdings, []gateway.Exchange, error) {
	return f.r.FetchHoldings(ctx, label, opt)
}
func (f flowRunner) FetchOrderDetails(ctx context.Context, label, txnID string) (*gateway.OrderDetails, []gateway.Exchange, error) {
	return f.r.FetchOrderDetails(ctx, label, txnID)
}
func (f flowRunner) Close() error { return f.r.Close() }
