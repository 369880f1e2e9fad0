package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
)

// SDKRun runs the SDK step alone for a transaction created elsewhere (the
// partner's own backend, curl): no create, the same page, capture,
// verification, duplicate rule and history as the other journeys.
const SDKRun Kind = "sdk_run"

// CheckTransaction is the first step of an SDKRun after the token: it
// makes sure the transaction was not run already (the history; on a
// sandbox, its status) and learns what it can of it.
const CheckTransaction StepKind = "check_transaction"

// RunSpec says which transaction an SDKRun triggers and with which token.
type RunSpec struct {
	// TransactionID is the transaction created elsewhere.
	TransactionID string
	// Label is the local user: with neither Guest nor Token, a stored user
	// whose connected token is minted here; otherwise the label a CONNECT's
	// user is saved as ("" saves nobody).
	Label string
	// Guest mints a guest token here.
	Guest bool
	// Token is a smallcaseAuthToken issued elsewhere (the partner's
	// backend); "" mints one here.
	Token string
}

// TransactionIDPattern is what a transactionId given by hand may look
// like: the Gateway's are TRX_ and 32 hex characters; other letters,
// digits, '_' and '-' are accepted, since the format is not documented.
var TransactionIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// AlreadyRunError is a transaction whose history or sandbox status says
// it ran (or expired) before: it is not started again.
type AlreadyRunError struct {
	TransactionID string
	Status        gateway.Status
	Source        string // "the history of profile X", "the sandbox"
}

// Error says the transaction is used and what to do.
func (e *AlreadyRunError) Error() string {
	return fmt.Sprintf("transaction %s is %s (%s): a transaction runs once; create a fresh one with your backend and run gatewalk sdk on it",
		e.TransactionID, e.Status, e.Source)
}

// TokenOfAnotherUserError is a connected token given on standard input
// whose smallcaseAuthId is not the stored one of --user: refused before
// anything runs.
type TokenOfAnotherUserError struct {
	Label, Stored, Token string
}

// Error names both ids and what to do.
func (e *TokenOfAnotherUserError) Error() string {
	return fmt.Sprintf("the token read from standard input is the connected token of smallcaseAuthId %s, but user %q is %s: "+
		"nothing was run. Give that user's token, another --user, or none (the token's own user)", e.Token, e.Label, e.Stored)
}

// BoundToAnotherUserError is a transaction created with another account's
// connected token: only that account can run it, so the run is refused
// before the SDK starts.
type BoundToAnotherUserError struct {
	TransactionID, Label, Want, Bound string
}

// Error names both ids and what to do.
func (e *BoundToAnotherUserError) Error() string {
	who := "this run's user"
	if e.Label != "" {
		who = fmt.Sprintf("user %q", e.Label)
	}
	return fmt.Sprintf("transaction %s was created with the connected token of smallcaseAuthId %s, but %s is %s: "+
		"only that account can run it (the journey would end user_mismatch), so nothing was started",
		e.TransactionID, e.Bound, who, e.Want)
}

// UnknownTransactionError is a transaction the sandbox does not have.
type UnknownTransactionError struct {
	TransactionID string
	Builtin       bool // the built-in sandbox profile (its sandbox lives in this process)
}

// Error says where the transaction should have been created.
func (e *UnknownTransactionError) Error() string {
	msg := fmt.Sprintf("the sandbox has no transaction %s", e.TransactionID)
	if e.Builtin {
		return msg + ": the built-in sandbox profile's sandbox runs inside gatewalk and knows the transactions of earlier " +
			"gatewalk commands; to create one with curl, run `gatewalk sandbox --state CONFIG_DIR` (it shares this state), " +
			"or point a profile's --api-url at a running `gatewalk sandbox`"
	}
	return msg + ": check the id, and that it was created on the sandbox this profile's API URL points at (finished transactions are kept 24 hours)"
}

// RunTransaction is the SDK step alone for a transaction created
// elsewhere: the token (minted here or given), check the transaction,
// open the browser, await the SDK result, verify it, save a CONNECT's user,
// fetch a TRANSACTION's order details. Steps that do not apply to the
// transaction's intent (learned from the sandbox or the SDK's result) are
// skipped.
func (r *Runner) RunTransaction(spec RunSpec) *Journey {
	j := newJourney(r.forJourney(), SDKRun, spec.Label, MintToken, CheckTransaction, OpenBrowser, AwaitSDK, VerifyResult, SaveUser, FetchOrders)
	j.txnID = spec.TransactionID
	j.runSpec = &spec
	return r.withTitles(j)
}

