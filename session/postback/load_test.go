package postback

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
)

// senders is how many clients post at once in the load test and benchmark.
const senders = 16

// prefilled opens a store whose history has n transactions and whose
// postback log already holds n postbacks (written directly: setting up
// 10,000 through the API would dominate the benchmark). It returns the ids.
func prefilled(tb testing.TB, n int) (*session.Store, []string) {
	tb.Helper()
	dir := tb.TempDir()
	st, _, err := session.OpenStore(dir)
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, n)
	entries := make([]session.HistoryEntry, n)
	var log bytes.Buffer
	for i := range n {
		ids[i] = fmt.Sprintf("TRX_%032x", i)
		entries[i] = session.HistoryEntry{TransactionID: ids[i], Intent: gateway.IntentTransaction,
			CreatedAt: t0.Add(time.Duration(i) * time.Second), Status: gateway.StatusCompleted, Summary: "bought 1 share"}
		p := signedAt(ids[i], strconv.Itoa(i), vecSecret)
		rec := session.PostbackRecord{TransactionID: ids[i], ReceivedAt: t0, Event: p.Event, Status: string(p.Status),
			ChecksumValid: true, Body: mustJSON(tb, p)}
		log.Write(mustJSON(tb, rec))
		log.WriteByte('\n')
	}
	doc := mustJSON(tb, map[string]any{"version": session.SchemaVersion, "profile": testProfile, "entries": entries})
	if err := os.WriteFile(filepath.Join(dir, "history-"+testProfile+".json"), doc, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "postbacks-"+testProfile+".jsonl"), log.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
	return st, ids
}

// signedAt is a valid ORDER_COMPLETED postback of txn with its own
// timestamp, so that no two are replays of each other.
func signedAt(txn, ts, key string) gateway.Postback {
	p := signed(txn, gateway.EventOrderCompleted, key)
	p.Timestamp = "17724456" + ts
	p.Sign(key)
	return p
}

// listening starts a receiver on st and drains its events.
func listening(tb testing.TB, st *session.Store) (string, *Receiver) {
	tb.Helper()
	r := NewReceiver(Config{Profile: testProfile, APISecret: vecSecret, Store: st})
	url, err := r.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-r.Events():
			case <-done:
				return
			}
		}
	}()
	tb.Cleanup(func() { r.Close(); close(done) })
	return url, r
}

func loadClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}, Timeout: 30 * time.Second}
}

