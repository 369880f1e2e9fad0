package bridge

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"gatewalk/gateway"
)

// Errors that end a journey's Wait. They are wrapped: match with errors.Is.
var (
	// ErrJourneyExpired: the transaction expired before the page posted a
	// result. Create a fresh transaction and start a new journey.
	ErrJourneyExpired = errors.New("the transaction expired before the browser journey finished: " +
		"create a fresh transaction and open the new link")
	// ErrJourneyClosed: the journey (or its bridge) was closed before a result.
	ErrJourneyClosed = errors.New("the browser journey was closed before the SDK returned a result")
)

// JourneySpec is what the harness page needs to run one transaction. It
// carries no secret: only the minted auth token, the gateway name, the
// transaction and display flags reach the browser.
type JourneySpec struct {
	Gateway       string         // gateway name given to new scDK({gateway})
	AuthToken     string         // smallcaseAuthToken given to new scDK (guest or connected)
	TransactionID string         // passed to triggerTransaction
	Intent        gateway.Intent // shown on the page
	SDKURL        string         // the web SDK script: the real scdk.js or the sandbox's
	ExpireAt      time.Time      // the transaction's expiry; zero means now + gateway.TransactionLifetime
	Leprechaun    bool           // leprechaun (test) mode, passed in the SDK config
	AMO           bool           // config.amo: allow after-market orders
	Brokers       []string       // optional broker list for triggerTransaction
	// Config is the SDK config given to new scDK({config}) as JSON (an
	// object); empty means {} plus Leprechaun and AMO as set above.
	Config string
	// AwaitVerdict: the terminal gives its verdict on a resolved result
	// (Journey.SetVerdict), and the page says "Done" only once it accepted
	// it. Without it the bridge accepts every result it takes.
	AwaitVerdict bool
}

// JourneyEventKind names a step of a journey as the bridge sees it.
type JourneyEventKind string

// Journey event kinds.
const (
	JourneyPageOpened    JourneyEventKind = "page_opened"     // the browser fetched the page
	JourneySDKLoaded     JourneyEventKind = "sdk_loaded"      // the SDK script loaded and defines scDK
	JourneySDKLoadFailed JourneyEventKind = "sdk_load_failed" // the SDK script could not load (offline, or origin not whitelisted)
	JourneySDKStarted    JourneyEventKind = "sdk_started"     // triggerTransaction was called
	JourneyTabClosed     JourneyEventKind = "tab_closed"      // the page was closed or reloaded before a result
	JourneyResult        JourneyEventKind = "result"          // the page posted the settled promise
	JourneyCSPBlocked    JourneyEventKind = "csp_blocked"     // the page's security policy blocked something the SDK tried
	// JourneyOtherTab: a tab other than the one running the journey opened
	// the link or reported something; it never runs the SDK and never
	// settles the journey.
	JourneyOtherTab JourneyEventKind = "other_tab"
)

// pageEventKinds are the kinds the page may report itself.
var pageEventKinds = map[JourneyEventKind]bool{
	JourneySDKLoaded: true, JourneySDKLoadFailed: true, JourneySDKStarted: true, JourneyTabClosed: true,
	JourneyCSPBlocked: true,
}

// JourneyEvent is one step of a journey, for progress display.
type JourneyEvent struct {
	Kind   JourneyEventKind
	Detail string // e.g. the load failure's reason, or "error user_cancelled (1012)"
	At     time.Time
}

// eventBuffer is how many events a journey holds for a slow reader; beyond
// it events are dropped rather than blocking the server.
const eventBuffer = 64

type journeyState int

const (
	stateWaiting journeyState = iota
	stateSettled
	stateExpired
	stateClosed
)

// DefaultStartedGrace is how long past its expiry a journey whose SDK
// started still waits for the SDK's answer (Config.StartedGrace).
const DefaultStartedGrace = time.Minute