// describeRun titles the steps of an SDKRun that differ from the others.
func describeRun(j *Journey, k StepKind) (title, why string, ok bool) {
	switch k {
	case MintToken:
		switch {
		case j.runSpec != nil && j.runSpec.Token != "":
			return "Check the given token", "The token your backend issued initialises the SDK: gatewalk decodes it and checks its signature with the profile's secret when it has one", true
		case j.runSpec != nil && j.runSpec.Guest:
			return "Mint a guest token", "Guest JWT: {guest:true}, signed (HS256) with your secret, initialises the SDK for a user who has not linked a broker", true
		}
	case CheckTransaction:
		return "Check the transaction", "The transaction was created elsewhere: it must not have run before (a transactionId runs once), so gatewalk looks it up before the browser opens", true
	case SaveUser:
		return "Save the user (CONNECT)", "A CONNECT returns the user's smallcaseAuthId: save it with your user's record, never the same id for two users", true
	case FetchOrders:
		return "Fetch the order details (TRANSACTION)", "Order details come from your backend (GET /v1/{gateway}/engine/orders/sst), not from the browser: that is the record to trust", true
	}
	return "", "", false
}

// runSDKStep runs one step of an SDKRun.
func (j *Journey) runSDKStep(ctx context.Context, s *Step) {
	switch s.Kind {
	case MintToken:
		if err := j.preflightRun(); err != nil {
			s.Err = &PreflightError{Err: err}
			return
		}
		j.runToken(s)
	case CheckTransaction:
		j.checkTransaction(ctx, s)
	case OpenBrowser:
		j.openBrowser(s)
	case AwaitSDK:
		if j.r.opt.Auto != "" {
			j.mu.Lock()
			j.triggered = true
			j.mu.Unlock()
		}
		j.awaitSDK(ctx, s)
		if s.Outcome != nil {
			j.learnIntent(s.Outcome)
		}
	case VerifyResult:
		j.verifyRun(s)
	case SaveUser:
		j.saveRun(s)
	case FetchOrders:
		j.fetchRun(ctx, s)
	default:
		s.Err = fmt.Errorf("unknown step %q", s.Kind)
	}
}

// preflightRun checks, before the SDK is started, what the journey needs
// afterwards: the users file, the history file, the page's port.
func (j *Journey) preflightRun() error {
	r := j.r
	if j.UserLabel != "" {
		if err := session.ValidateLabel(j.UserLabel); err != nil {
			return err
		}
		if _, err := r.store.User(r.profile.Name, j.UserLabel); err != nil && !errors.Is(err, session.ErrUserNotFound) {
			return err
		}
	}
	if _, err := r.store.History(r.profile.Name); err != nil {
		return err
	}
	if r.opt.Auto == "" {
		if _, err := r.Bridge(); err != nil {
			return err
		}
	}
	return nil
}

// runToken sets the token the SDK is initialised with: one given (checked
// with the profile's secret when it has one), a guest token, or a
// connected token for the stored user.
func (j *Journey) runToken(s *Step) {
	r := j.r
	spec := j.runSpec
	if !TransactionIDPattern.MatchString(spec.TransactionID) {
		s.Err = &gateway.ValidationError{Field: "transactionId", Problem: "must be letters, digits, '_' or '-' (such as TRX_ and 32 hex characters)"}
		return
	}
	var stored *session.User
	if j.UserLabel != "" {
		if u, err := r.store.User(r.profile.Name, j.UserLabel); err == nil {
			stored = &u
		}
	}
	if spec.Token == "" && !spec.Guest {
		// A stored user's connected token, as an order mints it.
		j.mintToken(s)
		return
	}
	if spec.Guest {
		exp := r.now().Add(gateway.DefaultTokenTTL)
		tok, err := gateway.MintGuestToken(r.keys.Secret, exp)
		if err != nil {
			s.Err = err
			return
		}
		j.setUser(stored)
		s.Token, s.TokenInfo = tok, mustInspect(tok, r.now())
		s.Summary = "guest token {guest:true}, expires " + exp.Format("15:04:05")
		j.mu.Lock()
		j.token = tok
		j.mu.Unlock()
		return
	}
	j.givenToken(s, stored)
}

func mustInspect(tok string, now time.Time) *gateway.TokenInfo {
	info, _ := gateway.InspectToken(tok, now)
	return info
}

