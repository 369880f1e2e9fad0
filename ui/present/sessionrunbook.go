package present

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gatewalk/gateway"
	"gatewalk/session/flow"
	"gatewalk/session/runbook"
)

// SessionRunbook turns the session's journeys into a runbook that replays
// them: each completed journey as a step expecting success, each attempt
// the SDK or the Gateway ended (market_closed, user_mismatch, ...) as a
// step expecting that outcome, with the sandbox's answer and account when
// the sandbox gave it. Attempts stopped by the operator and re-fetches of
// a past transaction are left out. The runbook expects the profile of the
// journeys, or any when they ran on several.
func SessionRunbook(recs []Record, now time.Time) (*runbook.Runbook, error) {
	rb := &runbook.Runbook{Name: "gatewalk session " + now.Format("2006-01-02 15:04"),
		Description: "What was done in a gatewalk session, replayed with fresh transactions."}
	profiles := map[string]bool{}
	for _, r := range recs {
		st, ok := sessionStep(r)
		if !ok {
			continue
		}
		st.Name = fmt.Sprintf("%d %s %s", len(rb.Steps)+1, st.Journey, r.Label)
		rb.Steps = append(rb.Steps, st)
		profiles[r.Profile.Name] = true
	}
	if len(rb.Steps) == 0 {
		return nil, errors.New("no journey to save: connect a user, place an order or import holdings first")
	}
	rb.Profile = runbook.AnyProfile
	if len(profiles) == 1 {
		for p := range profiles {
			rb.Profile = p
		}
	}
	if err := rb.Validate(); err != nil {
		return nil, err
	}
	return rb, nil
}

// sessionStep is the runbook step of one attempt; ok is false for an
// attempt a replay leaves out.
func sessionStep(r Record) (runbook.Step, bool) {
	st := runbook.Step{User: r.Label}
	if !r.OK {
		err := failedErr(r.Steps)
		if err == nil || errors.Is(err, context.Canceled) {
			return st, false
		}
		if o := runbook.ErrorOutcome(err); o != runbook.OutcomeSuccess {
			st.Expect.Outcome = o
		}
	}
	if r.Auto != "" {
		st.Auto = string(r.Auto)
		if r.Kind == flow.GuestLogin {
			st.Broker, st.Account = r.AutoBroker, r.AutoAccount
		}
	}
	switch r.Kind {
	case flow.GuestLogin:
		st.Journey = runbook.JourneyLogin
	case flow.Order:
		st.Journey = runbook.JourneyOrder
		req, ok := createRequest(r.Steps)
		if !ok || req.OrderConfig == nil {
			return st, false
		}
		st.Order = req.OrderConfig
	case flow.HoldingsImport:
		st.Journey, st.Import = runbook.JourneyHoldings, true
		if req, ok := createRequest(r.Steps); ok {
			st.V2 = req.Version == "v2"
			st.MF = req.AssetConfig != nil && bool(req.AssetConfig.MFHoldings)
		}
	case flow.HoldingsView:
		st.Journey = runbook.JourneyHoldings
		st.Auto = ""
		st.V2, st.MF = holdingsQuery(r.Steps)
	default:
		return st, false
	}
	return st, true
}

func failedErr(steps []flow.Step) error {
	for _, s := range steps {
		if s.State == flow.Failed {
			return s.Err
		}
	}
	return nil
}

// createRequest is the body the journey's create_transaction sent.
func createRequest(steps []flow.Step) (gateway.TransactionRequest, bool) {
	for _, s := range steps {
		if s.Kind != flow.CreateTransaction || len(s.Exchanges) == 0 {
			continue
		}
		var req gateway.TransactionRequest
		if json.Unmarshal([]byte(s.Exchanges[len(s.Exchanges)-1].RequestBody), &req) == nil {
			return req, true
		}
	}
	return gateway.TransactionRequest{}, false
}

// holdingsQuery reads version=v2 and mfHoldings=true of a holdings fetch.
func holdingsQuery(steps []flow.Step) (v2, mf bool) {
	for _, s := range steps {
		if s.Kind != flow.FetchHoldings || len(s.Exchanges) == 0 {
			continue
		}
		u, err := url.Parse(s.Exchanges[len(s.Exchanges)-1].URL)
		if err != nil {
			continue
		}
		q := u.Query()
		return q.Get("version") == "v2", strings.EqualFold(q.Get("mfHoldings"), "true")
	}
	return false, false
}
