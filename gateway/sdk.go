package gateway

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// SDKResult is what the web SDK's triggerTransaction promise resolves with.
// The common keys (success, transaction, smallcaseAuthToken, broker,
// transactionId, signup) are seen in integrator code; the intent data
// (orderBatches for a TRANSACTION, fund for FETCH_FUNDS, data for the rest)
// follows the mobile SDKs' SuccessData.
type SDKResult struct {
	Success            bool            `json:"success"`
	Transaction        string          `json:"transaction"`
	SmallcaseAuthToken string          `json:"smallcaseAuthToken"`
	Broker             string          `json:"broker"`
	TransactionID      string          `json:"transactionId"`
	Signup             bool            `json:"signup"`
	OrderBatches       []OrderBatch    `json:"orderBatches,omitempty"`
	Fund               *float64        `json:"fund,omitempty"`
	Notes              string          `json:"notes,omitempty"`
	Data               json.RawMessage `json:"data,omitempty"`

	// successStated reports that the decoded JSON had a success key, so
	// that Success false means the SDK said so (a result built in Go, or
	// one whose SDK sends no success key, is not a failure for it).
	successStated bool
	// failure is what a success:false result said went wrong.
	failure SDKError
}

// UnmarshalJSON reads a result tolerantly: a smallcaseAuthToken (and
// broker, transactionId) missing at the top level is taken from data,
// whether data is an object or a JSON string holding one (the mobile SDKs
// resolve data as a string); and it remembers whether success was given,
// for Failed.
func (r *SDKResult) UnmarshalJSON(b []byte) error {
	type plain SDKResult // no methods: no recursion
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = SDKResult(p)
	var keys struct {
		Success   json.RawMessage `json:"success"`
		Error     json.RawMessage `json:"error"`
		Message   string          `json:"message"`
		ErrorCode json.RawMessage `json:"errorCode"`
		Code      json.RawMessage `json:"code"`
	}
	_ = json.Unmarshal(b, &keys) // b is an object: it decoded above
	r.successStated = len(keys.Success) > 0 && string(keys.Success) != "null"
	r.failure = failureOf(keys.Error, keys.Message, keys.ErrorCode, keys.Code)
	if d := r.dataObject(); d != nil {
		var in struct {
			SmallcaseAuthToken string `json:"smallcaseAuthToken"`
			Broker             string `json:"broker"`
			TransactionID      string `json:"transactionId"`
		}
		if json.Unmarshal(d, &in) == nil {
			r.SmallcaseAuthToken = cmp.Or(r.SmallcaseAuthToken, strings.TrimSpace(in.SmallcaseAuthToken))
			r.Broker = cmp.Or(r.Broker, in.Broker)
			r.TransactionID = cmp.Or(r.TransactionID, in.TransactionID)
		}
	}
	return nil
}

// dataObject is the result's data as a JSON object: data itself, or the
// object a JSON string in data holds; nil when data is neither.
func (r *SDKResult) dataObject() []byte {
	data := bytes.TrimSpace(r.Data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return nil
		}
		data = bytes.TrimSpace([]byte(s))
	}
	if len(data) == 0 || data[0] != '{' {
		return nil
	}
	return data
}

// Failed reports whether the result says success:false, and what it says
// went wrong: an *SDKError with the result's error name and code when it
// gives them (e.g. {"success":false,"error":"user_cancelled","errorCode":1010}),
// else one with an empty name. A result without a success key has not
// failed.
func (r *SDKResult) Failed() (*SDKError, bool) {
	if r.Success || !r.successStated {
		return nil, false
	}
	e := r.failure
	return &e, true
}

// failureOf reads the error a success:false result may carry: error as a
// name or as {message|name, code}, message, and errorCode or code as a
// number or numeric string.
func failureOf(errRaw json.RawMessage, message string, codes ...json.RawMessage) SDKError {
	var out SDKError
	var name string
	if json.Unmarshal(errRaw, &name) == nil {
		out.Message = strings.TrimSpace(name)
	} else {
		var obj struct {
			Message string          `json:"message"`
			Name    string          `json:"name"`
			Code    json.RawMessage `json:"code"`
		}
		if json.Unmarshal(errRaw, &obj) == nil {
			out.Message = strings.TrimSpace(cmp.Or(obj.Message, obj.Name))
			codes = append([]json.RawMessage{obj.Code}, codes...)
		}
	}
	out.Message = cmp.Or(out.Message, strings.TrimSpace(message))
	for _, c := range codes {
		if n, err := strconv.Atoi(strings.Trim(string(bytes.TrimSpace(c)), `"`)); err == nil && n != 0 {
			out.Code = n
			break
		}
	}
	return out
}

