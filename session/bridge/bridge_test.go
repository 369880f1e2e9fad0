package bridge

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gatewalk/gateway"
)

// bridgeSecret signs the tokens of these tests; it must never be served.
const bridgeSecret = "bridge-test-secret-7c1f0e"

// bridgeAuthID is a well-formed smallcaseAuthId.
const bridgeAuthID = "5f0321b5f3743c31d95abd35"

type bridgeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *bridgeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *bridgeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// bridgeLogs collects the bridge's log lines.
type bridgeLogs struct {
	mu    sync.Mutex
	lines []string
}

func (l *bridgeLogs) Logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *bridgeLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func startTestBridge(t *testing.T, cfg Config) *Bridge {
	t.Helper()
	b, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func bridgeSpec(t *testing.T, now time.Time) JourneySpec {
	t.Helper()
	tok, err := gateway.MintGuestToken(bridgeSecret, now.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return JourneySpec{
		Gateway:       "gatewaydemo",
		AuthToken:     tok,
		TransactionID: "TRX_0123456789abcdef0123456789abcdef",
		Intent:        gateway.IntentConnect,
		SDKURL:        "https://gateway.smallcase.com/scdk/2.0.0/scdk.js",
		ExpireAt:      now.Add(gateway.TransactionLifetime),
		Leprechaun:    true,
		Brokers:       []string{"kite-leprechaun"},
	}
}

type bridgeAnswer struct {
	status int
	header http.Header
	body   string
}

// call sends one request to the bridge through its real loopback listener.
// host overrides the Host header when not empty; origin sets Origin.
func bridgeCall(t *testing.T, method, rawURL, host, ctype, origin string, body []byte) bridgeAnswer {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return bridgeAnswer{resp.StatusCode, resp.Header, string(data)}
}

// loopbackURL is the journey URL on 127.0.0.1 (the test client needs no
// name resolution), keeping Host valid.
func loopbackURL(b *Bridge, path string) string {
	return "http://127.0.0.1:" + strconv.Itoa(b.Port()) + path
}

func journeyPath(j *Journey) string {
	return strings.TrimPrefix(j.URL(), j.b.Origin())
}

func okResultBody(t *testing.T) []byte {
	t.Helper()
	tok, err := gateway.MintConnectedToken(bridgeSecret, bridgeAuthID, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"result": map[string]any{
		"success": true, "transaction": "CONNECT", "smallcaseAuthToken": tok, "broker": "kite-leprechaun",
	}})
	return body
}

// drain returns the events received so far without blocking.
func drainEvents(j *Journey) []JourneyEvent {
	var out []JourneyEvent
	for {
		select {
		case ev, ok := <-j.Events():
			if !ok {
				return out
			}
			out = append(out, ev)
		default:
			return out
		}
	}
}

func eventKinds(evs []JourneyEvent) []JourneyEventKind {
	var out []JourneyEventKind
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

func TestBridgeServesJourneyWithoutSecrets(t *testing.T) {
	clock := &bridgeClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	b := startTestBridge(t, Config{Now: clock.Now})
	spec := bridgeSpec(t, clock.Now())
	j, err := b.NewJourney(spec)
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://localhost:" + strconv.Itoa(b.Port()) + "/j/"; !strings.HasPrefix(j.URL(), want) || !strings.HasSuffix(j.URL(), "/") {
		t.Fatalf("URL %q does not look like %sNONCE/", j.URL(), want)
	}
	if b.Origin() != "http://localhost:"+strconv.Itoa(b.Port()) {
		t.Fatalf("Origin() = %q", b.Origin())
	}

	page := bridgeCall(t, "GET", loopbackURL(b, journeyPath(j)), "", "", "", nil)
	if page.status != 200 || !strings.Contains(page.body, "harness.js") {
		t.Fatalf("page: %d %q", page.status, page.body)
	}
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self' https://gateway.smallcase.com") || !strings.Contains(csp, "object-src 'none'") {
		t.Errorf("page CSP %q does not allow the SDK origin or does not lock objects", csp)
	}
	if got := page.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := page.header.Get("Referrer-Policy"); got != "strict-origin" {
		t.Errorf("page Referrer-Policy = %q", got)
	}

	var all strings.Builder
	all.WriteString(page.body)
	for _, p := range []string{journeyPath(j) + "journey.json", "/static/harness.js", "/static/harness.css", "/errors.json"} {
		a := bridgeCall(t, "GET", loopbackURL(b, p), "", "", "", nil)
		if a.status != 200 {
			t.Fatalf("GET %s: %d %s", p, a.status, a.body)
		}
		if a.header.Get("Referrer-Policy") != "no-referrer" || a.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: missing security headers: %v", p, a.header)
		}
		all.WriteString(a.body)
	}
	served := all.String()
	if strings.Contains(served, bridgeSecret) {
		t.Fatal("the bridge served the secret")
	}
	var view map[string]any
	js := bridgeCall(t, "GET", loopbackURL(b, journeyPath(j)+"journey.json"), "", "", "", nil)
	if err := json.Unmarshal([]byte(js.body), &view); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"gateway": "gatewaydemo", "smallcaseAuthToken": spec.AuthToken, "transactionId": spec.TransactionID,
		"intent": "CONNECT", "sdkUrl": spec.SDKURL, "leprechaun": true, "state": "waiting",
		"expiresInMs": float64(5 * 60 * 1000), "origin": b.Origin(), "role": "owner",
	}
	for k, v := range want {
		if view[k] != v {
			t.Errorf("journey.json %s = %v, want %v", k, view[k], v)
		}
	}
	allowed := map[string]bool{"gateway": true, "smallcaseAuthToken": true, "transactionId": true, "intent": true,
		"sdkUrl": true, "origin": true, "expiresInMs": true, "leprechaun": true, "amo": true, "brokers": true, "state": true, "role": true}
	for k := range view {
		if !allowed[k] {
			t.Errorf("journey.json carries an unexpected key %q", k)
		}
	}
	if got := eventKinds(drainEvents(j)); len(got) != 1 || got[0] != JourneyPageOpened {
		t.Errorf("events = %v, want [page_opened]", got)
	}
}

