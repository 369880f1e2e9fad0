package sandbox

import (
	"context"
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
// a freshly decoded request, a new id, and store.put.
func createDirect(s *Server, tmpl gateway.TransactionRequest) string {
	req := tmpl
	if oc := tmpl.OrderConfig; oc != nil {
		c := *oc
		c.Securities = append([]gateway.Security(nil), oc.Securities...)
		req.OrderConfig = &c
	}
	now := s.now()
	t := &txn{
		ID:        "TRX_" + s.newHex(16),
		Req:       req,
		CreatedAt: now.UTC(),
		ExpireAt:  now.Add(s.cfg.TxnTTL).UTC().Truncate(time.Millisecond),
		Status:    gateway.StatusInitialized,
	}
	s.store.put(t)
	return t.ID
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

// TestHotRecordsCompactedOnGrowth: with a frozen clock, the full records are
// compacted each time they reach hotMax, and all stay answerable.
func TestHotRecordsCompactedOnGrowth(t *testing.T) {
	clk := newSimClock(simMonday)
	s := New(Config{Clock: clk.now})
	defer s.Close()
	ids := make([]string, 0, defaultHotMax+10)
	for range defaultHotMax + 10 {
		ids = append(ids, createDirect(s, buyTCS))
	}
	s.store.mu.Lock()
	hot, cold := len(s.store.m), len(s.store.c)
	s.store.mu.Unlock()
	if hot > 11 || cold < defaultHotMax-1 {
		t.Fatalf("full %d, compact %d: want the first %d compacted", hot, cold, defaultHotMax)
	}
	if out, err := s.Complete(context.Background(), ids[0], CompleteRequest{}); err != nil || out.Result == nil {
		t.Fatalf("complete a compacted transaction: %+v %v", out, err)
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