// SDKErrorData is what an SDK error may carry: enough to capture a connected
// token even when the journey failed after the broker login.
type SDKErrorData struct {
	SmallcaseAuthToken string `json:"smallcaseAuthToken,omitempty"`
	Broker             string `json:"broker,omitempty"`
	Signup             bool   `json:"signup,omitempty"`
}

// SDKError is a rejection of triggerTransaction: Message is the snake_case
// error name (err.message in the web SDK), Code the numeric code.
type SDKError struct {
	Code    int           `json:"code"`
	Message string        `json:"message"`
	Data    *SDKErrorData `json:"data,omitempty"`
}

// Error names the error, its code and what it means.
func (e *SDKError) Error() string {
	info := ExplainSDKError(e.Code, e.Message)
	return fmt.Sprintf("SDK error %s: %s", e.Label(), info.Meaning)
}

// Label is the error's name with its numeric code, "user_cancelled
// (1010)", or the name alone when it has no code: the web SDK's init errors
// (invalid_transactionId, transaction_in_process, invalid_gateway,
// invalid_jwt) carry none.
func (e *SDKError) Label() string {
	if e.Code == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s (%d)", e.Message, e.Code)
}

// Step names the point of a journey to go back to after an error.
type Step string

// Steps an error can send the operator back to.
const (
	StepNone        Step = ""
	StepKeys        Step = "keys"        // fix the profile's secret/gateway and mint a new token
	StepTransaction Step = "transaction" // create a fresh transaction and run the browser step again
	StepBrowser     Step = "browser"     // run the browser step again with a fresh transaction, choosing differently
	StepOrder       Step = "order"       // change the order and create a new transaction
	StepWait        Step = "wait"        // wait (market hours, pending orders) and try again later
	StepUser        Step = "user"        // pick the right user or log in as the stored broker account
)

// ErrorInfo explains one SDK error.
type ErrorInfo struct {
	Code    int    `json:"code"`
	Name    string `json:"name"`
	Meaning string `json:"meaning"`
	Redo    Step   `json:"redo"`
	Advice  string `json:"advice"`
}

// sdkErrors is the web/mobile SDK error table (the official transaction
// errors page and the 2025 iOS SDK source, plus the codes the sandbox uses
// for leprechaun scenarios). The web SDK's init errors come first, without
// a code ("n/a" on web); the iOS codes of the same names follow.
var sdkErrors = []ErrorInfo{
	{0, "invalid_transactionId", "the transactionId is unknown or already used (no code on web; 3002 on iOS)", StepTransaction, "Create a fresh transaction: each runs once."},
	{0, "transaction_in_process", "another transaction is still running in this SDK instance (no code on web)", StepBrowser, "Wait for the journey in progress to settle, or reload the page, then run the fresh transaction."},
	{0, "invalid_gateway", "the gateway name is unknown or this origin is not whitelisted (no code on web; 100 on iOS)", StepKeys, "Check the profile's gateway name and that this localhost port is whitelisted."},
	{0, "invalid_jwt", "the smallcaseAuthToken was signed with the wrong secret or expired (no code on web; 90 on iOS)", StepKeys, "Check the profile's secret and mint a fresh token."},
	{1000, "order_in_queue", "the orders were queued by the broker (e.g. placed as AMO)", StepWait, "Fetch order details later; the orders complete when the market opens."},
	{1001, "user_mismatch", "the broker account logged in is not the one bound to this smallcaseAuthId", StepUser, "Log in with the broker account the user connected first, or connect this account as a new user."},
	{1003, "consent_denied", "the user denied consent on the broker page", StepBrowser, "Create a fresh transaction and accept the consent."},
	{1004, "insufficient_holdings", "the user does not hold enough to sell", StepOrder, "Lower the SELL quantities or import holdings to see what is held."},
	{1005, "transaction_expired", "the transaction expired during the flow", StepTransaction, "Create a fresh transaction: a transactionId lives 5 minutes."},
	{1006, "no_broker", "the user chose the no-broker option", StepBrowser, "Create a fresh transaction and pick a broker."},
	{1007, "no_broker", "the user signed up with another broker", StepBrowser, "Create a fresh transaction and pick a supported broker."},
	{1008, "no_broker", "the user has no broker account", StepBrowser, "Create a fresh transaction and pick a broker the user has."},
	{1010, "user_cancelled", "the user closed the broker chooser", StepBrowser, "Create a fresh transaction and complete the journey."},
	{1011, "user_cancelled", "the user closed the journey after choosing a broker, before logging in", StepBrowser, "Create a fresh transaction and finish the broker login."},
	{1012, "user_cancelled", "the user left after logging in", StepBrowser, "Create a fresh transaction; the returned token may still identify the user."},
	{2000, "internal_error", "the Gateway API failed (internal_error or api_error)", StepTransaction, "Retry with a fresh transaction; if it persists, contact the Gateway team."},
	{2000, "api_error", "the Gateway API failed (internal_error or api_error)", StepTransaction, "Retry with a fresh transaction; if it persists, contact the Gateway team."},
	{2001, "holdings_import_error", "the broker could not return holdings", StepTransaction, "Retry the import with a fresh transaction."},
	{3000, "intent_not_enabled_for_broker", "this broker does not support the intent", StepBrowser, "Choose another broker."},
	{3001, "transaction_expired", "the transaction had expired before it started", StepTransaction, "Create a fresh transaction and open the page within 5 minutes."},
	{3002, "invalid_transactionId", "the transactionId is unknown or already used", StepTransaction, "Create a fresh transaction: each runs once."},
	{3004, "init_sdk", "the SDK was not initialised", StepKeys, "Check the gateway name and token given to new scDK(...)."},
	{4000, "already_subscribed", "the user already subscribes to this smallcase", StepOrder, "Nothing to do, or choose another smallcase."},
	{4003, "timed_out", "the journey timed out", StepTransaction, "Create a fresh transaction."},
	{4004, "market_closed", "the market is closed for this broker", StepWait, "Retry in market hours, enable AMO, or use a leprechaun broker whose market is open."},
	{4005, "market_closed", "the market is closed for smallcase orders", StepWait, "Retry in market hours."},
	{4006, "order_pending", "an earlier order of this user is still pending", StepWait, "Wait for the pending order to finish."},
	{90, "invalid_jwt", "the smallcaseAuthToken was signed with the wrong secret or expired", StepKeys, "Check the profile's secret and mint a fresh token."},
	{100, "invalid_gateway", "the gateway name is unknown or this origin is not whitelisted", StepKeys, "Check the profile's gateway name and that this localhost port is whitelisted."},
}