// givenToken checks a token issued elsewhere: decoded always, its
// signature and expiry checked with the profile's secret when there is
// one; a connected token must belong to the stored user of the label.
func (j *Journey) givenToken(s *Step, stored *session.User) {
	r := j.r
	tok := strings.TrimSpace(j.runSpec.Token)
	var info *gateway.TokenInfo
	var err error
	if r.keys.Secret != "" {
		info, err = gateway.VerifyToken(tok, r.keys.Secret, r.now())
	} else {
		info, err = gateway.InspectToken(tok, r.now())
	}
	s.Token, s.TokenInfo = tok, info
	if err == nil && info.Expired {
		// Unverified, but its exp is readable: the Gateway would refuse it.
		err = gateway.ErrTokenExpired
	}
	if err != nil {
		s.Err = fmt.Errorf("the token read from standard input: %w", err)
		return
	}
	switch info.Kind {
	case gateway.TokenGuest:
	case gateway.TokenConnected:
		if stored != nil && stored.SmallcaseAuthID != info.SmallcaseAuthID {
			s.Err = &TokenOfAnotherUserError{Label: j.UserLabel, Stored: stored.SmallcaseAuthID, Token: info.SmallcaseAuthID}
			return
		}
	default:
		s.Err = fmt.Errorf("the token read from standard input identifies no user (neither guest nor smallcaseAuthId): %w", gateway.ErrTokenMalformed)
		return
	}
	j.setUser(stored)
	j.mu.Lock()
	j.token = tok
	if info.Kind == gateway.TokenConnected {
		j.authID = info.SmallcaseAuthID
	}
	j.mu.Unlock()
	kind := "guest token"
	if info.Kind == gateway.TokenConnected {
		kind = "connected token for " + info.SmallcaseAuthID
	}
	if r.keys.Secret != "" {
		s.Summary = kind + ": signature valid with the profile's secret (" + keySource(r.keys.SecretFromEnv) + ")"
	} else {
		s.Summary = kind + ": NOT verified, the profile has no secret (decoded only; the Gateway checks the signature)"
		s.Warnings = append(s.Warnings, "the given token was not verified: profile "+r.profile.Name+" has no secret")
	}
}

func keySource(fromEnv bool) string {
	if fromEnv {
		return "$" + session.EnvSecret
	}
	return "stored"
}

// runStatus is what the sandbox says of a transaction.
type runStatus struct {
	Intent   gateway.Intent `json:"intent"`
	Status   gateway.Status `json:"status"`
	ExpireAt time.Time      `json:"expireAt"`
	Expired  bool           `json:"expired"`
	// Bound is the smallcaseAuthId of the connected token the transaction
	// was created with, "" for a guest token.
	Bound string `json:"boundSmallcaseAuthId"`
	// offset is how far the sandbox's clock runs ahead of the runner's,
	// from its answer, as for a create.
	offset time.Duration
}

// checkTransaction refuses a transaction that ran before (the history, or
// the sandbox's status) and learns its intent and expiry where it can; it
// records the transaction in the profile's history.
func (j *Journey) checkTransaction(ctx context.Context, s *Step) {
	r := j.r
	id := j.runSpec.TransactionID
	hist, err := r.store.History(r.profile.Name)
	if err != nil {
		s.Err = err
		return
	}
	var known *session.HistoryEntry
	for i := range hist {
		if hist[i].TransactionID == id {
			known = &hist[i]
		}
	}
	if known != nil && !runnable(known.Status) {
		s.Err = &AlreadyRunError{TransactionID: id, Status: known.Status, Source: "the history of profile " + r.profile.Name}
		return
	}
	txn := &gateway.TransactionCreated{TransactionID: id}
	var intent gateway.Intent
	if known != nil {
		intent = known.Intent
		txn.ExpireAt = known.ExpiresAt
	}
	source := "the Gateway has no partner API to look a transaction up: its intent and expiry come with the SDK's result"
	if r.profile.Env == gateway.EnvSandbox {
		st, err := r.lookupSandbox(ctx, id)
		if err != nil {
			s.Err = err
			return
		}
		if st.Status != gateway.StatusInitialized || st.Expired {
			status := st.Status
			if st.Expired && status == gateway.StatusInitialized {
				status = gateway.StatusExpired
			}
			s.Err = &AlreadyRunError{TransactionID: id, Status: status, Source: "the sandbox"}
			return
		}
		j.mu.Lock()
		want := j.authID
		j.mu.Unlock()
		if st.Bound != "" && want != "" && st.Bound != want {
			// The sandbox would let only the bound account run it: the
			// user's run would end user_mismatch, after the SDK started.
			s.Err = &BoundToAnotherUserError{TransactionID: id, Label: j.UserLabel, Want: want, Bound: st.Bound}
			return
		}
		intent, txn.ExpireAt = st.Intent, st.ExpireAt
		j.mu.Lock()
		j.serverOffset = st.offset // its expireAt is on the sandbox's clock
		j.mu.Unlock()
		source = "the sandbox: " + string(st.Intent) + ", unused"
	}
	j.mu.Lock()
	j.txn, j.runIntent = txn, intent
	j.mu.Unlock()
	if !j.recordRun(s, known, intent, txn) {
		j.mu.Lock()
		j.txn = nil
		j.mu.Unlock()
		return
	}
	s.Transaction = txn
	when := "expiry unknown"
	if !txn.ExpireAt.IsZero() {
		when = "expires " + j.WallExpireAt().Local().Format("15:04:05")
	}
	s.Summary = fmt.Sprintf("%s (%s; %s)", id, source, when)
}

