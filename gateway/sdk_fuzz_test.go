package gateway

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzSDKResult decodes what a triggerTransaction promise resolved with, as
// an SDKResult and inside an SDKOutcome, and verifies it.
func FuzzSDKResult(f *testing.F) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tok, err := MintConnectedToken(verifySecret, verifyAuthID, now.Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	inner, _ := json.Marshal(map[string]string{"smallcaseAuthToken": tok, "broker": "kite"})
	asString, _ := json.Marshal(string(inner))
	f.Add([]byte(`{"success":true,"transaction":"CONNECT","smallcaseAuthToken":"` + tok + `","broker":"kite-leprechaun"}`))
	f.Add([]byte(`{"success":true,"data":` + string(inner) + `}`))
	f.Add([]byte(`{"success":true,"data":` + string(asString) + `}`))
	f.Add([]byte(`{"success":true,"smallcaseAuthToken":"` + tok + `","orderBatches":[{"batchId":"b","status":"COMPLETED","orders":[{"tradingsymbol":"TCS","quantity":2}]}]}`))
	f.Add([]byte(`{"success":true,"transaction":"FETCH_FUNDS","fund":1234.5}`))
	f.Add([]byte(`{"success":false,"error":"user_cancelled","errorCode":1010}`))
	f.Add([]byte(`{"success":false,"error":{"message":"market_closed","code":"2000"}}`))
	f.Add([]byte(`{"success":"yes"}`))
	f.Add([]byte(`{"data":"\"{\\\"smallcaseAuthToken\\\":1}\""}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r SDKResult
		if err := json.Unmarshal(b, &r); err != nil {
			return
		}
		if e, failed := r.Failed(); failed != (e != nil) || (failed && r.Success) {
			t.Fatalf("Failed() = %v, %v with success %v", e, failed, r.Success)
		}
		// The same result inside an outcome decodes the same.
		var o SDKOutcome
		if err := json.Unmarshal(append(append([]byte(`{"result":`), b...), '}'), &o); err != nil {
			t.Fatalf("decodes alone but not in an outcome: %v", err)
		}
		if o.Result == nil {
			if !bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
				t.Fatal("an outcome lost its result")
			}
			return
		}
		// Verifying never panics, whatever the result holds.
		_, _ = VerifyOutcome(o, verifySecret, "", now)
		_, _ = VerifyOutcome(o, verifySecret, verifyAuthID, now)
		// Writing the result and reading it back reaches a fixed point.
		m1, err := json.Marshal(o.Result)
		if err != nil {
			t.Fatalf("marshal a decoded result: %v", err)
		}
		var r2 SDKResult
		if err := json.Unmarshal(m1, &r2); err != nil {
			t.Fatalf("a marshalled result does not decode: %v\n%s", err, m1)
		}
		m2, err := json.Marshal(&r2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m1, m2) {
			t.Fatalf("round trip changed the result:\n%s\n%s", m1, m2)
		}
	})
}
