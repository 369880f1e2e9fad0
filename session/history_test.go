package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
)

func TestHistoryKeepsTheNewest500(t *testing.T) {
	s := openTestStore(t)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const n = MaxHistory + 20
	for i := range n {
		// Added out of order: the bound keeps the newest by creation time.
		j := (i * 7) % n
		e := HistoryEntry{TransactionID: fmt.Sprintf("TRX_%04d", j), Intent: gateway.IntentConnect,
			CreatedAt: base.Add(time.Duration(j) * time.Minute), Status: gateway.StatusInitialized}
		if err := s.AddHistory("sandbox", e); err != nil {
			t.Fatal(err)
		}
	}
	h, err := s.History("sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != MaxHistory {
		t.Fatalf("history holds %d entries, want %d", len(h), MaxHistory)
	}
	for i, e := range h {
		if want := fmt.Sprintf("TRX_%04d", n-1-i); e.TransactionID != want {
			t.Fatalf("entry %d is %s, want %s (newest first)", i, e.TransactionID, want)
		}
	}
	if err := s.UpdateHistory("sandbox", "TRX_0000", func(*HistoryEntry) {}); !errors.Is(err, ErrTransactionNotFound) {
		t.Fatalf("an entry past the bound: %v", err)
	}
}

func TestUpdateHistory(t *testing.T) {
	s := openTestStore(t)
	if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_1", Intent: gateway.IntentTransaction, User: "alice",
		Status: gateway.StatusInitialized}); err != nil {
		t.Fatal(err)
	}
	err := s.UpdateHistory("sandbox", "TRX_1", func(e *HistoryEntry) {
		e.Status, e.ErrorCode, e.ErrorMessage, e.Summary = gateway.StatusErrored, 1010, "market_closed", "order refused"
		e.TransactionID = "changed"
	})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := s.History("sandbox")
	if len(h) != 1 || h[0].TransactionID != "TRX_1" || h[0].Status != gateway.StatusErrored || h[0].ErrorCode != 1010 ||
		h[0].Summary != "order refused" || h[0].User != "alice" || h[0].CreatedAt.IsZero() {
		t.Fatalf("updated: %+v", h)
	}
	if err := s.UpdateHistory("sandbox", "TRX_9", func(*HistoryEntry) {}); !errors.Is(err, ErrTransactionNotFound) {
		t.Fatalf("update of an unknown txn: %v", err)
	}
	if err := s.AddHistory("sandbox", HistoryEntry{}); err == nil {
		t.Fatal("an entry without id was added")
	}
	if err := s.AddHistory("nope", HistoryEntry{TransactionID: "x"}); !errors.Is(err, ErrProfileNotFound) {
		t.Fatalf("history of a missing profile: %v", err)
	}
}

func TestPostbacksMatchedAndUnmatched(t *testing.T) {
	s := openTestStore(t)
	if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_1"}); err != nil {
		t.Fatal(err)
	}
	// Each step builds on the store the steps before it left.
	checkMatchedAndUnmatchedPostbacks(t, s)
	checkLatePostbackMovesOver(t, s)
	checkReAddKeepsPostbacks(t, s)
	checkPostbackBounds(t, s)
}

// checkMatchedAndUnmatchedPostbacks: a postback for TRX_1, which is
// recorded, is stored with it; one for TRX_2, which is not, is kept apart.
func checkMatchedAndUnmatchedPostbacks(t *testing.T, s *Store) {
	ok, err := s.AddPostback("sandbox", "TRX_1", PostbackRecord{Event: "TRANSACTION", Status: "COMPLETED", ChecksumValid: true,
		Body: json.RawMessage(`{"transactionId":"TRX_1"}`)})
	if err != nil || !ok {
		t.Fatalf("matched postback: %v %v", ok, err)
	}
	ok, err = s.AddPostback("sandbox", "TRX_2", PostbackRecord{Event: "TRANSACTION", Problem: "checksum mismatch", Body: []byte("not json")})
	if err != nil || ok {
		t.Fatalf("unmatched postback: %v %v", ok, err)
	}
	h, _ := s.History("sandbox")
	if len(h[0].Postbacks) != 1 || !h[0].Postbacks[0].ChecksumValid || h[0].Postbacks[0].ReceivedAt.IsZero() ||
		string(h[0].Postbacks[0].Body) != `{"transactionId":"TRX_1"}` {
		t.Fatalf("stored postback: %+v", h[0].Postbacks)
	}
	un, err := s.UnmatchedPostbacks("sandbox")
	if err != nil || len(un) != 1 || un[0].TransactionID != "TRX_2" || string(un[0].Body) != `"not json"` {
		t.Fatalf("unmatched: %+v %v", un, err)
	}
}

// checkLatePostbackMovesOver: the transaction is recorded after its
// postback arrived: it moves over.
func checkLatePostbackMovesOver(t *testing.T, s *Store) {
	if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_2"}); err != nil {
		t.Fatal(err)
	}
	if un, _ := s.UnmatchedPostbacks("sandbox"); len(un) != 0 {
		t.Fatalf("unmatched after the txn was recorded: %+v", un)
	}
	h, _ := s.History("sandbox")
	if h[0].TransactionID != "TRX_2" || len(h[0].Postbacks) != 1 || h[0].Postbacks[0].Problem != "checksum mismatch" {
		t.Fatalf("moved postback: %+v", h[0])
	}
}

