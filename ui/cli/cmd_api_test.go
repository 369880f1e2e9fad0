package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

// TestAPIHoldingsOnSandbox: api GET holdings --user alice prints the
// holdings of the user's account; a wrong apiSecret exits 4.
func TestAPIHoldingsOnSandbox(t *testing.T) {
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success"); code != 0 {
		t.Fatalf("login: exit %d\n%s", code, errb)
	}
	code, out, errb := h.run(t, "api", "GET", "/v1/{gateway}/engine/user/holdings", "--user", "alice")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	var env struct {
		Success bool `json:"success"`
		Data    struct {
			SmallcaseAuthID string `json:"smallcaseAuthId"`
			Securities      struct {
				Holdings []struct {
					Ticker string `json:"ticker"`
				} `json:"holdings"`
			} `json:"securities"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &env); err != nil {
		t.Fatalf("stdout is not the raw JSON body: %v\n%s", err, out)
	}
	want := sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001")
	if !env.Success || env.Data.SmallcaseAuthID != want || len(env.Data.Securities.Holdings) == 0 {
		t.Fatalf("not alice's holdings: %s", out)
	}
	h.env[session.EnvAPISecret] = "wrong-api-secret-value"
	code, out, errb = h.run(t, "api", "GET", "/v1/{gateway}/engine/user/holdings", "--user", "alice")
	if code != exitRejected {
		t.Fatalf("wrong apiSecret: exit %d, want 4\nstdout: %s\nstderr: %s", code, out, errb)
	}
	if !strings.Contains(out, "Invalid x-gateway-secret") || !strings.Contains(errb, "apiSecret") {
		t.Fatalf("the body or the advice is missing:\nstdout: %s\nstderr: %s", out, errb)
	}
	delete(h.env, session.EnvAPISecret)
	// A guest token where a connected one is needed is a rejected token too.
	if code, _, errb := h.run(t, "api", "GET", "/v1/{gateway}/engine/user/holdings"); code != exitRejected {
		t.Fatalf("guest on holdings: exit %d\n%s", code, errb)
	}
}

// TestAPIExitCodes: success:true exits 0, a refused body exits 1 with the
// body still printed, an unknown user is a usage error.
func TestAPIExitCodes(t *testing.T) {
	h := newHeadlessEnv(t)
	code, out, errb := h.run(t, "api", "POST", "/gateway/{gateway}/transaction", "--field", "intent=CONNECT")
	if code != 0 || !strings.Contains(out, `"transactionId":"TRX_`) {
		t.Fatalf("create: exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	code, out, _ = h.run(t, "api", "POST", "/gateway/{gateway}/transaction", "--field", "intent=BOGUS")
	if code != exitError || !strings.Contains(out, "unknown_intent") {
		t.Fatalf("bad intent: exit %d\nstdout: %s", code, out)
	}
	if code, _, errb := h.run(t, "api", "GET", "/v1/{gateway}/engine/user/holdings", "--user", "nobody"); code != exitUsage || !strings.Contains(errb, "gatewalk login --user nobody") {
		t.Fatalf("unknown user: exit %d\n%s", code, errb)
	}
}

// recordingServer is a loopback Gateway that answers every request with
// status and body and keeps what it received.
type recordingServer struct {
	*httptest.Server
	n    atomic.Int64
	mu   sync.Mutex
	reqs []recordedRequest
}

type recordedRequest struct {
	method, path, query, body string
	header                    http.Header
}

func newRecordingServer(t *testing.T, status int, body string) *recordingServer {
	t.Helper()
	rs := &recordingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rs.mu.Lock()
		rs.reqs = append(rs.reqs, recordedRequest{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Clone()})
		rs.mu.Unlock()
		rs.n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Test", "yes")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *recordingServer) requests() []recordedRequest {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]recordedRequest(nil), rs.reqs...)
}

// serverProfile saves a profile of env whose API is rs.
func serverProfile(t *testing.T, h *headlessEnv, name string, env gateway.Environment, rs *recordingServer) {
	t.Helper()
	p := session.Profile{Name: name, Env: env, Gateway: "acme", Secret: "acme_secret_0123456789abcdef",
		APISecret: "acme_apisecret_0123456789abcdef", APIURL: rs.URL, CallbackPort: closedLoopbackPort(t)}
	if err := h.store(t).SaveProfile(p); err != nil {
		t.Fatal(err)
	}
}

// TestAPIRequestShape: the headers, {gateway}, fields as a JSON body or a
// query string, --input, --include and --verbose with the keys masked.
func TestAPIRequestShape(t *testing.T) {
	h := newHeadlessEnv(t)
	rs := newRecordingServer(t, 200, `{"success":true,"errors":null,"data":{"x":1}}`)
	serverProfile(t, h, "stag", gateway.EnvStaging, rs)
	code, out, errb := h.run(t, "api", "POST", "/gateway/{gateway}/transaction", "--profile", "stag",
		"--field", "intent=HOLDINGS_IMPORT", "--field", "assetConfig[mfHoldings]=true", "--raw-field", "notes=42",
		"--field", "orderConfig[securities][]=TCS", "--include", "--verbose")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	reqs := rs.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.path != "/gateway/acme/transaction" || r.header.Get(gateway.HeaderSecret) != "acme_apisecret_0123456789abcdef" {
		t.Fatalf("path %q, secret header %q", r.path, r.header.Get(gateway.HeaderSecret))
	}
	info, err := gateway.VerifyToken(r.header.Get(gateway.HeaderAuthToken), "acme_secret_0123456789abcdef", time.Now())
	if err != nil || info.Kind != gateway.TokenGuest {
		t.Fatalf("the token is not a guest token signed with the secret: %v %+v", err, info)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if body["intent"] != "HOLDINGS_IMPORT" || body["notes"] != "42" ||
		body["assetConfig"].(map[string]any)["mfHoldings"] != true ||
		body["orderConfig"].(map[string]any)["securities"].([]any)[0] != "TCS" {
		t.Fatalf("body %s", r.body)
	}
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK\n") || !strings.Contains(out, "X-Test: yes\n") || !strings.HasSuffix(out, `{"x":1}}`) {
		t.Fatalf("--include output:\n%s", out)
	}
	if !strings.Contains(errb, "> POST "+rs.URL+"/gateway/acme/transaction") || !strings.Contains(errb, "x-gateway-secret: acme••••") || !strings.Contains(errb, "< HTTP 200") {
		t.Fatalf("--verbose:\n%s", errb)
	}
	if strings.Contains(errb+out, "acme_apisecret_0123456789abcdef") || strings.Contains(errb+out, "acme_secret_0123456789abcdef") {
		t.Fatalf("a key was printed in full:\n%s\n%s", out, errb)
	}

	// GET: the fields go to the query string, next to the path's own.
	if code, _, errb := h.run(t, "api", "GET", "/v1/{gateway}/engine/user/holdings?version=v2", "--profile", "stag", "--field", "mfHoldings=true"); code != 0 {
		t.Fatalf("GET: exit %d\n%s", code, errb)
	}
	if r := rs.requests()[1]; r.method != "GET" || r.query != "mfHoldings=true&version=v2" || r.body != "" {
		t.Fatalf("GET request: %+v", r)
	}
	// --input - sends standard input as the body.
	o, e := &syncBuffer{}, &syncBuffer{}
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(`{"intent":"CONNECT"}`), stdout: o, stderr: e,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false },
		stdoutIsTerminal: func() bool { return true }}
	if code := Main(context.Background(), c, []string{"api", "PUT", "/x", "--profile", "stag", "--input", "-"}); code != 0 {
		t.Fatalf("--input -: exit %d\n%s", code, e.String())
	}
	if r := rs.requests()[2]; r.body != `{"intent":"CONNECT"}` || r.method != "PUT" {
		t.Fatalf("--input request: %+v", r)
	}
	if !strings.Contains(o.String(), "{\n  \"success\": true,") {
		t.Fatalf("not indented on a terminal:\n%s", o.String())
	}
}

