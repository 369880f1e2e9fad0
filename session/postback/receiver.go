package postback

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
)

// DefaultMaxBody bounds a postback body; larger ones are answered 413.
const DefaultMaxBody = 256 << 10

// DefaultAddr is where `gatewalk listen` listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8787"

// Outcome classifies one received request.
type Outcome string

// Outcomes, with the HTTP status the receiver answers.
const (
	OutcomeAccepted     Outcome = "ok"                  // 200: checksum valid, transaction known
	OutcomeReplay       Outcome = "replay"              // 200: already accepted once (same transaction, event and checksum)
	OutcomeBadChecksum  Outcome = "bad_checksum"        // 401: checksum missing or wrong for the apiSecret
	OutcomeUnknown      Outcome = "unknown_transaction" // 404: valid checksum, transaction not in the profile's history (202 with AcceptUnknown)
	OutcomePending      Outcome = "pending_action"      // 200: valid pending action: it names an investment (iscid), no transaction; recorded with the unmatched
	OutcomeMalformed    Outcome = "malformed"           // 400: not a JSON postback
	OutcomeTooLarge     Outcome = "too_large"           // 413: body over MaxBody
	OutcomeFailedOnTest Outcome = "failed_on_purpose"   // 500: FailFirst asked for it, to exercise the sender's retries
	OutcomeStoreError   Outcome = "store_error"         // 500: could not be written to the history; the sender should retry
	OutcomeNotPost      Outcome = "method_not_allowed"  // 405: not a POST; printed, not stored
)

// Store is where the receiver records postbacks; *session.Store is one.
type Store interface {
	// AddPostback stores rec next to transaction txnID, or in the
	// unmatched list when the profile's history does not know txnID.
	AddPostback(profile, txnID string, rec session.PostbackRecord) (matched bool, err error)
}

// historian is the optional part of a Store used to recognise replays of
// postbacks accepted by an earlier run.
type historian interface {
	History(profile string) ([]session.HistoryEntry, error)
}

// Config configures a Receiver.
type Config struct {
	// Profile is the profile whose history receives the postbacks.
	Profile string
	// APISecret is the key checksums are verified with.
	APISecret string
	// Store records every postback; nil keeps them in memory only.
	Store Store
	// MaxBody bounds a body in bytes (default DefaultMaxBody).
	MaxBody int64
	// AcceptUnknown answers 202 instead of 404 to a valid postback for a
	// transaction the history does not know, so the sender stops retrying.
	AcceptUnknown bool
	// FailFirst answers 500 to the first N well-formed postbacks (recorded
	// and reported as such), to watch the sender retry.
	FailFirst int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// EventBuffer is the capacity of the Events channel (default 1024).
	EventBuffer int
	// Forward, when set, sends every postback whose checksum holds (accepted,
	// replayed or of an unknown transaction) on to the partner's backend,
	// after it was answered; its Event comes once the backend answered,
	// with Forward set. The caller closes it.
	Forward *Forwarder
}

// Event is one request the receiver answered, for display.
type Event struct {
	ReceivedAt      time.Time      `json:"receivedAt"`
	Outcome         Outcome        `json:"outcome"`
	HTTPStatus      int            `json:"httpStatus"`
	Event           string         `json:"event,omitempty"`
	TransactionID   string         `json:"transactionId,omitempty"`
	SmallcaseAuthID string         `json:"smallcaseAuthId,omitempty"`
	Intent          gateway.Intent `json:"intent,omitempty"`
	Status          gateway.Status `json:"status,omitempty"`
	Broker          string         `json:"broker,omitempty"`
	// Iscid and Action are a pending action's investment and what is
	// pending on it (PENDING_ACTION names no transaction).
	Iscid  string `json:"iscid,omitempty"`
	Action string `json:"action,omitempty"`
	// Matched reports whether the transaction is in the profile's history.
	Matched bool `json:"matched"`
	// Stored reports whether the postback was written to the history.
	Stored bool `json:"stored"`
	// Check holds the checksum verdict and its inputs (nil when the body
	// could not be parsed).
	Check   *Check `json:"checksum,omitempty"`
	Problem string `json:"problem,omitempty"`
	// StoreError says why the postback could not be written to the history.
	StoreError string `json:"storeError,omitempty"`
	Remote     string `json:"remote,omitempty"`
	Path       string `json:"path,omitempty"`
	// Forward is what the backend answered when the postback was forwarded
	// (Config.Forward); nil when it was not.
	Forward *ForwardResult `json:"forward,omitempty"`

	body        []byte // as received, for the forward
	buf         *bytes.Buffer
	contentType string
}

