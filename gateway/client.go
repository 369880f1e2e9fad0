package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Header names of the partner API.
const (
	HeaderSecret    = "x-gateway-secret"
	HeaderAuthToken = "x-gateway-authtoken"
)

// Client defaults.
const (
	DefaultTimeout = 15 * time.Second
	DefaultRetries = 2 // extra attempts for GETs
	maxResponse    = 32 << 20
)

// Client talks to the partner side of the Gateway API. The zero value is not
// usable: BaseURL, Gateway and APISecret are required.
type Client struct {
	BaseURL   string       // e.g. https://gatewayapi.smallcase.com
	Gateway   string       // gateway name, part of every path
	APISecret string       // sent as x-gateway-secret
	HTTP      *http.Client // nil means http.DefaultClient
	Timeout   time.Duration
	// Retries is how many extra attempts a GET makes after a network error
	// or a 5xx; negative disables retries, zero means DefaultRetries.
	Retries int
	// Backoff is the first wait between attempts, doubled each time; zero
	// means 250ms.
	Backoff time.Duration
}

// APIError is a Gateway API failure: a non-2xx status or success:false.
type APIError struct {
	Method    string   `json:"method"`
	Path      string   `json:"path"`
	Status    int      `json:"status"`
	Errors    []string `json:"errors"`
	ErrorType string   `json:"errorType,omitempty"`
	// Body is the start of a response that was not the JSON envelope.
	Body string `json:"body,omitempty"`
}

// ErrorKind says which input an API error most probably points at.
type ErrorKind string

// Error kinds.
const (
	KindJWT        ErrorKind = "jwt"        // the secret (JWT signature) or the token's expiry
	KindAPISecret  ErrorKind = "api_secret" // x-gateway-secret
	KindGateway    ErrorKind = "gateway"    // the gateway name
	KindGuest      ErrorKind = "guest"      // a guest token where a connected one is needed
	KindValidation ErrorKind = "validation" // the request body
	KindExpired    ErrorKind = "expired"    // the transaction expired
	KindNotFound   ErrorKind = "not_found"
	KindServer     ErrorKind = "server"
	KindOther      ErrorKind = "other"
)

// Kind classifies the error from its status and messages.
func (e *APIError) Kind() ErrorKind {
	text := strings.ToLower(strings.Join(e.Errors, " ") + " " + e.ErrorType)
	switch {
	// Before the gateway name: "Invalid gateway secret" is about the
	// x-gateway-secret (the apiSecret), not about the gateway.
	case namesAPISecret(strings.ToLower(strings.Join(e.Errors, "; "))) || namesAPISecret(strings.ToLower(e.ErrorType)):
		// The messages and the error type apart: a message that ends in
		// "the gateway secret" must not run into an error type "invalid_…".
		return KindAPISecret
	case strings.Contains(text, "invalid gateway") || strings.Contains(text, "unknown gateway"):
		return KindGateway
	case strings.Contains(text, "guest"):
		return KindGuest
	case strings.Contains(text, "jwt") || strings.Contains(text, "authtoken"):
		return KindJWT
	case strings.Contains(text, "expired"):
		return KindExpired
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return KindAPISecret
	case e.Status == http.StatusNotFound:
		return KindNotFound
	case e.Status >= 500:
		return KindServer
	case e.Status == http.StatusBadRequest || e.Status == http.StatusRequestEntityTooLarge || e.Status == http.StatusUnprocessableEntity:
		return KindValidation
	}
	return KindOther
}

// apiSecretRe matches the gateway secret named as the wrong input:
// "invalid gateway secret", "gateway secret is wrong", "invalid_gateway_secret".
// A bare "gateway secret" is not enough: the sandbox calls the JWT signing
// secret that too ("signed with the gateway secret").
var apiSecretRe = regexp.MustCompile(`\b(invalid|wrong|incorrect|bad|missing|unknown|no)[\s_-]+(x-)?gateway[\s_-]?secret|` +
	`gateway[\s_-]?secret[\s_-]+(is[\s_-]+)?(invalid|wrong|incorrect|missing|required|not[\s_-]+valid|mismatch)`)

