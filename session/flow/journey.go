package flow

import (
	"context"
	"errors"
	"sync"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
)

// StepKind names a step of a journey.
type StepKind string

// Step kinds, in the order they run.
const (
	MintToken         StepKind = "mint_token"
	CreateTransaction StepKind = "create_transaction"
	OpenBrowser       StepKind = "open_browser"
	AwaitSDK          StepKind = "await_sdk"
	VerifyResult      StepKind = "verify_result"
	SaveUser          StepKind = "save_user"
	FetchOrders       StepKind = "fetch_orders"
	FetchHoldings     StepKind = "fetch_holdings"
	// AwaitPostback runs only when Options.Postbacks is set.
	AwaitPostback StepKind = "await_postback"
)

// StepState is where a step is.
type StepState string

// Step states.
const (
	Pending StepState = "pending"
	Running StepState = "running"
	Done    StepState = "done"
	Failed  StepState = "failed"
	Skipped StepState = "skipped"
)

// Step is one step of a journey with everything it sent and received.
// Fields other than Kind, Title and Why change while the step runs: read
// them from the *Step that Next returned, or from Snapshot, never while
// another Next call is running.
type Step struct {
	Kind  StepKind
	Title string
	// Why is one presenter-friendly line from the docs on why the step exists.
	Why string

	State    StepState
	Started  time.Time
	Duration time.Duration

	// Token is the JWT minted (mint_token) or returned (verify_result).
	Token     string
	TokenInfo *gateway.TokenInfo
	// Exchanges are the HTTP requests of the step, secrets masked.
	Exchanges   []gateway.Exchange
	Transaction *gateway.TransactionCreated
	// BrowserURL is always set for open_browser; BrowserNote says why the
	// browser was not opened (--no-browser, SSH, no display), with the
	// ssh -L hint where it helps.
	BrowserURL  string
	BrowserNote string
	// SDKConfig is the config the page gives new scDK (open_browser), with
	// the leprechaun flag as the profile sets it.
	SDKConfig string
	Opened    bool
	Outcome   *gateway.SDKOutcome
	Verified  *gateway.VerifiedResult
	Orders    *gateway.OrderDetails
	// OrdersSource says where Orders' batches come from: SourceSDK or
	// SourceOrderDetails.
	OrdersSource string
	Holdings     *gateway.Holdings
	Postback     *session.PostbackRecord
	User         *session.User
	// Summary is the one-line result.
	Summary string
	// Warnings are problems that did not stop the step, such as a
	// transaction that could not be added to the history.
	Warnings []string
	// Err is typed: *gateway.APIError, *gateway.SDKError,
	// *session.DuplicateAuthIDError, *gateway.AuthIDMismatchError,
	// bridge.ErrJourneyExpired (wrapped), *UnknownUserError, token errors.
	Err error
}

// Kind names a journey.
type Kind string

// Journey kinds.
const (
	GuestLogin     Kind = "guest_login"
	Order          Kind = "order"
	HoldingsImport Kind = "holdings_import"
	// HoldingsView fetches holdings with a connected token, without an import.
	HoldingsView Kind = "holdings_view"
	// OrderDetailsView re-fetches the order details of a past transaction.
	OrderDetailsView Kind = "order_details"
)

// Journey is one run of a flow, step by step. Drive it with Next until
// Done or Failed; on a failure, RetryFrom the step to redo. A Journey is
// driven by one goroutine at a time; other goroutines may call Snapshot,
// Current, ExpireAt and Events while it runs.
type Journey struct {
	Kind      Kind
	UserLabel string
	// Steps in order. See Step for when their fields may be read.
	Steps []*Step

	r        *Runner
	order    *gateway.OrderConfig
	holdings gateway.HoldingsOptions
	txnID    string // for OrderDetailsView and SDKRun
	// runSpec is an SDKRun's transaction and token; runIntent its intent once
	// known, triggered that the SDK was started on it (never again).
	runSpec   *RunSpec
	runIntent gateway.Intent
	triggered bool

	mu       sync.Mutex
	events   chan bridge.JourneyEvent
	closed   bool
	allowDup bool
	started  time.Time
	user     *session.User // the stored user (connected journeys)
	// preRead: preflight read the guest login's label (preUser, nil when
	// it is new) for mint_token, so the users file is read once.
	preRead bool
	preUser *session.User
	// claimed: an SDKRun claimed its transaction in the history
	// (recordRun), to give back if the SDK never started.
	claimed bool
	token   string
	txn     *gateway.TransactionCreated
	// txnCreated is when create_transaction sent the request, for the
	// transaction's real lifetime.
	txnCreated time.Time
	// serverOffset is how far the Gateway's clock runs ahead of the
	// runner's (a sandbox's advanced clock, or a skewed local clock).
	serverOffset time.Duration
	// sdkStarted: the page reported that the SDK started, so an expiry
	// of the wait leaves open whether the transaction was used.
	sdkStarted bool
	bj         *bridge.Journey
	outcome    *gateway.SDKOutcome
	verified   *gateway.VerifiedResult
	authID     string
	broker     string
	running    *Step
	historyOK  bool
}

