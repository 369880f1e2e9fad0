// Package runbook reads runbooks — a name, the profile they expect and an
// ordered list of journeys, each with its arguments and what it must give —
// and checks a journey's result against its step's expectation. Both faces
// run them: `gatewalk run` headless, the TUI's presenter step by step.
package runbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// AnyProfile is the Profile of a runbook that runs on any profile.
const AnyProfile = "any"

// Journeys a step can run.
const (
	JourneyLogin    = "login"
	JourneyOrder    = "order"
	JourneyHoldings = "holdings"
	JourneyAPI      = "api"
	// JourneySDK runs the SDK step alone on a transaction created by an
	// api step before it (or a given transactionId), as `gatewalk sdk`.
	JourneySDK = "sdk"
)

// Outcomes a step can end with, besides the SDK's error names
// (market_closed, user_cancelled, consent_denied, user_mismatch, ...).
const (
	OutcomeSuccess      = "success"
	OutcomeExpired      = "expired"       // the transaction expired before the result
	OutcomeKeysRejected = "keys_rejected" // the Gateway refused the keys or the token
	OutcomeFailed       = "failed"        // the API refused the call (api) or anything else
)

// Runbook is one file.
type Runbook struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Profile is the profile the runbook expects, or "any" (also when
	// empty).
	Profile string `json:"profile,omitempty"`
	Steps   []Step `json:"steps"`
}

// Step is one journey of a runbook.
type Step struct {
	Name string `json:"name"`
	// Narration is what a presenter says before the step runs.
	Narration string `json:"narration,omitempty"`
	Journey   string `json:"journey"`
	// User is the local user's label (login, order, holdings; api with a
	// connected token). An api step without user sends a guest token.
	User string `json:"user,omitempty"`

	// Auto is the sandbox's answer to the SDK step when the run is --auto
	// (default success); Broker and Account the leprechaun account the
	// sandbox driver logs in with.
	Auto    string `json:"auto,omitempty"`
	Broker  string `json:"broker,omitempty"`
	Account string `json:"account,omitempty"`

	// AllowDuplicate (login) saves a smallcaseAuthId another label has.
	AllowDuplicate bool `json:"allowDuplicate,omitempty"`
	// Order is the orderConfig of an order step, as sent to the Gateway.
	Order *gateway.OrderConfig `json:"order,omitempty"`
	// Import, V2, MF (holdings): a HOLDINGS_IMPORT journey first, the v2
	// shape, mutual funds.
	Import bool `json:"import,omitempty"`
	V2     bool `json:"v2,omitempty"`
	MF     bool `json:"mf,omitempty"`
	// TransactionID (sdk) is the transaction to run; "" means the one the
	// last api step of the run created. Guest (sdk) initialises the SDK
	// with a guest token (with user, a CONNECT's user is saved as user).
	TransactionID string `json:"transactionId,omitempty"`
	Guest         bool   `json:"guest,omitempty"`
	// Method, Path, Query and Body (api): the call; {gateway} in Path is
	// the profile's gateway name.
	Method string            `json:"method,omitempty"`
	Path   string            `json:"path,omitempty"`
	Query  map[string]string `json:"query,omitempty"`
	Body   json.RawMessage   `json:"body,omitempty"`

	Expect Expect `json:"expect"`
}

// Expect is what a step must give.
type Expect struct {
	// Outcome is success (the default), expired, keys_rejected, failed or
	// an SDK error name such as market_closed or user_mismatch.
	Outcome string `json:"outcome,omitempty"`
	// BatchStatus (order): every batch has this status (COMPLETED, PLACED).
	BatchStatus string `json:"batchStatus,omitempty"`
	// OrderStatus (order): every order has this status (COMPLETE,
	// REJECTED, PARTIAL).
	OrderStatus string `json:"orderStatus,omitempty"`
	// HoldingsContain (holdings): tickers the holdings must list.
	HoldingsContain []string `json:"holdingsContain,omitempty"`
	// Status (api): the HTTP status.
	Status int `json:"status,omitempty"`
}

// WantOutcome is the expected outcome, success when none is given.
func (e Expect) WantOutcome() string {
	if e.Outcome == "" {
		return OutcomeSuccess
	}
	return e.Outcome
}

// Outcomes lists every outcome an expectation may name.
func Outcomes() []string {
	out := []string{OutcomeSuccess, OutcomeExpired, OutcomeKeysRejected, OutcomeFailed}
	seen := map[string]bool{"transaction_expired": true}
	for _, e := range gateway.SDKErrors() {
		if !seen[e.Name] {
			seen[e.Name] = true
			out = append(out, e.Name)
		}
	}
	return out
}