// forwardable reports whether a postback goes on to the backend: its
// checksum holds and it was not answered 5xx (the sender will send it again).
func (e Event) forwardable() bool {
	if e.Check == nil || !e.Check.Valid {
		return false
	}
	switch e.Outcome {
	case OutcomeAccepted, OutcomeReplay, OutcomeUnknown, OutcomePending:
		return true
	}
	return false
}

// ChecksumLabel is the short checksum column of a listener line: "ok",
// "BAD", "replay" or "-" when nothing was checked.
func (e Event) ChecksumLabel() string {
	switch {
	case e.Outcome == OutcomeReplay:
		return "replay"
	case e.Check == nil:
		return "-"
	case e.Check.Valid:
		return "ok"
	}
	return "BAD"
}

type waitKey struct{ txn, event string }

// Receiver accepts the Gateway's postbacks over HTTP: it bounds the body,
// verifies the checksum, records every postback in the profile's history
// (next to its transaction or as unmatched), reports each as an Event and
// hands valid ones to Wait callers. It is safe for concurrent use.
type Receiver struct {
	cfg    Config
	events chan Event
	// large bounds how many bodies over largeBody are parsed at once;
	// largeWaits, when set (tests), hears of each body that has to wait.
	large      chan struct{}
	largeWaits chan struct{}
	// largeRead is how long a large body may take to arrive once it holds
	// a slot (largeReadTimeout; tests shorten it).
	largeRead time.Duration
	// bufs holds the buffers bodies are read into: a flood of large
	// bodies reuses a few instead of leaving each one to the collector.
	bufs sync.Pool
	// waiting, when set (tests), hears of each Wait that has registered
	// to wait for a postback not yet delivered; it should be buffered.
	waiting chan waitKey

	mu        sync.Mutex
	failLeft  int
	accepted  map[string]time.Time // replay keys of accepted postbacks
	order     []string             // insertion order of accepted, to bound it
	delivered map[waitKey]session.PostbackRecord
	waiters   map[waitKey][]chan session.PostbackRecord
	counts    map[Outcome]int
	dropped   int
	profile   string // the profile and key in use; see SetProfile
	apiSecret string

	seedMu sync.Mutex
	seeded map[string]bool // profiles whose history seeded the replay memory

	srv  *http.Server
	ln   net.Listener
	url  string
	done chan struct{}
}

// maxRemembered bounds the replay and delivery memory.
const maxRemembered = 10000

// largeBody is the size above which a body waits its turn to be read and
// parsed:
// real postbacks are a few KiB (a holdings import with hundreds of
// securities stays well under it).
const largeBody = 64 << 10

// largeReadTimeout bounds the time a large body takes to arrive once it
// holds its slot: 256 KiB in 10 seconds is 26 KiB/s.
const largeReadTimeout = 10 * time.Second

// NewReceiver builds a Receiver; Start serves it on loopback, or mount it
// as an http.Handler.
func NewReceiver(cfg Config) *Receiver {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 1024
	}
	return &Receiver{
		cfg:       cfg,
		large:     make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1)),
		largeRead: largeReadTimeout,
		profile:   cfg.Profile,
		apiSecret: cfg.APISecret,
		seeded:    map[string]bool{},
		events:    make(chan Event, cfg.EventBuffer),
		failLeft:  cfg.FailFirst,
		accepted:  map[string]time.Time{},
		delivered: map[waitKey]session.PostbackRecord{},
		waiters:   map[waitKey][]chan session.PostbackRecord{},
		counts:    map[Outcome]int{},
	}
}

// SetProfile switches the profile whose history receives the postbacks and
// the apiSecret that verifies them, e.g. when an operator switches profiles
// in the TUI. Requests already being answered finish with the old ones.
func (r *Receiver) SetProfile(name, apiSecret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.profile, r.apiSecret = name, apiSecret
}

// Profile returns the profile name the receiver records into.
func (r *Receiver) Profile() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.profile
}

// Events delivers one Event per request answered. The channel is buffered;
// when nobody reads it and it is full, events are counted in Dropped but
// postbacks are still recorded and answered.
func (r *Receiver) Events() <-chan Event { return r.events }

// Dropped is the number of events not delivered because Events was full.
func (r *Receiver) Dropped() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

