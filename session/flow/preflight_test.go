package flow

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/bridge"
)

// externalProfile starts a sandbox on loopback with cfg and saves a sandbox
// profile "ext" that talks to it, with user alice on the default account.
func externalProfile(t *testing.T, st *session.Store, cfg sandbox.Config, callbackPort int) *sandbox.Server {
	t.Helper()
	sb := sandbox.New(cfg)
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	p := session.Profile{Name: "ext", Env: gateway.EnvSandbox, Gateway: sandbox.DefaultGateway, Secret: sandbox.DefaultSecret,
		APISecret: sandbox.DefaultAPISecret, APIURL: base, Leprechaun: true, CallbackPort: callbackPort}
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveUser("ext", session.User{Label: "alice", SmallcaseAuthID: defaultAuthID(), Broker: "kite-leprechaun"}, false); err != nil {
		t.Fatal(err)
	}
	return sb
}

func writeFile(t *testing.T, st *session.Store, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(st.Dir(), name), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPreflightSendsNothing: what would fail after the transaction exists
// (saving the user, recording the history, binding the page's port) is
// checked before the journey sends anything.
func TestPreflightSendsNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	cases := []struct {
		name    string
		file    string
		body    string
		opt     Options
		port    int
		want    any
		wantMsg string
	}{
		{"corrupt users file", "users.json", "nope", Options{Auto: gateway.ScenarioSuccess}, 0, new(*session.CorruptFileError), "users.json does not parse"},
		{"corrupt history file", "history-ext.json", "nope", Options{Auto: gateway.ScenarioSuccess}, 0, new(*session.CorruptFileError), "mv "},
		{"callback port taken", "", "", Options{NoBrowser: true}, busyPort, new(*bridge.PortBusyError), "already in use"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			var requests int
			var mu sync.Mutex
			sb := externalProfile(t, st, sandbox.Config{Logf: func(string, ...any) { mu.Lock(); requests++; mu.Unlock() }}, tc.port)
			if tc.file != "" {
				writeFile(t, st, tc.file, tc.body)
			}
			opt := tc.opt
			opt.ProfileName = "ext"
			r := setup(t, st, opt)
			j := r.GuestLogin("carol")
			f := j.Run(context.Background(), nil)
			var pre *PreflightError
			if f == nil || f.Kind != MintToken || !errors.As(f.Err, &pre) {
				t.Fatalf("failed step %+v, want mint_token with a preflight error", f)
			}
			if !errors.As(f.Err, tc.want) || !strings.Contains(f.Err.Error(), tc.wantMsg) {
				t.Fatalf("error %v, want %T saying %q", f.Err, tc.want, tc.wantMsg)
			}
			mu.Lock()
			n := requests
			mu.Unlock()
			if n != 0 || sb.Transactions() != 0 {
				t.Fatalf("the sandbox saw %d requests, holds %d transactions", n, sb.Transactions())
			}
			if j.Step(MintToken).Token != "" {
				t.Fatal("a token was minted before the checks passed")
			}
			if p := Explain(f.Err); p.Advice == "" || p.Redo == CreateTransaction || p.Redo == OpenBrowser {
				t.Fatalf("problem %+v: want advice and a redo from the start (or none)", p)
			}
		})
	}
}

// TestEmbeddedSandboxKeepsTheProfileKeys: the built-in sandbox plays the
// Gateway with the profile's stored (demo) keys, so a wrong override is
// refused as the real Gateway would refuse it.
func TestEmbeddedSandboxKeepsTheProfileKeys(t *testing.T) {
	for _, v := range []string{session.EnvSecret, session.EnvAPISecret} {
		t.Run(v, func(t *testing.T) {
			st := newStore(t)
			env := func(k string) string {
				if k == v {
					return "not-the-right-key"
				}
				return ""
			}
			r := setup(t, st, Options{Auto: gateway.ScenarioSuccess, Getenv: env})
			f := r.GuestLogin("w1").Run(context.Background(), nil)
			var api *gateway.APIError
			if f == nil || f.Kind != CreateTransaction || !errors.As(f.Err, &api) || !api.KeysRejected() {
				t.Fatalf("failed step %+v, want create_transaction with the keys rejected", f)
			}
			var ko *KeyOverrideError
			if !errors.As(f.Err, &ko) || ko.Var != v {
				t.Fatalf("error %v does not name %s", f.Err, v)
			}
			p := Explain(f.Err)
			if !strings.Contains(p.Advice, "$"+v) || !strings.Contains(p.Meaning, "$"+v) || strings.Contains(f.Err.Error(), "check the profile's") {
				t.Fatalf("problem %+v / error %q: want $%s named, not the profile's key", p, f.Err, v)
			}
			if testSandbox(r).Transactions() != 0 {
				t.Fatal("a transaction was created with a wrong key")
			}
		})
	}
	// The same store and profile without the override succeed, so the
	// refusals above come from the key.
	st := newStore(t)
	mustRun(t, setup(t, st, Options{Auto: gateway.ScenarioSuccess}).GuestLogin("w1"))
}

