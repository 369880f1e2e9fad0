package sandbox_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

var update = flag.Bool("update", false, "rewrite the contract fixtures in testdata/contract")

// The documented sample guest token {"guest":true,"exp":2556124199}, signed
// with the public demo secret gatewayDemo_secret.
const docsGuestToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJndWVzdCI6dHJ1ZSwiZXhwIjoyNTU2MTI0MTk5fQ.PHmNnVVqhtB7sZjo5_VWlOs5p_HQzIr3qaS9CV0kiAo"

// The documented sample connected token {"smallcaseAuthId":"5f0321b5f3743c31d95abd35","exp":2556124199}.
const docsConnectedToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzbWFsbGNhc2VBdXRoSWQiOiI1ZjAzMjFiNWYzNzQzYzMxZDk1YWJkMzUiLCJleHAiOjI1NTYxMjQxOTl9.EC6B435Xsw02dDy_LCmHqKmEmJOqhq3f2MuSOjUmxYs"

// monday10IST is a Monday, 10:00 in India: the market is open in auto mode.
var monday10IST = time.Date(2026, 3, 2, 4, 30, 0, 0, time.UTC)

// seqReader is a deterministic byte stream, so ids in fixtures are stable.
type seqReader struct {
	mu  sync.Mutex
	n   uint64
	buf []byte
}

func (r *seqReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.buf) < len(p) {
		var c [8]byte
		binary.BigEndian.PutUint64(c[:], r.n)
		r.n++
		h := sha256.Sum256(c[:])
		r.buf = append(r.buf, h[:]...)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// exchange is one recorded HTTP round trip.
type exchange struct {
	req      *http.Request
	reqBody  []byte
	status   int
	header   http.Header
	respBody []byte
}

// recorder is a RoundTripper that keeps every exchange for OpenAPI checks.
type recorder struct {
	mu  sync.Mutex
	log []exchange
}

func (rc *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	rc.mu.Lock()
	rc.log = append(rc.log, exchange{req: req.Clone(context.Background()), reqBody: body, status: resp.StatusCode, header: resp.Header.Clone(), respBody: rb})
	rc.mu.Unlock()
	return resp, nil
}

func (rc *recorder) take() []exchange {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := rc.log
	rc.log = nil
	return out
}

// env is a sandbox on loopback with a recording client.
type env struct {
	t      *testing.T
	s      *sandbox.Server
	base   string
	rec    *recorder
	hc     *http.Client
	client *gateway.Client
	spec   *openapi3.T
	router routers.Router
}

func newEnv(t *testing.T, mut func(*sandbox.Config)) *env {
	t.Helper()
	clock := monday10IST
	cfg := sandbox.Config{Clock: func() time.Time { return clock }, Rand: &seqReader{}}
	if mut != nil {
		mut(&cfg)
	}
	s := sandbox.New(cfg)
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rec := &recorder{}
	hc := &http.Client{Transport: rec, Timeout: 10 * time.Second}
	e := &env{t: t, s: s, base: base, rec: rec, hc: hc,
		client: &gateway.Client{BaseURL: base, Gateway: s.Gateway(), APISecret: sandbox.DefaultAPISecret, HTTP: hc, Retries: -1}}
	if e.spec, err = loadOpenAPI(s.OpenAPI(), base); err != nil {
		t.Fatal(err)
	}
	if e.router, err = gorillamux.NewRouter(e.spec); err != nil {
		t.Fatalf("openapi router: %v", err)
	}
	return e
}

// openAPIs holds the openapi.json documents loaded and validated so far, by
// their text with the sandbox's base URL taken out (see loadOpenAPI).
var openAPIs sync.Map // string -> *openapi3.T, read-only

// loadOpenAPI loads and validates doc, a sandbox's openapi.json, served at
// base. Sandboxes' documents differ only by the base URL in their one
// server: when doc holds base exactly once and is, but for it, a document
// already loaded and validated, it is that document with base as its server
// (a shallow copy: the rest is shared, read-only). Loading is most of what
// newEnv costs.
func loadOpenAPI(doc []byte, base string) (*openapi3.T, error) {
	q, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	key := ""
	if bytes.Count(doc, q) == 1 {
		key = string(bytes.Replace(doc, q, []byte(`"__SERVER__"`), 1))
		if v, ok := openAPIs.Load(key); ok {
			spec := *v.(*openapi3.T)
			spec.Servers = make(openapi3.Servers, len(v.(*openapi3.T).Servers))
			for i, sv := range v.(*openapi3.T).Servers {
				c := *sv
				c.URL = base
				spec.Servers[i] = &c
			}
			return &spec, nil
		}
	}
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi.json does not load: %w", err)
	}
	if err := spec.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	if key != "" && len(spec.Servers) == 1 && spec.Servers[0].URL == base {
		openAPIs.Store(key, spec)
	}
	return spec, nil
}

// connected mints a connected token for a broker account on the sandbox clock.
func (e *env) connected(broker, account string) string {
	e.t.Helper()
	return e.token(sandbox.AuthID(e.s.Gateway(), broker, account))
}

