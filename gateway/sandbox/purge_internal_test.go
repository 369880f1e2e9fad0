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

// TestPurgeReleasesTransactions: once expired transactions are purged,
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
