package sandbox

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"gatewalk/gateway"
)

// simClock is a settable sandbox clock.
type simClock struct{ ns atomic.Int64 }

func newSimClock(t time.Time) *simClock { c := &simClock{}; c.ns.Store(t.UnixNano()); return c }
func (c *simClock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *simClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// createDirect is the create path of handleCreateTransaction without HTTP:
// a freshly decoded request, and store.create.
func createDirect(s *Server, tmpl gateway.TransactionRequest) string {
	req := tmpl
	if oc := tmpl.OrderConfig; oc != nil {
		c := *oc
		c.Securities = append([]gateway.Security(nil), oc.Securities...)
		req.OrderConfig = &c
	}
	now := s.now()
	t := &txn{
		Req:       req,
		CreatedAt: now.UTC(),
		ExpireAt:  now.Add(s.cfg.TxnTTL).UTC().Truncate(time.Millisecond),
		Status:    gateway.StatusInitialized,
	}
	return s.store.create(t)
}

var buyTCS = gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
	Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: "BUY"}}}}

// TestFinishedCompactedAndPurgedOnSchedule: a finished transaction leaves
// the full records at once, keeps what order details and the driver view
// show but not its request body, and creates alone (no Advance, no janitor)
// purge the store once the sandbox clock has moved on.
func TestFinishedCompactedAndPurgedOnSchedule(t *testing.T) {
	clk := newSimClock(simMonday)
	s := New(Config{Clock: clk.now, TxnTTL: time.Minute})
	defer s.Close()

	done := createDirect(s, buyTCS)
	idle := createDirect(s, buyTCS)
	out, err := s.Complete(context.Background(), done, CompleteRequest{})
	if err != nil || out.Result == nil {
		t.Fatalf("complete: %+v %v", out, err)
	}
	s.store.mu.Lock()
	_, full := s.store.m[done]
	k, _ := parseKey(done)
	r, compact := s.store.c[k]
	s.store.mu.Unlock()
	if full || !compact {
		t.Fatalf("finished transaction: full record %v, compact %v; want compact only", full, compact)
	}
	if sh := r.shape.Value(); sh.secs != "" || sh.hasOC {
		t.Errorf("compact finished transaction keeps its request body: %+v", sh)
	}
	v, ok := s.Transaction(done)
	if !ok || v.Status != gateway.StatusCompleted || len(v.Batches) == 0 || v.Outcome == nil || v.Outcome.Result == nil ||
		v.Intent != gateway.IntentTransaction || v.Request.OrderConfig != nil {
		t.Fatalf("view of the compact transaction: %+v", v)
	}
	if v2, _ := s.Transaction(idle); v2.Request.OrderConfig == nil || len(v2.Request.OrderConfig.Securities) != 1 {
		t.Fatalf("unfinished transaction lost its request: %+v", v2.Request)
	}

	// Past expiry and the expired retention of idle, creates purge it on
	// their own: the clock moves without Advance.
	clk.add(2*time.Minute + time.Second)
	createDirect(s, buyTCS)
	if _, ok := s.Transaction(idle); ok {
		t.Fatal("expired transaction not purged by the create schedule")
	}
	if _, ok := s.Transaction(done); !ok {
		t.Fatal("finished transaction purged before its retention")
	}
	clk.add(24 * time.Hour)
	createDirect(s, buyTCS)
	if _, ok := s.Transaction(done); ok {
		t.Fatal("finished transaction not purged by the create schedule after 24h")
	}
	if n := s.Transactions(); n != 1 {
		t.Fatalf("store holds %d, want 1 (the last create)", n)
	}
}

// TestHotRecordsCompactedOnGrowth: with a frozen clock, the full records
// (here, transactions a login changed) are compacted each time they reach
// hotMax, and all stay answerable.
func TestHotRecordsCompactedOnGrowth(t *testing.T) {
	clk := newSimClock(simMonday)
	s := New(Config{Clock: clk.now})
	defer s.Close()
	ids := make([]string, 0, defaultHotMax+10)
	for range defaultHotMax + 10 {
		id := createDirect(s, buyTCS)
		s.store.with(id, clk.now(), func(t *txn) { t.Broker = "kite" })
		ids = append(ids, id)
	}
	s.store.mu.Lock()
	hot, cold, fresh := len(s.store.m), len(s.store.c), s.store.f.n
	s.store.mu.Unlock()
	if hot > 11 || cold < defaultHotMax-1 || fresh != 0 {
		t.Fatalf("full %d, compact %d, fresh %d: want the first %d compacted", hot, cold, fresh, defaultHotMax)
	}
	if out, err := s.Complete(context.Background(), ids[0], CompleteRequest{}); err != nil || out.Result == nil {
		t.Fatalf("complete a compacted transaction: %+v %v", out, err)
	}
}