func newJourney(r *Runner, kind Kind, label string, steps ...StepKind) *Journey {
	j := &Journey{Kind: kind, UserLabel: label, r: r, events: make(chan bridge.JourneyEvent, 64)}
	for _, k := range steps {
		j.Steps = append(j.Steps, &Step{Kind: k, State: Pending})
	}
	return j
}

// Next runs the next pending step and returns it with State Done, Failed or
// Skipped. It blocks while the step runs: await_sdk blocks until the SDK
// result arrives or the transaction expires. It returns nil when the
// journey is done or stopped at a failed step (see RetryFrom).
func (j *Journey) Next(ctx context.Context) *Step {
	j.mu.Lock()
	var s *Step
	for _, st := range j.Steps {
		if st.State == Failed || st.State == Running {
			j.mu.Unlock()
			return nil
		}
		if st.State == Pending {
			s = st
			break
		}
	}
	if s == nil || j.closed {
		j.mu.Unlock()
		return nil
	}
	now := j.r.now()
	if j.started.IsZero() {
		j.started = now
	}
	*s = Step{Kind: s.Kind, Title: s.Title, Why: s.Why, State: Running, Started: now}
	j.running = s
	j.mu.Unlock()

	res := Step{Kind: s.Kind, Title: s.Title, Why: s.Why, Started: now}
	j.run(ctx, &res)
	res.Duration = j.r.now().Sub(now)
	if res.State == Running || res.State == Pending || res.State == "" {
		res.State = Done
	}
	if res.Err != nil {
		res.State = Failed
	}

	j.mu.Lock()
	*s = res
	j.running = nil
	j.mu.Unlock()
	j.r.saveSandboxState()
	if res.State == Failed && ctx.Err() == nil {
		switch res.Kind {
		case OpenBrowser, AwaitSDK, VerifyResult:
			j.finishHistory(res.Err)
		case SaveUser:
			// The CONNECT completed at the Gateway; say the user was not
			// saved here, and why.
			var dup *session.DuplicateAuthIDError
			summary := "completed; the user was not saved: " + res.Err.Error()
			if errors.As(res.Err, &dup) {
				summary = "completed; not saved (duplicate): " + res.Err.Error()
			}
			j.updateHistory(gateway.StatusCompleted, 0, "", summary)
		case FetchOrders, FetchHoldings:
			// The transaction itself completed; say the fetch did not.
			if j.Kind == Order || j.Kind == SDKRun {
				j.updateHistory(gateway.StatusCompleted, 0, "", "completed; fetching the order details failed: "+res.Err.Error())
			}
		}
	}
	return s
}

// Run drives the journey to its end: it calls Next until the journey is
// done or a step fails, and returns the failed step (nil when done).
// onStep, when not nil, is called before each step starts and after it
// ends.
func (j *Journey) Run(ctx context.Context, onStep func(s *Step)) *Step {
	for {
		if cur := j.Current(); cur != nil && onStep != nil && cur.State == Pending {
			c := *cur
			c.State = Running
			onStep(&c)
		}
		s := j.Next(ctx)
		if s == nil {
			return j.Failed()
		}
		if onStep != nil {
			onStep(s)
		}
	}
}

// Done reports whether every step is done or skipped.
func (j *Journey) Done() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, s := range j.Steps {
		if s.State != Done && s.State != Skipped {
			return false
		}
	}
	return true
}

// Failed returns the failed step, or nil.
func (j *Journey) Failed() *Step {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, s := range j.Steps {
		if s.State == Failed {
			return s
		}
	}
	return nil
}

