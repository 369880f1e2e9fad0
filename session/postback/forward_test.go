package postback

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
)

// backendHit is one request the test backend received.
type backendHit struct {
	body        []byte
	contentType string
}

// testBackend is a real loopback HTTP server standing for the partner's
// backend: it reports each request on hits and answers with status.
func testBackend(t *testing.T, status int, gate <-chan struct{}) (string, <-chan backendHit) {
	t.Helper()
	hits := make(chan backendHit, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hits <- backendHit{body: b, contentType: r.Header.Get("Content-Type")}
		if gate != nil {
			<-gate
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hooks/smallcase", hits
}

func postWith(t *testing.T, url, contentType string, body []byte) int {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second} // a hung answer fails the test instead of hanging it
	resp, err := c.Post(url+"postback", contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A verified postback reaches the backend byte for byte with its content
// type; the backend's status comes back on the event.
func TestForwardDeliversTheBodyUnchanged(t *testing.T) {
	backend, hits := testBackend(t, http.StatusCreated, nil)
	fw := NewForwarder(ForwardConfig{URL: backend})
	defer fw.Close(context.Background())
	r, url := startReceiver(t, Config{Store: newStore(t), Forward: fw})

	p := signed("TRX_known", gateway.EventOrderCompleted, vecSecret)
	// Spacing, key order and a numeric timestamp the way a sender might
	// write them: none of it may change on the way.
	body := []byte(`{ "event":"ORDER_COMPLETED",  "checksum":"` + p.Checksum + `", "timestamp":"` + p.Timestamp +
		`", "smallcaseAuthId":"` + p.SmallcaseAuthID + `", "transactionId":"TRX_known", "data":{"batches":[ ]} }` + "\n")
	const ct = "application/json; charset=utf-8"
	if code := postWith(t, url, ct, body); code != 200 {
		t.Fatalf("answer %d", code)
	}
	hit := <-hits
	if !bytes.Equal(hit.body, body) || hit.contentType != ct {
		t.Fatalf("backend got %q (%s), want %q (%s)", hit.body, hit.contentType, body, ct)
	}
	ev := nextEvent(t, r)
	if ev.Forward == nil || ev.Forward.Status != http.StatusCreated || ev.Outcome != OutcomeAccepted {
		t.Fatalf("event %+v, forward %+v", ev, ev.Forward)
	}
	if got := fw.Counts(); got != (ForwardCounts{Delivered: 1}) {
		t.Fatalf("counts %+v", got)
	}
}

// Only postbacks whose checksum holds are forwarded; the others' events
// come at once, without Forward.
func TestForwardOnlyVerified(t *testing.T) {
	backend, hits := testBackend(t, http.StatusOK, nil)
	fw := NewForwarder(ForwardConfig{URL: backend})
	defer fw.Close(context.Background())
	r, url := startReceiver(t, Config{Store: newStore(t), Forward: fw})
	for _, body := range [][]byte{
		mustJSON(t, signed("TRX_known", gateway.EventOrderCompleted, "wrong key")),
		[]byte("not json"),
	} {
		postWith(t, url, "application/json", body)
		if ev := nextEvent(t, r); ev.Forward != nil {
			t.Fatalf("%s forwarded: %+v", body, ev.Forward)
		}
	}
	good := mustJSON(t, signed("TRX_unknown", gateway.EventOrderCompleted, vecSecret))
	postWith(t, url, "application/json", good)
	// One worker, in order: had the bad ones gone out, they would come first.
	if hit := <-hits; !bytes.Equal(hit.body, good) {
		t.Fatalf("backend first got %q", hit.body)
	}
	if ev := nextEvent(t, r); ev.Forward == nil || ev.Outcome != OutcomeUnknown {
		t.Fatalf("the valid postback of an unknown transaction: %+v", ev)
	}
}

// A backend that hangs does not hold up the answer: the listener answers
// while the backend still holds the forward; a full queue drops and counts.
func TestForwardNeverBlocksTheAnswer(t *testing.T) {
	gate := make(chan struct{})
	backend, hits := testBackend(t, http.StatusOK, gate)
	fw := NewForwarder(ForwardConfig{URL: backend, Queue: 1})
	r, url := startReceiver(t, Config{Store: newStore(t), Forward: fw})

	post1 := mustJSON(t, signed("TRX_known", gateway.EventOrderPlaced, vecSecret))
	if code := postWith(t, url, "application/json", post1); code != 200 {
		t.Fatalf("answer %d", code)
	}
	<-hits // the backend holds the first forward
	post2 := mustJSON(t, signed("TRX_known", gateway.EventOrderCompleted, vecSecret))
	if code := postWith(t, url, "application/json", post2); code != 200 { // queued
		t.Fatalf("answer %d", code)
	}
	post3 := mustJSON(t, signed("TRX_a", gateway.EventOrderCompleted, vecSecret))
	if code := postWith(t, url, "application/json", post3); code != 404 { // queue full
		t.Fatalf("answer %d", code)
	}
	if ev := nextEvent(t, r); ev.Forward == nil || !ev.Forward.Dropped || ev.TransactionID != "TRX_a" {
		t.Fatalf("want the dropped forward first: %+v", ev)
	}
	close(gate)
	<-hits
	for range 2 {
		if ev := nextEvent(t, r); ev.Forward == nil || ev.Forward.Status != 200 {
			t.Fatalf("event %+v", ev)
		}
	}
	fw.Close(context.Background())
	if got := fw.Counts(); got != (ForwardCounts{Delivered: 2, Dropped: 1}) {
		t.Fatalf("counts %+v", got)
	}
}

// A backend that refuses (non-2xx) or is not there is counted apart, and
// the Gateway still gets its answer.
func TestForwardRefusedAndUnreachable(t *testing.T) {
	backend, _ := testBackend(t, http.StatusInternalServerError, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	for _, tc := range []struct {
		url  string
		want ForwardCounts
	}{
		{backend, ForwardCounts{Refused: 1}},
		{closed, ForwardCounts{Unreachable: 1}},
	} {
		fw := NewForwarder(ForwardConfig{URL: tc.url})
		r, url := startReceiver(t, Config{Store: newStore(t), Forward: fw})
		if code := postWith(t, url, "application/json", mustJSON(t, signed("TRX_known", gateway.EventOrderCompleted, vecSecret))); code != 200 {
			t.Fatalf("answer %d", code)
		}
		ev := nextEvent(t, r)
		if ev.Forward == nil || ev.Forward.OK() || (tc.want.Unreachable == 1) != (ev.Forward.Error != "") {
			t.Fatalf("%s: forward %+v", tc.url, ev.Forward)
		}
		fw.Close(context.Background())
		if got := fw.Counts(); got != tc.want || got.Failed() != 1 {
			t.Fatalf("%s: counts %+v", tc.url, got)
		}
	}
}

// Close gives queued forwards until its context ends, then abandons them.
func TestForwardCloseAbandonsAHungBackend(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	backend, hits := testBackend(t, http.StatusOK, gate)
	fw := NewForwarder(ForwardConfig{URL: backend})
	results := make(chan ForwardResult, 1)
	fw.enqueue([]byte(`{}`), "application/json", func(r ForwardResult) { results <- r })
	<-hits
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fw.Close(ctx)
	if r := <-results; r.Error == "" || !strings.Contains(r.Error, "canceled") {
		t.Fatalf("result %+v", r)
	}
	fw.enqueue([]byte(`{}`), "", func(r ForwardResult) { results <- r })
	if r := <-results; !r.Dropped {
		t.Fatalf("a forward after Close: %+v", r)
	}
}

// A postback answered 500 on purpose (the sender will send it again) is not
// forwarded; a redirect from the backend is reported, not followed.
func TestForwardSkipsRetriedAndFollowsNoRedirect(t *testing.T) {
	other, otherHits := testBackend(t, http.StatusOK, nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other, http.StatusTemporaryRedirect) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	fw := NewForwarder(ForwardConfig{URL: srv.URL + "/"})
	r, url := startReceiver(t, Config{Store: newStore(t), Forward: fw, FailFirst: 1})
	body := mustJSON(t, signed("TRX_known", gateway.EventOrderCompleted, vecSecret))
	if code := postWith(t, url, "application/json", body); code != 500 {
		t.Fatalf("answer %d", code)
	}
	if ev := nextEvent(t, r); ev.Forward != nil {
		t.Fatalf("the 500 was forwarded: %+v", ev.Forward)
	}
	if code := postWith(t, url, "application/json", body); code != 200 {
		t.Fatalf("answer %d", code)
	}
	if ev := nextEvent(t, r); ev.Forward == nil || ev.Forward.Status != http.StatusTemporaryRedirect {
		t.Fatalf("forward %+v", ev.Forward)
	}
	fw.Close(context.Background())
	if len(otherHits) != 0 {
		t.Fatal("the redirect was followed")
	}
	if got := fw.Counts(); got != (ForwardCounts{Refused: 1}) {
		t.Fatalf("counts %+v", got)
	}
}
