package sandbox

import (
	"encoding/json"
	"sync"
	"time"
	"unique"

	"gatewalk/gateway"
)

// txn is a transaction in the store. Fields after creation are guarded by
// the store's lock.
type txn struct {
	ID        string
	Req       gateway.TransactionRequest
	CreatedAt time.Time
	ExpireAt  time.Time
	// AuthID is the smallcaseAuthId of the token the transaction was created
	// with; empty for a guest token.
	AuthID string

	Status  gateway.Status
	Err     *gateway.TxnError // nil until the transaction has an error block
	running bool              // a journey step is completing it right now

	Broker      string // leprechaun broker id, once logged in
	Account     string
	UserAuthID  string // the smallcaseAuthId of the account that logged in
	Batches     []gateway.OrderBatch
	Outcome     *gateway.SDKOutcome
	CompletedAt time.Time
}

// Purge schedule defaults: see store.every and store.hotMax.
const (
	defaultHotMax = 16 << 10
	maxPurgeEvery = 30 * time.Second
	minPurgeEvery = time.Second
)

// purgeEvery is the sandbox-clock interval between full purges for a TTL.
func purgeEvery(ttl time.Duration) time.Duration {
	return min(max(ttl/2, minPurgeEvery), maxPurgeEvery)
}

// store keeps transactions in memory, in three forms:
//
//   - f holds, in 16 bytes each, the transactions created and unchanged
//     since (see fresh): what sustained creates leave behind;
//   - m holds full *txn records: the ones created or used since the last
//     compaction, and the ones a journey step is running right now;
//   - c holds every other transaction as a compact rec (about 48 bytes plus
//     what it must keep: batches and outcome of a finished one). The
//     strings of a transaction (status, owner ids, broker, request) are
//     interned in one unique.Handle, shared by all transactions alike.
//
// A finished transaction is compacted as soon as it is final, dropping its
// request body (only the intent and, for cancelAMO, the iscid stay); an
// idle unfinished one on the next compaction. Any call on a compact one
// expands it to a *txn for the duration of the call.
//
// Unfinished transactions are marked EXPIRED past expireAt; every
// transaction is dropped from memory once its retention has passed, and the
// maps are rebuilt after a large purge so their buckets are released too.
// Purges run on a bounded schedule: put compacts m whenever it holds hotMax
// records, and purges everything whenever the sandbox clock has moved
// every past the last purge, besides the janitor and Advance.
type store struct {
	mu    sync.Mutex
	f     *fresh
	m     map[string]*txn
	peak  int
	c     map[txnKey]rec
	cpeak int
	// keepExpired is how long an expired transaction stays answerable
	// (410 instead of 404); keepFinished how long a finished one stays.
	// keepExpired is also the TTL, from which ExpireAt is rederived.
	keepExpired  time.Duration
	keepFinished time.Duration

	every     time.Duration // full purge when the clock passes next (0: never from put)
	next      time.Time
	hotMax    int // compact m when it holds this many (0: never from put)
	lastPurge time.Time
}

// newStore builds a store whose ids are the encryptions of their sequence
// numbers under key.
func newStore(keepExpired, keepFinished time.Duration, key [16]byte) *store {
	return &store{f: newFresh(key), m: make(map[string]*txn), c: make(map[txnKey]rec),
		keepExpired: keepExpired, keepFinished: keepFinished,
		every: purgeEvery(keepExpired), hotMax: defaultHotMax}
}

// txnKey is the 16 bytes of a transaction id TRX_<32 lowercase hex>.
type txnKey [16]byte