// Current returns the running step, else the failed one, else the next
// pending one; nil when the journey is done.
func (j *Journey) Current() *Step {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.running != nil {
		return j.running
	}
	for _, s := range j.Steps {
		if s.State != Done && s.State != Skipped {
			return s
		}
	}
	return nil
}

// Step returns the step of kind k, or nil when the journey has none.
func (j *Journey) Step(k StepKind) *Step {
	for _, s := range j.Steps {
		if s.Kind == k {
			return s
		}
	}
	return nil
}

// Snapshot copies the steps under the journey's lock; safe to call while
// another goroutine runs Next.
func (j *Journey) Snapshot() []Step {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Step, len(j.Steps))
	for i, s := range j.Steps {
		out[i] = *s
	}
	return out
}

// ExpireAt is the expiry of the live transaction (zero before one exists)
// on the runner's clock: the Gateway's expireAt moved by how far the
// Gateway's clock runs ahead of it, so the page, the bridge and the
// terminal agree on when it expires.
func (j *Journey) ExpireAt() time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.txn == nil {
		return time.Time{}
	}
	return j.txn.ExpireAt.Add(-j.serverOffset)
}

// WallExpireAt is ExpireAt on the wall clock (time.Now), for countdowns a
// face draws from its own clock ticks: with an in-process sandbox whose
// clock was advanced, the runner's clock runs ahead of the wall clock.
func (j *Journey) WallExpireAt() time.Time {
	exp := j.ExpireAt()
	if exp.IsZero() {
		return exp
	}
	return exp.Add(-time.Until(j.r.now()))
}

// TransactionID is the live transaction's id ("" before one exists).
func (j *Journey) TransactionID() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.txn == nil {
		return j.txnID
	}
	return j.txn.TransactionID
}

// AuthID is the smallcaseAuthId the journey ended with (the stored one for
// connected journeys, the verified one for a guest login).
func (j *Journey) AuthID() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.authID
}

// Events delivers the browser page's events (page opened, SDK loaded, tab
// closed, result...) while await_sdk runs; in auto mode it carries the
// driver's result. Events are dropped rather than block when nobody reads.
// The channel is closed by Close.
func (j *Journey) Events() <-chan bridge.JourneyEvent { return j.events }

// RetryFrom resets step k and every later step to pending, so Next runs them
// again: RetryFrom(CreateTransaction) makes a fresh transaction after an
// expiry or an SDK error; RetryFrom(MintToken) starts over with a new token.
// A kind the journey does not have changes nothing.
func (j *Journey) RetryFrom(k StepKind) {
	if id := j.retryFrom(k); id != "" {
		// The transaction given up was still live: say so in history, as
		// leaving the journey would.
		r := j.r
		err := r.store.UpdateHistory(r.profile.Name, id, func(e *session.HistoryEntry) {
			if e.Status == "" || e.Status == gateway.StatusInitialized {
				e.Status = session.StatusAbandoned
				e.Summary = "replaced by a fresh transaction while it was live"
			}
		})
		if err != nil {
			r.opt.Logf("history: %v", err)
		}
	}
}

// SDKCompletedOrder reports whether the SDK resolved this journey's
// TRANSACTION: its orders may be placed, whatever failed after, so the
// journey must not create another transaction for the same order.
func (j *Journey) SDKCompletedOrder() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.sdkCompletedOrderLocked()
}

func (j *Journey) sdkCompletedOrderLocked() bool {
	// A run of a transaction made elsewhere is an order only when its
	// intent is TRANSACTION, or still unknown.
	order := j.Kind == Order || (j.Kind == SDKRun && (j.runIntent == "" || j.runIntent == gateway.IntentTransaction))
	return order && j.outcome != nil && j.outcome.Result != nil
}