// SDKErrors returns the error table.
func SDKErrors() []ErrorInfo { return append([]ErrorInfo(nil), sdkErrors...) }

// ExplainSDKError finds the table entry for a code and name. The code wins
// when both are known; a name alone finds its first code; anything else
// gets a generic explanation that still names what came back.
func ExplainSDKError(code int, name string) ErrorInfo {
	name = strings.TrimSpace(name)
	for _, e := range sdkErrors {
		if e.Code == code && (name == "" || strings.EqualFold(e.Name, name)) {
			return e
		}
	}
	for _, e := range sdkErrors {
		if name != "" && strings.EqualFold(e.Name, name) {
			out := e
			if code != 0 {
				out.Code = code
			}
			return out
		}
	}
	return ErrorInfo{Code: code, Name: name, Meaning: "an error the SDK reported that gatewalk does not know", Redo: StepTransaction,
		Advice: "Create a fresh transaction; if it repeats, look the code up with the Gateway team."}
}

// SDKErrorFor builds the SDK error of a known name, with its first code.
func SDKErrorFor(name string) *SDKError {
	info := ExplainSDKError(0, name)
	return &SDKError{Code: info.Code, Message: name}
}

// SDKOutcome is how a triggerTransaction promise settled: exactly one of
// Result (resolved) and Error (rejected) is set. It is what the bridge page
// posts back and what the sandbox driver returns.
type SDKOutcome struct {
	Result *SDKResult `json:"result,omitempty"`
	Error  *SDKError  `json:"error,omitempty"`
}

// Scenario names the outcomes the sandbox can play (in the SDK page's
// scenario picker, with the driver endpoint, and with --auto).
type Scenario string

// Sandbox scenarios.
const (
	ScenarioSuccess           Scenario = "success"
	ScenarioPartialFill       Scenario = "partial_fill"
	ScenarioRejected          Scenario = "rejected"
	ScenarioInsufficientFunds Scenario = "insufficient_funds"
	ScenarioMarketClosed      Scenario = "market_closed"
	ScenarioUserCancelled     Scenario = "user_cancelled"
	ScenarioConsentDenied     Scenario = "consent_denied"
	ScenarioUserMismatch      Scenario = "user_mismatch"
	ScenarioExpired           Scenario = "expired"
)

// Scenarios lists every sandbox scenario in display order.
func Scenarios() []Scenario {
	return []Scenario{ScenarioSuccess, ScenarioPartialFill, ScenarioRejected, ScenarioInsufficientFunds,
		ScenarioMarketClosed, ScenarioUserCancelled, ScenarioConsentDenied, ScenarioUserMismatch, ScenarioExpired}
}