func parseKey(id string) (k txnKey, ok bool) {
	if len(id) != 4+32 || id[:4] != "TRX_" {
		return k, false
	}
	for i := range k {
		hi, ok1 := unhex(id[4+2*i])
		lo, ok2 := unhex(id[5+2*i])
		if !ok1 || !ok2 {
			return k, false
		}
		k[i] = hi<<4 | lo
	}
	return k, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func (k txnKey) id() string {
	const digits = "0123456789abcdef"
	b := make([]byte, 4+32)
	copy(b, "TRX_")
	for i, x := range k {
		b[4+2*i], b[5+2*i] = digits[x>>4], digits[x&15]
	}
	return string(b)
}

// rec is a compact transaction.
type rec struct {
	created int64 // CreatedAt, Unix ns
	// done is 0 while unfinished, doneNoTime when final without a
	// completion time (expired unrun), else CompletedAt in Unix ns.
	done  int64
	shape unique.Handle[shape]
	x     *recExtra // nil when there is nothing more
}

const doneNoTime = 1

// recExtra is what a compact transaction keeps besides its shape.
type recExtra struct {
	expireAt time.Time // zero: CreatedAt + TTL, truncated to the millisecond
	batches  []gateway.OrderBatch
	outcome  *gateway.SDKOutcome
}

// shape is the comparable, interned part of a compact transaction.
type shape struct {
	status     gateway.Status
	hasErr     bool
	err        gateway.TxnError
	authID     string
	userAuthID string
	broker     string
	account    string

	intent  gateway.Intent
	version string
	notes   string
	hasOC   bool
	ocType  gateway.OrderType
	secs    string // Securities as JSON; "" for none
	scid    string
	iscid   string
	amount  float64
	hasAC   bool
	ac      gateway.AssetConfig
}

func (s *store) derivedExpire(created time.Time) time.Time {
	return created.Add(s.keepExpired).UTC().Truncate(time.Millisecond)
}

// compact turns an idle transaction into a rec. A final one keeps of its
// request only the intent and the iscid.
func (s *store) compact(t *txn) rec {
	r := rec{created: t.CreatedAt.UnixNano(), shape: unique.Make(shapeOf(t))}
	switch {
	case !t.Status.Final():
	case t.CompletedAt.IsZero():
		r.done = doneNoTime
	default:
		r.done = t.CompletedAt.UnixNano()
		if r.done <= doneNoTime {
			r.done = doneNoTime + 1
		}
	}
	var x recExtra
	if !t.ExpireAt.Equal(s.derivedExpire(t.CreatedAt)) {
		x.expireAt = t.ExpireAt
	}
	if len(t.Batches) > 0 {
		x.batches = t.Batches
	}
	x.outcome = t.Outcome
	if !x.expireAt.IsZero() || x.batches != nil || x.outcome != nil {
		r.x = &x
	}
	return r
}

// shapeOf is the interned part of t's compact form.
func shapeOf(t *txn) shape {
	final := t.Status.Final()
	sh := shape{status: t.Status, authID: t.AuthID, userAuthID: t.UserAuthID, broker: t.Broker, account: t.Account,
		intent: t.Req.Intent}
	if t.Err != nil {
		sh.hasErr, sh.err = true, *t.Err
	}
	if oc := t.Req.OrderConfig; oc != nil {
		if !final {
			sh.hasOC, sh.ocType, sh.scid, sh.iscid, sh.amount = true, oc.Type, oc.Scid, oc.Iscid, oc.Amount
			if oc.Securities != nil {
				b, _ := json.Marshal(oc.Securities)
				sh.secs = string(b)
			}
		} else if oc.Iscid != "" {
			sh.hasOC, sh.iscid = true, oc.Iscid
		}
	}
	if !final {
		sh.version, sh.notes = t.Req.Version, t.Req.Notes
		if ac := t.Req.AssetConfig; ac != nil {
			sh.hasAC, sh.ac = true, *ac
		}
	}
	return sh
}

// isFresh reports whether t, idle, is what a fresh record can hold: as
// created, or only past its expiry (which expanding derives again).
func (s *store) isFresh(t *txn) bool {
	return !t.running && t.Err == nil && t.Status == gateway.StatusInitialized &&
		t.Broker == "" && t.Account == "" && t.UserAuthID == "" && len(t.Batches) == 0 && t.Outcome == nil &&
		t.CompletedAt.IsZero() && t.ExpireAt.Equal(s.derivedExpire(t.CreatedAt))
}

// expandFresh rebuilds the *txn of a fresh record.
func (s *store) expandFresh(k txnKey, r freshRec) *txn {
	return s.expand(k, rec{created: r.created, shape: r.shape})
}

// freshGone reports whether a fresh record created at created is past its
// retention at now: expired, and then kept as long again.
func (s *store) freshGone(now time.Time) func(created int64) bool {
	return func(created int64) bool {
		return !now.Before(s.derivedExpire(time.Unix(0, created)).Add(s.keepExpired))
	}
}

// settle puts t, which a call has just used, back in the form it fits:
// a fresh record when it still is one (seq is its slot, ok when it has
// one), a compact rec when it is final and idle, else a full record until
// the next compaction.
func (s *store) settle(k txnKey, seq uint64, hasSlot bool, t *txn) {
	switch {
	case hasSlot && s.isFresh(t):
		s.f.set(seq, freshRec{created: t.CreatedAt.UnixNano(), shape: unique.Make(shapeOf(t))})
		return
	case hasSlot:
		s.f.clear(seq)
	}
	if !t.running && t.Status.Final() {
		s.c[k] = s.compact(t)
		s.grewC()
		return
	}
	s.m[t.ID] = t
	if len(s.m) > s.peak {
		s.peak = len(s.m)
	}
}

// expand rebuilds the *txn of a rec.
func (s *store) expand(k txnKey, r rec) *txn {
	sh := r.shape.Value()
	t := &txn{ID: k.id(), CreatedAt: time.Unix(0, r.created).UTC(), AuthID: sh.authID, Status: sh.status,
		Broker: sh.broker, Account: sh.account, UserAuthID: sh.userAuthID}
	t.ExpireAt = s.expireOf(r)
	if sh.hasErr {
		e := sh.err
		t.Err = &e
	}
	if r.done > doneNoTime {
		t.CompletedAt = time.Unix(0, r.done)
	}
	if r.x != nil {
		t.Batches, t.Outcome = r.x.batches, r.x.outcome
	}
	t.Req = gateway.TransactionRequest{Intent: sh.intent, Version: sh.version, Notes: sh.notes}
	if sh.hasOC {
		oc := &gateway.OrderConfig{Type: sh.ocType, Scid: sh.scid, Iscid: sh.iscid, Amount: sh.amount}
		if sh.secs != "" {
			_ = json.Unmarshal([]byte(sh.secs), &oc.Securities)
		}
		t.Req.OrderConfig = oc
	}
	if sh.hasAC {
		ac := sh.ac
		t.Req.AssetConfig = &ac
	}
	return t
}

func (s *store) expireOf(r rec) time.Time {
	if r.x != nil && !r.x.expireAt.IsZero() {
		return r.x.expireAt
	}
	return s.derivedExpire(time.Unix(0, r.created))
}

// until is when a final idle transaction goes; ok is false while it stays
// regardless of time.
func (s *store) until(t *txn) (time.Time, bool) {
	switch {
	case t.Status == gateway.StatusExpired && t.CompletedAt.IsZero():
		return t.ExpireAt.Add(s.keepExpired), true
	case t.Status.Final():
		return t.CompletedAt.Add(s.keepFinished), true
	}
	return time.Time{}, false
}

func (s *store) recUntil(r rec) (time.Time, bool) {
	switch r.done {
	case 0:
		return time.Time{}, false
	case doneNoTime:
		return s.expireOf(r).Add(s.keepExpired), true
	}
	return time.Unix(0, r.done).Add(s.keepFinished), true
}

// create gives t, a new transaction, its id and keeps it.
func (s *store) create(t *txn) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := t.CreatedAt
	switch {
	case s.every > 0 && !now.Before(s.next):
		s.purgeLocked(now)
	case s.hotMax > 0 && len(s.m) >= s.hotMax:
		s.compactHot(now)
	}
	for {
		seq, k := s.f.issue()
		t.ID = k.id()
		if _, dup := s.m[t.ID]; dup {
			continue // one adopted from a state document: never reuse an id
		}
		if _, dup := s.c[k]; dup {
			continue
		}
		s.settle(k, seq, true, t)
		return t.ID
	}
}