// namesAPISecret reports whether lower-cased error text names the
// x-gateway-secret (the apiSecret) as what was refused.
func namesAPISecret(text string) bool {
	for _, k := range []string{"x-gateway-secret", "x_gateway_secret", "api secret", "apisecret", "api_secret", "api-secret"} {
		if strings.Contains(text, k) {
			return true
		}
	}
	return apiSecretRe.MatchString(text)
}

// KeysRejected reports whether the error means the profile's keys or the
// token were refused (as opposed to a bad request or a server fault).
func (e *APIError) KeysRejected() bool {
	switch e.Kind() {
	case KindJWT, KindAPISecret, KindGateway, KindGuest:
		return true
	}
	return false
}

// Hint says what to do about the error, naming the key that is probably wrong.
func (e *APIError) Hint() string {
	switch e.Kind() {
	case KindJWT:
		return "the x-gateway-authtoken JWT was rejected: check the profile's secret (it signs the JWT) and that the token has not expired"
	case KindAPISecret:
		return "the x-gateway-secret header was rejected: check the profile's apiSecret (not the JWT secret)"
	case KindGateway:
		return "the gateway name is not known to this Gateway environment: check the profile's gateway name and API URL"
	case KindGuest:
		return "this call needs a connected user's token: connect a user first (guest login), then mint a connected token for its smallcaseAuthId"
	case KindValidation:
		return "the request body was refused: fix the field named in the error"
	case KindExpired:
		return "the transaction has expired: create a fresh one (a transactionId lives 5 minutes)"
	case KindNotFound:
		return "not found: check the API URL, the gateway name and the transactionId"
	case KindServer:
		return "the Gateway failed; try again in a moment"
	}
	return ""
}

// Error tells the call, the HTTP status and the Gateway's messages, with
// the Hint when the Kind has one.
func (e *APIError) Error() string {
	msg := strings.Join(e.Errors, "; ")
	if msg == "" && e.Body != "" {
		msg = "unexpected response: " + e.Body
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, msg)
	if h := e.Hint(); h != "" {
		s += " (" + h + ")"
	}
	return s
}

// Exchange records one HTTP attempt, with secrets masked, for display,
// transcripts and curl export.
type Exchange struct {
	Method         string            `json:"method"`
	URL            string            `json:"url"`
	RequestHeaders map[string]string `json:"requestHeaders"`
	RequestBody    string            `json:"requestBody,omitempty"`
	Status         int               `json:"status,omitempty"`
	ResponseBody   string            `json:"responseBody,omitempty"`
	Error          string            `json:"error,omitempty"`
	Attempt        int               `json:"attempt"`
	Started        time.Time         `json:"started"`
	Duration       time.Duration     `json:"duration"`
	// ServerTime is the server's clock when it answered: the
	// X-Sandbox-Time header (a sandbox's clock, which may be advanced),
	// else the Date header (to the second); zero without either.
	ServerTime time.Time `json:"serverTime,omitzero"`
	// ServerTimePrecise reports that ServerTime came from X-Sandbox-Time.
	ServerTimePrecise bool `json:"-"`
	authTokenHeader   string
}

// HeaderSandboxTime is the header in which a sandbox tells its clock.
const HeaderSandboxTime = "X-Sandbox-Time"

// serverTime reads the server's clock from a response's headers.
// ServerTime reads the server's clock off a response: a sandbox's
// X-Sandbox-Time (precise), else Date (to the second).
func ServerTime(h http.Header) (t time.Time, precise bool) { return serverTime(h) }

func serverTime(h http.Header) (t time.Time, precise bool) {
	if v := h.Get(HeaderSandboxTime); v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t, true
		}
	}
	if v := h.Get("Date"); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			return t, false
		}
	}
	return time.Time{}, false
}

