package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strings"

	"gatewalk/assets"
	"gatewalk/gateway"
)

// MaxResultBytes is the largest body the bridge takes on a journey's result
// or event endpoint.
const MaxResultBytes = 64 << 10

// routes builds the bridge's handler: every request passes the Host guard
// and gets the security headers first.
func (b *Bridge) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /j/{nonce}/{$}", b.servePage)
	mux.HandleFunc("GET /j/{nonce}", b.redirectSlash)
	mux.HandleFunc("GET /j/{nonce}/journey.json", b.serveJourney)
	mux.HandleFunc("GET /j/{nonce}/state", b.serveState)
	mux.HandleFunc("POST /j/{nonce}/result", b.postResult)
	mux.HandleFunc("POST /j/{nonce}/event", b.postEvent)
	mux.HandleFunc("GET /static/{name}", b.serveStatic)
	mux.HandleFunc("GET /errors.json", b.serveErrors)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusNotFound, "gatewalk browser bridge: open the journey link your terminal printed.")
	})
	return b.guard(mux)
}

// guard refuses requests for another host (DNS rebinding) or from another
// origin (cross-site posts), and sets the headers every answer carries.
func (b *Bridge) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
		if !b.allowedHost(r.Host) {
			b.logf("bridge: refused %s %s: Host %q is not localhost:%d", r.Method, redactPath(r.URL.Path), r.Host, b.port)
			plain(w, http.StatusMisdirectedRequest, fmt.Sprintf("this server only answers http://localhost:%d", b.port))
			return
		}
		if !b.allowedOrigin(r.Header.Get("Origin")) {
			b.logf("bridge: refused %s %s: Origin %q is not this bridge", r.Method, redactPath(r.URL.Path), r.Header.Get("Origin"))
			plain(w, http.StatusForbidden, "requests from other sites are refused")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// redactPath keeps nonces out of logs.
func redactPath(p string) string {
	if rest, ok := strings.CutPrefix(p, "/j/"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return "/j/…" + rest[i:]
		}
		return "/j/…"
	}
	return p
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		plain(w, http.StatusInternalServerError, "cannot encode the answer")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// jsonError answers {"error": msg} with status.
func jsonError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// lookup finds the request's journey or answers 404.
func (b *Bridge) lookup(w http.ResponseWriter, r *http.Request) *Journey {
	j := b.journey(r.PathValue("nonce"))
	if j == nil {
		b.logf("bridge: refused %s %s: unknown journey", r.Method, redactPath(r.URL.Path))
		plain(w, http.StatusNotFound, "unknown journey: open the newest link your terminal printed")
		return nil
	}
	return j
}

func (b *Bridge) redirectSlash(w http.ResponseWriter, r *http.Request) {
	if j := b.lookup(w, r); j != nil {
		http.Redirect(w, r, r.URL.Path+"/", http.StatusPermanentRedirect)
	}
}

// smallcaseHosts are where the real web SDK loads from and talks to.
const smallcaseHosts = "https://*.smallcase.com"

// pageCSP lets the page run its own script and the SDK's, and lets the SDK
// do what the Gateway's script does from smallcase's hosts: API calls and
// websockets, frames, the styles and images it injects. Nothing loads from
// any other host (the SDK's own origin, sdkOrigin, aside: the sandbox's
// script); objects, base-uri changes and framing of the page stay off. A
// broker's login opens in a window of its own, which the policy does not
// govern. Every block is reported to the terminal (csp_blocked).
func pageCSP(sdkOrigin string) string {
	src := "'self'"
	if sdkOrigin != "" {
		src += " " + sdkOrigin
	}
	sc := src + " " + smallcaseHosts
	return strings.Join([]string{
		"default-src " + src,
		"script-src " + sc,
		"style-src " + sc + " 'unsafe-inline'",
		"img-src " + sc + " data: blob:",
		"font-src " + sc + " data:",
		"connect-src " + sc + " wss://*.smallcase.com",
		"frame-src " + sc,
		"form-action " + sc,
		"object-src 'none'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

func (b *Bridge) servePage(w http.ResponseWriter, r *http.Request) {
	j := b.lookup(w, r)
	if j == nil {
		return
	}
	page, err := fs.ReadFile(assets.FS(), assets.HarnessPage)
	if err != nil {
		plain(w, http.StatusInternalServerError, "the harness page is missing from this build")
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP(j.spec.sdkOrigin()))
	// The origin alone (never the nonce path) goes with the SDK's requests:
	// a script host may check it against the gateway's whitelist.
	h.Set("Referrer-Policy", "strict-origin")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(page)
	j.emit(JourneyPageOpened, r.Header.Get("User-Agent"))
}

// journeyView is what the page learns about its journey: never a secret.
type journeyView struct {
	Gateway            string              `json:"gateway"`
	SmallcaseAuthToken string              `json:"smallcaseAuthToken"`
	TransactionID      string              `json:"transactionId"`
	Intent             gateway.Intent      `json:"intent,omitempty"`
	SDKURL             string              `json:"sdkUrl"`
	Origin             string              `json:"origin"`
	ExpiresInMs        int64               `json:"expiresInMs"`
	Leprechaun         bool                `json:"leprechaun"`
	AMO                bool                `json:"amo"`
	Brokers            []string            `json:"brokers,omitempty"`
	Config             json.RawMessage     `json:"config,omitempty"`
	State              string              `json:"state"`
	Outcome            *outcomeSummaryView `json:"outcome,omitempty"`
	// Role is this tab's part: "owner" runs the SDK; "other" must not
	// (another tab runs the journey); "restarted" started it and was
	// reloaded.
	Role string `json:"role"`
}

// tabID is the page's tab id from the query (?tab=): a few letters and
// digits the page draws once per tab; "" when absent or malformed.
func tabID(r *http.Request) string { return queryID(r, "tab") }

// loadID is the page load's id (?load=), drawn anew at every load.
func loadID(r *http.Request) string { return queryID(r, "load") }

func queryID(r *http.Request, name string) string {
	t := r.URL.Query().Get(name)
	if len(t) < 8 || len(t) > 64 {
		return ""
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return t
}

// outcomeSummaryView tells a reloaded page how the journey ended.
type outcomeSummaryView struct {
	OK      bool               `json:"ok"`
	Broker  string             `json:"broker,omitempty"`
	Error   *gateway.ErrorInfo `json:"error,omitempty"`
	Verdict *Verdict           `json:"verdict,omitempty"`
}

func summaryView(o gateway.SDKOutcome) *outcomeSummaryView {
	if o.Error != nil {
		info := gateway.ExplainSDKError(o.Error.Code, o.Error.Message)
		return &outcomeSummaryView{Error: &info}
	}
	v := &outcomeSummaryView{OK: true}
	if o.Result != nil {
		v.Broker = o.Result.Broker
	}
	return v
}

func (b *Bridge) serveJourney(w http.ResponseWriter, r *http.Request) {
	j := b.lookup(w, r)
	if j == nil {
		return
	}
	state, outcome := j.snapshot()
	v := journeyView{
		Gateway:            j.spec.Gateway,
		SmallcaseAuthToken: j.spec.AuthToken,
		TransactionID:      j.spec.TransactionID,
		Intent:             j.spec.Intent,
		SDKURL:             j.spec.SDKURL,
		Origin:             b.Origin(),
		ExpiresInMs:        max(0, j.spec.ExpireAt.Sub(b.now()).Milliseconds()),
		Leprechaun:         j.spec.Leprechaun,
		AMO:                j.spec.AMO,
		Brokers:            j.spec.Brokers,
	}
	if c := strings.TrimSpace(j.spec.Config); c != "" && json.Valid([]byte(c)) {
		v.Config = json.RawMessage(c)
	}
	switch state {
	case stateSettled:
		v.State = "settled"
		v.Outcome = summaryView(outcome)
		if v.Outcome.OK {
			v.Outcome.Verdict = j.currentVerdict()
		}
	case stateExpired:
		v.State = "expired"
	default:
		v.State = "waiting"
		v.Role = j.claim(tabID(r), loadID(r))
		switch v.Role {
		case roleOther:
			j.emit(JourneyOtherTab, "a second tab opened this journey's link; it was told to leave the journey to the first one")
		case roleRestarted:
			j.emit(JourneyOtherTab, "the tab running the SDK was reloaded after the SDK started; the SDK's answer cannot reach it any more")
		}
		j.mu.Lock()
		if j.abandoned {
			v.State, v.Role = "abandoned", ""
		}
		j.mu.Unlock()
	}
	if v.State != "waiting" || v.Role != roleOwner {
		// Only the tab that may run the SDK gets the token it runs with.
		v.SmallcaseAuthToken = ""
	}
	writeJSON(w, http.StatusOK, v)
}

// serveState tells a waiting page whether the terminal still waits for its
// journey: {"state": "waiting" | "settled" | "expired" | "abandoned"}. A
// closed journey answers 404 like any unknown one.
func (b *Bridge) serveState(w http.ResponseWriter, r *http.Request) {
	j := b.lookup(w, r)
	if j == nil {
		return
	}
	state, _ := j.snapshot()
	j.mu.Lock()
	abandoned := j.abandoned
	j.mu.Unlock()
	s := "waiting"
	switch {
	case abandoned:
		s = "abandoned"
	case state == stateSettled:
		s = "settled"
	case state == stateExpired:
		s = "expired"
	case state == stateClosed:
		s = "abandoned"
	}
	writeJSON(w, http.StatusOK, map[string]string{"state": s})
}

// readJSONBody enforces the body rules shared by the page's posts:
// application/json, at most MaxResultBytes. It answers the refusal itself
// and returns nil then.
func (b *Bridge) readJSONBody(w http.ResponseWriter, r *http.Request, alsoText bool) []byte {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !(mt == "application/json" || alsoText && mt == "text/plain") {
		b.logf("bridge: refused %s %s: Content-Type %q", r.Method, redactPath(r.URL.Path), r.Header.Get("Content-Type"))
		jsonError(w, http.StatusUnsupportedMediaType, "the body must be application/json")
		return nil
	}
	if r.ContentLength > MaxResultBytes {
		b.logf("bridge: refused %s %s: body of %d bytes", r.Method, redactPath(r.URL.Path), r.ContentLength)
		jsonError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body must be at most %d bytes", MaxResultBytes))
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxResultBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			b.logf("bridge: refused %s %s: body over %d bytes", r.Method, redactPath(r.URL.Path), MaxResultBytes)
			jsonError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body must be at most %d bytes", MaxResultBytes))
			return nil
		}
		jsonError(w, http.StatusBadRequest, "cannot read the body")
		return nil
	}
	return body
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown
// top-level keys and trailing data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// ParseOutcome decodes what the harness page posts: a JSON object with
// exactly one of "result" (what triggerTransaction resolved with) and
// "error" (what it rejected with).
func ParseOutcome(body []byte) (gateway.SDKOutcome, error) {
	var raw struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := decodeStrict(body, &raw); err != nil {
		return gateway.SDKOutcome{}, fmt.Errorf("not an SDK outcome: %v", err)
	}
	hasResult := len(raw.Result) > 0 && !bytes.Equal(raw.Result, []byte("null"))
	hasError := len(raw.Error) > 0 && !bytes.Equal(raw.Error, []byte("null"))
	if hasResult == hasError {
		return gateway.SDKOutcome{}, errors.New(`an SDK outcome has exactly one of "result" and "error"`)
	}
	var o gateway.SDKOutcome
	if hasResult {
		o.Result = new(gateway.SDKResult)
		if err := json.Unmarshal(raw.Result, o.Result); err != nil {
			return gateway.SDKOutcome{}, fmt.Errorf(`"result" is not an SDK result: %v`, err)
		}
		return o, nil
	}
	o.Error = new(gateway.SDKError)
	if err := json.Unmarshal(raw.Error, o.Error); err != nil {
		return gateway.SDKOutcome{}, fmt.Errorf(`"error" is not an SDK error: %v`, err)
	}
	return o, nil
}

// resultAnswer is the page's answer to an accepted result: for a resolved
// one, the terminal's verdict on it when it came in time.
type resultAnswer struct {
	State   string             `json:"state"`
	Explain *gateway.ErrorInfo `json:"explain,omitempty"`
	Verdict *Verdict           `json:"verdict,omitempty"`
}

func (b *Bridge) postResult(w http.ResponseWriter, r *http.Request) {
	j := b.lookup(w, r)
	if j == nil {
		return
	}
	body := b.readJSONBody(w, r, false)
	if body == nil {
		return
	}
	o, err := ParseOutcome(body)
	if err != nil {
		b.logf("bridge: refused result for transaction %s: %v", j.spec.TransactionID, err)
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !j.isOwner(tabID(r)) {
		// Only the tab that runs the journey settles it: another tab's
		// answer (invalid_transactionId, most likely) is shown, not taken.
		b.logf("bridge: refused a result for transaction %s from a tab that does not run it", j.spec.TransactionID)
		j.emit(JourneyOtherTab, "another tab's SDK answered "+outcomeSummary(o)+"; ignored: the first tab runs this journey")
		jsonError(w, http.StatusConflict, "this journey runs in another tab: its result is the one the terminal takes")
		return
	}
	switch status := j.settle(o); status {
	case http.StatusOK:
		ans := resultAnswer{State: "settled"}
		if o.Error != nil {
			info := gateway.ExplainSDKError(o.Error.Code, o.Error.Message)
			ans.Explain = &info
		} else if j.spec.AwaitVerdict {
			// The page says "Done" only once the terminal has accepted the
			// result: wait (briefly) for its verdict.
			ctx, cancel := context.WithTimeout(r.Context(), b.verdictWait())
			ans.Verdict = j.awaitVerdict(ctx)
			cancel()
		} else {
			ans.Verdict = &Verdict{Accepted: true}
		}
		writeJSON(w, http.StatusOK, ans)
	case http.StatusConflict:
		b.logf("bridge: refused a second result for transaction %s", j.spec.TransactionID)
		jsonError(w, status, "this journey already has a result")
	case http.StatusGone:
		b.logf("bridge: refused a result for transaction %s: it expired", j.spec.TransactionID)
		jsonError(w, status, "the transaction expired and the terminal stopped waiting: create a fresh transaction")
	default:
		plain(w, http.StatusNotFound, "unknown journey: open the newest link your terminal printed")
	}
}

// maxEventDetail bounds the detail text a page event carries.
const maxEventDetail = 500

func (b *Bridge) postEvent(w http.ResponseWriter, r *http.Request) {
	j := b.lookup(w, r)
	if j == nil {
		return
	}
	// navigator.sendBeacon may send text/plain when the page goes away.
	body := b.readJSONBody(w, r, true)
	if body == nil {
		return
	}
	var ev struct {
		Kind   JourneyEventKind `json:"kind"`
		Detail string           `json:"detail"`
	}
	if err := decodeStrict(body, &ev); err != nil {
		jsonError(w, http.StatusBadRequest, "not a journey event: "+err.Error())
		return
	}
	if !pageEventKinds[ev.Kind] {
		jsonError(w, http.StatusBadRequest, fmt.Sprintf("unknown journey event %q", ev.Kind))
		return
	}
	if len(ev.Detail) > maxEventDetail {
		ev.Detail = ev.Detail[:maxEventDetail]
	}
	if state, _ := j.snapshot(); state == stateSettled && ev.Kind == JourneyTabClosed {
		// Closing the tab after the result is the expected end.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	detail := strings.ToValidUTF8(ev.Detail, "?")
	if !j.isOwner(tabID(r)) {
		// Another tab's events never end the wait (a closed second tab is
		// not the journey's tab closing); its start is refused.
		j.emit(JourneyOtherTab, "another tab: "+string(ev.Kind)+" "+detail)
		jsonError(w, http.StatusConflict, "this journey runs in another tab")
		return
	}
	switch ev.Kind {
	case JourneySDKStarted:
		// The handshake before triggerTransaction: refused, the page must
		// not start the SDK.
		if !j.start(tabID(r), loadID(r)) {
			j.emit(JourneyOtherTab, "a page load that does not run this journey tried to start the SDK; it was refused")
			jsonError(w, http.StatusConflict, "this journey was started by another page, or is no longer waiting: do not start the SDK here")
			return
		}
	case JourneyTabClosed:
		j.ownerLeft(loadID(r))
		if j.sdkStarted() {
			// The SDK may be running in the broker's window; the tab that
			// would report its answer is gone.
			detail = strings.TrimPrefix(strings.TrimSpace(detail+"; after the SDK started"), "; ")
		}
	}
	j.emit(ev.Kind, detail)
	w.WriteHeader(http.StatusNoContent)
}

func (b *Bridge) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var ctype string
	switch name {
	case assets.HarnessScript:
		ctype = "text/javascript; charset=utf-8"
	case assets.HarnessStyle:
		ctype = "text/css; charset=utf-8"
	default:
		plain(w, http.StatusNotFound, "not found")
		return
	}
	data, err := fs.ReadFile(assets.FS(), name)
	if err != nil {
		plain(w, http.StatusNotFound, "not found")
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

// serveErrors serves the SDK error table, so that a page or tool can
// explain codes without a copy of it.
func (b *Bridge) serveErrors(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, gateway.SDKErrors())
}