// TestFreshRecords: a transaction created and left alone is a fresh
// record: answerable with its request whole, kept fresh by calls that
// change nothing, a full record once a journey runs it, EXPIRED (not
// gone) past its expiry. Ids are unique and look random; an id one bit
// off, or of another sandbox's key, is unknown.
func TestFreshRecords(t *testing.T) {
	clk := newSimClock(simMonday)
	s := New(Config{Clock: clk.now})
	defer s.Close()
	const n = 3 * freshChunkLen / 2
	seen := make(map[string]bool, n)
	ids := make([]string, 0, n)
	for range n {
		id := createDirect(s, buyTCS)
		if _, ok := parseKey(id); !ok || seen[id] {
			t.Fatalf("id %q: malformed or issued twice", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if a, b := ids[0], ids[1]; a[4:12] == b[4:12] {
		t.Errorf("consecutive ids share their first bytes: %s %s", a, b)
	}
	s.store.mu.Lock()
	fresh := s.store.f.n
	s.store.mu.Unlock()
	if fresh != n || s.Transactions() != n {
		t.Fatalf("fresh %d, held %d; want %d fresh", fresh, s.Transactions(), n)
	}
	v, ok := s.Transaction(ids[n-1])
	if !ok || v.Status != gateway.StatusInitialized || v.Request.OrderConfig == nil ||
		len(v.Request.OrderConfig.Securities) != 1 || v.Request.OrderConfig.Securities[0].Ticker != "TCS" {
		t.Fatalf("view of a fresh transaction: %+v %v", v, ok)
	}
	if !v.ExpireAt.Equal(v.CreatedAt.Add(DefaultTxnTTL).Truncate(time.Millisecond)) {
		t.Errorf("fresh transaction's expiry %v, created %v", v.ExpireAt, v.CreatedAt)
	}
	s.store.mu.Lock()
	fresh, full := s.store.f.n, len(s.store.m)
	s.store.mu.Unlock()
	if fresh != n || full != 0 {
		t.Errorf("a read moved the transaction out of the fresh records: fresh %d, full %d", fresh, full)
	}

	k, _ := parseKey(ids[5])
	k[15] ^= 1
	if _, ok := s.Transaction(k.id()); ok {
		t.Errorf("an id one bit off %s is known", k.id())
	}
	other := New(Config{Clock: clk.now})
	defer other.Close()
	if _, ok := other.Transaction(ids[5]); ok {
		t.Error("another sandbox knows this sandbox's id")
	}

	if out, err := s.Complete(context.Background(), ids[7], CompleteRequest{}); err != nil || out.Result == nil {
		t.Fatalf("complete a fresh transaction: %+v %v", out, err)
	}
	if v, ok := s.Transaction(ids[7]); !ok || v.Status != gateway.StatusCompleted {
		t.Fatalf("completed fresh transaction: %+v %v", v, ok)
	}
	s.store.mu.Lock()
	fresh = s.store.f.n
	s.store.mu.Unlock()
	if fresh != n-1 || s.Transactions() != n {
		t.Errorf("after one completed: fresh %d, held %d", fresh, s.Transactions())
	}

	clk.add(DefaultTxnTTL)
	if v, ok := s.Transaction(ids[9]); !ok || v.Status != gateway.StatusExpired {
		t.Fatalf("fresh transaction past its expiry: %+v %v; want EXPIRED", v, ok)
	}
}

// BenchmarkSustainedCreates creates 8,000 transactions per simulated second
// for 10 simulated minutes (4.8 M, the default 5-minute TTL) through the
// create path without HTTP, and reports the peak heap (HeapAlloc sampled
// every simulated second, garbage included), the live heap at the end
// after a GC, and ns per create.
//
//	go test ./gateway/sandbox -run '^$' -bench SustainedCreates -benchtime 1x
func BenchmarkSustainedCreates(b *testing.B) {
	const (
		rate    = 8000
		seconds = 600
	)
	for range b.N {
		clk := newSimClock(simMonday)
		s := New(Config{Clock: clk.now})
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		peak := base
		b.ResetTimer()
		start := time.Now()
		for sec := 0; sec < seconds; sec++ {
			for range rate {
				createDirect(s, buyTCS)
				clk.add(time.Second / rate)
			}
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-MB")
		b.ReportMetric(float64(elapsed.Nanoseconds())/(rate*seconds), "ns/create")
		b.ReportMetric(float64(s.Transactions()), "txns")
		s.Close()
	}
}

// simMonday is 10:00 IST on a Monday, market open.
var simMonday = time.Date(2026, 3, 2, 4, 30, 0, 0, time.UTC)

// BenchmarkHeldTransactions creates n transactions on a frozen clock and
// reports the heap each one holds and the time each create takes: both
// stay flat from 10 to 1,000,000 (fresh records of 16 bytes, in chunks of
// 4,096: below one chunk, the one the first create made holds them).
//
//	go test ./gateway/sandbox -run '^$' -bench HeldTransactions -benchtime 3x
func BenchmarkHeldTransactions(b *testing.B) {
	for _, n := range []int{10, 1_000, 10_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			// Small sizes are repeated so that each timing covers 10,000
			// creates or more; the heap is measured on the last store.
			rounds := max(1, 10_000/n)
			var perTxn float64
			var elapsed time.Duration
			for range b.N {
				for r := range rounds {
					clk := newSimClock(simMonday)
					s := New(Config{Clock: clk.now})
					createDirect(s, buyTCS) // the first chunk and the interned request
					var ms runtime.MemStats
					if r == rounds-1 {
						runtime.GC()
						runtime.ReadMemStats(&ms)
					}
					base := ms.HeapAlloc
					start := time.Now()
					for range n {
						createDirect(s, buyTCS)
					}
					elapsed += time.Since(start)
					if r == rounds-1 {
						runtime.GC()
						runtime.ReadMemStats(&ms)
						perTxn = (float64(ms.HeapAlloc) - float64(base)) / float64(n)
					}
					runtime.KeepAlive(s)
					s.Close()
				}
			}
			b.ReportMetric(perTxn, "B/txn")
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*rounds*n), "ns/create")
		})
	}
}
