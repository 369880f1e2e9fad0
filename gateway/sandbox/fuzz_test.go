package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

// FuzzPartnerAPI: whatever the body, path query or token, the partner API
// answers the envelope with a known status and never panics.
func FuzzPartnerAPI(f *testing.F) {
	for _, seed := range []string{
		`{"intent":"CONNECT"}`, `{"intent":`, `[]`, `null`, `{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"TCS","quantity":1e99,"type":"BUY"}]}}`,
		`{"intent":"TRANSACTION","orderConfig":{"type":"BUY","scid":"X","amount":-1}}`, `{"intent":"MF_HOLDINGS_IMPORT","assetConfig":{"fromDate":"2025-02-30"}}`,
		`{"intent":"SIP_SETUP","orderConfig":{"iscid":""}}`, "\x00\xff", `{"intent":"CONNECT","notes":"` + strings.Repeat("é", 300) + `"}`,
	} {
		f.Add(seed, "transactionId=TRX_0123456789abcdef0123456789abcdef&version=v2", docsGuestToken)
	}
	f.Add(`{}`, "version=v9&mfHoldings=maybe", "not.a.jwt")
	s := sandbox.New(sandbox.Config{})
	defer s.Close()
	conn, _ := gateway.MintConnectedToken(sandbox.DefaultSecret, sandbox.AuthID("gatewaydemo", "kite-leprechaun", "LEP001"), s.Now().Add(24*60*60*1e9))
	known := map[int]bool{200: true, 400: true, 401: true, 403: true, 404: true, 410: true, 413: true}
	f.Fuzz(func(t *testing.T, body, query, token string) {
		for _, tok := range []string{token, conn} {
			for _, r := range []*http.Request{
				httptest.NewRequest(http.MethodPost, "/gateway/gatewaydemo/transaction", strings.NewReader(body)),
				httptest.NewRequest(http.MethodGet, "/v1/gatewaydemo/engine/user/holdings", nil),
				httptest.NewRequest(http.MethodGet, "/v1/gatewaydemo/engine/orders/sst", nil),
			} {
				if r.Method == http.MethodGet {
					r.URL.RawQuery = query // raw, as a client could send it
				}
				r.Header.Set(gateway.HeaderSecret, sandbox.DefaultAPISecret)
				r.Header.Set(gateway.HeaderAuthToken, tok)
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				var env gateway.Envelope
				if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
					t.Fatalf("%s %s: not an envelope: %v: %q", r.Method, r.URL, err, w.Body.String())
				}
				if !known[w.Code] || env.Success != (w.Code == 200) || (!env.Success && (len(env.Errors) == 0 || env.ErrorType == "")) {
					t.Fatalf("%s %s: HTTP %d %s", r.Method, r.URL, w.Code, w.Body.String())
				}
			}
		}
	})
}
