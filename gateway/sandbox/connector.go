package sandbox

import (
	"context"

	"gatewalk/gateway"
)

// Embedded is a sandbox for a journey runner to start in-process: cfg's
// identity, postback target, clock and log, the other settings at their
// defaults.
func Embedded(cfg gateway.EmulatorConfig) *Server {
	return New(Config{Gateway: cfg.Gateway, Secret: cfg.Secret, APISecret: cfg.APISecret,
		PostbackURL: cfg.PostbackURL, Clock: cfg.Clock, Logf: cfg.Logf})
}

// Play is Complete for a runner that knows only the gateway package's
// AutoAnswer.
func (s *Server) Play(ctx context.Context, transactionID string, a gateway.AutoAnswer) (gateway.SDKOutcome, error) {
	return s.Complete(ctx, transactionID, CompleteRequest{Broker: a.Broker, Account: a.Account, Outcome: a.Outcome, AMO: a.AMO})
}

// TestAccounts lists every test account of every broker, with the
// smallcaseAuthId each has on gateway gw.
func TestAccounts(gw string) []gateway.TestAccount {
	var out []gateway.TestAccount
	for _, b := range Brokers() {
		for _, a := range b.Accounts {
			out = append(out, gateway.TestAccount{Broker: b.ID, BrokerName: b.Name, Account: a.ID, Name: a.Name,
				SmallcaseAuthID: AuthID(gw, b.ID, a.ID)})
		}
	}
	return out
}
