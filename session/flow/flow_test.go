package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/bridge"
)

// noEnv is an environment with nothing set: no overrides, no display.
func noEnv(string) string { return "" }

func newStore(t testing.TB) *session.Store {
	t.Helper()
	st, _, err := session.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// testEmulators is the embedded sandbox, as ui/cli hands it in.
var testEmulators = Emulators{
	New:          func(c gateway.EmulatorConfig) Emulator { return sandbox.Embedded(c) },
	TestAccounts: sandbox.TestAccounts,
}

// testSandbox is the runner's embedded sandbox.
func testSandbox(r *Runner) *sandbox.Server { return r.Sandbox().(*sandbox.Server) }

func setup(t testing.TB, st *session.Store, opt Options) *Runner {
	t.Helper()
	if opt.Emulators.New == nil {
		opt.Emulators = testEmulators
	}
	if opt.Getenv == nil {
		opt.Getenv = noEnv
	}
	if opt.Opener == nil {
		opt.Opener = bridge.OpenerFunc(func(u string) error {
			t.Errorf("a browser was opened at %s", u)
			return nil
		})
	}
	r, err := Setup(context.Background(), st, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func mustRun(t *testing.T, j *Journey) {
	t.Helper()
	if f := j.Run(context.Background(), nil); f != nil {
		t.Fatalf("%s: step %s failed: %v", j.Kind, f.Kind, f.Err)
	}
	if !j.Done() {
		t.Fatalf("%s: not done after Run", j.Kind)
	}
}

func defaultAuthID() string {
	return sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001")
}

func TestThreeJourneysAuto(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	if r.Sandbox() == nil {
		t.Fatal("the sandbox profile did not start the in-process sandbox")
	}
	login, u := autoGuestLogin(t, st, r)
	order := autoOrder(t, r, u)
	imp := autoHoldingsImport(t, r, u)
	for _, j := range []*Journey{login, order, imp} {
		if f := j.Facts(); f.SmallcaseAuthID != u.SmallcaseAuthID || f.Kind != j.Kind || f.Started.IsZero() {
			t.Fatalf("%s facts %+v", j.Kind, f)
		}
	}
	checkHistoryOfThree(t, st, u)
}

// autoGuestLogin runs a guest login answered by the sandbox and checks its
// steps and the saved user.
func autoGuestLogin(t *testing.T, st *session.Store, r *Runner) (*Journey, session.User) {
	t.Helper()
	login := r.GuestLogin("alice")
	var seen []StepKind
	if f := login.Run(context.Background(), func(s *Step) {
		if s.State != Running {
			seen = append(seen, s.Kind)
		}
	}); f != nil {
		t.Fatalf("guest login failed at %s: %v", f.Kind, f.Err)
	}
	want := []StepKind{MintToken, CreateTransaction, OpenBrowser, AwaitSDK, VerifyResult, SaveUser}
	if strings.Join(kinds(seen), ",") != strings.Join(kinds(want), ",") {
		t.Fatalf("steps ran %v, want %v", seen, want)
	}
	if s := login.Step(MintToken); s.TokenInfo == nil || s.TokenInfo.Kind != gateway.TokenGuest {
		t.Fatalf("mint_token did not mint a guest token: %+v", s.TokenInfo)
	}
	if s := login.Step(OpenBrowser); s.State != Skipped {
		t.Fatalf("open_browser in auto mode is %s, want skipped", s.State)
	}
	u, err := st.User(session.BuiltinProfileName, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if u.SmallcaseAuthID != defaultAuthID() || u.Broker != "kite-leprechaun" || !u.Leprechaun {
		t.Fatalf("saved user %+v, want the default leprechaun account %s", u, defaultAuthID())
	}
	if login.AuthID() != u.SmallcaseAuthID {
		t.Fatalf("journey auth id %q, saved %q", login.AuthID(), u.SmallcaseAuthID)
	}
	return login, u
}

// autoOrder places TCS and INFY for u and checks the token and the batches.
func autoOrder(t *testing.T, r *Runner, u session.User) *Journey {
	t.Helper()
	order := r.Order("alice", gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{
		{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}, {Ticker: "INFY", Quantity: 2, Type: gateway.Buy}}})
	mustRun(t, order)
	if s := order.Step(MintToken); s.TokenInfo.Kind != gateway.TokenConnected || s.TokenInfo.SmallcaseAuthID != u.SmallcaseAuthID {
		t.Fatalf("order token %+v, want connected for %s", s.TokenInfo, u.SmallcaseAuthID)
	}
	od := order.Step(FetchOrders).Orders
	if od == nil || len(od.Batches) == 0 {
		t.Fatalf("no order batches fetched: %+v", od)
	}
	var tickers []string
	for _, b := range od.Batches {
		for _, o := range b.Orders {
			tickers = append(tickers, o.Tradingsymbol)
		}
	}
	if got := strings.Join(tickers, ","); !strings.Contains(got, "TCS") || !strings.Contains(got, "INFY") {
		t.Fatalf("orders %v, want TCS and INFY", tickers)
	}
	if len(order.Step(FetchOrders).Exchanges) == 0 || len(order.Step(CreateTransaction).Exchanges) != 1 {
		t.Fatal("requests were not recorded on their steps")
	}
	return order
}

// autoHoldingsImport imports v2 holdings with mutual funds for u.
func autoHoldingsImport(t *testing.T, r *Runner, u session.User) *Journey {
	t.Helper()
	imp := r.HoldingsImport("alice", gateway.HoldingsOptions{V2: true, MFHoldings: true})
	mustRun(t, imp)
	var body map[string]any
	if err := json.Unmarshal([]byte(imp.Step(CreateTransaction).Exchanges[0].RequestBody), &body); err != nil {
		t.Fatal(err)
	}
	if body["intent"] != "HOLDINGS_IMPORT" || body["version"] != "v2" || !strings.Contains(imp.Step(CreateTransaction).Exchanges[0].RequestBody, `"mfHoldings":true`) {
		t.Fatalf("HOLDINGS_IMPORT body %v", body)
	}
	h := imp.Step(FetchHoldings).Holdings
	if h == nil || h.V2 == nil || h.AuthID() != u.SmallcaseAuthID || len(h.Equities()) == 0 || len(h.MutualFunds()) == 0 {
		t.Fatalf("holdings %+v: want v2 with equities and mutual funds of %s", h, u.SmallcaseAuthID)
	}
	return imp
}

// checkHistoryOfThree: the three journeys are in history, completed, for
// alice, whose last use was touched.
func checkHistoryOfThree(t *testing.T, st *session.Store, u session.User) {
	t.Helper()
	hist, err := st.History(session.BuiltinProfileName)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 {
		t.Fatalf("history has %d entries, want 3", len(hist))
	}
	for _, e := range hist {
		if e.Status != gateway.StatusCompleted || e.User != "alice" {
			t.Errorf("history entry %s %s: status %s user %q", e.TransactionID, e.Intent, e.Status, e.User)
		}
	}
	if after, _ := st.User(session.BuiltinProfileName, "alice"); !after.LastUsedAt.After(u.ConnectedAt.Add(-time.Second)) {
		t.Errorf("last used %v not touched", after.LastUsedAt)
	}
}

func kinds(ks []StepKind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, string(k))
	}
	return out
}

func TestDuplicateAuthID(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	mustRun(t, r.GuestLogin("alice"))

	bob := r.GuestLogin("bob")
	f := bob.Run(context.Background(), nil)
	var dup *session.DuplicateAuthIDError
	if f == nil || f.Kind != SaveUser || !errors.As(f.Err, &dup) || dup.Existing.Label != "alice" {
		t.Fatalf("second label on the same account: failed step %+v, want save_user with a duplicate of alice", f)
	}
	if _, err := st.User(session.BuiltinProfileName, "bob"); !errors.Is(err, session.ErrUserNotFound) {
		t.Fatalf("bob was saved despite the refusal: %v", err)
	}
	if p := Explain(f.Err); p.Redo != SaveUser {
		t.Fatalf("duplicate redo %q, want save_user", p.Redo)
	}
	if bob.Next(context.Background()) != nil {
		t.Fatal("Next ran a step past a failure")
	}
	bob.AllowDuplicate()
	mustRun(t, bob)
	b, err := st.User(session.BuiltinProfileName, "bob")
	if err != nil || b.SmallcaseAuthID != defaultAuthID() {
		t.Fatalf("bob after confirmation: %+v, %v", b, err)
	}
}

func TestReconnectOtherAccountIsMismatch(t *testing.T) {
	st := newStore(t)
	mustRun(t, setup(t, st, Options{Auto: gateway.ScenarioSuccess}).GuestLogin("alice"))
	other := setup(t, st, Options{Auto: gateway.ScenarioSuccess, AutoAccount: "LEP002"})
	j := other.GuestLogin("alice")
	f := j.Run(context.Background(), nil)
	var mm *gateway.AuthIDMismatchError
	if f == nil || f.Kind != VerifyResult || !errors.As(f.Err, &mm) {
		t.Fatalf("re-login of alice with another account: %+v, want verify_result mismatch", f)
	}
	if mm.User != "alice" || mm.Expected != defaultAuthID() || mm.Got != sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP002") {
		t.Fatalf("mismatch %+v", mm)
	}
	if u, _ := st.User(session.BuiltinProfileName, "alice"); u.SmallcaseAuthID != defaultAuthID() {
		t.Fatalf("stored id overwritten: %s", u.SmallcaseAuthID)
	}
}