// Journey is one transaction run through the harness page, reachable at its
// own unguessable URL until Close.
type Journey struct {
	b     *Bridge
	spec  JourneySpec
	nonce string

	mu      sync.Mutex
	state   journeyState
	outcome gateway.SDKOutcome
	events  chan JourneyEvent
	gone    bool          // events closed: emit nothing more
	settled chan struct{} // closed when a result is accepted
	closed  chan struct{} // closed by Close
	// lapsed is closed when a page's post finds the transaction expired
	// by the bridge's clock (which may run ahead of the wall clock, as the
	// sandbox's does), so Wait need not wait for its wall-clock timer.
	lapsed     chan struct{}
	lapsedOnce sync.Once

	// The tab that runs the journey: the first page to ask for it claims
	// it, so that a second tab (or a link opened twice) can never start the
	// SDK on the same transaction again.
	claimed   bool
	owner     string // the claiming tab's id ("" for a client that sends none)
	ownerLoad string // the owner's current page load
	started   bool   // the owner's SDK started: the claim is final

	abandoned bool // the terminal stopped waiting (Abandon)

	// The terminal's verdict on a resolved result (Verdict): the page
	// says "Done" only once the result was accepted.
	verdict     *Verdict
	verdictSet  chan struct{} // closed by the first Verdict
	verdictOnce sync.Once
}

// Verdict is what the terminal made of a result the SDK resolved with:
// accepted, or rejected and why (a smallcaseAuthId mismatch, a token that
// does not verify or has expired, success:false).
type Verdict struct {
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"`
	Advice   string `json:"advice,omitempty"`
}

// DefaultVerdictWait is how long the page's post of a resolved result waits
// for the terminal's verdict before it is answered without one.
const DefaultVerdictWait = 10 * time.Second

// SetVerdict records the terminal's verdict on the result; the page's post
// of the result, waiting for it, answers with it. Only the first counts.
func (j *Journey) SetVerdict(v Verdict) {
	j.verdictOnce.Do(func() {
		j.mu.Lock()
		j.verdict = &v
		j.mu.Unlock()
		close(j.verdictSet)
	})
}

// currentVerdict is the verdict so far: the terminal's, the bridge's own
// acceptance when the journey awaits none, or nil while it is pending.
func (j *Journey) currentVerdict() *Verdict {
	if !j.spec.AwaitVerdict {
		return &Verdict{Accepted: true}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.verdict == nil {
		return nil
	}
	v := *j.verdict
	return &v
}

// awaitVerdict waits for the verdict until ctx ends or the journey is
// closed; nil when none came.
func (j *Journey) awaitVerdict(ctx context.Context) *Verdict {
	select {
	case <-j.verdictSet:
	case <-ctx.Done():
	case <-j.closed:
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.verdict == nil {
		return nil
	}
	v := *j.verdict
	return &v
}

// Tab roles, as journey.json tells a page.
const (
	roleOwner = "owner" // this tab runs the journey
	roleOther = "other" // another tab runs it: do not start the SDK
	// roleRestarted: this tab started the SDK and was then reloaded; the
	// SDK's answer can no longer reach this page.
	roleRestarted = "restarted"
)

// claim gives a page load its role: the first tab to ask owns the
// journey; the owner's later load (a reload, or a duplicate of the tab,
// which shares its id) takes the claim over until the SDK started, after
// which it is only told so.
func (j *Journey) claim(tab, load string) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.abandoned:
		return roleOther
	case !j.claimed:
		j.claimed, j.owner, j.ownerLoad = true, tab, load
		return roleOwner
	case j.owner != tab:
		return roleOther
	case j.started:
		return roleRestarted
	}
	j.ownerLoad = load
	return roleOwner
}

// isOwner reports whether tab may report for the journey: it claimed it,
// or nobody has yet (a client that talks to the bridge without the page).
func (j *Journey) isOwner(tab string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.claimed {
		j.claimed, j.owner = true, tab
	}
	return j.owner == tab
}

// start is the handshake a page makes before it calls triggerTransaction:
// only the owning tab's current load may start the SDK, and only once.
// A client without the page (no tab, no load) may start an unclaimed
// journey.
func (j *Journey) start(tab, load string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.claimed {
		j.claimed, j.owner, j.ownerLoad = true, tab, load
	}
	if j.abandoned || j.started || j.owner != tab || j.ownerLoad != load {
		return false
	}
	j.started = true
	return true
}

// ownerLeft records that the owning tab's load went away (closed or
// reloaded): before its SDK started, the claim is released so the link
// may be opened again. A late report of an earlier load changes nothing.
func (j *Journey) ownerLeft(load string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.started && load == j.ownerLoad {
		j.claimed, j.owner, j.ownerLoad = false, "", ""
	}
}

// sdkStarted reports whether the owning tab started the SDK.
func (j *Journey) sdkStarted() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.started
}

