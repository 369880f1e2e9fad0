package runbook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"gatewalk/gateway"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
)

// NewJourney builds the step's journey (login, order, holdings, sdk) on r,
// with the sandbox answering its SDK step as the step says when auto is
// set, else the browser. Each journey creates its own fresh transaction;
// an sdk step runs its transactionId, else lastTxn (the one the last api
// step created).
func (s *Step) NewJourney(r *flow.Runner, auto bool, lastTxn string) (*flow.Journey, error) {
	scenario := gateway.Scenario("")
	broker, account := "", ""
	// A holdings view has no SDK step to answer.
	if auto && (s.Journey != JourneyHoldings || s.Import) {
		scenario, broker, account = s.AutoScenario(), s.Broker, s.Account
		if broker != "" && !strings.HasSuffix(broker, "-leprechaun") {
			broker += "-leprechaun"
		}
	}
	if err := r.SetAuto(scenario, 0, broker, account); err != nil {
		return nil, err
	}
	var j *flow.Journey
	switch s.Journey {
	case JourneyLogin:
		j = r.GuestLogin(s.User)
		if s.AllowDuplicate {
			j.AllowDuplicate()
		}
	case JourneySDK:
		spec, err := s.RunSpec(lastTxn)
		if err != nil {
			return nil, err
		}
		j = r.RunTransaction(spec)
		if s.AllowDuplicate {
			j.AllowDuplicate()
		}
	case JourneyOrder:
		j = r.Order(s.User, *s.Order)
	case JourneyHoldings:
		opt := gateway.HoldingsOptions{V2: s.V2, MFHoldings: s.MF}
		if s.Import {
			j = r.HoldingsImport(s.User, opt)
		} else {
			j = r.ViewHoldings(s.User, opt)
		}
	default:
		return nil, fmt.Errorf("step %s: a %s step is not a journey", s.Name, s.Journey)
	}
	return j, nil
}

// RunSpec is what an sdk step runs: its transactionId, else lastTxn.
func (s *Step) RunSpec(lastTxn string) (flow.RunSpec, error) {
	txn := s.TransactionID
	if txn == "" {
		txn = lastTxn
	}
	if txn == "" {
		return flow.RunSpec{}, fmt.Errorf("step %s: no transaction to run: give transactionId, or create one with an api step before it (POST /gateway/{gateway}/transaction)", s.Name)
	}
	return flow.RunSpec{TransactionID: txn, Label: s.User, Guest: s.Guest}, nil
}

// CreatedTransaction is the transactionId an api call's answer carries
// (data.transactionId), "" when none.
func CreatedTransaction(res flow.CallResult) string {
	if res.Err != nil || res.Response == nil {
		return ""
	}
	var env struct {
		Data struct {
			TransactionID string `json:"transactionId"`
		} `json:"data"`
	}
	if json.Unmarshal(res.Response.Body, &env) != nil || !flow.TransactionIDPattern.MatchString(env.Data.TransactionID) {
		return ""
	}
	return env.Data.TransactionID
}

// Request is the api step's call: the path with {gateway} replaced, the
// query and the body.
func (s *Step) Request(gatewayName string) (path string, q url.Values, body []byte) {
	path = strings.ReplaceAll(s.Path, "{gateway}", url.PathEscape(gatewayName))
	if len(s.Query) > 0 {
		q = url.Values{}
		for k, v := range s.Query {
			q.Set(k, v)
		}
	}
	if len(s.Body) > 0 {
		body = []byte(s.Body)
	}
	return path, q, body
}

// ErrorOutcome names how an error ended a step: an SDK error's name,
// expired, keys_rejected or failed.
func ErrorOutcome(err error) string {
	var (
		sdk *gateway.SDKError
		mm  *gateway.AuthIDMismatchError
		api *gateway.APIError
	)
	switch {
	case err == nil:
		return OutcomeSuccess
	case errors.As(err, &sdk):
		if sdk.Message == "transaction_expired" {
			return OutcomeExpired
		}
		return sdk.Message
	case errors.As(err, &mm):
		return "user_mismatch"
	case errors.Is(err, bridge.ErrJourneyExpired):
		return OutcomeExpired
	case errors.As(err, &api):
		if api.KeysRejected() {
			return OutcomeKeysRejected
		}
		if api.Kind() == gateway.KindExpired {
			return OutcomeExpired
		}
	case errors.Is(err, gateway.ErrTokenSignature), errors.Is(err, gateway.ErrTokenExpired),
		errors.Is(err, gateway.ErrTokenAlgorithm), errors.Is(err, gateway.ErrTokenMalformed):
		return OutcomeKeysRejected
	}
	return OutcomeFailed
}