func TestOrderUnknownUserSendsNothing(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	j := r.Order("nobody", gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}})
	f := j.Run(context.Background(), nil)
	var uu *UnknownUserError
	if f == nil || f.Kind != MintToken || !errors.As(f.Err, &uu) || !errors.Is(f.Err, session.ErrUserNotFound) {
		t.Fatalf("order for an unknown user: %+v", f)
	}
	if !strings.Contains(f.Err.Error(), "gatewalk login --user nobody") {
		t.Fatalf("error does not say how to connect the user: %v", f.Err)
	}
	if n := testSandbox(r).Transactions(); n != 0 {
		t.Fatalf("the sandbox holds %d transactions, want none", n)
	}
}

func TestExpiredTransactionThenFresh(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	j := r.GuestLogin("alice")
	ctx := context.Background()
	for _, k := range []StepKind{MintToken, CreateTransaction} {
		if s := j.Next(ctx); s == nil || s.Kind != k || s.State != Done {
			t.Fatalf("step %v: %+v", k, s)
		}
	}
	first := j.TransactionID()
	if left := j.ExpireAt().Sub(r.now()); left <= 4*time.Minute || left > gateway.TransactionLifetime {
		t.Fatalf("countdown starts at %v, want about 5m", left)
	}
	testSandbox(r).Advance(gateway.TransactionLifetime + time.Minute)
	f := j.Run(ctx, nil)
	var sdk *gateway.SDKError
	if f == nil || f.Kind != AwaitSDK || !errors.As(f.Err, &sdk) || sdk.Message != "transaction_expired" {
		t.Fatalf("after expiry: %+v", f)
	}
	if p := Explain(f.Err); p.Redo != CreateTransaction {
		t.Fatalf("expiry redo %q", p.Redo)
	}
	j.RetryFrom(CreateTransaction)
	if j.Step(AwaitSDK).State != Pending || j.Step(MintToken).State != Done {
		t.Fatal("RetryFrom(create_transaction) did not reset exactly the later steps")
	}
	mustRun(t, j)
	if j.TransactionID() == first {
		t.Fatal("the retry reused the expired transaction")
	}
	hist, _ := st.History(session.BuiltinProfileName)
	status := map[string]gateway.Status{}
	for _, e := range hist {
		status[e.TransactionID] = e.Status
	}
	if status[first] != gateway.StatusExpired || status[j.TransactionID()] != gateway.StatusCompleted {
		t.Fatalf("history statuses %v", status)
	}
}

