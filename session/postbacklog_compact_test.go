package session

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// bigRecord is a valid postback record with a body of about n bytes.
func bigRecord(event string, n int, at time.Time) PostbackRecord {
	body, _ := json.Marshal(map[string]string{"pad": strings.Repeat("x", n)})
	return PostbackRecord{Event: event, ChecksumValid: true, ReceivedAt: at, Body: body}
}

// TestPostbackLogCompacted: once the log has grown past its bound, it keeps
// only what the views show, the newest MaxPostbacksPerTransaction of each
// transaction, and the views read the same before and after.
func TestPostbackLogCompacted(t *testing.T) {
	s := openTestStore(t)
	for _, id := range []string{"TRX_1", "TRX_2"} {
		if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: id}); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	add := func(id string, i int) {
		t.Helper()
		if _, err := s.AddPostback("sandbox", id, bigRecord(fmt.Sprintf("%s-%03d", id, i), 7<<10, at.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		add("TRX_2", i)
	}
	for i := range 110 { // about 900 KiB: below the floor, nothing dropped yet
		add("TRX_1", i)
	}
	path := filepath.Join(s.Dir(), postbackLogName("sandbox"))
	if lines, _ := s.readLogLines("sandbox"); len(lines) != 130 {
		t.Fatalf("%d lines before the bound, want all 130", len(lines))
	}
	before, err := s.History("sandbox")
	if err != nil {
		t.Fatal(err)
	}
	for i := 110; i < 140; i++ { // past 1 MiB
		add("TRX_1", i)
	}
	lines, err := s.readLogLines("sandbox")
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	per := map[string]int{}
	for _, l := range lines {
		per[l.txn]++
	}
	// Compacted when it passed the bound: 50 of TRX_1, 20 of TRX_2, and
	// what came after the compaction.
	if per["TRX_2"] != 20 || per["TRX_1"] >= 140 || fi.Size() > compactLogFloor {
		t.Fatalf("after the bound: %v lines, %d bytes; want TRX_1 cut to its newest, TRX_2 whole", per, fi.Size())
	}
	after, err := s.History("sandbox")
	if err != nil {
		t.Fatal(err)
	}
	events := func(es []HistoryEntry, id string) string {
		for _, e := range es {
			if e.TransactionID == id {
				var out []string
				for _, p := range e.Postbacks {
					out = append(out, p.Event)
				}
				return strings.Join(out, " ")
			}
		}
		return ""
	}
	if got, want := events(after, "TRX_2"), events(before, "TRX_2"); got != want {
		t.Errorf("TRX_2 after the compaction:\n%s\nwant\n%s", got, want)
	}
	var want []string
	for i := 90; i < 140; i++ {
		want = append(want, fmt.Sprintf("TRX_1-%03d", i))
	}
	if got := events(after, "TRX_1"); got != strings.Join(want, " ") {
		t.Errorf("TRX_1 after the compaction:\n%s\nwant its newest 50", got)
	}
}

// TestPostbackLogCompactionLosesNothingToAnotherWriter: two stores (two
// processes) append to one profile's log at once while it is compacted
// again and again; every postback each was told is durable is in the log.
func TestPostbackLogCompactionLosesNothingToAnotherWriter(t *testing.T) {
	a := openTestStore(t)
	b := secondStore(t, a)
	const txns, each = 60, 20 // under MaxPostbacksPerTransaction: a compaction keeps them all
	for i := range txns {
		if err := a.AddHistory("sandbox", HistoryEntry{TransactionID: fmt.Sprintf("TRX_%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w, s := range []*Store{a, b, a, b} {
		wg.Go(func() {
			for i := range txns * each / 4 {
				id := fmt.Sprintf("TRX_%d", i%txns)
				if _, err := s.AddPostback("sandbox", id, bigRecord(fmt.Sprintf("w%d-%d", w, i), 2<<10, time.Time{})); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	lines, err := a.readLogLines("sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != txns*each {
		t.Fatalf("%d postbacks in the log, want %d", len(lines), txns*each)
	}
	if a.pb.files[postbackLogName("sandbox")].compacted == 0 && b.pb.files[postbackLogName("sandbox")].compacted == 0 {
		t.Fatal("the log was never compacted: the test did not exercise it")
	}
}
