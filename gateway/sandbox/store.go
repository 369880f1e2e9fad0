package sandbox

import (
	"sync"
	"time"

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

// store keeps transactions in memory. Unfinished transactions are marked
// EXPIRED past expireAt; every transaction is dropped from memory once its
// retention has passed, and the map is rebuilt after a large purge so its
// buckets are released too.
type store struct {
	mu   sync.Mutex
	m    map[string]*txn
	peak int
	// keepExpired is how long an expired transaction stays answerable
	// (410 instead of 404); keepFinished how long a finished one stays.
	keepExpired  time.Duration
	keepFinished time.Duration
}

func newStore(keepExpired, keepFinished time.Duration) *store {
	return &store{m: make(map[string]*txn), keepExpired: keepExpired, keepFinished: keepFinished}
}

func (s *store) put(t *txn) {
	s.mu.Lock()
	s.m[t.ID] = t
	if len(s.m) > s.peak {
		s.peak = len(s.m)
	}
	s.mu.Unlock()
}

// len is the number of transactions held.
func (s *store) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// with runs f on the transaction under the lock, after bringing its status
// up to date with now. It reports false when the id is unknown.
func (s *store) with(id string, now time.Time, f func(t *txn)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[id]
	if !ok {
		return false
	}
	t.refresh(now)
	f(t)
	return true
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

// purge drops what is past its retention and returns how many went.
func (s *store) purge(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, t := range s.m {
		t.refresh(now)
		if t.running {
			continue
		}
		var until time.Time
		switch {
		case t.Status == gateway.StatusExpired && t.CompletedAt.IsZero():
			until = t.ExpireAt.Add(s.keepExpired)
		case t.Status.Final():
			until = t.CompletedAt.Add(s.keepFinished)
		default:
			continue
		}
		if !now.Before(until) {
			delete(s.m, id)
			n++
		}
	}
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
		batches := append([]gateway.OrderBatch(nil), t.Batches...)
		changed := false
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
		if changed {
			t.Batches = batches
		}
	}
	return n
}
