package flow

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

// createAgainst runs a guest login's first steps against apiURL and
// returns the create step's error.
func createAgainst(t *testing.T, apiURL string) error {
	t.Helper()
	st := newStore(t)
	p := session.Profile{Name: "ext", Env: gateway.EnvSandbox, Gateway: sandbox.DefaultGateway, Secret: sandbox.DefaultSecret,
		APISecret: sandbox.DefaultAPISecret, APIURL: apiURL}
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	r := setup(t, st, Options{ProfileName: "ext", NoBrowser: true, Timeout: 100 * time.Millisecond})
	j := r.GuestLogin("bob")
	for {
		s := j.Next(context.Background())
		if s == nil {
			t.Fatal("the journey ended without a create error")
		}
		if s.Kind == CreateTransaction {
			return s.Err
		}
		if s.Err != nil {
			t.Fatalf("%s: %v", s.Kind, s.Err)
		}
	}
}

// TestUnansweredCreateSaysATransactionMayExist: a create that reached the
// Gateway and got no answer is never reported as "could not reach": it
// says a transaction may exist, when the request was sent, and that it
// was not retried.
func TestUnansweredCreateSaysATransactionMayExist(t *testing.T) {
	var creates atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		creates.Add(1)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close() // the request arrived; the answer never comes
		}
	}))
	t.Cleanup(srv.Close)
	err := createAgainst(t, srv.URL)
	var un *UnreachableError
	if !errors.As(err, &un) || !un.MayHaveCreated || un.Sent.IsZero() {
		t.Fatalf("create error %v (%#v), want an unanswered create", err, un)
	}
	if msg := err.Error(); !strings.Contains(msg, "may have been created") || strings.Contains(msg, "could not reach") {
		t.Fatalf("message: %s", msg)
	}
	if p := Explain(err); p.Name != "create_unanswered" || p.Redo != "" || !strings.Contains(p.Advice, "twice") {
		t.Fatalf("explained as %+v: must not offer to create again blindly", p)
	}
	if n := creates.Load(); n != 1 {
		t.Fatalf("the create was sent %d times", n)
	}
}

// TestRefusedCreateSaysNothingWasCreated: a refused connection proves the
// request never arrived.
func TestRefusedCreateSaysNothingWasCreated(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close()
	err := createAgainst(t, url)
	var un *UnreachableError
	if !errors.As(err, &un) || un.MayHaveCreated || !strings.Contains(err.Error(), "could not reach") {
		t.Fatalf("create error %v, want unreachable without a possible transaction", err)
	}
}