// runnable reports whether a transaction with this history status may
// still be started: only one that never left INITIALIZED. One left while
// live (ABANDONED) is refused too: the SDK may have started on it.
func runnable(st gateway.Status) bool {
	return st == "" || st == gateway.StatusInitialized
}

// recordRun adds the transaction to the history (or marks the entry
// gatewalk already had), so it is listed and settled like the others.
//
// The record is a claim (session.ClaimHistory): the entry turns CLAIMED in
// one locked read and write, and a transaction another run claimed, or
// that ran, is refused. A claim is given back only when the SDK provably
// never started (releaseRunClaim), so an interrupted run cannot be run
// again by accident. It returns false when the run must not go on.
func (j *Journey) recordRun(s *Step, known *session.HistoryEntry, intent gateway.Intent, txn *gateway.TransactionCreated) bool {
	r := j.r
	summary := "created elsewhere; run with gatewalk sdk"
	if known != nil {
		summary = "run with gatewalk sdk"
	}
	got, err := r.store.ClaimHistory(r.profile.Name, session.HistoryEntry{TransactionID: txn.TransactionID, Intent: intent,
		User: j.UserLabel, CreatedAt: r.now(), ExpiresAt: txn.ExpireAt, Summary: summary})
	switch {
	case errors.Is(err, session.ErrClaimed):
		s.Err = &AlreadyRunError{TransactionID: txn.TransactionID, Status: got.Status, Source: "the history of profile " + r.profile.Name}
		return false
	case err != nil:
		// No history to claim in: the run is refused rather than left
		// unguarded against a second one.
		s.Err = fmt.Errorf("transaction %s cannot be recorded in the history, so gatewalk cannot make sure it runs once: %w", txn.TransactionID, err)
		return false
	}
	j.mu.Lock()
	j.historyOK, j.claimed = true, true
	j.mu.Unlock()
	return true
}

// releaseRunClaim gives a run's claim back when its SDK never started and
// nothing came back: the transaction is as unused as it was.
func (j *Journey) releaseRunClaim(started bool) {
	j.mu.Lock()
	claimed, settled := j.claimed, j.outcome != nil
	id := ""
	if j.txn != nil {
		id = j.txn.TransactionID
	}
	j.claimed = false
	j.mu.Unlock()
	if !claimed || settled || started || id == "" {
		return
	}
	if err := j.r.store.ReleaseClaim(j.r.profile.Name, id); err != nil {
		j.r.opt.Logf("history: %v", err)
	}
}