// Curl renders the request as a curl command. The apiSecret is replaced by
// $GATEWALK_API_SECRET; the JWT stays, since it is short-lived and minted
// for this request.
func (x Exchange) Curl() string {
	var b strings.Builder
	fmt.Fprintf(&b, "curl -sS -X %s %s", x.Method, shellQuote(x.URL))
	b.WriteString(" \\\n  -H 'Content-Type: application/json'")
	b.WriteString(" \\\n  -H \"" + HeaderSecret + ": $GATEWALK_API_SECRET\"")
	if x.authTokenHeader != "" {
		b.WriteString(" \\\n  -H " + shellQuote(HeaderAuthToken+": "+x.authTokenHeader))
	}
	if x.RequestBody != "" {
		b.WriteString(" \\\n  --data " + shellQuote(x.RequestBody))
	}
	return b.String()
}

// AuthToken returns the JWT the request carried.
func (x Exchange) AuthToken() string { return x.authTokenHeader }

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// MaskSecret shows the first four characters of a secret and hides the
// rest. A secret shorter than twelve characters shows none: four of them
// would give most of it away.
func MaskSecret(s string) string {
	if s == "" {
		return ""
	}
	r := []rune(s)
	if len(r) < 12 {
		return strings.Repeat("•", 4)
	}
	return string(r[:4]) + strings.Repeat("•", 4)
}

type recorderKey struct{}

// WithRecorder returns a context whose API calls report each HTTP attempt to
// rec. The recorder is called from the calling goroutine.
func WithRecorder(ctx context.Context, rec func(Exchange)) context.Context {
	return context.WithValue(ctx, recorderKey{}, rec)
}

func record(ctx context.Context, x Exchange) {
	if rec, ok := ctx.Value(recorderKey{}).(func(Exchange)); ok && rec != nil {
		rec(x)
	}
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) endpoint(path string, q url.Values) string {
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// CreateTransaction creates a transaction (POST /gateway/{gw}/transaction).
// authToken is a guest or connected JWT. The request is validated first; a
// create is never retried, since a retry could create two transactions.
func (c *Client) CreateTransaction(ctx context.Context, authToken string, req TransactionRequest) (*TransactionCreated, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var out TransactionCreated
	path := "/gateway/" + url.PathEscape(c.Gateway) + "/transaction"
	if err := c.do(ctx, http.MethodPost, path, nil, authToken, body, &out); err != nil {
		return nil, err
	}
	if out.TransactionID == "" {
		return nil, fmt.Errorf("POST %s: response has no transactionId", path)
	}
	return &out, nil
}

// HoldingsOptions selects the holdings response shape.
type HoldingsOptions struct {
	V2         bool // version=v2
	MFHoldings bool // mfHoldings=true
}

// FetchHoldings fetches a connected user's holdings
// (GET /v1/{gw}/engine/user/holdings). authToken must be a connected JWT.
func (c *Client) FetchHoldings(ctx context.Context, authToken string, opt HoldingsOptions) (*Holdings, error) {
	q := url.Values{}
	if opt.V2 {
		q.Set("version", "v2")
	}
	if opt.MFHoldings {
		q.Set("mfHoldings", "true")
	}
	path := "/v1/" + url.PathEscape(c.Gateway) + "/engine/user/holdings"
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, path, q, authToken, nil, &raw); err != nil {
		return nil, err
	}
	h := &Holdings{Version: "v1"}
	if opt.V2 {
		h.Version = "v2"
		h.V2 = &HoldingsV2{}
		if err := json.Unmarshal(raw, h.V2); err != nil {
			return nil, fmt.Errorf("GET %s: v2 holdings do not parse: %w", path, err)
		}
		return h, nil
	}
	h.V1 = &HoldingsV1{}
	if err := json.Unmarshal(raw, h.V1); err != nil {
		return nil, fmt.Errorf("GET %s: v1 holdings do not parse (if this Gateway answers in the v2 shape, try --v2): %w", path, err)
	}
	return h, nil
}

