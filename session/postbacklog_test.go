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

// A log that ends in a partial line (a writer died mid-write) loses only
// that line: the next postback starts on a line of its own.
func TestPostbackLogAfterATornLine(t *testing.T) {
	s := openTestStore(t)
	if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPostback("sandbox", "TRX_1", PostbackRecord{Event: "a", ChecksumValid: true}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir(), postbackLogName("sandbox"))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"transactionId":"TRX_1","ev`)
	f.Close()
	s2, _, err := OpenStoreWith(s.Dir(), StoreOptions{Now: s.now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.AddPostback("sandbox", "TRX_1", PostbackRecord{Event: "b", ChecksumValid: true}); err != nil {
		t.Fatal(err)
	}
	h, err := s2.History("sandbox")
	if err != nil || len(h) != 1 || len(h[0].Postbacks) != 2 || h[0].Postbacks[0].Event != "a" || h[0].Postbacks[1].Event != "b" {
		t.Fatalf("history %+v %v", h, err)
	}
}

// Concurrent postbacks are each recorded once, and the ring keeps the newest
// RingSlots of the others, each within its slot.
func TestPostbackLogConcurrentAndRingBound(t *testing.T) {
	s := openTestStore(t)
	if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_1"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				if _, err := s.AddPostback("sandbox", "TRX_1", PostbackRecord{Event: "ok", ChecksumValid: true}); err != nil {
					t.Error(err)
				}
				// HTML characters and control bytes escape to six bytes each.
				body, _ := json.Marshal(strings.Repeat("<\x01", 20000))
				if _, err := s.AddPostback("sandbox", "TRX_x", PostbackRecord{Event: strings.Repeat("e", 9999), Problem: "bad", Body: body}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	h, _ := s.History("sandbox")
	un, _ := s.UnmatchedPostbacks("sandbox")
	if len(h[0].Postbacks) != MaxPostbacksPerTransaction || len(un) != 80 {
		t.Fatalf("%d with TRX_1, %d unmatched", len(h[0].Postbacks), len(un))
	}
	for _, rec := range un {
		if !strings.Contains(rec.Problem, "body cut to its first") || len(rec.Event) > 64 {
			t.Fatalf("ring record %q %q", rec.Problem, rec.Event)
		}
	}
	log, _ := os.ReadFile(filepath.Join(s.Dir(), postbackLogName("sandbox")))
	if n := strings.Count(string(log), "\n"); n != 80 {
		t.Fatalf("%d log lines, want 80", n)
	}
	if fi, err := os.Stat(filepath.Join(s.Dir(), postbackRingName("sandbox"))); err != nil || fi.Size() > PostbackRingBytes {
		t.Fatalf("ring %v %v", fi, err)
	}
}

// Removing a profile removes its postbacks with its history.
func TestRemoveProfileRemovesItsPostbacks(t *testing.T) {
	s := openTestStore(t)
	p := stagingProfile()
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHistory(p.Name, HistoryEntry{TransactionID: "TRX_1"}); err != nil {
		t.Fatal(err)
	}
	for _, valid := range []bool{true, false} {
		if _, err := s.AddPostback(p.Name, "TRX_1", PostbackRecord{Event: "x", ChecksumValid: valid}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RemoveProfileChecked(p.Name, true); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{postbackLogName(p.Name), postbackRingName(p.Name)} {
		if _, err := os.Stat(filepath.Join(s.Dir(), name)); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", name, err)
		}
	}
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHistory(p.Name, HistoryEntry{TransactionID: "TRX_1"}); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.History(p.Name); len(h) != 1 || len(h[0].Postbacks) != 0 {
		t.Fatalf("a new profile of the same name sees old postbacks: %+v", h)
	}
}

// TestRingSharedByTwoStores: two processes take turns writing one profile's
// ring; each learns where the other stopped, so no slot is written twice
// and the unmatched list holds every postback in order.
func TestRingSharedByTwoStores(t *testing.T) {
	a := openTestStore(t)
	b := secondStore(t, a)
	var want []string
	for round, s := range []*Store{a, b, a, b, a} {
		for i := range 3 {
			ev := string(rune('a'+round)) + string(rune('0'+i))
			if _, err := s.AddPostback("sandbox", "TRX_nobody", PostbackRecord{Event: ev}); err != nil {
				t.Fatal(err)
			}
			want = append(want, ev)
		}
	}
	got := unmatchedEvents(t, a)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("unmatched %v, want %v", got, want)
	}
}

// TestRingSyncsWhatWasAnswered2xx: a postback whose checksum holds and that
// goes to the ring (an unknown transaction, a pending action) is fsynced
// before AddPostback returns; a refused one is written, readable at once,
// and not waited on.
func TestRingSyncsWhatWasAnswered2xx(t *testing.T) {
	s := openTestStore(t)
	ring := func() *groupFile { return s.pb.files[postbackRingName("sandbox")] }
	if _, err := s.AddPostback("sandbox", "TRX_nobody", PostbackRecord{Event: "forged"}); err != nil {
		t.Fatal(err)
	}
	if n := ring().syncs; n != 0 {
		t.Fatalf("a refused postback was fsynced (%d)", n)
	}
	if un, err := s.UnmatchedPostbacks("sandbox"); err != nil || len(un) != 1 || un[0].Event != "forged" {
		t.Fatalf("the refused postback is not readable: %+v %v", un, err)
	}
	if _, err := s.AddPostback("sandbox", "TRX_nobody", PostbackRecord{Event: "valid", ChecksumValid: true}); err != nil {
		t.Fatal(err)
	}
	if n := ring().syncs; n != 1 {
		t.Fatalf("a valid unmatched postback was fsynced %d times, want 1", n)
	}
}

// TestRingWithoutTimestamps: the ring's writers learn where another one
// stopped from the slots themselves, not from the file's modification
// time, which a coarse clock leaves unchanged between two writes (a full
// ring keeps its size).
func TestRingWithoutTimestamps(t *testing.T) {
	a := openTestStore(t)
	b := secondStore(t, a)
	path := filepath.Join(a.Dir(), postbackRingName("sandbox"))
	frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var want []string
	for round, s := range []*Store{a, a, b, a, b, b, a} {
		n := 1
		if round == 0 {
			n = RingSlots // full: the size no longer changes
		}
		for i := range n {
			ev := fmt.Sprintf("r%d-%d", round, i)
			if _, err := s.AddPostback("sandbox", "TRX_nobody", PostbackRecord{Event: ev}); err != nil {
				t.Fatal(err)
			}
			want = append(want, ev)
			if err := os.Chtimes(path, frozen, frozen); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := unmatchedEvents(t, a)
	want = want[len(want)-RingSlots:]
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("unmatched (oldest first):\n%v\nwant\n%v", got, want)
	}
}

// TestRingReopenedAfterItsProfileWasRemoved: a listener's store writes to a
// profile's ring; another process removes the profile and adds it again:
// the next postback goes to the new ring, where the views read it.
func TestRingReopenedAfterItsProfileWasRemoved(t *testing.T) {
	a := openTestStore(t)
	if err := a.SaveProfile(stagingProfile()); err != nil {
		t.Fatal(err)
	}
	b := secondStore(t, a)
	if _, err := a.AddPostback("staging", "TRX_nobody", PostbackRecord{Event: "before", ChecksumValid: true}); err != nil {
		t.Fatal(err)
	}
	if err := b.RemoveProfile("staging"); err != nil {
		t.Fatal(err)
	}
	if err := b.SaveProfile(stagingProfile()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddPostback("staging", "TRX_nobody", PostbackRecord{Event: "after", ChecksumValid: true}); err != nil {
		t.Fatal(err)
	}
	un, err := b.UnmatchedPostbacks("staging")
	if err != nil || len(un) != 1 || un[0].Event != "after" {
		t.Fatalf("unmatched after the profile came back: %+v %v; want the one postback since", un, err)
	}
}

// TestGroupFileAnswersBeforeItsAfterHook: the batch's callers return once
// their batch is written, while the after hook (the log's compaction)
// runs; the next batch waits for the hook.
func TestGroupFileAnswersBeforeItsAfterHook(t *testing.T) {
	hook, release := make(chan struct{}), make(chan struct{})
	var flushed []string
	var mu sync.Mutex
	g := &groupFile{
		flush: func(_ *groupFile, items [][]byte, _ bool) error {
			mu.Lock()
			defer mu.Unlock()
			for _, it := range items {
				flushed = append(flushed, string(it))
			}
			return nil
		},
		after: func(*groupFile) {
			hook <- struct{}{}
			<-release
		},
	}
	first := make(chan error, 1)
	go func() { first <- g.commit([]byte("first"), true) }()
	<-hook // the hook runs: the first caller must have its answer
	select {
	case err := <-first:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first caller waits for the after hook")
	}
	second := make(chan error, 1)
	go func() { second <- g.commit([]byte("second"), true) }()
	close(release)
	<-hook // the second batch's own hook
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(flushed, " ") != "first second" {
		t.Fatalf("flushed %v", flushed)
	}
}

// secondStore opens another Store on s's directory, as a second process would.
func secondStore(t *testing.T, s *Store) *Store {
	t.Helper()
	o, _, err := OpenStoreWith(s.Dir(), StoreOptions{Now: s.now})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// unmatchedEvents is the events of the sandbox profile's unmatched
// postbacks, oldest first.
func unmatchedEvents(t *testing.T, s *Store) []string {
	t.Helper()
	un, err := s.UnmatchedPostbacks("sandbox")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(un) - 1; i >= 0; i-- { // UnmatchedPostbacks lists the newest first
		got = append(got, un[i].Event)
	}
	return got
}