// Parse reads a runbook and checks it. Unknown fields are refused, so a
// misspelt expectation cannot pass unnoticed.
func Parse(data []byte) (*Runbook, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rb Runbook
	if err := dec.Decode(&rb); err != nil {
		return nil, fmt.Errorf("not a runbook: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not a runbook: more than one JSON value")
	}
	if err := rb.Validate(); err != nil {
		return nil, err
	}
	return &rb, nil
}

// Validate checks the runbook as a whole and every step.
func (rb *Runbook) Validate() error {
	if strings.TrimSpace(rb.Name) == "" {
		return errors.New("the runbook has no name")
	}
	if strings.TrimSpace(rb.Profile) != rb.Profile {
		return errors.New("profile: a profile name has no spaces")
	}
	if len(rb.Steps) == 0 {
		return errors.New("the runbook has no steps")
	}
	seen := map[string]bool{}
	for i := range rb.Steps {
		s := &rb.Steps[i]
		if s.Name == "" {
			s.Name = fmt.Sprintf("%d %s", i+1, s.Journey)
		}
		if seen[s.Name] {
			return fmt.Errorf("step %d: the name %q is used twice", i+1, s.Name)
		}
		seen[s.Name] = true
		if err := s.Validate(); err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, s.Name, err)
		}
	}
	return nil
}

// Validate checks one step's arguments and expectation.
func (s *Step) Validate() error {
	if s.User != "" {
		if err := session.ValidateLabel(s.User); err != nil {
			return fmt.Errorf("user: %w", err)
		}
	}
	if err := s.validateAuto(); err != nil {
		return err
	}
	if err := s.validateJourney(); err != nil {
		return err
	}
	return s.validateExpect()
}

func (s *Step) validateAuto() error {
	if s.Auto != "" && !knownScenario(gateway.Scenario(s.Auto)) {
		return fmt.Errorf("auto %q: unknown sandbox outcome (want one of %s)", s.Auto, joinScenarios())
	}
	if s.Journey == JourneyAPI && (s.Auto != "" || s.Broker != "" || s.Account != "") {
		return errors.New("auto, broker and account answer an SDK step: an api step has none")
	}
	return nil
}

func (s *Step) validateJourney() error {
	switch s.Journey {
	case JourneyLogin:
		if s.User == "" {
			return errors.New("a login needs user: the label to save the connected user as")
		}
	case JourneyOrder:
		if s.User == "" || s.Order == nil {
			return errors.New("an order needs user and order (an orderConfig such as {\"type\":\"SECURITIES\",\"securities\":[{\"ticker\":\"INFY\",\"quantity\":1,\"type\":\"BUY\"}]})")
		}
		req := gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: s.Order}
		if err := req.Validate(); err != nil {
			return fmt.Errorf("order: %w", err)
		}
	case JourneyHoldings:
		if s.User == "" {
			return errors.New("holdings needs user")
		}
		if !s.Import && s.Auto != "" {
			return errors.New("auto answers the SDK step of an import: add \"import\": true")
		}
	case JourneyAPI:
		s.Method = strings.ToUpper(s.Method)
		switch s.Method {
		case "":
			s.Method = http.MethodGet
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			return fmt.Errorf("method %q: want GET, POST, PUT, PATCH or DELETE", s.Method)
		}
		if !strings.HasPrefix(s.Path, "/") || strings.HasPrefix(s.Path, "//") || strings.ContainsAny(s.Path, "?#") {
			return errors.New("path: a path on the Gateway that starts with / (the query goes in query)")
		}
		if len(s.Body) > 0 && !json.Valid(s.Body) {
			return errors.New("body is not JSON")
		}
	case JourneySDK:
		if s.User == "" && !s.Guest {
			return errors.New("an sdk step needs user (a connected token for that user) or guest (a guest token)")
		}
		if s.TransactionID != "" && !flow.TransactionIDPattern.MatchString(s.TransactionID) {
			return fmt.Errorf("transactionId %q: letters, digits, '_' or '-'", s.TransactionID)
		}
	case "":
		return errors.New("no journey: want login, order, holdings, sdk or api")
	default:
		return fmt.Errorf("journey %q: want login, order, holdings, sdk or api", s.Journey)
	}
	if s.Journey != JourneySDK && (s.Guest || s.TransactionID != "") {
		return errors.New("guest and transactionId are for sdk steps")
	}
	return nil
}

