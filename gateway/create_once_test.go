package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestCreateIsSentOnce: a create that gets no answer (a timeout, a reset
// connection) or a 5xx is never sent again, whatever the retry settings:
// a second create could make a second transaction.
func TestCreateIsSentOnce(t *testing.T) {
	cases := map[string]func(release <-chan struct{}) http.HandlerFunc{
		// Holds the answer until the test ends (the server notices the
		// client giving up only once it reads, which this handler never does).
		"timeout": func(release <-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}
		},
		"reset": func(<-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			}
		},
		"5xx": func(<-chan struct{}) http.HandlerFunc {
			return envelopeHandler(502, `{"success":false,"errors":["bad gateway"],"data":null}`)
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			var creates atomic.Int32
			release := make(chan struct{})
			handle := h(release)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					creates.Add(1)
				}
				handle(w, r)
			}))
			t.Cleanup(func() {
				close(release)
				srv.Close()
			})
			c := newTestClient(srv.URL)
			c.Timeout = 50 * time.Millisecond
			c.Retries = 5
			if _, err := c.CreateTransaction(context.Background(), "t", TransactionRequest{Intent: IntentConnect}); err == nil {
				t.Fatal("no error")
			}
			if n := creates.Load(); n != 1 {
				t.Fatalf("the create was sent %d times, want exactly once", n)
			}
		})
	}
}