// TestBrowserJourneyThroughBridge runs the browser steps for real: the page
// URL is served by the bridge, and the result is posted to it the way the
// page posts what the SDK settled with.
func TestBrowserJourneyThroughBridge(t *testing.T) {
	st := newStore(t)
	opened := make(chan string, 1)
	r := setup(t, st, Options{Getenv: func(k string) string {
		if k == "DISPLAY" {
			return ":0"
		}
		return ""
	}, Opener: bridge.OpenerFunc(func(u string) error { opened <- u; return nil })})
	j := r.GuestLogin("alice")
	ctx := context.Background()
	for range 3 {
		if s := j.Next(ctx); s == nil || s.State != Done {
			t.Fatalf("step: %+v", s)
		}
	}
	ob := j.Step(OpenBrowser)
	if !ob.Opened || ob.BrowserURL == "" || <-opened != ob.BrowserURL {
		t.Fatalf("open_browser %+v", ob)
	}
	resp, err := http.Get(ob.BrowserURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("page answered %d", resp.StatusCode)
	}
	out, err := testSandbox(r).Complete(ctx, j.TransactionID(), sandbox.CompleteRequest{Outcome: gateway.ScenarioSuccess})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		b, _ := json.Marshal(out)
		resp, err := http.Post(ob.BrowserURL+"result", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("result answered %d", resp.StatusCode)
		}
	}()
	mustRun(t, j)
	var kindsSeen []bridge.JourneyEventKind
	for len(j.Events()) > 0 {
		kindsSeen = append(kindsSeen, (<-j.Events()).Kind)
	}
	if !containsKind(kindsSeen, bridge.JourneyPageOpened) || !containsKind(kindsSeen, bridge.JourneyResult) {
		t.Fatalf("events %v, want page_opened and result", kindsSeen)
	}
	if u, err := st.User(session.BuiltinProfileName, "alice"); err != nil || u.SmallcaseAuthID != defaultAuthID() {
		t.Fatalf("user %+v, %v", u, err)
	}
}