// retryFrom resets the steps and returns the id of a live transaction it
// gave up ("" when none). Once the SDK completed an order, steps that
// would create another transaction are not reset.
func (j *Journey) retryFrom(k StepKind) (abandoned string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if (k == MintToken || k == CreateTransaction) && j.sdkCompletedOrderLocked() {
		j.r.opt.Logf("flow: not creating another transaction for %s: the SDK completed its order", j.Kind)
		return ""
	}
	if j.Kind == SDKRun && (j.triggered || j.sdkStarted) && runsSDKAgain(k) {
		j.r.opt.Logf("flow: not starting the SDK again on %s: it was started once", j.txnID)
		return ""
	}
	idx := -1
	for i, s := range j.Steps {
		if s.Kind == k {
			idx = i
			break
		}
	}
	if idx < 0 || j.running != nil {
		return ""
	}
	for _, s := range j.Steps[idx:] {
		*s = Step{Kind: s.Kind, Title: s.Title, Why: s.Why, State: Pending}
		switch s.Kind {
		case MintToken:
			j.token = ""
		case CreateTransaction:
			if j.txn != nil && j.outcome == nil && j.historyOK {
				abandoned = j.txn.TransactionID
			}
			if j.bj != nil {
				j.bj.Abandon()
			}
			j.closeBridgeJourneyLocked()
			j.txn, j.outcome, j.verified = nil, nil, nil
			j.historyOK = false
		case AwaitSDK:
			j.outcome, j.verified = nil, nil
		case VerifyResult:
			j.verified = nil
		}
	}
	return abandoned
}

// AllowDuplicate records that the operator confirmed saving a
// smallcaseAuthId another local user already has (both labels then name the
// same broker account). A failed save_user step is reset, so the next Next
// saves.
func (j *Journey) AllowDuplicate() {
	j.mu.Lock()
	j.allowDup = true
	s := j.stepLocked(SaveUser)
	failed := s != nil && s.State == Failed
	j.mu.Unlock()
	if failed {
		j.RetryFrom(SaveUser)
	}
}

func (j *Journey) stepLocked(k StepKind) *Step {
	for _, s := range j.Steps {
		if s.Kind == k {
			return s
		}
	}
	return nil
}

// Abandon records that the operator left the journey while its
// transaction may still be live: history says ABANDONED (when no result
// settled it), the browser page is told that the terminal stopped
// waiting, and the journey is closed. Cancel a running Next's context
// first.
func (j *Journey) Abandon() {
	j.mu.Lock()
	live := j.txn != nil && j.outcome == nil
	if j.Kind == SDKRun && !j.sdkStarted && (j.bj == nil || !j.bj.SDKStarted()) {
		// A transaction made elsewhere that the SDK never started on is as
		// unused as before: Close gives its claim back.
		live = false
	}
	if j.bj != nil {
		j.bj.Abandon()
	}
	j.mu.Unlock()
	if live {
		j.updateHistory(session.StatusAbandoned, 0, "", "the terminal stopped waiting while the transaction was live")
	}
	j.Close()
}

// Close releases the journey's browser page and closes Events. It does not
// interrupt a running Next: cancel its context for that.
func (j *Journey) Close() {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return
	}
	j.closed = true
	// Whether the page started the SDK, asked of the bridge itself (its
	// events may have been dropped) before the page is let go.
	started := j.sdkStarted || (j.bj != nil && j.bj.SDKStarted())
	j.closeBridgeJourneyLocked()
	close(j.events)
	j.mu.Unlock()
	if j.Kind == SDKRun {
		j.releaseRunClaim(started)
	}
}

func (j *Journey) closeBridgeJourneyLocked() {
	if j.bj != nil {
		j.bj.Close()
		j.bj = nil
	}
}

// emit hands an event to Events without blocking.
func (j *Journey) emit(ev bridge.JourneyEvent) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return
	}
	select {
	case j.events <- ev:
	default:
	}
}

// Facts are who and what a journey ran for, as a report names them.
type Facts struct {
	Kind    Kind
	Profile session.Profile
	// User is the local user's label.
	User string
	// SmallcaseAuthID and Broker are those the journey ended with (the
	// stored user's before a result).
	SmallcaseAuthID, Broker string
	TransactionID           string
	// Started is when the first step started (zero before).
	Started time.Time
}

// Facts reports the journey's user, broker, transaction and start.
func (j *Journey) Facts() Facts {
	j.mu.Lock()
	defer j.mu.Unlock()
	f := Facts{Kind: j.Kind, Profile: j.r.profile, User: j.UserLabel, SmallcaseAuthID: j.authID, Broker: j.broker,
		TransactionID: j.txnID, Started: j.started}
	if j.txn != nil {
		f.TransactionID = j.txn.TransactionID
	}
	if j.user != nil && f.Broker == "" {
		f.Broker = j.user.Broker
	}
	return f
}