// Counts returns how many requests ended with each outcome.
func (r *Receiver) Counts() map[Outcome]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[Outcome]int, len(r.counts))
	for k, v := range r.counts {
		out[k] = v
	}
	return out
}

// CheckLoopback returns an error unless addr (host:port) is on a loopback
// address. The error suggests a tunnel for reaching the listener from
// elsewhere.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: want HOST:PORT such as %s", addr, DefaultAddr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	port := portOf(addr)
	return fmt.Errorf("address %q is not loopback: the listener only binds 127.0.0.1 or ::1 (use --addr 127.0.0.1:%s); "+
		"to receive from elsewhere, forward a public endpoint to it with a tunnel, e.g. "+
		"ssh -R %s:127.0.0.1:%s you@your-registered-host, or a reverse proxy", addr, port, port, port)
}

func portOf(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil || p == "" || p == "0" {
		return "8787"
	}
	return p
}

// Start listens on addr (loopback only; port 0 picks a free one) and serves
// in the background. It returns the base URL postbacks are POSTed to.
func (r *Receiver) Start(addr string) (string, error) {
	if err := CheckLoopback(addr); err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w (is another listener running? pick another port with --addr)", addr, err)
	}
	r.ln = ln
	r.url = "http://" + ln.Addr().String() + "/"
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		_ = r.srv.Serve(ln)
	}()
	return r.url, nil
}

// URL is the base URL after Start ("" before).
func (r *Receiver) URL() string { return r.url }

// Close stops the server started by Start, letting requests in flight
// finish for up to five seconds, and wakes every Wait caller.
func (r *Receiver) Close() error {
	var err error
	if r.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = r.srv.Shutdown(ctx)
		cancel()
		<-r.done
	}
	r.mu.Lock()
	for k, ws := range r.waiters {
		for _, w := range ws {
			close(w)
		}
		delete(r.waiters, k)
	}
	r.mu.Unlock()
	return err
}

// ErrClosed is returned by Wait when the receiver was closed.
var ErrClosed = errors.New("postback receiver closed")

// Wait blocks until a postback for transactionID and event arrives (or
// arrived earlier in this receiver's life) and returns its record; check
// its ChecksumValid: a postback with a bad checksum is handed over too, so
// that a waiting journey fails at once with the reason. When both a bad and
// a valid one arrived before Wait, the valid one is returned. Replays and
// attempts answered 5xx are not handed over (the sender retries those). It
// implements the flow runner's PostbackWaiter.
func (r *Receiver) Wait(ctx context.Context, transactionID, event string) (session.PostbackRecord, error) {
	k := waitKey{transactionID, event}
	r.mu.Lock()
	if rec, ok := r.delivered[k]; ok {
		r.mu.Unlock()
		return rec, nil
	}
	ch := make(chan session.PostbackRecord, 1)
	r.waiters[k] = append(r.waiters[k], ch)
	r.mu.Unlock()
	if r.waiting != nil {
		r.waiting <- k
	}
	select {
	case rec, ok := <-ch:
		if !ok {
			return session.PostbackRecord{}, ErrClosed
		}
		return rec, nil
	case <-ctx.Done():
		r.mu.Lock()
		ws := r.waiters[k]
		for i, w := range ws {
			if w == ch {
				r.waiters[k] = append(ws[:i:i], ws[i+1:]...)
				break
			}
		}
		if len(r.waiters[k]) == 0 {
			delete(r.waiters, k)
		}
		r.mu.Unlock()
		return session.PostbackRecord{}, fmt.Errorf("waiting for the %s postback of %s: %w", event, transactionID, ctx.Err())
	}
}

// ServeHTTP answers one postback. See the Outcome constants for the status
// codes.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ev := r.handle(w, req)
	body, ct, buf := ev.body, ev.contentType, ev.buf
	ev.body, ev.buf = nil, nil
	if r.cfg.Forward != nil && ev.forwardable() {
		// Queued, never waited on: the answer goes out as this returns.
		r.cfg.Forward.enqueue(body, ct, func(res ForwardResult) {
			ev.Forward = &res
			r.emit(ev)
		})
		return
	}
	// Records and events hold copies of what they keep of the body.
	r.putBuf(buf)
	r.emit(ev)
}

