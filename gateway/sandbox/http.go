package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"gatewalk/gateway"
)

// errorType values of the sandbox's error envelopes.
const (
	etInvalidGateway = "invalid_gateway"
	etInvalidSecret  = "invalid_secret"
	etInvalidJWT     = "invalid_jwt"
	etGuestToken     = "guest_token"
	etBadRequest     = "bad_request"
	etValidation     = "validation_error"
	etTooLarge       = "payload_too_large"
	etNotFound       = "not_found"
	etExpired        = "transaction_expired"
	etConflict       = "conflict"
	etMethod         = "method_not_allowed"
	etForbidden      = "origin_not_allowed"
	etInternal       = "internal_error"
)

// apiErr is a failed call: an HTTP status and the envelope's errors.
type apiErr struct {
	status    int
	errorType string
	errors    []string
}

func (e *apiErr) Error() string { return strings.Join(e.errors, "; ") }

func fail(status int, errorType string, msgs ...string) *apiErr {
	return &apiErr{status: status, errorType: errorType, errors: msgs}
}

func (s *Server) routes() {
	m := http.NewServeMux()
	gw := "/gateway/{gw}/transaction"
	m.HandleFunc(gw, s.handleCreateTransaction)
	m.HandleFunc("/v1/{gw}/engine/user/holdings", s.handleHoldings)
	m.HandleFunc("/v1/{gw}/engine/orders/sst", s.handleOrderDetails)

	m.HandleFunc(SDKPath, s.handleScript)
	m.HandleFunc("/scdk/2.0.0/scdk.css", s.handleCSS)
	m.HandleFunc("/scdk/api/{gw}/init", s.sdkCORS(s.handleSDKInit))
	m.HandleFunc("/scdk/api/{gw}/logout", s.sdkCORS(s.handleSDKLogout))
	m.HandleFunc("/scdk/api/{gw}/transactions/{id}/{step}", s.sdkCORS(s.handleSDKStep))

	m.HandleFunc("/_sandbox/transactions/{id}/complete", s.handleDriverComplete)
	m.HandleFunc("/_sandbox/transactions/{id}", s.handleDriverStatus)
	m.HandleFunc("/_sandbox/clock", s.handleClock)
	m.HandleFunc("/_sandbox/market", s.handleMarket)
	m.HandleFunc("/_sandbox/postbacks/pending-action", s.handlePendingAction)
	m.HandleFunc("/_sandbox/brokers", s.handleBrokers)
	m.HandleFunc(OpenAPIPath, s.handleOpenAPI)
	m.HandleFunc("/{$}", s.handleIndex)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeErr(w, fail(http.StatusNotFound, etNotFound,
			fmt.Sprintf("no such endpoint: %s %s (see %s for the API)", r.Method, r.URL.Path, OpenAPIPath)))
	})
	s.mux = m
}

// ServeHTTP serves the sandbox. Nothing a client sends makes it panic: a
// panic in a handler is answered with a 500 envelope.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Logf == nil {
		s.serve(w, r)
		return
	}
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.serve(rec, r)
	s.logf("%s %s %d %s", r.Method, r.URL.Path, rec.status, time.Since(start).Round(10*time.Microsecond))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// The sandbox's clock (which POST /_sandbox/clock advances), so that a
	// client's countdown follows it: precisely, and as the Date header.
	now := s.now()
	w.Header().Set(gateway.HeaderSandboxTime, now.UTC().Format(time.RFC3339Nano))
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logf("sandbox: internal error on %s %s: %v", r.Method, r.URL.Path, v)
			s.writeErr(w, fail(http.StatusInternalServerError, etInternal, "internal error in the sandbox"))
		}
	}()
	s.mux.ServeHTTP(w, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// writeData writes a success envelope.
func (s *Server) writeData(w http.ResponseWriter, status int, data any) {
	raw, err := json.Marshal(data)
	if err != nil {
		s.writeErr(w, fail(http.StatusInternalServerError, etInternal, "internal error: "+err.Error()))
		return
	}
	// The envelope around already-encoded data, without a second encoding
	// pass: this is the hot path of every successful call.
	b := make([]byte, 0, len(raw)+40)
	b = append(b, `{"success":true,"errors":null,"data":`...)
	b = append(b, raw...)
	b = append(b, '}')
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

func (s *Server) writeErr(w http.ResponseWriter, e *apiErr) {
	writeJSON(w, e.status, gateway.Envelope{Success: false, Errors: e.errors, ErrorType: e.errorType, Data: json.RawMessage("null")})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"success":false,"errors":["internal error"],"errorType":"internal_error","data":null}`)
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// readJSON decodes a JSON body of at most MaxBodyBytes into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) *apiErr {
	_, e := decodeBody(w, r, v, false)
	return e
}

// readOptionalJSON is readJSON for bodies that may be empty.
func readOptionalJSON(w http.ResponseWriter, r *http.Request, v any) *apiErr {
	_, e := decodeBody(w, r, v, true)
	return e
}

// decodeBody reads a JSON body into v and returns the bytes it read.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) ([]byte, *apiErr) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fail(http.StatusRequestEntityTooLarge, etTooLarge,
				fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes))
		}
		return nil, fail(http.StatusBadRequest, etBadRequest, "could not read the request body: "+err.Error())
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		if optional {
			return body, nil
		}
		return nil, fail(http.StatusBadRequest, etBadRequest, "request body is empty: send a JSON object")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fail(http.StatusBadRequest, etBadRequest, "request body is not valid JSON: "+jsonProblem(err))
	}
	return body, nil
}

// jsonProblem describes a decoding error without echoing large inputs.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the body"
		}
		return fmt.Sprintf("%s must be a JSON %s, got %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	return err.Error()
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "number"
	case k == "struct", k == "map":
		return "object"
	case k == "slice", k == "array":
		return "array"
	case k == "bool":
		return "boolean"
	}
	return k
}

func methodNotAllowed(allow ...string) *apiErr {
	return fail(http.StatusMethodNotAllowed, etMethod, "method not allowed: use "+strings.Join(allow, " or "))
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, `gatewalk sandbox: an emulator of the smallcase Gateway (gateway %q)

Partner API (headers x-gateway-secret, x-gateway-authtoken):
  POST /gateway/%[1]s/transaction
  GET  /v1/%[1]s/engine/user/holdings[?version=v2&mfHoldings=true]
  GET  /v1/%[1]s/engine/orders/sst?transactionId=TRX_...
Web SDK script:  %[2]s
OpenAPI:         %[3]s
Driver (sandbox only):
  POST /_sandbox/transactions/{id}/complete  {"broker","account","outcome","amo","market"}
  GET  /_sandbox/transactions/{id}
  POST /_sandbox/clock                       {"advance":"6m"}
  GET  /_sandbox/brokers
`, s.cfg.Gateway, SDKPath, OpenAPIPath)
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.writeErr(w, methodNotAllowed("GET"))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(openAPIDocument(s.cfg.Gateway, s.URL()))
}