// checkReAddKeepsPostbacks: recording the transaction again keeps its
// postbacks.
func checkReAddKeepsPostbacks(t *testing.T, s *Store) {
	if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_1", Status: gateway.StatusCompleted}); err != nil {
		t.Fatal(err)
	}
	h, _ := s.History("sandbox")
	for _, e := range h {
		if e.TransactionID == "TRX_1" && (len(e.Postbacks) != 1 || e.Status != gateway.StatusCompleted) {
			t.Fatalf("re-added entry: %+v", e)
		}
	}
}

// checkPostbackBounds: the unmatched postbacks and those of one
// transaction are bounded, and the history holds no secret.
func checkPostbackBounds(t *testing.T, s *Store) {
	for i := range MaxUnmatchedPostbacks + 5 {
		if _, err := s.AddPostback("sandbox", fmt.Sprintf("TRX_u%d", i), PostbackRecord{}); err != nil {
			t.Fatal(err)
		}
	}
	un, _ := s.UnmatchedPostbacks("sandbox")
	if len(un) != MaxUnmatchedPostbacks || un[0].TransactionID != fmt.Sprintf("TRX_u%d", MaxUnmatchedPostbacks+4) {
		t.Fatalf("unmatched bound: %d, newest %s", len(un), un[0].TransactionID)
	}
	for range MaxPostbacksPerTransaction + 3 {
		if _, err := s.AddPostback("sandbox", "TRX_1", PostbackRecord{Event: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := s.History("sandbox")
	for _, e := range h {
		if e.TransactionID == "TRX_1" && len(e.Postbacks) != MaxPostbacksPerTransaction {
			t.Fatalf("per-transaction bound: %d", len(e.Postbacks))
		}
	}
	if strings.Contains(fmt.Sprint(h), "gatewayDemo_secret") {
		t.Fatal("history holds a secret")
	}
}

func BenchmarkAddHistoryFull(b *testing.B) {
	s, _, err := OpenStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range MaxHistory {
		if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: fmt.Sprintf("TRX_%d", i), Intent: gateway.IntentConnect,
			CreatedAt: base.Add(time.Duration(i) * time.Second), Summary: "connected kite as alice"}); err != nil {
			b.Fatal(err)
		}
	}
	i := MaxHistory
	for b.Loop() {
		i++
		if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: fmt.Sprintf("TRX_%d", i), Intent: gateway.IntentConnect,
			CreatedAt: base.Add(time.Duration(i) * time.Second)}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestHistoryOfAStrangeProfileName(t *testing.T) {
	s := openTestStore(t)
	for _, name := range []string{"../../x", "", "A"} {
		if _, err := s.History(name); !errors.Is(err, ErrProfileNotFound) {
			t.Errorf("History(%q): %v", name, err)
		}
		if err := s.UpdateHistory(name, "TRX", func(*HistoryEntry) {}); !errors.Is(err, ErrProfileNotFound) {
			t.Errorf("UpdateHistory(%q): %v", name, err)
		}
	}
}

// BenchmarkHistoryLarge reads a history file of 10,000 entries (a third
// with a postback), as History does the first time (the store does not
// keep what it read); "unknownKeys" has a key this gatewalk does not know
// in every 100th entry and postback; "log" has 5,000 postbacks in the
// profile's log.
func BenchmarkHistoryLarge(b *testing.B) {
	for _, name := range []string{"plain", "unknownKeys", "log"} {
		unknown := name == "unknownKeys"
		b.Run(name, func(b *testing.B) {
			s, _, err := OpenStore(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var buf strings.Builder
			buf.WriteString(`{"version":1,"profile":"sandbox","entries":[`)
			for i := range 10000 {
				if i > 0 {
					buf.WriteByte(',')
				}
				extra := ""
				if unknown && i%100 == 0 {
					extra = `,"futureEntry":{"n":` + fmt.Sprint(i) + `}`
				}
				fmt.Fprintf(&buf, `{"transactionId":"TRX_%d","intent":"CONNECT","user":"alice","createdAt":%q,"status":"COMPLETED","summary":"connected kite as alice"%s`,
					i, base.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), extra)
				if i%3 == 0 {
					fmt.Fprintf(&buf, `,"postbacks":[{"transactionId":"TRX_%d","receivedAt":%q,"event":"CONNECT","checksumValid":true,"body":{"a":1}%s}]`,
						i, base.Add(time.Duration(i)*time.Second+time.Millisecond).Format(time.RFC3339Nano), extra)
				}
				buf.WriteByte('}')
			}
			buf.WriteString(`]}`)
			size := buf.Len()
			if err := os.WriteFile(filepath.Join(s.Dir(), historyFileName("sandbox")), []byte(buf.String()), 0o600); err != nil {
				b.Fatal(err)
			}
			if name == "log" {
				var log strings.Builder
				for i := range 5000 {
					fmt.Fprintf(&log, `{"transactionId":"TRX_%d","receivedAt":%q,"event":"ORDER_UPDATED","status":"COMPLETED","checksumValid":true,"body":{"data":{"transactionId":"TRX_%d","status":"COMPLETED"},"checksum":"ab"}}`+"\n",
						i*2, base.Add(time.Duration(i)*time.Second+time.Minute).Format(time.RFC3339Nano), i*2)
				}
				size += log.Len()
				if err := os.WriteFile(filepath.Join(s.Dir(), postbackLogName("sandbox")), []byte(log.String()), 0o600); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				s.files.forget(historyFileName("sandbox"))
				es, err := s.History("sandbox")
				if err != nil || len(es) != 10000 {
					b.Fatal(len(es), err)
				}
			}
		})
	}
}
