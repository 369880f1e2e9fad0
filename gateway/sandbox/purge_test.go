package sandbox_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestExpiredTransactionsArePurged creates 100,000 transactions, lets them
// expire and checks that the store and the heap return to where they were.
func TestExpiredTransactionsArePurged(t *testing.T) {
	const n = 100_000
	clock := monday10IST
	s := sandbox.New(sandbox.Config{Clock: func() time.Time { return clock }, TxnTTL: time.Minute})
	defer s.Close()
	body := `{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"TCS","quantity":1,"type":"BUY"}]}}`
	create := func() int {
		req := httptest.NewRequest(http.MethodPost, "/gateway/gatewaydemo/transaction", strings.NewReader(body))
		req.Header.Set(gateway.HeaderSecret, sandbox.DefaultAPISecret)
		req.Header.Set(gateway.HeaderAuthToken, docsGuestToken)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w.Code
	}
	if create() != 200 {
		t.Fatal("create failed")
	}
	s.Advance(3 * time.Minute)
	if s.Transactions() != 0 {
		t.Fatalf("warm-up transaction not purged: %d", s.Transactions())
	}
	base := heapInUse()

	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0) * 2
	var failed sync.Once
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if code := create(); code != 200 {
					failed.Do(func() { t.Errorf("create: HTTP %d", code) })
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if got := s.Transactions(); got != n {
		t.Fatalf("store holds %d, want %d", got, n)
	}
	peak := heapInUse()

	s.Advance(59 * time.Second) // not expired yet
	if got := s.Transactions(); got != n {
		t.Fatalf("store holds %d before expiry, want %d", got, n)
	}
	s.Advance(2*time.Minute + time.Second) // expired, and past the expired retention
	if got := s.Transactions(); got != 0 {
		t.Fatalf("store holds %d after expiry and purge, want 0", got)
	}
	after := heapInUse()
	t.Logf("heap: %d KiB before, %d KiB with %d transactions, %d KiB after the purge", base>>10, peak>>10, n, after>>10)
	if peak <= base {
		t.Fatalf("heap did not grow with %d transactions (%d -> %d): the measure is broken", n, base, peak)
	}
	if grown := int64(after) - int64(base); grown > int64(peak-base)/10 {
		t.Errorf("heap kept %d KiB of the %d KiB the transactions took", grown>>10, (peak-base)>>10)
	}
}