// postOne posts body and returns the status (0 on a transport error).
func postOne(c *http.Client, url string, body []byte) int {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestLoadValidPostbacksNoneLostOrDuplicated posts 20,000 valid postbacks
// (2,000 with -short) from 16 senders, and finds each exactly once in the
// log and in the history.
func TestLoadValidPostbacksNoneLostOrDuplicated(t *testing.T) {
	n := 20000
	if testing.Short() || raceEnabled {
		// The race detector slows every request several times over: the
		// full 20,000 run in plain `go test`.
		n = 2000
	}
	const txns = 400 // 50 postbacks each: the per-transaction bound keeps them all
	st, ids := prefilled(t, txns)
	// Drop the prefilled postbacks: only this test's are counted.
	if err := os.Remove(filepath.Join(st.Dir(), "postbacks-"+testProfile+".jsonl")); err != nil {
		t.Fatal(err)
	}
	url, r := listening(t, st)
	c := loadClient()
	var next atomic.Int64
	var bad atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				body := mustJSON(t, signedAt(ids[i%txns], fmt.Sprintf("%06d", i), vecSecret))
				if postOne(c, url, body) != http.StatusOK {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	t.Logf("%d valid postbacks from %d senders in %s: %.0f/s", n, senders, took.Round(time.Millisecond), float64(n)/took.Seconds())
	if bad.Load() != 0 || r.Counts()[OutcomeAccepted] != n {
		t.Fatalf("%d answers not 200; counts %v", bad.Load(), r.Counts())
	}
	seen := map[string]int{}
	f, err := os.Open(filepath.Join(st.Dir(), "postbacks-"+testProfile+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec session.PostbackRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		seen[timestampOf(t, rec)]++
	}
	if len(seen) != n {
		t.Fatalf("the log holds %d distinct postbacks, want %d", len(seen), n)
	}
	for ts, k := range seen {
		if k != 1 {
			t.Fatalf("postback %s logged %d times", ts, k)
		}
	}
	h, err := st.History(testProfile)
	if err != nil {
		t.Fatal(err)
	}
	inHistory := map[string]bool{}
	for _, e := range h {
		for _, pb := range e.Postbacks {
			inHistory[timestampOf(t, pb)] = true
		}
	}
	if len(inHistory) != n {
		t.Fatalf("the history shows %d distinct postbacks, want %d", len(inHistory), n)
	}
}

func timestampOf(t *testing.T, rec session.PostbackRecord) string {
	t.Helper()
	var p gateway.Postback
	if err := json.Unmarshal(rec.Body, &p); err != nil {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	return p.Timestamp
}

// TestFloodOfBadPostbacksStaysBounded posts 100 bodies of 250 KiB (25 MB)
// with bad checksums, for a known and an unknown transaction: the files of
// the directory grow by at most the ring's bound, and no body is kept whole.
func TestFloodOfBadPostbacksStaysBounded(t *testing.T) {
	st := newStore(t)
	before := dirSize(t, st.Dir())
	history := filepath.Join(st.Dir(), "history-"+testProfile+".json")
	hb, _ := os.ReadFile(history)
	url, r := listening(t, st)
	c := loadClient()
	filler := strings.Repeat("x", 250<<10)
	var wg sync.WaitGroup
	var next atomic.Int64
	var sent atomic.Int64
	for range 8 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > 100 {
					return
				}
				txn := "TRX_known"
				if i%2 == 0 {
					txn = "TRX_nobody"
				}
				p := signedAt(txn, fmt.Sprintf("%06d", i), vecSecret)
				p.Data = json.RawMessage(strconv.Quote(filler))
				p.Checksum = strings.Repeat("0", 64)
				body := mustJSON(t, p)
				sent.Add(int64(len(body)))
				if got := postOne(c, url, body); got != http.StatusUnauthorized {
					t.Errorf("status %d, want 401", got)
				}
			}
		})
	}
	wg.Wait()
	if got := r.Counts()[OutcomeBadChecksum]; got != 100 {
		t.Fatalf("%d bad-checksum answers, want 100", got)
	}
	grown := dirSize(t, st.Dir()) - before
	t.Logf("%d bytes posted, the directory grew by %d (bound %d)", sent.Load(), grown, session.PostbackRingBytes)
	if sent.Load() < 25e6 || grown > session.PostbackRingBytes {
		t.Fatalf("posted %d bytes, directory grew by %d, want at most %d", sent.Load(), grown, session.PostbackRingBytes)
	}
	if hb2, _ := os.ReadFile(history); !bytes.Equal(hb, hb2) {
		t.Error("the history file changed")
	}
	if _, err := os.Stat(filepath.Join(st.Dir(), "postbacks-"+testProfile+".jsonl")); err == nil {
		t.Error("a bad postback went to the log of valid ones")
	}
	known := knownPostbacks(t, st, "TRX_known")
	un, err := st.UnmatchedPostbacks(testProfile)
	if err != nil {
		t.Fatal(err)
	}
	if len(known) != 50 || len(un) != 50 {
		t.Fatalf("%d kept with TRX_known and %d unmatched, want 50 and 50", len(known), len(un))
	}
	for _, rec := range append(known, un...) {
		if len(rec.Body) > session.MaxKeptBody+64 || rec.ChecksumValid || !strings.Contains(rec.Problem, "body cut to its first") {
			t.Fatalf("kept %d bytes of body, problem %q", len(rec.Body), rec.Problem)
		}
	}
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range es {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}

// BenchmarkListenDurable: 16 senders post valid postbacks over loopback to
// the real receiver and store; each answer comes after its record is
// fsynced. history=N is a history of N transactions and N postbacks
// already logged: the rate should not depend on N.
//
//	go test ./session/postback -run '^$' -bench ListenDurable -benchtime 20000x
func BenchmarkListenDurable(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("history=%d", n), func(b *testing.B) {
			st, ids := prefilled(b, n)
			url, _ := listening(b, st)
			c := loadClient()
			// Warm: the receiver reads the history once for replays.
			if got := postOne(c, url, mustJSON(b, signedAt(ids[0], "warm", vecSecret))); got != http.StatusOK {
				b.Fatalf("status %d", got)
			}
			b.SetParallelism((senders + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			var seq atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					body := mustJSON(b, signedAt(ids[int(i)%len(ids)], fmt.Sprintf("%09d", i), vecSecret))
					if got := postOne(c, url, body); got != http.StatusOK {
						b.Errorf("status %d", got)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "postbacks/s")
		})
	}
}

// BenchmarkValidPostbackDuringFlood: one sender posts valid postbacks one
// after another, alone (flood=off) and while 4 others flood the listener
// with 250 KiB bodies of bad checksum (flood=on). The valid post's latency
// (ns/op) during the flood should stay within twice its latency alone.
//
//	go test ./session/postback -run '^$' -bench ValidPostbackDuringFlood -benchtime 2000x
func BenchmarkValidPostbackDuringFlood(b *testing.B) {
	for _, flood := range []bool{false, true} {
		b.Run(fmt.Sprintf("flood=%v", map[bool]string{false: "off", true: "on"}[flood]), func(b *testing.B) {
			st, ids := prefilled(b, 1000)
			url, _ := listening(b, st)
			c := loadClient()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var flooded atomic.Int64
			if flood {
				filler := strings.Repeat("x", 250<<10)
				for w := range 4 {
					// Built once: the flood costs the listener, not this
					// process's JSON encoder.
					p := signedAt("TRX_nobody", fmt.Sprintf("f%d", w), vecSecret)
					p.Data = json.RawMessage(strconv.Quote(filler))
					p.Checksum = strings.Repeat("0", 64)
					body := mustJSON(b, p)
					wg.Go(func() {
						for {
							select {
							case <-stop:
								return
							default:
							}
							if got := postOne(c, url, body); got != http.StatusUnauthorized {
								b.Errorf("flood: status %d", got)
								return
							}
							flooded.Add(int64(250 << 10))
						}
					})
				}
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				body := mustJSON(b, signedAt(ids[i%len(ids)], fmt.Sprintf("v%09d", i), vecSecret))
				if got := postOne(c, url, body); got != http.StatusOK {
					b.Fatalf("status %d", got)
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(flooded.Load())/(1<<20), "MB-flooded")
		})
	}
}

// TestLargeBodiesWaitTheirTurn: while every slot for large bodies is taken,
// a large body, valid or not, waits before it is read, and a postback of
// ordinary size is answered at once; once a slot is free the large ones are
// answered (a bad checksum refused from a skim, a valid one accepted).
func TestLargeBodiesWaitTheirTurn(t *testing.T) {
	st, ids := prefilled(t, 10)
	url, r := listening(t, st)
	c := loadClient()
	r.largeWaits = make(chan struct{}, 2)
	for range cap(r.large) {
		r.large <- struct{}{}
	}
	large := func(ts string, valid bool) []byte {
		p := signedAt(ids[1], ts, vecSecret)
		p.Data = json.RawMessage(strconv.Quote(strings.Repeat("x", 2*largeBody)))
		if !valid {
			p.Checksum = strings.Repeat("0", 64)
		}
		return mustJSON(t, p)
	}
	bad, good := make(chan int, 1), make(chan int, 1)
	go func() { bad <- postOne(c, url, large("bad", false)) }()
	go func() { good <- postOne(c, url, large("big", true)) }()
	for range 2 {
		select {
		case <-r.largeWaits:
		case got := <-bad:
			t.Fatalf("a large bad body was answered while no slot was free (status %d)", got)
		case got := <-good:
			t.Fatalf("a large valid body was answered while no slot was free (status %d)", got)
		}
	}
	if got := postOne(c, url, mustJSON(t, signedAt(ids[0], "small", vecSecret))); got != http.StatusOK {
		t.Fatalf("a small postback while the large ones wait: status %d", got)
	}
	for range cap(r.large) {
		<-r.large
	}
	if got := <-bad; got != http.StatusUnauthorized {
		t.Fatalf("the large bad body: status %d, want 401", got)
	}
	if got := <-good; got != http.StatusOK {
		t.Fatalf("the large valid body: status %d, want 200", got)
	}
}

// TestLargeBadBodyIsSkimmed: a large body whose checksum does not hold is
// refused without a full parse: even one that is not JSON past its
// members is answered 401, not 400.
func TestLargeBadBodyIsSkimmed(t *testing.T) {
	st, _ := prefilled(t, 10)
	url, _ := listening(t, st)
	p := signedAt("TRX_nobody", "skim", vecSecret)
	p.Checksum = strings.Repeat("0", 64)
	p.Data = json.RawMessage(`{"pad":"` + strings.Repeat("x", 2*largeBody) + `"}`)
	body := mustJSON(t, p)
	// Broken inside data, where only a full parse looks.
	body = bytes.Replace(body, []byte(`"pad":"xx`), []byte(`"pad":"\q`), 1)
	if got := postOne(loadClient(), url, body); got != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401 from the skim (a full parse answers 400)", got)
	}
}

// TestSlowLargeBodyGivesUpItsSlot: a sender that takes its time over a
// large body holds its slot only for largeRead, then the large body
// waiting behind it is read and answered.
func TestSlowLargeBodyGivesUpItsSlot(t *testing.T) {
	st, ids := prefilled(t, 10)
	url, r := listening(t, st)
	r.largeRead = 300 * time.Millisecond
	r.largeWaits = make(chan struct{}, 2)
	for range cap(r.large) {
		r.large <- struct{}{}
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(url, "/"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Half a large body, and then nothing.
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"pad\":\"%s",
		2*largeBody, strings.Repeat("x", largeBody))
	<-r.largeWaits
	<-r.large // the slot goes to the slow sender, which was waiting for it
	p := signedAt(ids[1], "after-slow", vecSecret)
	p.Data = json.RawMessage(strconv.Quote(strings.Repeat("x", 2*largeBody)))
	answered := make(chan int, 1)
	go func() { answered <- postOne(loadClient(), url, mustJSON(t, p)) }()
	<-r.largeWaits // behind the slow one
	select {
	case got := <-answered:
		if got != http.StatusOK {
			t.Fatalf("the large body behind the slow one: status %d", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the large body behind a slow one was not answered: the slow one kept the slot")
	}
	for range cap(r.large) - 1 {
		<-r.large
	}
}
