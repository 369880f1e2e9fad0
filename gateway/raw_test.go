package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestSendOnlyToTheAPI: Send takes a path on the client's API URL; a URL
// of another host, //host or a path without a leading slash is refused
// before anything is sent.
func TestSendOnlyToTheAPI(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, Gateway: "gw", APISecret: "k"}
	for _, p := range []string{"http://example.com/x", "//example.com/x", "x", "", "/x?y=1", "/x#f"} {
		if _, err := c.Send(context.Background(), "GET", p, nil, "", nil); !errors.Is(err, ErrNotAPIPath) {
			t.Errorf("%q: %v", p, err)
		}
	}
	if n.Load() != 0 {
		t.Fatalf("%d requests sent", n.Load())
	}
}

// TestSendAnswers: the answer comes back whole with its status and
// headers; a refusal is an *APIError with the response still there; a
// POST that gets a 5xx is sent once, a GET is retried.
func TestSendAnswers(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get(HeaderSecret) != "k" || r.Header.Get(HeaderAuthToken) != "tok" {
			w.WriteHeader(401)
			w.Write([]byte(`{"success":false,"errors":["Invalid x-gateway-secret"]}`))
			return
		}
		w.Header().Set("X-A", "b")
		if r.URL.Path == "/fail" {
			w.WriteHeader(502)
			return
		}
		w.Write([]byte(`{"success":true,"data":{"q":"` + r.URL.Query().Get("q") + `"}}`))
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, Gateway: "gw", APISecret: "k", Backoff: 1}
	resp, err := c.Send(context.Background(), "get", "/ok", map[string][]string{"q": {"1"}}, "tok", nil)
	if err != nil || resp.Status != 200 || resp.Header.Get("X-A") != "b" || string(resp.Body) != `{"success":true,"data":{"q":"1"}}` {
		t.Fatalf("%+v %v", resp, err)
	}
	resp, err = c.Send(context.Background(), "GET", "/ok", nil, "wrong", nil)
	var api *APIError
	if !errors.As(err, &api) || !api.KeysRejected() || resp == nil || resp.Status != 401 {
		t.Fatalf("refusal: %+v %v", resp, err)
	}
	n.Store(0)
	if _, err := c.Send(context.Background(), "POST", "/fail", nil, "tok", []byte(`{}`)); err == nil || n.Load() != 1 {
		t.Fatalf("POST after a 502: %v, sent %d times", err, n.Load())
	}
	n.Store(0)
	if _, err := c.Send(context.Background(), "GET", "/fail", nil, "tok", nil); err == nil || n.Load() != 1+DefaultRetries {
		t.Fatalf("GET after a 502: %v, sent %d times", err, n.Load())
	}
}