// SDKStarted reports whether the page that runs the journey confirmed that
// it is starting the SDK (the claim is final then): the transaction may
// have been used from that moment on.
func (j *Journey) SDKStarted() bool { return j.sdkStarted() }

// nonceBytes is the nonce's entropy: 128 bits.
const nonceBytes = 16

func newNonce() (string, error) {
	buf := make([]byte, nonceBytes)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("cannot draw a journey nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// NewJourney registers a journey and returns it; open URL() in a browser.
func (b *Bridge) NewJourney(spec JourneySpec) (*Journey, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if spec.ExpireAt.IsZero() {
		spec.ExpireAt = b.now().Add(gateway.TransactionLifetime)
	}
	spec.Brokers = append([]string(nil), spec.Brokers...)
	nonce, err := newNonce()
	if err != nil {
		return nil, err
	}
	j := &Journey{
		b:          b,
		spec:       spec,
		nonce:      nonce,
		events:     make(chan JourneyEvent, eventBuffer),
		settled:    make(chan struct{}),
		closed:     make(chan struct{}),
		verdictSet: make(chan struct{}),
		lapsed:     make(chan struct{}),
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errors.New("the browser bridge is closed: start it again")
	}
	b.journeys[nonce] = j
	return j, nil
}

func (s JourneySpec) validate() error {
	var missing []string
	if strings.TrimSpace(s.Gateway) == "" {
		missing = append(missing, "gateway name")
	}
	if strings.TrimSpace(s.AuthToken) == "" {
		missing = append(missing, "auth token")
	}
	if strings.TrimSpace(s.TransactionID) == "" {
		missing = append(missing, "transactionId")
	}
	if strings.TrimSpace(s.SDKURL) == "" {
		missing = append(missing, "SDK script URL")
	}
	if len(missing) > 0 {
		return fmt.Errorf("cannot start the browser journey: missing %s", strings.Join(missing, ", "))
	}
	return CheckSDKURL(s.SDKURL)
}

// CheckSDKURL checks a web SDK script URL the way the browser page needs
// it: absolute, https, or plain http only on a loopback host (the sandbox).
func CheckSDKURL(sdkURL string) error {
	u, err := url.Parse(sdkURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("SDK script URL %q is not an absolute URL: give one like %s", sdkURL, gateway.ProductionSDKURL)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return fmt.Errorf("SDK script URL %q uses plain http on a non-loopback host: use https (e.g. %s)",
				sdkURL, gateway.ProductionSDKURL)
		}
	default:
		return fmt.Errorf("SDK script URL %q must be http(s)", sdkURL)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// sdkOrigin is the scheme://host[:port] of the SDK script, for the CSP.
func (s JourneySpec) sdkOrigin() string {
	u, err := url.Parse(s.SDKURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// URL returns the page's address: http://localhost:PORT/j/NONCE/.
func (j *Journey) URL() string { return j.b.Origin() + "/j/" + j.nonce + "/" }

// Spec returns the journey's spec.
func (j *Journey) Spec() JourneySpec { return j.spec }

// Events returns the journey's progress events. The channel is buffered and
// never blocks the server (events beyond its buffer are dropped); it is
// closed by Close. The result event is queued before Wait returns.
func (j *Journey) Events() <-chan JourneyEvent { return j.events }

// emit sends an event unless the journey is closed or the buffer is full.
func (j *Journey) emit(kind JourneyEventKind, detail string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.emitLocked(kind, detail)
}

func (j *Journey) emitLocked(kind JourneyEventKind, detail string) {
	if j.gone {
		return
	}
	select {
	case j.events <- JourneyEvent{Kind: kind, Detail: detail, At: j.b.now()}:
	default:
		j.b.logf("bridge: journey event %s dropped: nobody is reading the events", kind)
	}
}

// Wait blocks until the page posts the settled promise, the transaction
// expires (ErrJourneyExpired, wrapped), the journey is closed
// (ErrJourneyClosed) or ctx ends. It may be called again: a settled journey
// returns the same outcome every time.
func (j *Journey) Wait(ctx context.Context) (gateway.SDKOutcome, error) {
	d := j.spec.ExpireAt.Sub(j.b.now())
	if d < 0 {
		d = 0
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	graced := false
	for {
		select {
		case <-j.settled:
			return j.result()
		case <-timer.C:
			if j.sdkStarted() && !graced {
				// The SDK started and may be finishing in the broker's
				// window: its answer is worth a little longer than the
				// five minutes (a resolved result is taken even late).
				graced = true
				timer.Reset(j.b.startedGrace())
				continue
			}
			return j.expire()
		case <-j.lapsed:
			return j.expire()
		case <-j.closed:
			return j.result()
		case <-ctx.Done():
			// A result that raced with the cancellation still wins.
			select {
			case <-j.settled:
				return j.result()
			default:
			}
			return gateway.SDKOutcome{}, ctx.Err()
		}
	}
}

func (j *Journey) result() (gateway.SDKOutcome, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch j.state {
	case stateSettled:
		return j.outcome, nil
	case stateExpired:
		return gateway.SDKOutcome{}, j.expiredErr()
	default:
		return gateway.SDKOutcome{}, ErrJourneyClosed
	}
}

// expire marks the journey expired unless a result came first.
func (j *Journey) expire() (gateway.SDKOutcome, error) {
	j.mu.Lock()
	if j.state == stateWaiting {
		j.state = stateExpired
	}
	j.mu.Unlock()
	return j.result()
}

func (j *Journey) expiredErr() error {
	return fmt.Errorf("transaction %s (expired at %s): %w", j.spec.TransactionID,
		j.spec.ExpireAt.Local().Format("15:04:05"), ErrJourneyExpired)
}

// settle records the page's outcome once. It reports the HTTP status the
// page gets: 200 accepted, 409 a result was already accepted, 410 expired,
// 404 closed.
func (j *Journey) settle(o gateway.SDKOutcome) int {
	j.mu.Lock()
	switch j.state {
	case stateSettled:
		j.mu.Unlock()
		return 409
	case stateClosed:
		j.mu.Unlock()
		return 404
	case stateWaiting:
		// A result the SDK resolved with is taken even past the expiry by
		// this terminal's clock: the Gateway, not this clock, decided, and
		// a resolved TRANSACTION means orders may have been placed.
		if !j.b.now().Before(j.spec.ExpireAt) && o.Result == nil {
			j.state = stateExpired
		}
	}
	if j.state == stateExpired {
		j.mu.Unlock()
		j.lapsedOnce.Do(func() { close(j.lapsed) })
		return 410
	}
	j.state = stateSettled
	j.outcome = o
	// The result event is queued before Wait can return, so a reader of
	// Events always finds it there once Wait has the outcome.
	j.emitLocked(JourneyResult, outcomeSummary(o))
	close(j.settled)
	j.mu.Unlock()
	return 200
}

func outcomeSummary(o gateway.SDKOutcome) string {
	if o.Error != nil {
		return "error " + o.Error.Label()
	}
	parts := []string{"resolved"}
	if o.Result.Transaction != "" {
		parts = append(parts, o.Result.Transaction)
	}
	if o.Result.Broker != "" {
		parts = append(parts, "broker "+o.Result.Broker)
	}
	return strings.Join(parts, " ")
}

// snapshot returns the state and outcome for the page.
func (j *Journey) snapshot() (journeyState, gateway.SDKOutcome) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.state == stateWaiting && !j.b.now().Before(j.spec.ExpireAt) {
		return stateExpired, j.outcome
	}
	return j.state, j.outcome
}

// Abandon tells the journey's page that the terminal stopped waiting (its
// state becomes "abandoned" until the journey is closed), and makes a
// pending Wait return ErrJourneyClosed unless a result was accepted.
func (j *Journey) Abandon() {
	j.mu.Lock()
	if j.state == stateWaiting {
		j.abandoned = true
	}
	j.mu.Unlock()
	j.shut()
}

// Close releases the journey's nonce (its URL answers 404 from now on),
// closes Events and makes a pending Wait return ErrJourneyClosed unless a
// result was already accepted.
func (j *Journey) Close() {
	j.b.release(j.nonce)
	j.shut()
}

func (j *Journey) shut() {
	j.mu.Lock()
	defer j.mu.Unlock()
	select {
	case <-j.closed:
		return
	default:
	}
	if j.state == stateWaiting {
		j.state = stateClosed
	}
	// Events are sent under mu after checking shut_, so closing the
	// channel here cannot race with a send.
	j.gone = true
	close(j.closed)
	close(j.events)
}