// len is the number of transactions held.
func (s *store) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m) + len(s.c) + s.f.n
}

// with runs f on the transaction under the lock, after bringing its status
// up to date with now. It reports false when the id is unknown.
func (s *store) with(id string, now time.Time, f func(t *txn)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[id]
	if ok {
		t.refresh(now)
		f(t)
		if !t.running && t.Status.Final() {
			if k, ok := parseKey(id); ok {
				delete(s.m, id)
				s.c[k] = s.compact(t)
				s.grewC()
			}
		}
		return true
	}
	k, ok := parseKey(id)
	if !ok {
		return false
	}
	if r, ok := s.c[k]; ok {
		t = s.expand(k, r)
		t.refresh(now)
		f(t)
		if t.running || !t.Status.Final() {
			// In use again: back to a full record until the next compaction.
			delete(s.c, k)
			s.settle(k, 0, false, t)
			return true
		}
		s.c[k] = s.compact(t)
		return true
	}
	seq, r, ok := s.f.get(k)
	if !ok {
		return false
	}
	t = s.expandFresh(k, r)
	t.refresh(now)
	f(t)
	s.settle(k, seq, true, t)
	return true
}

// each runs f, under the lock, on every transaction that has batches,
// until f returns false. f sees a copy of a compact transaction and must
// not change the transaction or call the store.
func (s *store) each(f func(t *txn) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.m {
		if len(t.Batches) > 0 && !f(t) {
			return
		}
	}
	for k, r := range s.c {
		if r.x == nil || len(r.x.batches) == 0 {
			continue
		}
		if !f(s.expand(k, r)) {
			return
		}
	}
}

func (s *store) grewC() {
	if len(s.c) > s.cpeak {
		s.cpeak = len(s.c)
	}
}

