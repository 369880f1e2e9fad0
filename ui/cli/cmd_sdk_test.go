package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

// runWithStdin runs gatewalk in-process with stdin and the real clock.
func (h *headlessEnv) runWithStdin(t testing.TB, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now,
		stdinIsTerminal: func() bool { return false }}
	code = Main(context.Background(), c, args)
	return code, out.String(), errb.String()
}

// createWithHTTP creates a transaction on the sandbox at base as a
// partner's backend would: a plain POST with the apiSecret and a JWT.
func createWithHTTP(t *testing.T, base, token, body string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/gateway/"+sandbox.DefaultGateway+"/transaction", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-gateway-secret", sandbox.DefaultAPISecret)
	req.Header.Set("x-gateway-authtoken", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Success bool `json:"success"`
		Data    struct {
			TransactionID string `json:"transactionId"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || !env.Success || env.Data.TransactionID == "" {
		t.Fatalf("create: HTTP %d %s", resp.StatusCode, raw)
	}
	return env.Data.TransactionID
}

func guestToken(t *testing.T) string {
	t.Helper()
	tok, err := gateway.MintGuestToken(sandbox.DefaultSecret, time.Now().Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestSDKOnTransactionsCreatedElsewhere: a CONNECT and a TRANSACTION made
// with plain HTTP against a running sandbox; `gatewalk sdk` runs each, the
// first with the backend's token on stdin (the user is saved), the second
// for a stored user (the batches are reported); neither runs twice.
func TestSDKOnTransactionsCreatedElsewhere(t *testing.T) {
	h := newHeadlessEnv(t)
	sb, _ := externalSandbox(t, h)
	base := sb.URL()

	connect := createWithHTTP(t, base, guestToken(t), `{"intent":"CONNECT"}`)
	code, out, errb := h.runWithStdin(t, guestToken(t)+"\n", "sdk", "--profile", "ext", "--transaction-id", connect,
		"--token-stdin", "--user", "bob", "--auto", "success", "--auto-account", "LEP002")
	if code != 0 {
		t.Fatalf("connect: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	bobID := sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP002")
	if !strings.Contains(out, "smallcaseAuthId: "+bobID) || !strings.Contains(out, "user:            bob (saved)") {
		t.Fatalf("stdout:\n%s", out)
	}
	if !strings.Contains(errb, "signature valid with the profile's secret") {
		t.Fatalf("the given token's check is not said:\n%s", errb)
	}
	u, err := h.store(t).User("ext", "bob")
	if err != nil || u.SmallcaseAuthID != bobID {
		t.Fatalf("bob = %+v, %v", u, err)
	}

	alice := sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001")
	conn, err := gateway.MintConnectedToken(sandbox.DefaultSecret, alice, time.Now().Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	order := createWithHTTP(t, base, conn, `{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"INFY","quantity":2,"type":"BUY"}]}}`)
	code, out, errb = h.runWithStdin(t, "", "sdk", "--profile", "ext", "--transaction-id", order, "--user", "alice", "--auto", "success", "--json")
	if code != 0 {
		t.Fatalf("order: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	var rep struct {
		OK            bool   `json:"ok"`
		Kind          string `json:"kind"`
		TransactionID string `json:"transactionId"`
		Steps         []struct {
			Name   string `json:"name"`
			Result any    `json:"result"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.OK || rep.TransactionID != order {
		t.Fatalf("report %+v, %v:\n%s", rep, err, out)
	}
	if v, _ := sb.Transaction(order); v.Status != gateway.StatusCompleted || len(v.Batches) == 0 {
		t.Fatalf("sandbox: %+v", v)
	}

	// The same transaction again: refused before anything is started.
	code, _, errb = h.runWithStdin(t, "", "sdk", "--profile", "ext", "--transaction-id", order, "--user", "alice", "--auto", "success")
	if code != exitError || !strings.Contains(errb, "runs once") {
		t.Fatalf("second run: exit %d\n%s", code, errb)
	}
	if strings.Contains(errb, "Wait for the SDK result") {
		t.Fatalf("the SDK step ran again:\n%s", errb)
	}

	// A plain run prints the batches from the SDK's result and the order details.
	order2 := createWithHTTP(t, base, conn, `{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"TCS","quantity":1,"type":"SELL"}]}}`)
	code, out, errb = h.runWithStdin(t, "", "sdk", "--profile", "ext", "--transaction-id", order2, "--user", "alice", "--auto", "success")
	if code != 0 || !strings.Contains(out, "batches (from the SDK result):") || !strings.Contains(out, "TCS") ||
		!strings.Contains(out, "SELL") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	hist, err := h.store(t).History("ext")
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]gateway.Status{}
	for _, e := range hist {
		statuses[e.TransactionID] = e.Status
	}
	for _, id := range []string{connect, order, order2} {
		if statuses[id] != gateway.StatusCompleted {
			t.Errorf("history of %s: %q", id, statuses[id])
		}
	}
	_ = session.StatusAbandoned
}

