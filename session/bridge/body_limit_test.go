package bridge

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"
)

// chunkedCall posts body with Transfer-Encoding: chunked and no
// Content-Length, so only the reading of the body can enforce a limit.
func chunkedCall(t *testing.T, rawURL string, body []byte) (int, string) {
	t.Helper()
	// A reader of unknown length makes the client send chunks.
	req, err := http.NewRequest("POST", rawURL, io.MultiReader(bytes.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	req.TransferEncoding = []string{"chunked"}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// TestChunkedBodyOverLimitIsRefused: a result body sent in chunks, without
// a Content-Length, is still held to MaxResultBytes: 413, and the journey
// is not settled. The oversize body is a valid result padded with spaces,
// so without the limit it would be taken.
func TestChunkedBodyOverLimitIsRefused(t *testing.T) {
	b := startTestBridge(t, Config{})
	j, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	resultURL := loopbackURL(b, journeyPath(j)+"result")
	ok := okResultBody(t)
	padded := append(append([]byte(nil), ok...), bytes.Repeat([]byte(" "), MaxResultBytes+1-len(ok))...)
	if len(padded) <= MaxResultBytes {
		t.Fatalf("padded body is %d bytes, want over %d", len(padded), MaxResultBytes)
	}
	for _, body := range [][]byte{padded, append(padded, bytes.Repeat([]byte(" "), 3*MaxResultBytes)...)} {
		if status, text := chunkedCall(t, resultURL, body); status != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked body of %d bytes: %d %s, want 413", len(body), status, text)
		}
	}
	if st, _ := j.snapshot(); st != stateWaiting {
		t.Fatalf("a refused result changed the journey")
	}
	if evs := drainEvents(j); len(evs) != 0 {
		t.Fatalf("refused results produced events: %v", eventKinds(evs))
	}
	// The same result within the limit, also chunked, is taken.
	if status, text := chunkedCall(t, resultURL, ok); status != http.StatusOK {
		t.Errorf("chunked body within the limit: %d %s, want 200", status, text)
	}
}