func TestBridgeRefusesWrongHost(t *testing.T) {
	logs := &bridgeLogs{}
	b := startTestBridge(t, Config{Logf: logs.Logf})
	j, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(b.Port())
	other := strconv.Itoa(b.Port() + 1)
	for _, host := range []string{
		"evil.example:" + port, "evil.example", "localhost", "127.0.0.1", "localhost:" + other,
		"localhost.evil.example:" + port, "127.0.0.2:" + port, "[::2]:" + port, "0.0.0.0:" + port,
	} {
		t.Run(host, func(t *testing.T) {
			for _, req := range []struct{ method, path, ctype string }{
				{"GET", journeyPath(j), ""},
				{"GET", journeyPath(j) + "journey.json", ""},
				{"POST", journeyPath(j) + "result", "application/json"},
			} {
				var body []byte
				if req.method == "POST" {
					body = okResultBody(t)
				}
				a := bridgeCall(t, req.method, loopbackURL(b, req.path), host, req.ctype, "", body)
				if a.status != http.StatusMisdirectedRequest {
					t.Errorf("%s %s with Host %q: %d, want 421", req.method, req.path, host, a.status)
				}
				if strings.Contains(a.body, j.spec.AuthToken) {
					t.Errorf("the refusal leaked the token")
				}
			}
		})
	}
	for _, host := range []string{"localhost:" + port, "LOCALHOST:" + port, "127.0.0.1:" + port, "[::1]:" + port} {
		if a := bridgeCall(t, "GET", loopbackURL(b, journeyPath(j)+"journey.json"), host, "", "", nil); a.status != 200 {
			t.Errorf("Host %q: %d, want 200", host, a.status)
		}
	}
	if evs := drainEvents(j); len(evs) != 0 {
		t.Errorf("refused requests produced events: %v", eventKinds(evs))
	}
	if st, _ := j.snapshot(); st != stateWaiting {
		t.Errorf("refused requests changed the journey state to %v", st)
	}
	if strings.Contains(logs.String(), j.nonce) {
		t.Errorf("logs carry the nonce:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "evil.example") {
		t.Errorf("refusals were not logged:\n%s", logs)
	}
}

func TestBridgeRefusesWrongNonceAndOrigin(t *testing.T) {
	b := startTestBridge(t, Config{})
	j, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	wrong := "/j/" + strings.Repeat("A", len(j.nonce)) + "/"
	for _, r := range []struct{ method, path string }{
		{"GET", wrong}, {"GET", wrong + "journey.json"}, {"POST", wrong + "result"}, {"POST", wrong + "event"},
	} {
		a := bridgeCall(t, r.method, loopbackURL(b, r.path), "", "application/json", "", okResultBody(t))
		if a.status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", r.method, r.path, a.status)
		}
	}
	// A post from another site's page is refused even with the right nonce.
	a := bridgeCall(t, "POST", loopbackURL(b, journeyPath(j)+"result"), "", "application/json", "https://evil.example", okResultBody(t))
	if a.status != http.StatusForbidden {
		t.Errorf("cross-origin result: %d, want 403", a.status)
	}
	if st, _ := j.snapshot(); st != stateWaiting {
		t.Fatalf("refused posts settled the journey")
	}
	// The page's own origin is accepted.
	a = bridgeCall(t, "POST", loopbackURL(b, journeyPath(j)+"result"), "", "application/json", b.Origin(), okResultBody(t))
	if a.status != http.StatusOK {
		t.Errorf("same-origin result: %d %s", a.status, a.body)
	}
}