// readBody reads the request's body, at most MaxBody bytes, into a buffer
// of the pool (sized once from the Content-Length when there is one). A
// body over largeBody bytes is read, and parsed, only while it holds one of
// the few slots for large bodies (release gives it back): a flood of large
// bodies is then held back by the senders' own connections, leaving the
// other cores to the postbacks of ordinary size, whose bodies are read at
// once.
func (r *Receiver) readBody(w http.ResponseWriter, req *http.Request) (buf *bytes.Buffer, release func(), err error) {
	buf, _ = r.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	release = func() {}
	body := http.MaxBytesReader(w, req.Body, r.cfg.MaxBody)
	n := req.ContentLength
	if n <= largeBody {
		// Small, or of unknown length: the first largeBody bytes at once.
		if n > 0 {
			buf.Grow(int(n) + bytes.MinRead)
		}
		got, err := io.CopyN(buf, body, largeBody+1)
		if got <= largeBody {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return buf, release, err
		}
	}
	if release, err = r.takeLargeSlot(req.Context()); err != nil {
		return buf, func() {}, err
	}
	// The slot's holder has largeRead to send the rest: a slow sender
	// cannot keep the others waiting for long, and they, having waited,
	// get the time to send theirs.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(r.largeRead))
	if n > 0 && n <= r.cfg.MaxBody {
		buf.Grow(int(n) - buf.Len() + bytes.MinRead)
	}
	_, err = buf.ReadFrom(body)
	return buf, release, err
}