// hangingServer accepts connections and never answers.
func hangingServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + ln.Addr().String()
}

func deadProfile(t *testing.T, st *session.Store, apiURL string) {
	t.Helper()
	p := session.Profile{Name: "dead", Env: gateway.EnvSandbox, Gateway: sandbox.DefaultGateway, Secret: sandbox.DefaultSecret,
		APISecret: sandbox.DefaultAPISecret, APIURL: apiURL}
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveUser("dead", session.User{Label: "alice", SmallcaseAuthID: defaultAuthID()}, false); err != nil {
		t.Fatal(err)
	}
}

// TestRetriesAreReportedAndCounted: every failed attempt reaches OnAttempt
// while the step runs, and the step's error states the total.
func TestRetriesAreReportedAndCounted(t *testing.T) {
	st := newStore(t)
	deadProfile(t, st, hangingServer(t))
	var mu sync.Mutex
	var got []Attempt
	r := setup(t, st, Options{ProfileName: "dead", Timeout: 60 * time.Millisecond, OnAttempt: func(a Attempt) {
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
	}})
	_, xs, err := r.FetchHoldings(context.Background(), "alice", gateway.HoldingsOptions{})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || len(xs) != 3 {
		t.Fatalf("%d attempts reported, %d recorded; want 3", len(got), len(xs))
	}
	for i, a := range got {
		if a.Step != FetchHoldings || a.N != i+1 || a.Of != 3 || a.Reason != "no answer within 60ms" || a.Retrying != (i < 2) {
			t.Errorf("attempt %d: %+v", i+1, a)
		}
	}
	var un *UnreachableError
	if !errors.As(err, &un) || un.Attempts != 3 || un.Total < 3*60*time.Millisecond {
		t.Fatalf("error %v: want unreachable after 3 attempts", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "no answer within 60ms; 3 attempts over ") {
		t.Fatalf("error %q does not state the total", msg)
	}
}

// TestUnreachableGatewayIsExplained: a refused connection names the URL
// and what to check, not a raw dial error.
func TestUnreachableGatewayIsExplained(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	st := newStore(t)
	deadProfile(t, st, url)
	r := setup(t, st, Options{ProfileName: "dead", Auto: gateway.ScenarioSuccess})
	f := r.GuestLogin("bob").Run(context.Background(), nil)
	if f == nil || f.Kind != CreateTransaction {
		t.Fatalf("failed step %+v, want create_transaction", f)
	}
	p := Explain(f.Err)
	want := fmt.Sprintf("could not reach the Gateway at %s (connection refused)", url)
	if p.Meaning != want || f.Err.Error() != want {
		t.Fatalf("meaning %q, error %q; want %q", p.Meaning, f.Err, want)
	}
	if !strings.Contains(p.Advice, "API URL") || p.Redo != CreateTransaction {
		t.Fatalf("problem %+v", p)
	}
}

func TestExplainDependsOnTheCall(t *testing.T) {
	notFound := func(path, errorType string) error {
		return &gateway.APIError{Method: "GET", Path: path, Status: 404, Errors: []string{"nope"}, ErrorType: errorType}
	}
	cases := []struct {
		err        error
		want, not  string
		redo       StepKind
		wantRedoOK bool
	}{
		{notFound("/v1/gatewaydemo/engine/user/holdings", "user_not_found"), "not a sandbox account: connect it with gatewalk login", "transactionId", "", true},
		{notFound("/v1/gatewaydemo/engine/user/holdings", ""), "import them first", "transactionId", "", true},
		{notFound("/v1/gatewaydemo/engine/orders/sst", ""), "transactionId", "holdings", "", true},
		{notFound("/gateway/gatewaydemo/transaction", ""), "gateway name", "transactionId", "", true},
		{&gateway.APIError{Method: "GET", Path: "/v1/g/engine/user/holdings", Status: 502}, "try again", "", FetchHoldings, true},
	}
	for _, tc := range cases {
		p := Explain(tc.err)
		if !strings.Contains(p.Advice, tc.want) || (tc.not != "" && strings.Contains(p.Advice, tc.not)) || p.Redo != tc.redo {
			t.Errorf("%v: problem %+v, want advice with %q without %q, redo %q", tc.err, p, tc.want, tc.not, tc.redo)
		}
	}
}

// TestNotSandboxAccountCaughtFirst: a stored id that no sandbox account
// has fails before any request, saying how to get one.
func TestNotSandboxAccountCaughtFirst(t *testing.T) {
	st := newStore(t)
	if err := st.SaveUser(session.BuiltinProfileName, session.User{Label: "alice", SmallcaseAuthID: "5f0321b5f3743c31d95abd35"}, false); err != nil {
		t.Fatal(err)
	}
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	for _, j := range []*Journey{r.ViewHoldings("alice", gateway.HoldingsOptions{}),
		r.Order("alice", gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}})} {
		f := j.Run(context.Background(), nil)
		var nsa *NotSandboxAccountError
		if f == nil || f.Kind != MintToken || !errors.As(f.Err, &nsa) || len(f.Exchanges) != 0 {
			t.Fatalf("%s: failed step %+v", j.Kind, f)
		}
		if p := Explain(f.Err); !strings.Contains(p.Advice, "gatewalk login --user alice") {
			t.Fatalf("advice %q", p.Advice)
		}
	}
	if testSandbox(r).Transactions() != 0 {
		t.Fatal("a transaction was created")
	}
}