func TestBridgeResultRules(t *testing.T) {
	b := startTestBridge(t, Config{})
	j, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	resultURL := loopbackURL(b, journeyPath(j)+"result")
	huge := append([]byte(`{"result":{"notes":"`), bytes.Repeat([]byte("x"), MaxResultBytes)...)
	huge = append(huge, []byte(`"}}`)...)
	refusals := []struct {
		name   string
		ctype  string
		body   []byte
		status int
	}{
		{"text/plain", "text/plain", okResultBody(t), 415},
		{"form", "application/x-www-form-urlencoded", []byte("result=1"), 415},
		{"no content type", "", okResultBody(t), 415},
		{"oversize", "application/json", huge, 413},
		{"not JSON", "application/json", []byte("<html>hello</html>"), 400},
		{"empty", "application/json", nil, 400},
		{"neither", "application/json", []byte(`{}`), 400},
		{"null result", "application/json", []byte(`{"result":null}`), 400},
		{"both", "application/json", []byte(`{"result":{"success":true},"error":{"message":"x","code":1}}`), 400},
		{"unknown key", "application/json", []byte(`{"result":{"success":true},"extra":1}`), 400},
		{"trailing", "application/json", []byte(`{"result":{"success":true}} {"error":{}}`), 400},
		{"bad result type", "application/json", []byte(`{"result":{"success":"yes"}}`), 400},
		{"bad error type", "application/json", []byte(`{"error":{"code":"x"}}`), 400},
		{"array", "application/json", []byte(`[{"result":{}}]`), 400},
	}
	for _, r := range refusals {
		a := bridgeCall(t, "POST", resultURL, "", r.ctype, "", r.body)
		if a.status != r.status {
			t.Errorf("%s: %d %s, want %d", r.name, a.status, a.body, r.status)
		}
	}
	if st, _ := j.snapshot(); st != stateWaiting {
		t.Fatalf("a refused result changed the journey")
	}
	if evs := drainEvents(j); len(evs) != 0 {
		t.Fatalf("refused results produced events: %v", eventKinds(evs))
	}

	first := okResultBody(t)
	if a := bridgeCall(t, "POST", resultURL, "", "application/json; charset=utf-8", "", first); a.status != 200 {
		t.Fatalf("valid result: %d %s", a.status, a.body)
	}
	replay := []byte(`{"error":{"message":"user_cancelled","code":1010}}`)
	for _, body := range [][]byte{first, replay} {
		if a := bridgeCall(t, "POST", resultURL, "", "application/json", "", body); a.status != http.StatusConflict {
			t.Errorf("replayed result: %d, want 409", a.status)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := j.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Error != nil || o.Result == nil || o.Result.Broker != "kite-leprechaun" || o.Result.Transaction != "CONNECT" {
		t.Fatalf("Wait returned %+v, want the first result", o)
	}
	if got := eventKinds(drainEvents(j)); len(got) != 1 || got[0] != JourneyResult {
		t.Errorf("events = %v, want [result]", got)
	}
	// A reloaded page learns the journey is settled.
	a := bridgeCall(t, "GET", loopbackURL(b, journeyPath(j)+"journey.json"), "", "", "", nil)
	if !strings.Contains(a.body, `"state":"settled"`) {
		t.Errorf("journey.json after the result: %s", a.body)
	}
}

func TestBridgeErrorOutcomeIsExplained(t *testing.T) {
	b := startTestBridge(t, Config{})
	j, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"error":{"message":"user_cancelled","code":1012,"data":{"broker":"kite"}}}`)
	a := bridgeCall(t, "POST", loopbackURL(b, journeyPath(j)+"result"), "", "application/json", "", body)
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	var ans struct {
		Explain gateway.ErrorInfo `json:"explain"`
	}
	if err := json.Unmarshal([]byte(a.body), &ans); err != nil {
		t.Fatal(err)
	}
	if want := gateway.ExplainSDKError(1012, "user_cancelled"); ans.Explain != want {
		t.Errorf("explain = %+v, want %+v", ans.Explain, want)
	}
	o, err := j.Wait(context.Background())
	if err != nil || o.Error == nil || o.Error.Code != 1012 || o.Error.Data == nil || o.Error.Data.Broker != "kite" {
		t.Fatalf("Wait = %+v, %v", o, err)
	}
}

func TestBridgeEvents(t *testing.T) {
	b := startTestBridge(t, Config{})
	j, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	eventURL := loopbackURL(b, journeyPath(j)+"event")
	post := func(ctype, body string) int {
		return bridgeCall(t, "POST", eventURL, "", ctype, "", []byte(body)).status
	}
	if s := post("application/json", `{"kind":"sdk_loaded","detail":"x"}`); s != 204 {
		t.Errorf("sdk_loaded: %d", s)
	}
	if s := post("text/plain;charset=UTF-8", `{"kind":"tab_closed","detail":"`+strings.Repeat("y", 2000)+`"}`); s != 204 {
		t.Errorf("beacon tab_closed: %d", s)
	}
	for _, bad := range []string{`{"kind":"result"}`, `{"kind":"page_opened"}`, `{"kind":"nope"}`, `nope`} {
		if s := post("application/json", bad); s != 400 {
			t.Errorf("event %s: %d, want 400", bad, s)
		}
	}
	evs := drainEvents(j)
	if got := eventKinds(evs); len(got) != 2 || got[0] != JourneySDKLoaded || got[1] != JourneyTabClosed {
		t.Fatalf("events = %v", got)
	}
	if len(evs[1].Detail) > maxEventDetail {
		t.Errorf("detail not bounded: %d bytes", len(evs[1].Detail))
	}
	// Many events with nobody reading never block the server.
	for i := 0; i < eventBuffer+10; i++ {
		if s := post("application/json", `{"kind":"csp_blocked"}`); s != 204 {
			t.Fatalf("event %d: %d", i, s)
		}
	}
	if n := len(drainEvents(j)); n != eventBuffer {
		t.Errorf("buffered %d events, want %d", n, eventBuffer)
	}
	j.Close()
	if _, ok := <-j.Events(); ok {
		t.Error("Events is not closed after Close")
	}
}

func TestJourneyExpires(t *testing.T) {
	t.Run("fake clock", func(t *testing.T) {
		clock := &bridgeClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
		b := startTestBridge(t, Config{Now: clock.Now})
		j, err := b.NewJourney(bridgeSpec(t, clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(gateway.TransactionLifetime)
		_, err = j.Wait(context.Background())
		if !errors.Is(err, ErrJourneyExpired) {
			t.Fatalf("Wait: %v, want ErrJourneyExpired", err)
		}
		if !strings.Contains(err.Error(), j.spec.TransactionID) {
			t.Errorf("error does not name the transaction: %v", err)
		}
		a := bridgeCall(t, "POST", loopbackURL(b, journeyPath(j)+"result"), "", "application/json", "", okResultBody(t))
		if a.status != http.StatusGone {
			t.Errorf("result after expiry: %d, want 410", a.status)
		}
		if _, err := j.Wait(context.Background()); !errors.Is(err, ErrJourneyExpired) {
			t.Errorf("second Wait: %v", err)
		}
		js := bridgeCall(t, "GET", loopbackURL(b, journeyPath(j)+"journey.json"), "", "", "", nil)
		if !strings.Contains(js.body, `"state":"expired"`) || !strings.Contains(js.body, `"expiresInMs":0`) {
			t.Errorf("journey.json after expiry: %s", js.body)
		}
	})
	t.Run("short expiry", func(t *testing.T) {
		b := startTestBridge(t, Config{})
		spec := bridgeSpec(t, time.Now())
		spec.ExpireAt = time.Now().Add(50 * time.Millisecond)
		j, err := b.NewJourney(spec)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := j.Wait(ctx); !errors.Is(err, ErrJourneyExpired) {
			t.Fatalf("Wait: %v, want ErrJourneyExpired", err)
		}
	})
}

func TestJourneyWaitEnds(t *testing.T) {
	b := startTestBridge(t, Config{})
	j, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := j.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Wait: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := j.Wait(context.Background())
		done <- err
	}()
	j.Close()
	if err := <-done; !errors.Is(err, ErrJourneyClosed) {
		t.Errorf("Wait after Close: %v", err)
	}
	if a := bridgeCall(t, "GET", loopbackURL(b, journeyPath(j)), "", "", "", nil); a.status != 404 {
		t.Errorf("closed journey page: %d, want 404", a.status)
	}

	// Closing the bridge ends the other journeys and frees the port.
	j2, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	port := b.Port()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := j2.Wait(context.Background()); !errors.Is(err, ErrJourneyClosed) {
		t.Errorf("Wait after bridge Close: %v", err)
	}
	if _, err := b.NewJourney(bridgeSpec(t, time.Now())); err == nil {
		t.Error("NewJourney on a closed bridge worked")
	}
	again := startTestBridge(t, Config{Port: port})
	if again.Port() != port {
		t.Errorf("restarted on %d, want %d", again.Port(), port)
	}
}

func TestNewJourneyValidates(t *testing.T) {
	b := startTestBridge(t, Config{})
	base := bridgeSpec(t, time.Now())
	for name, mutate := range map[string]func(*JourneySpec){
		"no gateway":   func(s *JourneySpec) { s.Gateway = "" },
		"no token":     func(s *JourneySpec) { s.AuthToken = " " },
		"no txn":       func(s *JourneySpec) { s.TransactionID = "" },
		"no sdk":       func(s *JourneySpec) { s.SDKURL = "" },
		"relative sdk": func(s *JourneySpec) { s.SDKURL = "/scdk.js" },
		"plain http":   func(s *JourneySpec) { s.SDKURL = "http://gateway.smallcase.com/scdk/2.0.0/scdk.js" },
		"file":         func(s *JourneySpec) { s.SDKURL = "file:///etc/passwd" },
	} {
		s := base
		mutate(&s)
		if _, err := b.NewJourney(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	s := base
	s.SDKURL = "http://127.0.0.1:1234/scdk/2.0.0/scdk.js"
	if _, err := b.NewJourney(s); err != nil {
		t.Errorf("loopback http SDK refused: %v", err)
	}
	s.ExpireAt = time.Time{}
	j, err := b.NewJourney(s)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(j.Spec().ExpireAt); d <= 0 || d > gateway.TransactionLifetime {
		t.Errorf("default expiry %v from now", d)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(j.nonce); err != nil || len(raw) < 16 {
		t.Errorf("nonce %q does not hold 128 random bits", j.nonce)
	}
}

func TestNoncesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		n, err := newNonce()
		if err != nil {
			t.Fatal(err)
		}
		if seen[n] {
			t.Fatalf("nonce %q drawn twice", n)
		}
		seen[n] = true
	}
}

func TestBridgeBusyPort(t *testing.T) {
	holder, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "holder") })}
	go srv.Serve(holder)
	t.Cleanup(func() { srv.Close() })
	port := holder.Addr().(*net.TCPAddr).Port

	b, err := Start(Config{Port: port})
	if err == nil {
		b.Close()
		t.Fatal("Start on a busy port worked")
	}
	var busy *PortBusyError
	if !errors.As(err, &busy) || busy.Port != port {
		t.Fatalf("err = %#v, want *PortBusyError{Port: %d}", err, port)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("err does not unwrap to EADDRINUSE: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{strconv.Itoa(port), "http://localhost:" + strconv.Itoa(port), "whitelist", "never stops it", "profile"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	// The holder is untouched and still answers.
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
	if err != nil {
		t.Fatalf("holder stopped answering: %v", err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(data) != "holder" {
		t.Fatalf("holder answered %q", data)
	}
}

func TestBridgeBusyPortOnIPv6Loopback(t *testing.T) {
	holder, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	defer holder.Close()
	port := holder.Addr().(*net.TCPAddr).Port
	b, err := Start(Config{Port: port})
	if err == nil {
		b.Close()
		t.Fatal("Start worked although [::1]:PORT is held: a browser preferring ::1 would reach the holder")
	}
	var busy *PortBusyError
	if !errors.As(err, &busy) || busy.Port != port {
		t.Fatalf("err = %v, want *PortBusyError", err)
	}
	// The IPv4 side was released again.
	ln, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("the failed start kept 127.0.0.1:%d: %v", port, err)
	}
	ln.Close()
}

func TestBridgePortOutOfRange(t *testing.T) {
	for _, p := range []int{-1, 70000} {
		if b, err := Start(Config{Port: p}); err == nil {
			b.Close()
			t.Errorf("port %d accepted", p)
		}
	}
}