// FetchOrderDetails fetches the batches of a securities transaction
// (GET /v1/{gw}/engine/orders/sst?transactionId=).
func (c *Client) FetchOrderDetails(ctx context.Context, authToken, transactionID string) (*OrderDetails, error) {
	if transactionID == "" {
		return nil, &ValidationError{Field: "transactionId", Problem: "is required"}
	}
	path := "/v1/" + url.PathEscape(c.Gateway) + "/engine/orders/sst"
	var out OrderDetails
	if err := c.do(ctx, http.MethodGet, path, url.Values{"transactionId": {transactionID}}, authToken, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, authToken string, body []byte, into any) error {
	if c.BaseURL == "" || c.Gateway == "" {
		return errors.New("gateway client: API URL and gateway name are required")
	}
	attempts := 1
	if method == http.MethodGet {
		switch {
		case c.Retries > 0:
			attempts += c.Retries
		case c.Retries == 0:
			attempts += DefaultRetries
		}
	}
	backoff := c.Backoff
	if backoff <= 0 {
		backoff = 250 * time.Millisecond
	}
	var lastErr error
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s %s: %w (after %v)", method, path, ctx.Err(), lastErr)
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		retry, err := c.attempt(ctx, method, path, q, authToken, body, into, attempt)
		if err == nil {
			return nil
		}
		lastErr = err
		if !retry {
			return err
		}
	}
	return lastErr
}

func (c *Client) attempt(ctx context.Context, method, path string, q url.Values, authToken string, body []byte, into any, attempt int) (retry bool, err error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := c.endpoint(path, q)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, u, rd)
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderSecret, c.APISecret)
	if authToken != "" {
		req.Header.Set(HeaderAuthToken, authToken)
	}
	x := Exchange{Method: method, URL: u, Attempt: attempt, Started: time.Now(), RequestBody: string(body),
		RequestHeaders:  map[string]string{"Content-Type": "application/json", HeaderSecret: MaskSecret(c.APISecret)},
		authTokenHeader: authToken}
	if authToken != "" {
		x.RequestHeaders[HeaderAuthToken] = authToken
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		x.Duration = time.Since(x.Started)
		x.Error = err.Error()
		record(ctx, x)
		if ctx.Err() != nil {
			return false, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return method == http.MethodGet, fmt.Errorf("%s %s: no answer within %v: %w", method, path, timeout, err)
		}
		return method == http.MethodGet, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	x.Duration = time.Since(x.Started)
	x.Status = resp.StatusCode
	x.ResponseBody = string(raw)
	x.ServerTime, x.ServerTimePrecise = serverTime(resp.Header)
	if err != nil {
		x.Error = err.Error()
		record(ctx, x)
		return method == http.MethodGet, fmt.Errorf("%s %s: reading response: %w", method, path, err)
	}
	record(ctx, x)
	if rr, ok := into.(*RawResponse); ok {
		rr.fill(resp, raw)
	}
	var env Envelope
	jerr := json.Unmarshal(raw, &env)
	if resp.StatusCode >= 300 || jerr != nil || !env.Success {
		apiErr := &APIError{Method: method, Path: path, Status: resp.StatusCode, Errors: env.Errors, ErrorType: env.ErrorType}
		if jerr != nil {
			apiErr.Body = snippet(raw)
		}
		if resp.StatusCode < 300 && jerr != nil {
			apiErr.Errors = []string{"response is not the JSON envelope {success, errors, data}"}
		}
		return resp.StatusCode >= 500 && method == http.MethodGet, apiErr
	}
	if _, raw := into.(*RawResponse); into != nil && !raw && len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, into); err != nil {
			return false, fmt.Errorf("%s %s: data does not parse: %w", method, path, err)
		}
	}
	return false, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