func containsKind(ks []bridge.JourneyEventKind, k bridge.JourneyEventKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func TestBrowserJourneyExpires(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{NoBrowser: true})
	j := r.GuestLogin("alice")
	ctx := context.Background()
	for range 3 {
		j.Next(ctx)
	}
	ob := j.Step(OpenBrowser)
	if ob.State != Done || ob.Opened || !strings.Contains(ob.Summary, ob.BrowserURL) || strings.Contains(ob.BrowserNote, ob.BrowserURL) {
		t.Fatalf("--no-browser step %+v: want the URL once, in the summary, and not opened", ob)
	}
	testSandbox(r).Advance(gateway.TransactionLifetime + time.Second)
	s := j.Next(ctx)
	if s == nil || s.Kind != AwaitSDK || !errors.Is(s.Err, bridge.ErrJourneyExpired) {
		t.Fatalf("await after expiry: %+v", s)
	}
	if p := Explain(s.Err); p.Redo != CreateTransaction {
		t.Fatalf("redo %q", p.Redo)
	}
}

func TestSDKErrorsFailAwait(t *testing.T) {
	st := newStore(t)
	mustRun(t, setup(t, st, Options{Auto: gateway.ScenarioSuccess}).GuestLogin("alice"))
	oc := gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}}
	cases := []struct {
		sc   gateway.Scenario
		name string
	}{
		{gateway.ScenarioMarketClosed, "market_closed"},
		{gateway.ScenarioUserCancelled, "user_cancelled"},
		{gateway.ScenarioConsentDenied, "consent_denied"},
		{gateway.ScenarioUserMismatch, "user_mismatch"},
		{gateway.ScenarioExpired, "transaction_expired"},
	}
	for _, tc := range cases {
		t.Run(string(tc.sc), func(t *testing.T) {
			r := setup(t, st, Options{Auto: tc.sc})
			j := r.Order("alice", oc)
			f := j.Run(context.Background(), nil)
			var sdk *gateway.SDKError
			if f == nil || f.Kind != AwaitSDK || !errors.As(f.Err, &sdk) || sdk.Message != tc.name {
				t.Fatalf("failed step %+v, want await_sdk with %s", f, tc.name)
			}
			if p := Explain(f.Err); p.Name != tc.name || p.Advice == "" {
				t.Fatalf("explained as %+v", p)
			}
		})
	}
}

type fakeWaiter struct{ rec session.PostbackRecord }

func (f fakeWaiter) Wait(ctx context.Context, txnID, event string) (session.PostbackRecord, error) {
	r := f.rec
	r.TransactionID, r.Event = txnID, event
	return r, nil
}

func TestPostbackStep(t *testing.T) {
	st := newStore(t)
	mustRun(t, setup(t, st, Options{Auto: gateway.ScenarioSuccess}).GuestLogin("alice"))
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess, Postbacks: fakeWaiter{session.PostbackRecord{Status: "COMPLETED", ChecksumValid: true}}})
	j := r.Order("alice", gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}})
	if last := j.Steps[len(j.Steps)-1]; last.Kind != AwaitPostback {
		t.Fatalf("last step %s, want await_postback", last.Kind)
	}
	mustRun(t, j)
	if pb := j.Step(AwaitPostback).Postback; pb == nil || pb.Event != gateway.EventOrderCompleted || pb.TransactionID != j.TransactionID() {
		t.Fatalf("postback %+v", pb)
	}
	r2 := setup(t, st, Options{Auto: gateway.ScenarioSuccess, Postbacks: fakeWaiter{session.PostbackRecord{ChecksumValid: false, Problem: "checksum differs"}}})
	f := r2.HoldingsImport("alice", gateway.HoldingsOptions{}).Run(context.Background(), nil)
	if f == nil || f.Kind != AwaitPostback {
		t.Fatalf("an invalid checksum did not fail the postback step: %+v", f)
	}
}

func TestAutoRefusedOffSandbox(t *testing.T) {
	st := newStore(t)
	p := session.Profile{Name: "prod", Env: gateway.EnvProduction, Gateway: "acme", Secret: "s3cretvalue", APISecret: "apis3cret", CallbackPort: 8080}
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	_, err := Setup(context.Background(), st, Options{Emulators: testEmulators, ProfileName: "prod", Auto: gateway.ScenarioSuccess, Getenv: noEnv})
	var an *AutoNotSandboxError
	if !errors.As(err, &an) {
		t.Fatalf("--auto on production: %v", err)
	}
}