// refresh moves an unfinished, idle transaction past its expiry to EXPIRED.
func (t *txn) refresh(now time.Time) {
	if !t.Status.Final() && !t.running && !now.Before(t.ExpireAt) {
		// 3001: expired before the journey started; 1005: during it.
		code := 3001
		if t.Status != gateway.StatusInitialized {
			code = 1005
		}
		t.Status = gateway.StatusExpired
		t.Err = &gateway.TxnError{Value: true, Code: code, Message: "transaction_expired"}
	}
}

// purge drops what is past its retention and compacts what is idle; it
// returns how many transactions went.
func (s *store) purge(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.purgeLocked(now)
}

func (s *store) purgeLocked(now time.Time) int {
	n := s.compactHot(now)
	n += s.f.purge(s.freshGone(now))
	for k, r := range s.c {
		if r.done == 0 && !now.Before(s.expireOf(r)) {
			t := s.expand(k, r)
			t.refresh(now)
			r = s.compact(t)
			s.c[k] = r
		}
		if until, ok := s.recUntil(r); ok && !now.Before(until) {
			delete(s.c, k)
			n++
		}
	}
	if s.cpeak > 1024 && len(s.c) < s.cpeak/4 {
		c := make(map[txnKey]rec, len(s.c))
		for k, v := range s.c {
			c[k] = v
		}
		s.c = c
		s.cpeak = len(c)
	}
	s.lastPurge = now
	if s.every > 0 {
		s.next = now.Add(s.every)
	}
	return n
}

// compactHot drops the full records past their retention and compacts the
// other idle ones. It returns how many went.
func (s *store) compactHot(now time.Time) int {
	n := 0
	for id, t := range s.m {
		t.refresh(now)
		if t.running {
			continue
		}
		if until, ok := s.until(t); ok && !now.Before(until) {
			delete(s.m, id)
			n++
			continue
		}
		if k, ok := parseKey(id); ok {
			delete(s.m, id)
			if seq, ok := s.f.seq(k); ok && s.isFresh(t) {
				s.f.set(seq, freshRec{created: t.CreatedAt.UnixNano(), shape: unique.Make(shapeOf(t))})
				continue
			}
			s.c[k] = s.compact(t)
		}
	}
	s.grewC()
	// Go maps never shrink: rebuild once most of the peak is gone, so the
	// memory of a burst of transactions is returned.
	if s.peak > 1024 && len(s.m) < s.peak/4 {
		m := make(map[string]*txn, len(s.m))
		for k, v := range s.m {
			m[k] = v
		}
		s.m = m
		s.peak = len(m)
	}
	return n
}

// cancelBatches cancels the after-market orders still PLACED of batches:
// each order becomes CANCELLED AMO and its batch CANCELLED. It returns the
// new batches (nil when nothing changed) and how many orders it cancelled.
func cancelBatches(old []gateway.OrderBatch, by string) ([]gateway.OrderBatch, int) {
	batches := append([]gateway.OrderBatch(nil), old...)
	changed, n := false, 0
	for i, b := range batches {
		if b.Variety != "amo" || b.Status != "PLACED" {
			continue
		}
		b.Orders = append([]gateway.Order(nil), b.Orders...)
		for j, o := range b.Orders {
			if o.Status == "PLACED" {
				o.Status = "CANCELLED AMO"
				o.StatusMessage = "after-market order cancelled by " + by
				b.Orders[j] = o
				n++
			}
		}
		b.Status = "CANCELLED"
		batches[i] = b
		changed = true
	}
	if !changed {
		return nil, 0
	}
	return batches, n
}

// cancelAMO cancels the after-market orders still PLACED of the account
// authID's transactions on the smallcase investment iscid: each order
// becomes CANCELLED AMO and its batch CANCELLED. It returns how many orders
// it cancelled. Batches are replaced, not changed in place, so views and
// outcomes handed out earlier stay as they were.
func (s *store) cancelAMO(authID, iscid, by string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.m {
		if t.UserAuthID != authID || t.Req.OrderConfig == nil || t.Req.OrderConfig.Iscid != iscid || len(t.Batches) == 0 {
			continue
		}
		if batches, k := cancelBatches(t.Batches, by); batches != nil {
			t.Batches = batches
			n += k
		}
	}
	for key, r := range s.c {
		if r.x == nil || len(r.x.batches) == 0 {
			continue
		}
		if sh := r.shape.Value(); sh.userAuthID != authID || !sh.hasOC || sh.iscid != iscid {
			continue
		}
		if batches, k := cancelBatches(r.x.batches, by); batches != nil {
			x := *r.x
			x.batches = batches
			r.x = &x
			s.c[key] = r
			n += k
		}
	}
	return n
}