// TestAPIRefusesOtherHosts: PATH is a path on the profile's API: a URL or
// //host is a usage error and nothing is sent anywhere.
func TestAPIRefusesOtherHosts(t *testing.T) {
	h := newHeadlessEnv(t)
	rs := newRecordingServer(t, 200, `{"success":true}`)
	other := newRecordingServer(t, 200, `{"success":true}`)
	serverProfile(t, h, "stag", gateway.EnvStaging, rs)
	host := strings.TrimPrefix(other.URL, "http://")
	for _, path := range []string{other.URL + "/x", "//" + host + "/x", "x/y", "{gateway}/x"} {
		code, _, errb := h.run(t, "api", "GET", path, "--profile", "stag")
		if code != exitUsage || !strings.Contains(errb, "starts with /") {
			t.Errorf("%q: exit %d\n%s", path, code, errb)
		}
	}
	if n := rs.n.Load() + other.n.Load(); n != 0 {
		t.Fatalf("%d requests were sent", n)
	}
}

// TestAPIProductionWriteNeedsConfirmation: a POST on a production profile
// needs yes on a terminal or --yes, and is sent once even when the
// Gateway fails (never retried); a GET is not asked.
func TestAPIProductionWriteNeedsConfirmation(t *testing.T) {
	h := newHeadlessEnv(t)
	rs := newRecordingServer(t, 502, `{"success":false,"errors":["bad gateway"]}`)
	serverProfile(t, h, "live", gateway.EnvProduction, rs)
	args := []string{"api", "POST", "/gateway/{gateway}/transaction", "--profile", "live", "--field", "intent=CONNECT"}
	code, _, errb := h.run(t, args...)
	if code != exitUsage || !strings.Contains(errb, "--yes") || !strings.Contains(errb, "nothing was sent") || !strings.Contains(errb, `"intent":"CONNECT"`) {
		t.Fatalf("no terminal: exit %d\n%s", code, errb)
	}
	for _, answer := range []string{"no\n", "\n", "y\n"} {
		o, e := &syncBuffer{}, &syncBuffer{}
		c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(answer), stdout: o, stderr: e,
			getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return true }}
		if code := Main(context.Background(), c, args); code != exitUsage || !strings.Contains(e.String(), "Type yes to confirm") {
			t.Fatalf("answer %q: exit %d\n%s", answer, code, e.String())
		}
	}
	// The body on standard input cannot also be the answer.
	o, e := &syncBuffer{}, &syncBuffer{}
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader("yes\n"), stdout: o, stderr: e,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return true }}
	if code := Main(context.Background(), c, []string{"api", "POST", "/gateway/{gateway}/transaction", "--profile", "live", "--input", "-"}); code != exitUsage {
		t.Fatalf("--input - on production: exit %d\n%s", code, e.String())
	}
	if n := rs.n.Load(); n != 0 {
		t.Fatalf("%d requests sent without confirmation", n)
	}
	o, e = &syncBuffer{}, &syncBuffer{}
	c = &Factory{emulators: sandboxEmulators, stdin: strings.NewReader("yes\n"), stdout: o, stderr: e,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return true }}
	if code := Main(context.Background(), c, args); code != exitError {
		t.Fatalf("confirmed: exit %d, want 1 (502)\n%s", code, e.String())
	}
	if n := rs.n.Load(); n != 1 {
		t.Fatalf("a POST that got 502 was sent %d times, want once", n)
	}
	if code, _, _ := h.run(t, append(args, "--yes")...); code != exitError || rs.n.Load() != 2 {
		t.Fatalf("--yes: exit %d, %d requests", code, rs.n.Load())
	}
	// A GET reads only: not asked, and retried after a 5xx as every GET is.
	code, _, errb = h.run(t, "api", "GET", "/v1/{gateway}/engine/user/holdings", "--profile", "live")
	if code != exitError || strings.Contains(errb, "Type yes") || rs.n.Load() != 2+1+gateway.DefaultRetries {
		t.Fatalf("GET: exit %d, %d requests\n%s", code, rs.n.Load(), errb)
	}
}

func TestAPIUsage(t *testing.T) {
	h := newHeadlessEnv(t)
	for _, args := range [][]string{
		{"api"},
		{"api", "GET"},
		{"api", "FETCH", "/x"},
		{"api", "GET", "/x", "--user", "a", "--guest"},
		{"api", "POST", "/x", "--field", "novalue"},
		{"api", "POST", "/x", "--field", "a[b=1"},
		{"api", "GET", "/x", "--input", "/no/such/file"},
		{"api", "GET", "/x", "extra"},
	} {
		if code, _, errb := h.run(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d\n%s", args, code, errb)
		}
	}
	code, out, _ := h.run(t, "api", "-h")
	if code != 0 || !strings.Contains(out, "Usage: gatewalk api METHOD PATH") {
		t.Fatalf("-h: exit %d\n%s", code, out)
	}
}
