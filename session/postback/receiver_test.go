package postback

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
)

const testProfile = session.BuiltinProfileName

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// newStore opens a real store in a temporary directory with one known
// transaction, TRX_known.
func newStore(t testing.TB) *session.Store {
	t.Helper()
	st, _, err := session.OpenStoreWith(t.TempDir(), session.StoreOptions{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddHistory(testProfile, session.HistoryEntry{TransactionID: "TRX_known", Intent: gateway.IntentTransaction, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	return st
}

func signed(txn, event string, key string) gateway.Postback {
	p := gateway.Postback{Timestamp: "1772445600000", SmallcaseAuthID: vecAuthID, TransactionID: txn,
		Intent: gateway.IntentTransaction, Event: event, Status: gateway.StatusCompleted, Broker: "kite-leprechaun",
		Data: json.RawMessage(`{"batches":[]}`)}
	p.Sign(key)
	return p
}

func startReceiver(t *testing.T, cfg Config) (*Receiver, string) {
	t.Helper()
	if cfg.Profile == "" {
		cfg.Profile = testProfile
	}
	if cfg.APISecret == "" {
		cfg.APISecret = vecSecret
	}
	r := NewReceiver(cfg)
	url, err := r.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, url
}

func post(t *testing.T, url string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(url+"postback", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func nextEvent(t *testing.T, r *Receiver) Event {
	t.Helper()
	select {
	case ev := <-r.Events():
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return Event{}
}

func knownPostbacks(t *testing.T, st *session.Store, txn string) []session.PostbackRecord {
	t.Helper()
	h, err := st.History(testProfile)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range h {
		if e.TransactionID == txn {
			return e.Postbacks
		}
	}
	t.Fatalf("no history entry %s", txn)
	return nil
}

func TestReceiverAnswersAndRecordsEachKind(t *testing.T) {
	valid := mustJSON(t, signed("TRX_known", gateway.EventOrderCompleted, vecSecret))
	tamperedP := signed("TRX_known", gateway.EventOrderCompleted, vecSecret)
	tamperedP.Timestamp = "1772445600001"
	wrongKey := mustJSON(t, signed("TRX_known", gateway.EventOrderCompleted, "not_the_api_secret"))
	unknown := mustJSON(t, signed("TRX_nobody", gateway.EventOrderPlaced, vecSecret))
	tests := []struct {
		name        string
		body        []byte
		status      int
		outcome     Outcome
		checksum    string
		matched     bool
		valid       bool
		problem     string
		acceptUnkwn bool
	}{
		{name: "valid", body: valid, status: 200, outcome: OutcomeAccepted, checksum: "ok", matched: true, valid: true},
		{name: "tampered", body: mustJSON(t, tamperedP), status: 401, outcome: OutcomeBadChecksum, checksum: "BAD", matched: true, problem: "does not match"},
		{name: "wrong key", body: wrongKey, status: 401, outcome: OutcomeBadChecksum, checksum: "BAD", matched: true, problem: "check the key"},
		{name: "unknown transaction", body: unknown, status: 404, outcome: OutcomeUnknown, checksum: "ok", valid: true, problem: "unknown transaction"},
		{name: "unknown transaction accepted", body: unknown, status: 202, outcome: OutcomeUnknown, checksum: "ok", valid: true, problem: "answered 202", acceptUnkwn: true},
		{name: "malformed", body: []byte("checksum=abc&timestamp=1"), status: 400, outcome: OutcomeMalformed, checksum: "-", problem: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			r, url := startReceiver(t, Config{Store: st, AcceptUnknown: tt.acceptUnkwn})
			status, body := post(t, url, tt.body)
			if status != tt.status {
				t.Fatalf("status %d (%s), want %d", status, body, tt.status)
			}
			ev := nextEvent(t, r)
			if ev.Outcome != tt.outcome || ev.HTTPStatus != tt.status || ev.ChecksumLabel() != tt.checksum {
				t.Errorf("event %s/%d/%s, want %s/%d/%s", ev.Outcome, ev.HTTPStatus, ev.ChecksumLabel(), tt.outcome, tt.status, tt.checksum)
			}
			if !ev.Stored || ev.Matched != tt.matched {
				t.Errorf("stored %v matched %v, want stored, matched %v", ev.Stored, ev.Matched, tt.matched)
			}
			if !strings.Contains(ev.Problem, tt.problem) || (tt.problem == "" && ev.Problem != "") {
				t.Errorf("problem %q, want %q", ev.Problem, tt.problem)
			}
			if strings.Contains(body, vecSecret) || strings.Contains(ev.Problem, vecSecret) {
				t.Error("the answer reveals the apiSecret")
			}
			var recs []session.PostbackRecord
			if tt.matched {
				recs = knownPostbacks(t, st, "TRX_known")
			} else {
				var err error
				if recs, err = st.UnmatchedPostbacks(testProfile); err != nil {
					t.Fatal(err)
				}
			}
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1", len(recs))
			}
			rec := recs[0]
			if rec.ChecksumValid != tt.valid || !json.Valid(rec.Body) {
				t.Errorf("record valid=%v body %s", rec.ChecksumValid, rec.Body)
			}
			var got string
			if json.Unmarshal(rec.Body, &got) == nil { // kept as a string
				if got != string(tt.body) {
					t.Errorf("body kept as %q, want %q", got, tt.body)
				}
			} else if !bytes.Equal(rec.Body, tt.body) {
				t.Errorf("body kept as %s, want %s", rec.Body, tt.body)
			}
		})
	}
}

func TestReceiverReplay(t *testing.T) {
	st := newStore(t)
	r, url := startReceiver(t, Config{Store: st})
	body := mustJSON(t, signed("TRX_known", gateway.EventOrderPlaced, vecSecret))
	for i, want := range []Outcome{OutcomeAccepted, OutcomeReplay, OutcomeReplay} {
		if status, _ := post(t, url, body); status != 200 {
			t.Fatalf("attempt %d: status %d, want 200", i, status)
		}
		if ev := nextEvent(t, r); ev.Outcome != want || (want == OutcomeReplay && ev.ChecksumLabel() != "replay") {
			t.Fatalf("attempt %d: %s (%s), want %s", i, ev.Outcome, ev.ChecksumLabel(), want)
		}
	}
	// Another event of the same transaction is not a replay.
	if status, _ := post(t, url, mustJSON(t, signed("TRX_known", gateway.EventOrderCompleted, vecSecret))); status != 200 {
		t.Fatalf("status %d", status)
	}
	if ev := nextEvent(t, r); ev.Outcome != OutcomeAccepted {
		t.Fatalf("ORDER_COMPLETED after ORDER_PLACED: %s", ev.Outcome)
	}
	recs := knownPostbacks(t, st, "TRX_known")
	if len(recs) != 4 {
		t.Fatalf("%d records, want all 4", len(recs))
	}
	if !strings.HasPrefix(recs[1].Problem, "replay") || !strings.HasPrefix(recs[2].Problem, "replay") || recs[0].Problem != "" {
		t.Errorf("problems %q %q %q", recs[0].Problem, recs[1].Problem, recs[2].Problem)
	}

	// A later run on the same history still knows the first one.
	r2, url2 := startReceiver(t, Config{Store: st})
	post(t, url2, body)
	if ev := nextEvent(t, r2); ev.Outcome != OutcomeReplay {
		t.Fatalf("after a restart: %s, want replay", ev.Outcome)
	}
}

func TestReceiverConcurrentDuplicatesAreOneAcceptance(t *testing.T) {
	st := newStore(t)
	r, url := startReceiver(t, Config{Store: st})
	body := mustJSON(t, signed("TRX_known", gateway.EventOrderPlaced, vecSecret))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if resp, err := http.Post(url, "application/json", bytes.NewReader(body)); err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	c := r.Counts()
	if c[OutcomeAccepted] != 1 || c[OutcomeReplay] != 7 {
		t.Fatalf("counts %v, want 1 ok and 7 replays", c)
	}
}

func TestReceiverBoundsAndMethods(t *testing.T) {
	st := newStore(t)
	r, url := startReceiver(t, Config{Store: st, MaxBody: 1024})
	big := []byte(`{"timestamp":"` + strings.Repeat("9", 4000) + `"}`)
	if status, _ := post(t, url, big); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", status)
	}
	if ev := nextEvent(t, r); ev.Outcome != OutcomeTooLarge || !ev.Stored {
		t.Fatalf("%+v", ev)
	}
	un, err := st.UnmatchedPostbacks(testProfile)
	if err != nil || len(un) != 1 || !strings.Contains(un[0].Problem, "larger than 1024") {
		t.Fatalf("unmatched %+v %v", un, err)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET: %d %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if ev := nextEvent(t, r); ev.Outcome != OutcomeNotPost || ev.Stored {
		t.Fatalf("GET event %+v", ev)
	}
}

func TestReceiverFailFirstThenAccepts(t *testing.T) {
	st := newStore(t)
	r, url := startReceiver(t, Config{Store: st, FailFirst: 1})
	body := mustJSON(t, signed("TRX_known", gateway.EventOrderCompleted, vecSecret))
	if status, _ := post(t, url, body); status != 500 {
		t.Fatalf("first: %d, want 500", status)
	}
	if status, _ := post(t, url, body); status != 200 {
		t.Fatalf("retry: %d, want 200", status)
	}
	if a, b := nextEvent(t, r), nextEvent(t, r); a.Outcome != OutcomeFailedOnTest || b.Outcome != OutcomeAccepted {
		t.Fatalf("outcomes %s, %s: the retry of a failed attempt is not a replay", a.Outcome, b.Outcome)
	}
	if n := len(knownPostbacks(t, st, "TRX_known")); n != 2 {
		t.Fatalf("%d records, want both attempts", n)
	}
}

func TestReceiverStoreErrorAsksForARetry(t *testing.T) {
	st := newStore(t)
	r, url := startReceiver(t, Config{Store: st})
	matches, _ := filepath.Glob(filepath.Join(st.Dir(), "history*"))
	if len(matches) != 1 {
		t.Fatalf("history files %v", matches)
	}
	if err := os.WriteFile(matches[0], []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := mustJSON(t, signed("TRX_known", gateway.EventOrderCompleted, vecSecret))
	if status, _ := post(t, url, body); status != 500 {
		t.Fatalf("status %d, want 500 so the sender retries", status)
	}
	ev := nextEvent(t, r)
	if ev.Outcome != OutcomeStoreError || ev.Stored || ev.StoreError == "" {
		t.Fatalf("%+v", ev)
	}
	// Once the file is repaired the retry is accepted, not a replay.
	if err := os.Remove(matches[0]); err != nil {
		t.Fatal(err)
	}
	if err := st.AddHistory(testProfile, session.HistoryEntry{TransactionID: "TRX_known"}); err != nil {
		t.Fatal(err)
	}
	if status, _ := post(t, url, body); status != 200 {
		t.Fatalf("retry status %d", status)
	}
}

func TestWait(t *testing.T) {
	st := newStore(t)
	r, url := startReceiver(t, Config{Store: st})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Each Wait that has to wait says so on waiting, in the order they
	// register: registered takes the next one, which must be the one named.
	r.waiting = make(chan waitKey, 8)
	registered := func(txn, event string) error {
		select {
		case k := <-r.waiting:
			if k != (waitKey{txn, event}) {
				return fmt.Errorf("%+v registered to wait, want %s %s", k, txn, event)
			}
			return nil
		case <-ctx.Done():
			return fmt.Errorf("no Wait registered for %s %s: %w", txn, event, ctx.Err())
		}
	}

	got := make(chan session.PostbackRecord, 1)
	go func() {
		rec, err := r.Wait(ctx, "TRX_known", gateway.EventOrderCompleted)
		if err != nil {
			t.Error(err)
		}
		got <- rec
	}()
	if err := registered("TRX_known", gateway.EventOrderCompleted); err != nil {
		t.Fatal(err)
	}
	// Another event does not satisfy the waiter.
	post(t, url, mustJSON(t, signed("TRX_known", gateway.EventOrderPlaced, vecSecret)))
	select {
	case rec := <-got:
		t.Fatalf("woken by %+v", rec)
	case <-time.After(100 * time.Millisecond):
	}
	post(t, url, mustJSON(t, signed("TRX_known", gateway.EventOrderCompleted, vecSecret)))
	var err error
	rec := <-got
	if rec.Event != gateway.EventOrderCompleted || !rec.ChecksumValid {
		t.Fatalf("%+v", rec)
	}
	// A bad checksum wakes a waiter at once, marked invalid with the reason;
	// a later valid one replaces it for later waiters.
	go func() { got <- must(r.Wait(ctx, "TRX_known", gateway.EventHoldingsImport)) }()
	if err := registered("TRX_known", gateway.EventHoldingsImport); err != nil {
		t.Fatal(err)
	}
	post(t, url, mustJSON(t, signed("TRX_known", gateway.EventHoldingsImport, "wrong")))
	if rec := <-got; rec.ChecksumValid || !strings.Contains(rec.Problem, "does not match") {
		t.Fatalf("bad postback handed over as %+v", rec)
	}
	post(t, url, mustJSON(t, signed("TRX_known", gateway.EventHoldingsImport, vecSecret)))
	if rec := must(r.Wait(ctx, "TRX_known", gateway.EventHoldingsImport)); !rec.ChecksumValid {
		t.Fatalf("after the valid one: %+v", rec)
	}
	// A waiter that comes after the postback gets it at once.
	rec, err = r.Wait(ctx, "TRX_known", gateway.EventOrderPlaced)
	if err != nil || rec.Event != gateway.EventOrderPlaced {
		t.Fatalf("%+v %v", rec, err)
	}
	// A waited-for transaction unknown to the history is accepted.
	elsewhere := mustJSON(t, signed("TRX_elsewhere", gateway.EventOrderCompleted, vecSecret))
	go func() {
		if err := registered("TRX_elsewhere", gateway.EventOrderCompleted); err != nil {
			t.Error(err)
			return
		}
		if resp, err := http.Post(url, "application/json", bytes.NewReader(elsewhere)); err == nil {
			resp.Body.Close()
		}
	}()
	if _, err := r.Wait(ctx, "TRX_elsewhere", gateway.EventOrderCompleted); err != nil {
		t.Fatal(err)
	}

	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	if _, err := r.Wait(short, "TRX_never", gateway.EventOrderCompleted); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
	if err := registered("TRX_never", gateway.EventOrderCompleted); err != nil { // the short one
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() {
		_, err := r.Wait(ctx, "TRX_never", gateway.EventOrderCompleted)
		closed <- err
	}()
	if err := registered("TRX_never", gateway.EventOrderCompleted); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if err := <-closed; !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func must(rec session.PostbackRecord, err error) session.PostbackRecord {
	if err != nil {
		panic(err)
	}
	return rec
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:8787", "example.com:80", "nonsense"} {
		if _, err := NewReceiver(Config{}).Start(addr); err == nil {
			t.Errorf("Start(%q) listened", addr)
		}
	}
	if err := CheckLoopback("[::1]:8787"); err != nil {
		t.Error(err)
	}
	if err := CheckLoopback("0.0.0.0:8787"); err == nil || !strings.Contains(err.Error(), "ssh -R") {
		t.Errorf("error %v should suggest a tunnel", err)
	}
}

// BenchmarkReceiverServeHTTP posts signed postbacks over loopback HTTP from
// one sender: "history" records each in a real store (unknown transactions:
// the ring, fsynced), "memory" measures the receiver alone. See
// BenchmarkListenDurable for concurrent senders.
func BenchmarkReceiverServeHTTP(b *testing.B) {
	for _, withStore := range []bool{true, false} {
		name := "memory"
		if withStore {
			name = "history"
		}
		b.Run(name, func(b *testing.B) {
			cfg := Config{Profile: testProfile, APISecret: vecSecret, AcceptUnknown: true}
			if withStore {
				st, _, err := session.OpenStore(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				cfg.Store = st
			}
			r := NewReceiver(cfg)
			url, err := r.Start("127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			client := &http.Client{}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				<-drainEvents(r)
				p := signed(fmt.Sprintf("TRX_%d", i), gateway.EventOrderCompleted, vecSecret)
				resp, err := client.Post(url, "application/json", bytes.NewReader(mustJSON(b, p)))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "postbacks/s")
		})
	}
}

// drainEvents empties the event channel without blocking.
func drainEvents(r *Receiver) <-chan struct{} {
	done := make(chan struct{})
	for {
		select {
		case <-r.Events():
			continue
		default:
		}
		close(done)
		return done
	}
}

func TestSetProfileSwitchesHistoryAndKey(t *testing.T) {
	st := newStore(t)
	if err := st.SaveProfile(session.Profile{Name: "other", Env: gateway.EnvSandbox, Gateway: "gatewaydemo", Secret: "s", APISecret: "other_api_secret"}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddHistory("other", session.HistoryEntry{TransactionID: "TRX_other"}); err != nil {
		t.Fatal(err)
	}
	r, url := startReceiver(t, Config{Store: st})
	body := mustJSON(t, signed("TRX_other", gateway.EventOrderCompleted, "other_api_secret"))
	if status, _ := post(t, url, body); status != 401 {
		t.Fatalf("with the first profile's key: %d, want 401", status)
	}
	r.SetProfile("other", "other_api_secret")
	if status, _ := post(t, url, body); status != 200 {
		t.Fatalf("after SetProfile: %d, want 200", status)
	}
	h, err := st.History("other")
	if err != nil || len(h) != 1 || len(h[0].Postbacks) != 1 || !h[0].Postbacks[0].ChecksumValid {
		t.Fatalf("other's history %+v %v", h, err)
	}
	if r.Profile() != "other" {
		t.Fatalf("Profile() = %q", r.Profile())
	}
}

// pendingAction is a pending-action postback in the sandbox's shape: an
// investment (iscid) and what is pending on it, no transactionId.
func pendingAction(t *testing.T, key string) gateway.Postback {
	t.Helper()
	p := gateway.Postback{Timestamp: "1772445600000", SmallcaseAuthID: vecAuthID, Event: gateway.EventPendingAction,
		Fields: mustJSON(t, map[string]string{"iscid": "62bd5f8b4ec1a3d0e9a8c2f1", "action": "REBALANCE", "description": "A rebalance update is pending"})}
	p.Sign(key)
	return p
}

// TestReceiverPendingAction: a pending action names no transaction: a
// valid one is answered 200 (202 or 404 would have the Gateway retry it
// or mean nothing) and kept with the unmatched postbacks, bounded as they
// are; a wrong checksum is still 401; the event is told apart without
// its event field, from its fields.
func TestReceiverPendingAction(t *testing.T) {
	st := newStore(t)
	r, url := startReceiver(t, Config{Store: st})
	valid := pendingAction(t, vecSecret)
	noEvent := valid
	noEvent.Event = ""
	for i, tc := range []struct {
		body   gateway.Postback
		status int
		want   Outcome
	}{
		{valid, 200, OutcomePending},
		{valid, 200, OutcomeReplay},
		{noEvent, 200, OutcomeReplay}, // the same postback, told by its fields
		{pendingAction(t, "not_the_api_secret"), 401, OutcomeBadChecksum},
	} {
		status, answer := post(t, url, mustJSON(t, tc.body))
		ev := nextEvent(t, r)
		if status != tc.status || ev.Outcome != tc.want || ev.Event != gateway.EventPendingAction {
			t.Fatalf("%d: HTTP %d %s, event %+v; want %d %s", i, status, answer, ev, tc.status, tc.want)
		}
		if ev.Iscid != "62bd5f8b4ec1a3d0e9a8c2f1" || ev.Action != "REBALANCE" || !ev.Stored || ev.Matched {
			t.Errorf("%d: event %+v", i, ev)
		}
	}
	un, err := st.UnmatchedPostbacks(testProfile)
	if err != nil || len(un) != 4 {
		t.Fatalf("unmatched: %d %v", len(un), err)
	}
	if un[len(un)-1].Event != gateway.EventPendingAction || !un[len(un)-1].ChecksumValid || un[len(un)-1].Problem != "" {
		t.Errorf("the first, valid one: %+v", un[len(un)-1])
	}
	if c := r.Counts(); c[OutcomePending] != 1 || c[OutcomeUnknown] != 0 {
		t.Errorf("counts %v", c)
	}
}