// takeLargeSlot waits for a slot for a large body; ctx ends the wait (the
// sender went away).
func (r *Receiver) takeLargeSlot(ctx context.Context) (release func(), err error) {
	select {
	case r.large <- struct{}{}:
	default:
		if r.largeWaits != nil {
			r.largeWaits <- struct{}{}
		}
		select {
		case r.large <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return func() { <-r.large }, nil
}

// putBuf gives a body's buffer back to the pool, unless it grew past what
// a body may be.
func (r *Receiver) putBuf(buf *bytes.Buffer) {
	if buf != nil && int64(buf.Cap()) <= 2*r.cfg.MaxBody {
		r.bufs.Put(buf)
	}
}

// emit hands ev to Events, or counts it as dropped when nobody keeps up.
func (r *Receiver) emit(ev Event) {
	r.mu.Lock()
	select {
	case r.events <- ev:
	default:
		r.dropped++
	}
	r.mu.Unlock()
}

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) Event {
	now := r.cfg.Now()
	r.mu.Lock()
	profile, apiSecret := r.profile, r.apiSecret
	r.mu.Unlock()
	ev := Event{ReceivedAt: now, Remote: req.RemoteAddr, Path: req.URL.Path}
	answer := func(status int, o Outcome, msg string) Event {
		ev.HTTPStatus, ev.Outcome = status, o
		r.mu.Lock() // counted before the sender sees the answer
		r.counts[o]++
		r.mu.Unlock()
		if msg != "" && ev.Problem == "" && status >= 300 {
			ev.Problem = msg
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		body := map[string]any{"outcome": o}
		if status < 300 {
			body["received"] = true
		} else {
			body["error"] = msg
		}
		_ = json.NewEncoder(w).Encode(body)
		return ev
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return answer(http.StatusMethodNotAllowed, OutcomeNotPost,
			"this is a gatewalk postback listener: POST a postback's JSON body here")
	}
	buf, release, err := r.readBody(w, req)
	defer release()
	ev.buf = buf
	body := buf.Bytes()
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		msg := fmt.Sprintf("body larger than %d bytes", r.cfg.MaxBody)
		ev.Stored = r.store(profile, "", r.record(now, "", "", false, msg, body, true), &ev)
		return answer(http.StatusRequestEntityTooLarge, OutcomeTooLarge, msg)
	case err != nil:
		msg := "could not read the body: " + err.Error()
		ev.Stored = r.store(profile, "", r.record(now, "", "", false, msg, body, false), &ev)
		return answer(http.StatusBadRequest, OutcomeMalformed, msg)
	}
	ev.body, ev.contentType = body, req.Header.Get("Content-Type")
	p, tsKind, err := r.parse(body, apiSecret)
	if err != nil {
		ev.Stored = r.store(profile, "", r.record(now, "", "", false, err.Error(), body, false), &ev)
		return answer(http.StatusBadRequest, OutcomeMalformed, err.Error())
	}
	ev.Event, ev.TransactionID, ev.SmallcaseAuthID = p.Kind(), p.TransactionID, p.SmallcaseAuthID
	ev.Intent, ev.Status, ev.Broker = p.Intent, p.Status, p.Broker
	// A pending action belongs to an investment, not a transaction: it has
	// no transactionId to find in the history, and its checksum covers
	// timestamp + smallcaseAuthId like the others.
	pending := p.TransactionID == "" && p.Kind() == gateway.EventPendingAction
	if pending {
		ev.Iscid, ev.Action = pendingFields(p)
	}
	chk := Verify(p, tsKind, apiSecret)
	chk.Expected = "" // the listener never shows what a valid checksum would be
	ev.Check = &chk

	r.mu.Lock()
	failNow := r.failLeft > 0
	if failNow {
		r.failLeft--
	}
	r.mu.Unlock()
	if failNow {
		msg := "answered 500 on purpose (fail-first), to exercise the sender's retries"
		ev.Stored = r.store(profile, p.TransactionID, r.record(now, p.Kind(), string(p.Status), chk.Valid, msg, body, false), &ev)
		return answer(http.StatusInternalServerError, OutcomeFailedOnTest, msg)
	}
	if !chk.Valid {
		rec := r.refused(now, p.Kind(), string(p.Status), chk.Problem, body)
		ev.Stored = r.store(profile, p.TransactionID, rec, &ev)
		if p.TransactionID != "" {
			r.deliver(waitKey{p.TransactionID, p.Kind()}, rec) // a waiting journey learns why at once
		}
		return answer(http.StatusUnauthorized, OutcomeBadChecksum, chk.Problem)
	}
	rk := p.TransactionID + "\x00" + p.Kind() + "\x00" + strings.ToLower(chk.Received)
	r.seedReplays(profile)
	// Reserve the replay key before storing, so two identical postbacks
	// arriving together are one acceptance and one replay.
	r.mu.Lock()
	first, replay := r.accepted[rk]
	if !replay {
		r.remember(rk, now)
	}
	r.mu.Unlock()
	if replay {
		msg := "replay of a postback accepted at " + first.Format(time.RFC3339)
		ev.Problem = msg
		ev.Stored = r.store(profile, p.TransactionID, r.record(now, p.Kind(), string(p.Status), true, msg, body, false), &ev)
		return answer(http.StatusOK, OutcomeReplay, "")
	}
	rec := r.record(now, p.Kind(), string(p.Status), true, "", body, false)
	ev.Stored = r.store(profile, p.TransactionID, rec, &ev)
	if ev.StoreError != "" {
		r.forget(rk)
		return answer(http.StatusInternalServerError, OutcomeStoreError, "could not record the postback: "+ev.StoreError)
	}
	if pending {
		what := "pending action"
		if ev.Action != "" {
			what += " " + ev.Action
		}
		ev.Problem = fmt.Sprintf("%s on investment %q: recorded with the unmatched postbacks (it names no transaction)", what, ev.Iscid)
		return answer(http.StatusOK, OutcomePending, "")
	}
	r.mu.Lock()
	_, awaited := r.waiters[waitKey{p.TransactionID, p.Kind()}]
	r.mu.Unlock()
	known := ev.Matched || awaited || r.cfg.Store == nil
	if !known && !r.cfg.AcceptUnknown {
		r.forget(rk)
		msg := fmt.Sprintf("unknown transaction %q: not in profile %q's history (recorded as unmatched)", p.TransactionID, profile)
		return answer(http.StatusNotFound, OutcomeUnknown, msg)
	}
	r.deliver(waitKey{p.TransactionID, p.Kind()}, rec)
	if !known {
		ev.Problem = fmt.Sprintf("unknown transaction %q: recorded as unmatched and answered 202", p.TransactionID)
		return answer(http.StatusAccepted, OutcomeUnknown, "")
	}
	return answer(http.StatusOK, OutcomeAccepted, "")
}

// parse is Parse for the receiver. A large body (read while it holds a
// slot, see readBody) whose checksum does not hold is refused from a skim of
// its members (see skim), without a pass of the JSON parser over all of it:
// a flood of large bad bodies then costs little more than reading them.
func (r *Receiver) parse(body []byte, apiSecret string) (gateway.Postback, string, error) {
	if len(body) > largeBody {
		if p, tsKind, ok := skim(body); ok && !Verify(p, tsKind, apiSecret).Valid {
			return p, tsKind, nil
		}
	}
	return Parse(body)
}

// pendingFields reads a pending action's iscid and action.
func pendingFields(p gateway.Postback) (iscid, action string) {
	var f struct {
		Iscid  string `json:"iscid"`
		Action string `json:"action"`
	}
	_ = json.Unmarshal(p.Fields, &f)
	return f.Iscid, f.Action
}

// deliver hands a postback to the waiters of its transaction and event, and
// keeps it for later ones (a valid one replaces a bad one).
func (r *Receiver) deliver(k waitKey, rec session.PostbackRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.delivered[k]; !ok || (rec.ChecksumValid && !old.ChecksumValid) {
		if !ok && len(r.delivered) >= maxRemembered {
			for old := range r.delivered { // bounded: forget an arbitrary one
				delete(r.delivered, old)
				break
			}
		}
		r.delivered[k] = rec
	}
	for _, w := range r.waiters[k] {
		w <- rec
	}
	delete(r.waiters, k)
}

// forget drops a reserved replay key whose postback was not accepted.
func (r *Receiver) forget(rk string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.accepted, rk)
	for i, k := range r.order {
		if k == rk {
			r.order = append(r.order[:i:i], r.order[i+1:]...)
			break
		}
	}
}

