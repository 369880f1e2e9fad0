package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"gatewalk/gateway/sandbox"
)

// TestScriptEndpointsCORS checks the whitelisting the web script relies on,
// without a browser: preflights, origins and sessions.
func TestScriptEndpointsCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	do := func(method, path, origin, body string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest(method, e.base+path, strings.NewReader(body))
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	pre := do(http.MethodOptions, "/scdk/api/gatewaydemo/transactions/TRX_x/open", "http://localhost:5173", "", map[string]string{
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-sc-csrf"})
	if pre.StatusCode != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
		!strings.Contains(strings.ToLower(pre.Header.Get("Access-Control-Allow-Headers")), "x-sc-csrf") {
		t.Errorf("preflight from localhost: %d %v", pre.StatusCode, pre.Header)
	}
	evil := do(http.MethodOptions, "/scdk/api/gatewaydemo/transactions/TRX_x/open", "https://evil.example", "", nil)
	if evil.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin is allowed: %v", evil.Header)
	}
	// init answers any origin, so the script can tell why it was refused.
	r := do(http.MethodPost, "/scdk/api/gatewaydemo/init", "https://evil.example", `{"sdkToken":"`+docsGuestToken+`"}`, nil)
	if r.StatusCode != http.StatusForbidden || r.Header.Get("Access-Control-Allow-Origin") != "https://evil.example" {
		t.Errorf("init from another origin: %d %v", r.StatusCode, r.Header)
	}
	if r := do(http.MethodPost, "/scdk/api/gatewaydemo/init", "http://127.0.0.1:9999", `{"sdkToken":"`+docsGuestToken+`"}`, nil); r.StatusCode != 200 {
		t.Errorf("init from 127.0.0.1: %d", r.StatusCode)
	}
	// Steps need the session key of an init.
	if r := do(http.MethodPost, "/scdk/api/gatewaydemo/transactions/TRX_x/open", "http://localhost:5173", `{}`, map[string]string{"X-SC-CSRF": "nope"}); r.StatusCode != 401 {
		t.Errorf("step without a session: %d", r.StatusCode)
	}
	if r := do(http.MethodGet, "/scdk/2.0.0/scdk.js", "", "", nil); r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("script: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}

	s := sandbox.New(sandbox.Config{AllowedOrigins: []string{"http://localhost:3000", "https://*.partner.example"}})
	defer s.Close()
	for origin, want := range map[string]bool{
		"http://localhost:3000": true, "http://localhost:3001": false, "https://app.partner.example": true,
		"https://partner.example": false, "http://127.0.0.1:3000": false,
	} {
		if got := s.OriginAllowed(origin); got != want {
			t.Errorf("OriginAllowed(%s) = %v, want %v", origin, got, want)
		}
	}
	def := sandbox.New(sandbox.Config{})
	defer def.Close()
	for origin, want := range map[string]bool{
		"http://localhost:8080": true, "http://127.0.0.1:1": true, "http://[::1]:4000": true,
		"https://localhost:8080": false, "http://localhost.evil.example": false, "http://10.0.0.1:80": false,
	} {
		if got := def.OriginAllowed(origin); got != want {
			t.Errorf("default OriginAllowed(%s) = %v, want %v", origin, got, want)
		}
	}
}