func (e *env) token(authID string) string {
	e.t.Helper()
	tok, err := gateway.MintConnectedToken(sandbox.DefaultSecret, authID, e.s.Now().Add(15*time.Minute))
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// create makes a transaction through the gateway client.
func (e *env) create(tok string, req gateway.TransactionRequest) string {
	e.t.Helper()
	tc, err := e.client.CreateTransaction(context.Background(), tok, req)
	if err != nil {
		e.t.Fatalf("create %s: %v", req.Intent, err)
	}
	return tc.TransactionID
}

// raw sends a request and returns the status and body.
func (e *env) raw(method, path string, headers map[string]string, body []byte) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// complete runs the driver.
func (e *env) complete(id string, req sandbox.CompleteRequest) (int, []byte) {
	e.t.Helper()
	b, _ := json.Marshal(req)
	return e.raw(http.MethodPost, "/_sandbox/transactions/"+id+"/complete", nil, b)
}

func (e *env) outcome(id string, req sandbox.CompleteRequest) gateway.SDKOutcome {
	e.t.Helper()
	st, b := e.complete(id, req)
	if st != http.StatusOK {
		e.t.Fatalf("complete %s: HTTP %d %s", id, st, b)
	}
	var o gateway.SDKOutcome
	if err := json.Unmarshal(b, &o); err != nil {
		e.t.Fatalf("complete %s: %v in %s", id, err, b)
	}
	if (o.Result == nil) == (o.Error == nil) {
		e.t.Fatalf("complete %s: want exactly one of result and error: %s", id, b)
	}
	return o
}

func partnerHeaders(tok string) map[string]string {
	h := map[string]string{gateway.HeaderSecret: sandbox.DefaultAPISecret}
	if tok != "" {
		h[gateway.HeaderAuthToken] = tok
	}
	return h
}

// fixture compares JSON with testdata/contract/NAME.json (-update rewrites).
func (e *env) fixture(name string, raw []byte) {
	e.t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		e.t.Fatalf("fixture %s: response is not JSON: %v: %s", name, err, raw)
	}
	got, _ := json.MarshalIndent(v, "", "  ")
	got = append(got, '\n')
	path := filepath.Join("testdata", "contract", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatalf("fixture %s: %v (run go test ./gateway/sandbox -run Contract -update)", name, err)
	}
	if !bytes.Equal(got, want) {
		e.t.Errorf("fixture %s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// checkOpenAPI validates every recorded exchange against /openapi.json.
// Requests whose path contains one of badRequests are expected to fail
// request validation (they are the invalid inputs under test); their
// responses must still match.
func (e *env) checkOpenAPI(expectBadRequest bool) {
	e.t.Helper()
	for _, x := range e.rec.take() {
		if strings.HasPrefix(x.req.URL.Path, "/scdk/") || x.req.URL.Path == "/openapi.json" {
			continue
		}
		route, params, err := e.router.FindRoute(x.req)
		if err != nil {
			if x.status == http.StatusNotFound || x.status == http.StatusMethodNotAllowed {
				continue // not a documented route: the envelope is checked by the fixture
			}
			e.t.Errorf("%s %s: not in openapi.json: %v", x.req.Method, x.req.URL.Path, err)
			continue
		}
		x.req.Body = io.NopCloser(bytes.NewReader(x.reqBody))
		in := &openapi3filter.RequestValidationInput{Request: x.req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: func(_ context.Context, ai *openapi3filter.AuthenticationInput) error {
				if x.req.Header.Get(ai.SecurityScheme.Name) == "" {
					return io.EOF
				}
				return nil
			}}}
		rerr := openapi3filter.ValidateRequest(context.Background(), in)
		switch {
		case expectBadRequest && x.status < 300 && rerr != nil:
			e.t.Errorf("%s %s: request accepted by the sandbox but not by openapi.json: %v", x.req.Method, x.req.URL.Path, rerr)
		case !expectBadRequest && rerr != nil:
			e.t.Errorf("%s %s: request does not match openapi.json: %v\n%s", x.req.Method, x.req.URL.Path, rerr, x.reqBody)
		}
		in.Options = &openapi3filter.Options{IncludeResponseStatus: true}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.status, Header: x.header,
			Body: io.NopCloser(bytes.NewReader(x.respBody)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			e.t.Errorf("%s %s -> %d: response does not match openapi.json: %v\n%s", x.req.Method, x.req.URL.Path, x.status, err, x.respBody)
		}
	}
}

// envelopeErr reads an error envelope as the client would.
func envelopeErr(t *testing.T, method, path string, status int, body []byte) *gateway.APIError {
	t.Helper()
	var env gateway.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%s %s: not an envelope: %v: %s", method, path, err, body)
	}
	if env.Success {
		t.Fatalf("%s %s: success:true on an error: %s", method, path, body)
	}
	if len(env.Errors) == 0 || env.ErrorType == "" {
		t.Fatalf("%s %s: want errors[] and errorType: %s", method, path, body)
	}
	return &gateway.APIError{Method: method, Path: path, Status: status, Errors: env.Errors, ErrorType: env.ErrorType}
}