func (s *Step) validateExpect() error {
	e := s.Expect
	ok := false
	for _, o := range Outcomes() {
		ok = ok || o == e.WantOutcome()
	}
	if !ok {
		return fmt.Errorf("expect.outcome %q: want one of %s", e.Outcome, strings.Join(Outcomes(), ", "))
	}
	if (e.BatchStatus != "" || e.OrderStatus != "") && s.Journey != JourneyOrder && s.Journey != JourneySDK {
		return errors.New("expect.batchStatus and expect.orderStatus are for order and sdk steps")
	}
	if len(e.HoldingsContain) > 0 && s.Journey != JourneyHoldings {
		return errors.New("expect.holdingsContain is for holdings steps")
	}
	if e.Status != 0 && (s.Journey != JourneyAPI || e.Status < 100 || e.Status > 599) {
		return errors.New("expect.status is an HTTP status (100-599) of an api step")
	}
	return nil
}

func knownScenario(sc gateway.Scenario) bool {
	for _, k := range gateway.Scenarios() {
		if k == sc {
			return true
		}
	}
	return false
}

func joinScenarios() string {
	var s []string
	for _, sc := range gateway.Scenarios() {
		s = append(s, string(sc))
	}
	return strings.Join(s, ", ")
}

// AutoScenario is the scenario the sandbox plays for the step in an --auto
// run.
func (s *Step) AutoScenario() gateway.Scenario {
	if s.Auto == "" {
		return gateway.ScenarioSuccess
	}
	return gateway.Scenario(s.Auto)
}

// Entry is a runbook found by List.
type Entry struct {
	// Name is the runbook's file name without .json: what `gatewalk run
	// NAME` takes.
	Name string
	// Source is the file's path, or "built-in" for a shipped runbook.
	Source  string
	Runbook *Runbook
	// Err says why the file is not a valid runbook.
	Err error
}

// BuiltIn is the Source of a shipped runbook.
const BuiltIn = "built-in"

// Dir is where a config directory keeps its runbooks.
func Dir(configDir string) string { return filepath.Join(configDir, session.RunbooksDir) }

// List lists the shipped runbooks (the .json files of shipped) and those in
// dir (a config directory's runbooks folder; missing is fine), sorted by
// name; a file in dir with a shipped one's name comes after it.
func List(shipped fs.FS, dir string) ([]Entry, error) {
	var out []Entry
	if shipped != nil {
		names, err := fs.Glob(shipped, "*.json")
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			b, err := fs.ReadFile(shipped, n)
			e := Entry{Name: strings.TrimSuffix(n, ".json"), Source: BuiltIn}
			if err == nil {
				e.Runbook, e.Err = Parse(b)
			} else {
				e.Err = err
			}
			out = append(out, e)
		}
	}
	if dir != "" {
		names, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			return nil, err
		}
		for _, p := range names {
			e := Entry{Name: strings.TrimSuffix(filepath.Base(p), ".json"), Source: p}
			e.Runbook, e.Err = Load(p)
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// maxFile bounds a runbook file.
const maxFile = 1 << 20

// Load reads and checks a runbook file.
func Load(path string) (*Runbook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFile {
		return nil, errors.New("the file is larger than 1 MiB")
	}
	return Parse(b)
}

// Find resolves what `gatewalk run` was given: a file path, else the name
// of a listed runbook (one in dir before a shipped one).
func Find(arg string, shipped fs.FS, dir string) (*Runbook, string, error) {
	if strings.ContainsRune(arg, filepath.Separator) || strings.HasSuffix(arg, ".json") {
		if _, err := os.Stat(arg); err == nil {
			rb, err := Load(arg)
			return rb, arg, err
		}
	}
	entries, err := List(shipped, dir)
	if err != nil {
		return nil, "", err
	}
	var found *Entry
	for i := range entries {
		if entries[i].Name == strings.TrimSuffix(arg, ".json") {
			found = &entries[i]
		}
	}
	if found == nil {
		return nil, "", &NotFoundError{Arg: arg, Entries: entries}
	}
	return found.Runbook, found.Source, found.Err
}

// NotFoundError is a run of a file or name that is neither.
type NotFoundError struct {
	Arg     string
	Entries []Entry
}

func (e *NotFoundError) Error() string {
	var names []string
	for _, en := range e.Entries {
		names = append(names, en.Name)
	}
	return fmt.Sprintf("%q is neither a runbook file nor a listed runbook (listed: %s; `gatewalk run` lists them)", e.Arg, strings.Join(names, ", "))
}