// TestSDKOnProductionNeedsConfirmation: on a production profile nothing
// starts without yes: not without a terminal, not with the token on stdin.
// productionSDKEnv is a production profile "prod" on an external sandbox
// (its callback on port), with user alice; requests counts what the
// sandbox sees.
func productionSDKEnv(t *testing.T, port int) (*headlessEnv, *session.Store, *atomic.Int64) {
	t.Helper()
	h := newHeadlessEnv(t)
	sb, requests := externalSandbox(t, h)
	st := h.store(t)
	p := session.Profile{Name: "prod", Env: gateway.EnvProduction, Gateway: sandbox.DefaultGateway, Secret: sandbox.DefaultSecret,
		APISecret: sandbox.DefaultAPISecret, APIURL: sb.URL(), CallbackPort: port}
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveUser("prod", session.User{Label: "alice", SmallcaseAuthID: sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001"), Broker: "kite"}, false); err != nil {
		t.Fatal(err)
	}
	return h, st, requests
}

func TestSDKOnProductionNeedsConfirmation(t *testing.T) {
	h, st, requests := productionSDKEnv(t, 18431)
	before := requests.Load()
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"--user", "alice"}, "needs --yes"},
		{guestToken(t), []string{"--token-stdin"}, "with --token-stdin standard input holds the token"},
	} {
		code, out, errb := h.runWithStdin(t, tc.stdin, append([]string{"sdk", "--profile", "prod", "--transaction-id", "TRX_0123", "--no-browser"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errb, tc.want) || !strings.Contains(errb, "PRODUCTION") || out != "" {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s", tc.args, code, out, errb)
		}
	}
	if n := requests.Load() - before; n != 0 {
		t.Fatalf("the sandbox saw %d requests", n)
	}
	if hist, _ := st.History("prod"); len(hist) != 0 {
		t.Fatalf("history %+v", hist)
	}
}

// TestSDKWithoutSecretSaysTheTokenIsNotVerified: a profile with no secret
// can run a token issued elsewhere; gatewalk says it verified nothing, and
// saves no user it could not verify.
func TestSDKWithoutSecretSaysTheTokenIsNotVerified(t *testing.T) {
	h := newHeadlessEnv(t)
	sb, _ := externalSandbox(t, h)
	st := h.store(t)
	p := session.Profile{Name: "nosecret", Env: gateway.EnvSandbox, Gateway: sandbox.DefaultGateway, APISecret: sandbox.DefaultAPISecret, APIURL: sb.URL()}
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	id := createWithHTTP(t, sb.URL(), guestToken(t), `{"intent":"CONNECT"}`)
	code, out, errb := h.runWithStdin(t, guestToken(t), "sdk", "--profile", "nosecret", "--transaction-id", id, "--token-stdin",
		"--user", "dave", "--auto", "success", "--auto-account", "LEP003")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	if !strings.Contains(errb, "NOT verified, the profile has no secret") || !strings.Contains(out, "verified:        no") {
		t.Fatalf("stdout: %s\nstderr: %s", out, errb)
	}
	if _, err := st.User("nosecret", "dave"); err == nil {
		t.Fatal("an unverified user was saved")
	}
	// Unverified, an expired token is still refused (its exp is readable).
	expired, _ := gateway.MintGuestToken(sandbox.DefaultSecret, time.Now().Add(-time.Minute))
	code, _, errb = h.runWithStdin(t, expired, "sdk", "--profile", "nosecret", "--transaction-id", id, "--token-stdin", "--auto", "success")
	if code != exitRejected || !strings.Contains(errb, "expired") {
		t.Fatalf("expired token: exit %d\n%s", code, errb)
	}
	// Without --token-stdin the missing secret is a usage error.
	code, _, errb = h.runWithStdin(t, "", "sdk", "--profile", "nosecret", "--transaction-id", id, "--guest", "--auto", "success")
	if code != exitUsage || !strings.Contains(errb, "has no secret") {
		t.Fatalf("exit %d\n%s", code, errb)
	}
}

func TestSDKUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"sdk"},
		{"sdk", "--user", "alice"},
		{"sdk", "--transaction-id", "TRX 1", "--guest"},
		{"sdk", "--transaction-id", "TRX_1"},
		{"sdk", "--transaction-id", "TRX_1", "--guest", "--token-stdin"},
		{"sdk", "--transaction-id", "TRX_1", "--guest", "--auto", "nope"},
		{"sdk", "--transaction-id", "TRX_1", "--guest", "extra"},
		{"sdk", "--transaction-id", "TRX_1", "--user", "nobody"},
	} {
		h := newHeadlessEnv(t)
		code, out, errb := h.runWithStdin(t, "", args...)
		if code != exitUsage || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errb)
		}
	}
	h := newHeadlessEnv(t)
	code, _, errb := h.runWithStdin(t, "zqxfirst\nzqxsecond\n", "sdk", "--transaction-id", "TRX_1", "--token-stdin")
	if code != exitUsage || strings.Contains(errb, "zqx") {
		t.Fatalf("exit %d, stderr %q", code, errb)
	}
}

