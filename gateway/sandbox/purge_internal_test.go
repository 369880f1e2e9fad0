package sandbox

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"gatewalk/gateway"
)

// TestPurgeReleasesTransactions: once expired full records are purged,
// nothing keeps them in memory, and the store has rebuilt its map. It is
// the exact, fast form of what BenchmarkExpiredTransactionsPurge measures
// on the heap.
func TestPurgeReleasesTransactions(t *testing.T) {
	t.Parallel()
	const n = 2_000 // past the 1,024 above which purge rebuilds the map
	clock := time.Date(2026, 3, 2, 4, 30, 0, 0, time.UTC)
	s := New(Config{Clock: func() time.Time { return clock }, TxnTTL: time.Minute})
	defer s.Close()
	guest, err := gateway.MintGuestToken(DefaultSecret, clock.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"TCS","quantity":1,"type":"BUY"}]}}`
	for i := 0; i < n; i++ {
		req := httptest.NewRequest(http.MethodPost, "/gateway/gatewaydemo/transaction", strings.NewReader(body))
		req.Header.Set(gateway.HeaderSecret, DefaultAPISecret)
		req.Header.Set(gateway.HeaderAuthToken, guest)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("create: HTTP %d %s", w.Code, w.Body)
		}
	}
	// A login made each one a full record (a fresh record holds only what
	// creating it set).
	for _, id := range heldIDs(s) {
		s.store.with(id, clock, func(t *txn) { t.Broker = "kite" })
	}
	refs := weakTransactions(s)
	if len(refs) != n {
		t.Fatalf("store holds %d, want %d", len(refs), n)
	}

	s.Advance(3 * time.Minute) // expired, and past the expired retention
	if got := s.Transactions(); got != 0 {
		t.Fatalf("store holds %d after expiry and purge, want 0", got)
	}
	s.store.mu.Lock()
	peak := s.store.peak
	s.store.mu.Unlock()
	if peak != 0 {
		t.Errorf("the store's map was not rebuilt after the purge: peak %d", peak)
	}
	runtime.GC()
	kept := 0
	for _, r := range refs {
		if r.Value() != nil {
			kept++
		}
	}
	if kept > 0 {
		t.Errorf("%d of %d purged transactions are still reachable", kept, n)
	}
}

// weakTransactions returns weak pointers to every transaction in s's store.
func weakTransactions(s *Server) []weak.Pointer[txn] {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	refs := make([]weak.Pointer[txn], 0, len(s.store.m))
	for _, x := range s.store.m {
		refs = append(refs, weak.Make(x))
	}
	return refs
}

// heldIDs is the id of every transaction s's store holds.
func heldIDs(s *Server) []string {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	var ids []string
	for id := range s.store.m {
		ids = append(ids, id)
	}
	for k := range s.store.c {
		ids = append(ids, k.id())
	}
	s.store.f.each(func(k txnKey, _ freshRec) { ids = append(ids, k.id()) })
	return ids
}

// TestPurgeReleasesFreshChunks: transactions created and left alone are
// held as fresh records, and once they are past their retention the
// chunks that held them are released (all but the one new ids go to).
func TestPurgeReleasesFreshChunks(t *testing.T) {
	t.Parallel()
	const n = 2*freshChunkLen + 100
	clk := newSimClock(simMonday)
	s := New(Config{Clock: clk.now, TxnTTL: time.Minute})
	defer s.Close()
	for range n {
		createDirect(s, buyTCS)
	}
	s.store.mu.Lock()
	fresh, full, compact := s.store.f.n, len(s.store.m), len(s.store.c)
	refs := make([]weak.Pointer[freshChunk], 0, len(s.store.f.chunks))
	for _, c := range s.store.f.chunks {
		refs = append(refs, weak.Make(c))
	}
	s.store.mu.Unlock()
	if fresh != n || full != 0 || compact != 0 || len(refs) != 3 {
		t.Fatalf("after %d creates: %d fresh, %d full, %d compact in %d chunks; want all fresh in 3", n, fresh, full, compact, len(refs))
	}

	s.Advance(time.Minute + 59*time.Second) // expired, not yet past the expired retention
	if got := s.Transactions(); got != n {
		t.Fatalf("store holds %d before the expired retention ended, want %d", got, n)
	}
	s.Advance(time.Second)
	if got := s.Transactions(); got != 0 {
		t.Fatalf("store holds %d after expiry and purge, want 0", got)
	}
	runtime.GC()
	for i, r := range refs[:2] {
		if r.Value() != nil {
			t.Errorf("chunk %d of the purged transactions is still reachable", i)
		}
	}
	if id := createDirect(s, buyTCS); s.Transactions() != 1 {
		t.Fatalf("a create after the purge: %s, store holds %d", id, s.Transactions())
	}
}
