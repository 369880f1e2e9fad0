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

// purgeHeap is the heap (HeapAlloc after a GC) around one purgeRound.
type purgeHeap struct {
	base  uint64 // before the transactions
	peak  uint64 // with them all in the store
	after uint64 // after they expired and were purged
}

// purgeRound creates n transactions from parallel clients on a fresh
// sandbox with a one-minute TTL, lets them expire and checks that the store
// holds them all until their expiry and none once the expired retention has
// passed. With measure, it reads the heap before, at the peak and after.
func purgeRound(tb testing.TB, n int, measure bool) purgeHeap {
	tb.Helper()
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
		tb.Fatal("create failed")
	}
	s.Advance(3 * time.Minute)
	if s.Transactions() != 0 {
		tb.Fatalf("warm-up transaction not purged: %d", s.Transactions())
	}
	var h purgeHeap
	if measure {
		h.base = heapInUse()
	}

	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0) * 2
	var failed sync.Once
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if code := create(); code != 200 {
					failed.Do(func() { tb.Errorf("create: HTTP %d", code) })
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if got := s.Transactions(); got != n {
		tb.Fatalf("store holds %d, want %d", got, n)
	}
	if measure {
		h.peak = heapInUse()
	}

	s.Advance(59 * time.Second) // not expired yet
	if got := s.Transactions(); got != n {
		tb.Fatalf("store holds %d before expiry, want %d", got, n)
	}
	s.Advance(2*time.Minute + time.Second) // expired, and past the expired retention
	if got := s.Transactions(); got != 0 {
		tb.Fatalf("store holds %d after expiry and purge, want 0", got)
	}
	if measure {
		h.after = heapInUse()
	}
	return h
}

// TestExpiredTransactionsArePurged creates 2,000 transactions, lets them
// expire and checks that the store lets go of them: past the 1,024 above
// which the store also rebuilds its map. TestPurgeReleasesTransactions
// checks that nothing else keeps them, and BenchmarkExpiredTransactionsPurge
// measures the heap with 100,000.
func TestExpiredTransactionsArePurged(t *testing.T) {
	t.Parallel()
	purgeRound(t, 2_000, false)
}

// BenchmarkExpiredTransactionsPurge creates 100,000 transactions, lets them
// expire and checks that the heap returns to where it was: it fails when
// more than a tenth of what the transactions took stays after the purge.
// It reports the heap the transactions took (peak-KiB), what stayed after
// the purge (retained-KiB) and the heap per transaction (B/txn).
//
//	go test ./gateway/sandbox -run '^$' -bench ExpiredTransactionsPurge -benchtime 1x
func BenchmarkExpiredTransactionsPurge(b *testing.B) {
	const n = 100_000
	var took, kept float64
	for i := 0; i < b.N; i++ {
		h := purgeRound(b, n, true)
		b.Logf("heap: %d KiB before, %d KiB with %d transactions, %d KiB after the purge", h.base>>10, h.peak>>10, n, h.after>>10)
		if h.peak <= h.base {
			b.Fatalf("heap did not grow with %d transactions (%d -> %d): the measure is broken", n, h.base, h.peak)
		}
		grown := int64(h.after) - int64(h.base)
		if grown > int64(h.peak-h.base)/10 {
			b.Errorf("heap kept %d KiB of the %d KiB the transactions took", grown>>10, (h.peak-h.base)>>10)
		}
		took += float64(h.peak - h.base)
		kept += float64(grown)
	}
	rounds := float64(b.N)
	b.ReportMetric(took/rounds/1024, "peak-KiB")
	b.ReportMetric(kept/rounds/1024, "retained-KiB")
	b.ReportMetric(took/rounds/n, "B/txn")
}