// watchedBuffer is a syncBuffer that tells, on found, when what was
// written first matches re: a test waits on it instead of polling.
type watchedBuffer struct {
	syncBuffer
	re    *regexp.Regexp
	once  sync.Once
	match string
	found chan struct{}
}

func newWatchedBuffer(re *regexp.Regexp) *watchedBuffer {
	return &watchedBuffer{re: re, found: make(chan struct{})}
}

func (w *watchedBuffer) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	if m := w.re.FindStringSubmatch(w.String()); m != nil {
		w.once.Do(func() {
			w.match = m[len(m)-1]
			close(w.found)
		})
	}
	return n, err
}

// TestSDKConnectDuplicateAdvice: a CONNECT run with gatewalk sdk that lands
// on an account another label holds is refused with the duplicate advice
// (--allow-duplicate), never the order advice about placed orders.
func TestSDKConnectDuplicateAdvice(t *testing.T) {
	h := newHeadlessEnv(t)
	sb, _ := externalSandbox(t, h) // alice is kite-leprechaun LEP001
	id := createWithHTTP(t, sb.URL(), guestToken(t), `{"intent":"CONNECT"}`)
	code, _, errb := h.run(t, "sdk", "--profile", "ext", "--transaction-id", id, "--guest", "--user", "zed", "--auto", "success")
	if code == exitOK || !strings.Contains(errb, "--allow-duplicate") || strings.Contains(errb, "this order") {
		t.Fatalf("exit %d\n%s", code, errb)
	}
}

// TestSDKProductionPromptInATerminal: on a terminal, a production run asks
// and starts nothing unless the answer is yes.
func TestSDKProductionPromptInATerminal(t *testing.T) {
	h, st, requests := productionSDKEnv(t, 18432)
	before := requests.Load()
	for _, answer := range []string{"no\n", "\n", "y\n"} {
		var out, errb syncBuffer
		c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(answer), stdout: &out, stderr: &errb,
			getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return true }}
		code := Main(context.Background(), c, []string{"sdk", "--profile", "prod", "--transaction-id", "TRX_0123", "--user", "alice", "--no-browser"})
		if code != exitUsage || !strings.Contains(errb.String(), "Type yes to confirm") || !strings.Contains(errb.String(), "not confirmed") {
			t.Errorf("answer %q: exit %d\n%s", answer, code, errb.String())
		}
	}
	if n := requests.Load() - before; n != 0 {
		t.Fatalf("an unconfirmed run reached the sandbox %d times", n)
	}
	if hist, _ := st.History("prod"); len(hist) != 0 {
		t.Fatalf("an unconfirmed run was recorded: %+v", hist)
	}
}