// CheckJourney says how the step's journey ended and what of its
// expectation did not hold (nothing when it passed).
func (s *Step) CheckJourney(j *flow.Journey) (outcome string, failures []string) {
	return s.CheckSteps(j.Snapshot())
}

// CheckSteps is CheckJourney on a journey's steps as a face keeps them: a
// journey ended at its failed step, or completed when every step is done
// or skipped.
func (s *Step) CheckSteps(steps []flow.Step) (outcome string, failures []string) {
	var err error
	done := len(steps) > 0
	var orders, holdings *flow.Step
	for i := range steps {
		st := &steps[i]
		switch {
		case st.State == flow.Failed && err == nil:
			err = st.Err
			if err == nil {
				err = errors.New(st.Title + " failed")
			}
		case st.State != flow.Done && st.State != flow.Skipped:
			done = false
		}
		switch st.Kind {
		case flow.FetchOrders:
			orders = st
		case flow.FetchHoldings:
			holdings = st
		}
	}
	if err == nil && !done {
		err = errors.New("the journey did not finish")
	}
	outcome = ErrorOutcome(err)
	e := s.Expect
	if outcome != e.WantOutcome() {
		msg := fmt.Sprintf("outcome %s, expected %s", outcome, e.WantOutcome())
		if err != nil {
			msg += " (" + err.Error() + ")"
		}
		return outcome, []string{msg}
	}
	if e.BatchStatus != "" || e.OrderStatus != "" {
		failures = append(failures, checkOrders(orders, e)...)
	}
	if len(e.HoldingsContain) > 0 {
		failures = append(failures, CheckHoldings(holdings, e.HoldingsContain)...)
	}
	return outcome, failures
}

func checkOrders(st *flow.Step, e Expect) []string {
	if st == nil || st.Orders == nil {
		return []string{"no order details to check the statuses against"}
	}
	var failures []string
	if len(st.Orders.Batches) == 0 {
		return []string{"the order details list no batches"}
	}
	for _, b := range st.Orders.Batches {
		if e.BatchStatus != "" && !strings.EqualFold(b.Status, e.BatchStatus) {
			failures = append(failures, fmt.Sprintf("batch %s is %s, expected %s", b.BatchID, b.Status, e.BatchStatus))
		}
		if e.OrderStatus == "" {
			continue
		}
		for _, o := range b.Orders {
			if !strings.EqualFold(o.Status, e.OrderStatus) {
				failures = append(failures, fmt.Sprintf("order %s %s is %s, expected %s", o.TransactionType, o.Tradingsymbol, o.Status, e.OrderStatus))
			}
		}
		if len(b.Unplaced) > 0 {
			failures = append(failures, fmt.Sprintf("batch %s has %d unplaced orders, expected every order %s", b.BatchID, len(b.Unplaced), e.OrderStatus))
		}
	}
	return failures
}

// CheckHoldings says which of the wanted tickers the holdings of a
// fetch_holdings step do not list.
func CheckHoldings(st *flow.Step, want []string) []string {
	if st == nil || st.Holdings == nil {
		return []string{"no holdings to check"}
	}
	held := map[string]bool{}
	for _, eq := range st.Holdings.Equities() {
		held[strings.ToUpper(eq.Ticker)] = true
	}
	var failures []string
	for _, t := range want {
		if !held[strings.ToUpper(t)] {
			failures = append(failures, fmt.Sprintf("the holdings do not contain %s", t))
		}
	}
	return failures
}

// CheckCall says how an api step's call ended and what of its expectation
// did not hold: success is the envelope with success:true.
func (s *Step) CheckCall(res flow.CallResult) (outcome string, failures []string) {
	outcome = ErrorOutcome(res.Err)
	if res.Err == nil && res.Response != nil {
		var env struct {
			Success bool `json:"success"`
		}
		if json.Unmarshal(res.Response.Body, &env) != nil || !env.Success {
			outcome = OutcomeFailed
		}
	}
	e := s.Expect
	if outcome != e.WantOutcome() {
		msg := fmt.Sprintf("outcome %s, expected %s", outcome, e.WantOutcome())
		if res.Err != nil {
			msg += " (" + res.Err.Error() + ")"
		}
		failures = append(failures, msg)
	}
	if e.Status != 0 && (res.Response == nil || res.Response.Status != e.Status) {
		got := 0
		if res.Response != nil {
			got = res.Response.Status
		}
		failures = append(failures, fmt.Sprintf("HTTP %d, expected %d", got, e.Status))
	}
	return outcome, failures
}
