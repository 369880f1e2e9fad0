package flow

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

// createElsewhere creates a transaction with the runner's client, as a
// partner's backend would, without a journey.
func createElsewhere(t *testing.T, r *Runner, tok string, req gateway.TransactionRequest) string {
	t.Helper()
	txn, err := r.Client().CreateTransaction(context.Background(), tok, req)
	if err != nil {
		t.Fatal(err)
	}
	return txn.TransactionID
}

func guest(t *testing.T) string {
	t.Helper()
	tok, err := gateway.MintGuestToken(sandbox.DefaultSecret, time.Now().Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestSDKRunNeverStartsTheSDKTwice: once the SDK was started on a
// transaction created elsewhere, no retry starts it again.
func TestSDKRunNeverStartsTheSDKTwice(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{Auto: gateway.ScenarioUserCancelled})
	id := createElsewhere(t, r, guest(t), gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j := r.RunTransaction(RunSpec{TransactionID: id, Label: "carol", Guest: true})
	defer j.Close()
	f := j.Run(context.Background(), nil)
	if f == nil || f.Kind != AwaitSDK {
		t.Fatalf("failed step %+v, want await_sdk", f)
	}
	for _, k := range []StepKind{AwaitSDK, OpenBrowser, CheckTransaction, MintToken} {
		j.RetryFrom(k)
		if s := j.Step(AwaitSDK); s.State != Failed {
			t.Fatalf("RetryFrom(%s) reset await_sdk to %s: the SDK would start again", k, s.State)
		}
		if s := j.Next(context.Background()); s != nil {
			t.Fatalf("RetryFrom(%s) then Next ran %s", k, s.Kind)
		}
	}
	var sdk *gateway.SDKError
	if !errors.As(j.Step(AwaitSDK).Err, &sdk) || sdk.Message != "user_cancelled" {
		t.Fatalf("await_sdk error %v", j.Step(AwaitSDK).Err)
	}
	hist, _ := st.History(session.BuiltinProfileName)
	if len(hist) != 1 || hist[0].TransactionID != id || hist[0].Status != gateway.StatusCancelled {
		t.Fatalf("history %+v", hist)
	}
}

// TestSDKRunRefusesUsedAndUnknownTransactions: a transaction the sandbox
// shows used, or does not have, fails check_transaction before the SDK.
func TestSDKRunRefusesUsedAndUnknownTransactions(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	id := createElsewhere(t, r, guest(t), gateway.TransactionRequest{Intent: gateway.IntentConnect})
	if _, err := testSandbox(r).Complete(context.Background(), id, sandbox.CompleteRequest{}); err != nil {
		t.Fatal(err)
	}
	j := r.RunTransaction(RunSpec{TransactionID: id, Guest: true})
	defer j.Close()
	f := j.Run(context.Background(), nil)
	var used *AlreadyRunError
	if f == nil || f.Kind != CheckTransaction || !errors.As(f.Err, &used) || used.Status != gateway.StatusCompleted {
		t.Fatalf("failed %+v", f)
	}
	j2 := r.RunTransaction(RunSpec{TransactionID: "TRX_00000000000000000000000000000000", Guest: true})
	defer j2.Close()
	f = j2.Run(context.Background(), nil)
	var unk *UnknownTransactionError
	if f == nil || f.Kind != CheckTransaction || !errors.As(f.Err, &unk) || !unk.Builtin {
		t.Fatalf("failed %+v", f)
	}
	if hist, _ := st.History(session.BuiltinProfileName); len(hist) != 0 {
		t.Fatalf("refused transactions were recorded: %+v", hist)
	}

	// A transaction the history says was left while live is not run.
	left := createElsewhere(t, r, guest(t), gateway.TransactionRequest{Intent: gateway.IntentConnect})
	if err := st.AddHistory(session.BuiltinProfileName, session.HistoryEntry{TransactionID: left, Intent: gateway.IntentConnect,
		Status: session.StatusAbandoned}); err != nil {
		t.Fatal(err)
	}
	j3 := r.RunTransaction(RunSpec{TransactionID: left, Guest: true})
	defer j3.Close()
	f = j3.Run(context.Background(), nil)
	if f == nil || f.Kind != CheckTransaction || !errors.As(f.Err, &used) || used.Status != session.StatusAbandoned {
		t.Fatalf("abandoned: failed %+v", f)
	}
}

// TestSDKRunGivenTokenChecks: a token issued elsewhere is verified with
// the profile's secret, and a connected one must be the label's user.
func TestSDKRunGivenTokenChecks(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	alice := defaultAuthID()
	if err := st.SaveUser(session.BuiltinProfileName, session.User{Label: "alice", SmallcaseAuthID: alice, Broker: "kite-leprechaun"}, false); err != nil {
		t.Fatal(err)
	}
	wrong, _ := gateway.MintGuestToken("not-the-secret", time.Now().Add(time.Hour))
	other, _ := gateway.MintConnectedToken(sandbox.DefaultSecret, sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP002"), time.Now().Add(time.Hour))
	for name, tc := range map[string]struct {
		tok  string
		want func(error) bool
	}{
		"wrong signature": {wrong, func(err error) bool { return errors.Is(err, gateway.ErrTokenSignature) }},
		"another user":    {other, func(err error) bool { var tu *TokenOfAnotherUserError; return errors.As(err, &tu) }},
	} {
		j := r.RunTransaction(RunSpec{TransactionID: "TRX_0123", Label: "alice", Token: tc.tok})
		f := j.Run(context.Background(), nil)
		j.Close()
		if f == nil || f.Kind != MintToken || !tc.want(f.Err) {
			t.Errorf("%s: failed %+v", name, f)
		}
	}
	if n := testSandbox(r).Transactions(); n != 0 {
		t.Fatalf("sandbox holds %d transactions", n)
	}
}

// pageStartsSDK plays the browser page of j up to the SDK's start: it
// claims the journey as its tab and reports sdk_started.
func pageStartsSDK(t *testing.T, j *Journey) {
	t.Helper()
	u := j.Step(OpenBrowser).BrowserURL
	const tab = "tab-first-0001"
	resp, err := http.Get(u + "journey.json?tab=" + tab + "&load=load-000000001")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Post(u+"event?tab="+tab+"&load=load-000000001", "application/json", strings.NewReader(`{"kind":"sdk_started","detail":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("sdk_started: HTTP %d", resp.StatusCode)
	}
}

// TestSDKRunClaimsItsTransaction: gatewalk sdk claims a transaction made
// elsewhere in the history before its page opens. A run interrupted after
// the page started the SDK leaves it CLAIMED, and a second run is refused;
// one interrupted before the SDK started gives it back, so it can run.
func TestSDKRunClaimsItsTransaction(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{NoBrowser: true})
	status := func(id string) gateway.Status {
		t.Helper()
		hist, err := st.History(session.BuiltinProfileName)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range hist {
			if e.TransactionID == id {
				return e.Status
			}
		}
		return ""
	}
	started := createElsewhere(t, r, guest(t), gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j := r.RunTransaction(RunSpec{TransactionID: started, Label: "carol", Guest: true})
	runUntilSDK(t, j)
	if got := status(started); got != session.StatusClaimed {
		t.Fatalf("history %q once the page is open, want %s", got, session.StatusClaimed)
	}
	pageStartsSDK(t, j)
	j.Close() // the terminal was interrupted
	if got := status(started); got != session.StatusClaimed {
		t.Fatalf("history %q after an interrupted run whose SDK started, want %s", got, session.StatusClaimed)
	}
	again := r.RunTransaction(RunSpec{TransactionID: started, Label: "carol", Guest: true})
	defer again.Close()
	f := again.Run(context.Background(), nil)
	var ar *AlreadyRunError
	if f == nil || f.Kind != CheckTransaction || !errors.As(f.Err, &ar) || ar.Status != session.StatusClaimed {
		t.Fatalf("a second run: failed step %+v", f)
	}

	unstarted := createElsewhere(t, r, guest(t), gateway.TransactionRequest{Intent: gateway.IntentConnect})
	j = r.RunTransaction(RunSpec{TransactionID: unstarted, Label: "dave", Guest: true})
	runUntilSDK(t, j)
	j.Close()
	if got := status(unstarted); got != gateway.StatusInitialized {
		t.Fatalf("history %q after a run interrupted before the SDK started, want INITIALIZED", got)
	}
	j = r.RunTransaction(RunSpec{TransactionID: unstarted, Label: "dave", Guest: true})
	defer j.Close()
	runUntilSDK(t, j)
}

// TestClaimHistoryOnce: two claims of one transaction, the second refused
// until the first is given back.
func TestClaimHistoryOnce(t *testing.T) {
	st := newStore(t)
	e := session.HistoryEntry{TransactionID: "TRX_0123456789abcdef0123456789abcdef", Intent: gateway.IntentConnect}
	if _, err := st.ClaimHistory(session.BuiltinProfileName, e); err != nil {
		t.Fatal(err)
	}
	if got, err := st.ClaimHistory(session.BuiltinProfileName, e); !errors.Is(err, session.ErrClaimed) || got.Status != session.StatusClaimed {
		t.Fatalf("second claim: %+v %v", got, err)
	}
	if err := st.ReleaseClaim(session.BuiltinProfileName, e.TransactionID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimHistory(session.BuiltinProfileName, e); err != nil {
		t.Fatalf("claim after the release: %v", err)
	}
}

// TestSDKRunRefusesATransactionBoundToAnotherUser: a transaction created
// with bob's connected token is refused for alice before the SDK starts
// (the sandbox knows whom it is bound to), and runs for bob.
func TestSDKRunRefusesATransactionBoundToAnotherUser(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	alice, bob := defaultAuthID(), sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP002")
	for label, id := range map[string]string{"alice": alice, "bob": bob} {
		if err := st.SaveUser(session.BuiltinProfileName, session.User{Label: label, SmallcaseAuthID: id, Broker: "kite-leprechaun"}, false); err != nil {
			t.Fatal(err)
		}
	}
	bobTok, _ := gateway.MintConnectedToken(sandbox.DefaultSecret, bob, time.Now().Add(time.Hour))
	id := createElsewhere(t, r, bobTok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}}})
	j := r.RunTransaction(RunSpec{TransactionID: id, Label: "alice"})
	f := j.Run(context.Background(), nil)
	j.Close()
	var bound *BoundToAnotherUserError
	if f == nil || f.Kind != CheckTransaction || !errors.As(f.Err, &bound) || bound.Bound != bob {
		t.Fatalf("alice on bob's transaction: failed %+v", f)
	}
	if v, _ := testSandbox(r).Transaction(id); v.Status != gateway.StatusInitialized {
		t.Fatalf("the refused run used the transaction: %s", v.Status)
	}
	if p := Explain(f.Err); p.Name != "bound_to_another_user" || !strings.Contains(p.Advice, "--user") {
		t.Errorf("explained as %+v", p)
	}
	j = r.RunTransaction(RunSpec{TransactionID: id, Label: "bob"})
	defer j.Close()
	if f := j.Run(context.Background(), nil); f != nil {
		t.Fatalf("bob's run failed at %s: %v", f.Kind, f.Err)
	}
}