// remember records an accepted replay key; r.mu is held.
func (r *Receiver) remember(rk string, at time.Time) {
	if _, ok := r.accepted[rk]; ok {
		return
	}
	if len(r.order) >= maxRemembered {
		delete(r.accepted, r.order[0])
		r.order = r.order[1:]
	}
	r.accepted[rk] = at
	r.order = append(r.order, rk)
}

// seedReplays loads, once, the postbacks an earlier run accepted, so that
// a sender retrying across restarts is still seen as replaying.
func (r *Receiver) seedReplays(profile string) {
	r.seedMu.Lock() // held while loading, so no request of that profile races ahead
	defer r.seedMu.Unlock()
	if r.seeded[profile] {
		return
	}
	r.seeded[profile] = true
	h, ok := r.cfg.Store.(historian)
	if !ok {
		return
	}
	entries, err := h.History(profile)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range entries {
		for _, pb := range e.Postbacks {
			if !pb.ChecksumValid || pb.Problem != "" {
				continue
			}
			var p gateway.Postback
			if json.Unmarshal(pb.Body, &p) != nil || p.Checksum == "" {
				continue
			}
			r.remember(e.TransactionID+"\x00"+pb.Event+"\x00"+strings.ToLower(strings.TrimSpace(p.Checksum)), pb.ReceivedAt)
		}
	}
}

// record builds the history record of one postback. A body that is not
// JSON is kept as a JSON string (its first 4 KiB when it was too large),
// so nothing received is lost and the history file stays valid JSON.
func (r *Receiver) record(at time.Time, event, status string, valid bool, problem string, body []byte, truncated bool) session.PostbackRecord {
	return session.PostbackRecord{ReceivedAt: at, Event: event, Status: status, ChecksumValid: valid,
		Problem: problem, Body: recordBody(body, truncated)}
}

// refused is the record of a refused postback: it is kept in a bounded
// ring, only the head of its body, so a large body is cut here, before any
// pass over the whole of it, and the record says how large it was.
func (r *Receiver) refused(at time.Time, event, status, problem string, body []byte) session.PostbackRecord {
	if len(body) <= session.MaxKeptBody {
		return r.record(at, event, status, false, problem, body, false)
	}
	problem = strings.TrimSpace(fmt.Sprintf("%s (body cut to its first %d of %d bytes)", problem, session.MaxKeptBody, len(body)))
	head, _ := json.Marshal(strings.ToValidUTF8(string(body[:session.MaxKeptBody]), "\uFFFD"))
	return session.PostbackRecord{ReceivedAt: at, Event: event, Status: status, Problem: problem, Body: head}
}

func recordBody(body []byte, truncate bool) json.RawMessage {
	if truncate && len(body) > 4<<10 {
		body = body[:4<<10]
	}
	if !truncate && json.Valid(body) {
		var buf bytes.Buffer
		if json.Compact(&buf, body) == nil {
			return buf.Bytes()
		}
	}
	s, _ := json.Marshal(strings.ToValidUTF8(string(body), "\uFFFD"))
	return s
}

// store records rec and reports whether it was written; a failure is kept
// in the event's StoreError.
func (r *Receiver) store(profile, txnID string, rec session.PostbackRecord, ev *Event) bool {
	if r.cfg.Store == nil {
		return false
	}
	matched, err := r.cfg.Store.AddPostback(profile, txnID, rec)
	ev.Matched = matched
	if err != nil {
		ev.StoreError = err.Error()
		return false
	}
	return true
}