// TestExpiryAdviceUsesTheRealLifetime: a sandbox whose transactions live
// 2s is not described as 5 minutes.
func TestExpiryAdviceUsesTheRealLifetime(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st := newStore(t)
	externalProfile(t, st, sandbox.Config{TxnTTL: 2 * time.Second, Clock: clock}, 0)
	r := setup(t, st, Options{ProfileName: "ext", Auto: gateway.ScenarioSuccess, Now: clock})
	j := r.GuestLogin("carol")
	ctx := context.Background()
	j.Next(ctx)
	j.Next(ctx)
	mu.Lock()
	now = now.Add(3 * time.Second)
	mu.Unlock()
	f := j.Run(ctx, nil)
	if f == nil || f.Kind != AwaitSDK {
		t.Fatalf("failed step %+v, want await_sdk", f)
	}
	p := Explain(f.Err)
	if !strings.Contains(p.Advice, "within 2s") || strings.Contains(p.Advice+p.Meaning, "5 minutes") || p.Redo != CreateTransaction {
		t.Fatalf("problem %+v: want the 2s lifetime", p)
	}
	var exp *ExpiredError
	if !errors.As(f.Err, &exp) || exp.Lifetime != 2*time.Second {
		t.Fatalf("error %v", f.Err)
	}
}

func TestBrowserStepSaysWhyNotOpened(t *testing.T) {
	st := newStore(t)
	env := func(k string) string {
		if k == "SSH_CONNECTION" {
			return "192.0.2.1 50000 192.0.2.2 22"
		}
		return ""
	}
	r := setup(t, st, Options{NoBrowser: true, Getenv: env})
	j := r.GuestLogin("alice")
	for range 3 {
		j.Next(context.Background())
	}
	ob := j.Step(OpenBrowser)
	if ob.Opened || !strings.HasPrefix(ob.Summary, "not opened (--no-browser): open this URL yourself: "+ob.BrowserURL) {
		t.Fatalf("summary %q", ob.Summary)
	}
	if !strings.Contains(ob.BrowserNote, "ssh -L") || strings.Contains(ob.BrowserNote, "whitelisted") {
		t.Fatalf("sandbox SSH note %q: want the forward, without a whitelisted origin", ob.BrowserNote)
	}
	prod := session.Profile{Name: "prod", Env: gateway.EnvProduction}
	if h := sshHint(prod, 8080); !strings.Contains(h, "whitelisted") {
		t.Fatalf("production hint %q", h)
	}
}

func TestSummariesPluralise(t *testing.T) {
	one := &gateway.OrderDetails{Batches: []gateway.OrderBatch{{Orders: []gateway.Order{{Status: "COMPLETE"}}}}}
	if got := ordersSummary(one); got != "1 order in 1 batch: 1 COMPLETE" {
		t.Fatalf("one batch: %q", got)
	}
	two := &gateway.OrderDetails{Batches: []gateway.OrderBatch{{Orders: []gateway.Order{{Status: "COMPLETE"}}}, {Orders: []gateway.Order{{Status: "COMPLETE"}}}}}
	if got := ordersSummary(two); got != "2 orders in 2 batches: 2 COMPLETE" {
		t.Fatalf("two batches: %q", got)
	}
	if plural(1, "mutual fund", "mutual funds") != "1 mutual fund" || plural(0, "equity", "equities") != "0 equities" {
		t.Fatal("plural")
	}
}

// TestSDKURLCheckedBeforeTheTransaction: an SDK script URL the browser page
// would refuse (plain http on a non-loopback host) is caught before any
// transaction exists.
func TestSDKURLCheckedBeforeTheTransaction(t *testing.T) {
	st := newStore(t)
	sb := externalProfile(t, st, sandbox.Config{}, 0)
	p, err := st.Profile("ext")
	if err != nil {
		t.Fatal(err)
	}
	p.SDKURL = "http://lan-sandbox.example:9400/scdk/2.0.0/scdk.js"
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	r := setup(t, st, Options{ProfileName: "ext", NoBrowser: true})
	f := r.GuestLogin("carol").Run(context.Background(), nil)
	if f == nil || f.Kind != MintToken || !strings.Contains(f.Err.Error(), "plain http on a non-loopback host") {
		t.Fatalf("failed step %+v, want mint_token refusing the SDK URL", f)
	}
	if sb.Transactions() != 0 {
		t.Fatal("a transaction was created before the SDK URL was checked")
	}
}