// lookupSandbox reads GET /_sandbox/transactions/{id}.
func (r *Runner) lookupSandbox(ctx context.Context, id string) (runStatus, error) {
	var st runStatus
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	u := strings.TrimRight(r.client.BaseURL, "/") + "/_sandbox/transactions/" + url.PathEscape(id)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return st, err
	}
	hc := r.client.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return st, fmt.Errorf("looking the transaction up on the sandbox: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusNotFound {
		return st, &UnknownTransactionError{TransactionID: id, Builtin: r.sb != nil}
	}
	var env struct {
		Data runStatus `json:"data"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &env) != nil {
		return st, fmt.Errorf("looking the transaction up on the sandbox: HTTP %d", resp.StatusCode)
	}
	at, precise := gateway.ServerTime(resp.Header)
	env.Data.offset = serverOffset([]gateway.Exchange{{ServerTime: at, ServerTimePrecise: precise}}, r.now())
	return env.Data, nil
}

// learnIntent takes the intent from the SDK's result when the transaction
// was not looked up.
func (j *Journey) learnIntent(out *gateway.SDKOutcome) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.runIntent == "" && out.Result != nil && out.Result.Transaction != "" {
		j.runIntent = gateway.Intent(strings.ToUpper(out.Result.Transaction))
	}
}

// runIntentNow is the intent known so far ("" when unknown).
func (j *Journey) runIntentNow() gateway.Intent {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.runIntent
}

// verifyRun verifies the SDK's result as every journey does; without a
// secret (a token issued elsewhere, a profile without one) it can only
// decode it, and says so.
func (j *Journey) verifyRun(s *Step) {
	r := j.r
	if r.keys.Secret != "" {
		j.mu.Lock()
		want := j.authID // the stored user's, or the given connected token's
		j.mu.Unlock()
		j.verifyResult(s)
		if s.Err == nil && want != "" && s.Verified != nil && s.Verified.SmallcaseAuthID != want {
			s.Err = &gateway.AuthIDMismatchError{User: j.UserLabel, Expected: want, Got: s.Verified.SmallcaseAuthID}
			j.mu.Lock()
			j.verified, j.authID = nil, want
			j.mu.Unlock()
			return
		}
		if s.Err == nil {
			switch j.runIntentNow() {
			case gateway.IntentTransaction, gateway.IntentConnect:
				// Settled by fetch_orders, or save_user.
			default:
				j.updateHistory(gateway.StatusCompleted, 0, "", "")
			}
		}
		return
	}
	j.mu.Lock()
	out := j.outcome
	j.mu.Unlock()
	if out == nil || out.Result == nil {
		s.Err = errors.New("no SDK result to verify")
		return
	}
	info, err := gateway.InspectToken(out.Result.SmallcaseAuthToken, r.now())
	if err == nil {
		s.Token, s.TokenInfo = out.Result.SmallcaseAuthToken, info
	}
	s.State = Skipped
	s.Summary = "NOT verified: profile " + r.profile.Name + " has no secret to check the returned token with"
	s.Warnings = append(s.Warnings, s.Summary)
	j.updateHistory(gateway.StatusCompleted, 0, "", "completed; the result was not verified (no secret)")
}

// saveRun saves a CONNECT's user under the label, with the duplicate rule.
func (j *Journey) saveRun(s *Step) {
	j.mu.Lock()
	intent, v := j.runIntent, j.verified
	j.mu.Unlock()
	switch {
	case intent != gateway.IntentConnect:
		s.State, s.Summary = Skipped, "not a CONNECT: no user to save"
		return
	case v == nil:
		s.State, s.Summary = Skipped, "not saved: the result was not verified"
		return
	case j.UserLabel == "":
		s.State = Skipped
		s.Summary = fmt.Sprintf("not saved (no --user): smallcaseAuthId %s, broker %s; save it with `gatewalk users add LABEL --auth-id %s --broker %s`",
			v.SmallcaseAuthID, v.Broker, v.SmallcaseAuthID, v.Broker)
		j.updateHistory(gateway.StatusCompleted, 0, "", "completed; connected "+v.SmallcaseAuthID+" (not saved)")
		return
	}
	j.saveUser(s)
	if s.Err == nil {
		j.updateHistory(gateway.StatusCompleted, 0, "", "completed; saved as "+j.UserLabel)
	}
}

// fetchRun fetches a TRANSACTION's order details, with the connected token
// the journey has (the returned one after a guest start).
func (j *Journey) fetchRun(ctx context.Context, s *Step) {
	j.mu.Lock()
	intent, tok, v := j.runIntent, j.token, j.verified
	out := j.outcome
	j.mu.Unlock()
	if intent != gateway.IntentTransaction {
		s.State, s.Summary = Skipped, "not a TRANSACTION: no orders to fetch"
		return
	}
	if info, err := gateway.InspectToken(tok, j.r.now()); err != nil || info.Kind != gateway.TokenConnected {
		switch {
		case v != nil:
			tok = v.Result.SmallcaseAuthToken
		case out != nil && out.Result != nil:
			tok = out.Result.SmallcaseAuthToken
		}
		j.mu.Lock()
		j.token = tok
		j.mu.Unlock()
	}
	j.fetchOrders(ctx, s)
}

// runsSDKAgain reports whether retrying from step k would start the SDK
// on an SDKRun's transaction again.
func runsSDKAgain(k StepKind) bool {
	switch k {
	case MintToken, CheckTransaction, OpenBrowser, AwaitSDK:
		return true
	}
	return false
}
