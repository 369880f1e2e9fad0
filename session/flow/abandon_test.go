package flow

import (
	"context"
	"strings"
	"testing"

	"gatewalk/gateway"
	"gatewalk/session"
)

// TestAbandonMarksHistory: a journey left while its transaction is live is
// ABANDONED in history, not left INITIALIZED.
func TestAbandonMarksHistory(t *testing.T) {
	st := newStore(t)
	mustRun(t, setup(t, st, Options{Auto: gateway.ScenarioSuccess}).GuestLogin("alice"))
	r := setup(t, st, Options{NoBrowser: true})
	j := r.Order("alice", gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}})
	runUntilSDK(t, j)
	txn := j.TransactionID()
	if txn == "" {
		t.Fatal("no transaction was created")
	}
	j.Abandon()
	hist, err := st.History(session.BuiltinProfileName)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range hist {
		if e.TransactionID == txn {
			if e.Status != session.StatusAbandoned {
				t.Fatalf("history status %q, want %s", e.Status, session.StatusAbandoned)
			}
			return
		}
	}
	t.Fatalf("transaction %s is not in history", txn)
}

// TestFreshTransactionAbandonsTheLiveOne: replacing a live transaction by
// a fresh one marks the first ABANDONED in history.
func TestFreshTransactionAbandonsTheLiveOne(t *testing.T) {
	st := newStore(t)
	mustRun(t, setup(t, st, Options{Auto: gateway.ScenarioSuccess}).GuestLogin("alice"))
	r := setup(t, st, Options{NoBrowser: true})
	j := r.Order("alice", gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}})
	runUntilSDK(t, j)
	first := j.TransactionID()
	j.RetryFrom(CreateTransaction)
	hist, err := st.History(session.BuiltinProfileName)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range hist {
		if e.TransactionID == first {
			if e.Status != session.StatusAbandoned {
				t.Fatalf("the replaced transaction is %q in history", e.Status)
			}
			return
		}
	}
	t.Fatalf("the replaced transaction %s is not in history", first)
}

// runUntilSDK runs j's steps up to (not including) the SDK wait: its
// transaction is then created and live.
func runUntilSDK(t *testing.T, j *Journey) {
	t.Helper()
	for j.Current() != nil && j.Current().Kind != AwaitSDK {
		if s := j.Next(context.Background()); s != nil && s.Err != nil {
			t.Fatalf("%s: %v", s.Kind, s.Err)
		}
	}
}

// TestRefusedDuplicateSaysSoInHistory: a CONNECT whose account another
// local user already holds is "not saved (duplicate)" in history.
func TestRefusedDuplicateSaysSoInHistory(t *testing.T) {
	st := newStore(t)
	mustRun(t, setup(t, st, Options{Auto: gateway.ScenarioSuccess}).GuestLogin("alice"))
	j := setup(t, st, Options{Auto: gateway.ScenarioSuccess}).GuestLogin("bob") // the same default account
	if f := j.Run(context.Background(), nil); f == nil || f.Kind != SaveUser {
		t.Fatalf("the duplicate was not refused at save_user: %+v", f)
	}
	hist, err := st.History(session.BuiltinProfileName)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range hist {
		if e.TransactionID == j.TransactionID() {
			if !strings.Contains(e.Summary, "not saved (duplicate)") {
				t.Fatalf("history says %q (%s)", e.Summary, e.Status)
			}
			return
		}
	}
	t.Fatal("the transaction is not in history")
}

// TestOpenBrowserShowsTheSDKConfig: the open-browser step carries the
// config the page gives new scDK: the profile's own, else amo and the
// leprechaun flags.
func TestOpenBrowserShowsTheSDKConfig(t *testing.T) {
	st := newStore(t)
	p := session.BuiltinProfile()
	p.Name, p.SDKConfig = "mysb", `{"amo":true,"leprechaunEnabled":true}`
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ profile, want string }{
		{session.BuiltinProfileName, `{"amo":false,"isLeprechaun":true,"leprechaunEnabled":true}`},
		{"mysb", `{"amo":true,"leprechaunEnabled":true}`},
	} {
		j := setup(t, st, Options{ProfileName: tc.profile, NoBrowser: true}).GuestLogin("alice")
		runUntilSDK(t, j)
		if s := j.Step(OpenBrowser); s == nil || s.SDKConfig != tc.want {
			t.Errorf("%s: open_browser SDK config %+v, want %s", tc.profile, s, tc.want)
		}
		j.Close()
	}
}
