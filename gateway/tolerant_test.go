package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Tolerant reading: every shape below is one gatewalk must read, not fail on.

func TestCreateTransactionReadsExpireAtShapes(t *testing.T) {
	utc := time.Date(2026, 3, 2, 10, 35, 0, 0, time.UTC)
	for _, c := range []struct {
		name, expireAt string // JSON value; "" = the key is missing
		want           time.Time
		raw            string // ExpireAtRaw wanted
	}{
		{name: "RFC 3339 Z with millis", expireAt: `"2026-03-02T10:35:00.000Z"`, want: utc},
		{name: "no offset is UTC", expireAt: `"2026-03-02T10:35:00"`, want: utc},
		{name: "no offset with millis", expireAt: `"2026-03-02T10:35:00.000"`, want: utc},
		{name: "IST offset", expireAt: `"2026-03-02T16:05:00+05:30"`, want: utc},
		{name: "offset without colon", expireAt: `"2026-03-02T16:05:00+0530"`, want: utc},
		{name: "space separator", expireAt: `"2026-03-02 10:35:00"`, want: utc},
		{name: "epoch ms number", expireAt: `1772447700000`, want: utc},
		{name: "epoch ms string", expireAt: `"1772447700000"`, want: utc},
		{name: "epoch seconds number", expireAt: `1772447700`, want: utc},
		{name: "missing"},
		{name: "null", expireAt: `null`},
		{name: "empty string", expireAt: `""`},
		{name: "unreadable", expireAt: `"next tuesday"`, raw: `"next tuesday"`},
		{name: "wrong type", expireAt: `{"at":1}`, raw: `{"at":1}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := `{"transactionId":"TRX_1"`
			if c.expireAt != "" {
				data += `,"expireAt":` + c.expireAt
			}
			data += "}"
			srv := httptest.NewServer(envelopeHandler(200, `{"success":true,"errors":null,"data":`+data+`}`))
			defer srv.Close()
			tx, err := newTestClient(srv.URL).CreateTransaction(context.Background(), "jwt", TransactionRequest{Intent: IntentConnect})
			if err != nil {
				t.Fatal(err)
			}
			if tx.TransactionID != "TRX_1" || !tx.ExpireAt.Equal(c.want) || tx.ExpireAtRaw != c.raw {
				t.Fatalf("got %q expireAt %v raw %q, want %v raw %q", tx.TransactionID, tx.ExpireAt, tx.ExpireAtRaw, c.want, c.raw)
			}
		})
	}
}

func TestAssumeExpiry(t *testing.T) {
	created := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	given := created.Add(3 * time.Minute)
	for _, c := range []struct {
		name     string
		tx       TransactionCreated
		want     time.Time
		warn     string // in the warning; "" = no warning
		assumed  bool
		keepsRaw bool
	}{
		{name: "read expireAt is kept", tx: TransactionCreated{TransactionID: "T", ExpireAt: given}, want: given},
		{name: "missing", tx: TransactionCreated{TransactionID: "T"}, want: created.Add(TransactionLifetime), warn: "no expireAt", assumed: true},
		{name: "unreadable", tx: TransactionCreated{TransactionID: "T", ExpireAtRaw: `"soon"`}, want: created.Add(TransactionLifetime), warn: `"soon"`, assumed: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tx := c.tx
			w := tx.AssumeExpiry(created)
			if !tx.ExpireAt.Equal(c.want) || tx.ExpireAtAssumed != c.assumed {
				t.Fatalf("expireAt %v assumed %v, want %v %v", tx.ExpireAt, tx.ExpireAtAssumed, c.want, c.assumed)
			}
			if (w == "") != (c.warn == "") || !strings.Contains(w, c.warn) || (c.warn != "" && !strings.Contains(w, "5m0s")) {
				t.Fatalf("warning %q, want one with %q", w, c.warn)
			}
		})
	}
}

func TestAPIErrorReadsErrorShapes(t *testing.T) {
	for _, c := range []struct {
		name, errors string
		want         []string
	}{
		{name: "strings", errors: `["Invalid JWT","expired"]`, want: []string{"Invalid JWT", "expired"}},
		{name: "single string", errors: `"Invalid JWT"`, want: []string{"Invalid JWT"}},
		{name: "message objects", errors: `[{"message":"Invalid JWT"},{"message":"second"}]`, want: []string{"Invalid JWT", "second"}},
		{name: "msg object with param", errors: `[{"msg":"is required","param":"intent","location":"body"}]`, want: []string{"intent: is required"}},
		{name: "single object", errors: `{"message":"invalid gateway"}`, want: []string{"invalid gateway"}},
		{name: "mixed", errors: `["a",{"msg":"b"},{"code":7}]`, want: []string{"a", "b", `{"code":7}`}},
		{name: "null", errors: `null`},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(envelopeHandler(401, `{"success":false,"errors":`+c.errors+`,"data":null}`))
			defer srv.Close()
			_, err := newTestClient(srv.URL).CreateTransaction(context.Background(), "jwt", TransactionRequest{Intent: IntentConnect})
			var api *APIError
			if !errors.As(err, &api) {
				t.Fatalf("err = %v, want an *APIError", err)
			}
			if !reflect.DeepEqual([]string(api.Errors), c.want) || api.Body != "" {
				t.Fatalf("errors = %q (body %q), want %q", api.Errors, api.Body, c.want)
			}
		})
	}
}

func TestAPIErrorKindGatewaySecret(t *testing.T) {
	for _, c := range []struct {
		msg    string
		status int
		want   ErrorKind
	}{
		{"Invalid gateway secret", 401, KindAPISecret},
		{"invalid gateway secret", 400, KindAPISecret},
		{"Gateway secret is invalid", 400, KindAPISecret},
		{"Invalid x-gateway-secret", 401, KindAPISecret},
		{"x-gateway-secret header missing", 400, KindAPISecret},
		{"invalid_gateway_secret", 400, KindAPISecret},
		{"invalid gateway", 404, KindGateway},
		{"Invalid gateway: gatewaydemo", 400, KindGateway},
		{"Invalid JWT", 401, KindJWT},
		{"the x-gateway-authtoken header is missing: send a smallcaseAuthToken signed with the gateway secret", 401, KindJWT},
	} {
		e := &APIError{Status: c.status, Errors: []string{c.msg}}
		if got := e.Kind(); got != c.want {
			t.Errorf("Kind(%q) = %s, want %s", c.msg, got, c.want)
		}
		if c.want == KindAPISecret && !strings.Contains(e.Hint(), "apiSecret") {
			t.Errorf("Hint(%q) = %q, want it to name the apiSecret", c.msg, e.Hint())
		}
	}
}

func TestSDKResultTokenInData(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tok, err := MintConnectedToken(verifySecret, verifyAuthID, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	inner, _ := json.Marshal(map[string]string{"smallcaseAuthToken": tok, "broker": "kite"})
	asString, _ := json.Marshal(string(inner))
	for _, c := range []struct {
		name, json string
		broker     string
	}{
		{name: "top level", json: `{"success":true,"smallcaseAuthToken":"` + tok + `","broker":"hdfc"}`, broker: "hdfc"},
		{name: "data object", json: `{"success":true,"data":` + string(inner) + `}`, broker: "kite"},
		{name: "data as JSON string", json: `{"success":true,"data":` + string(asString) + `}`, broker: "kite"},
		{name: "top level wins", json: `{"success":true,"smallcaseAuthToken":"` + tok + `","data":{"smallcaseAuthToken":"other"}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var o SDKOutcome
			if err := json.Unmarshal([]byte(`{"result":`+c.json+`}`), &o); err != nil {
				t.Fatal(err)
			}
			if o.Result.SmallcaseAuthToken != tok || o.Result.Broker != c.broker {
				t.Fatalf("token %q broker %q, want the minted token and %q", o.Result.SmallcaseAuthToken, o.Result.Broker, c.broker)
			}
			v, err := VerifyOutcome(o, verifySecret, "", now)
			if err != nil || v.SmallcaseAuthID != verifyAuthID {
				t.Fatalf("VerifyOutcome = %+v, %v", v, err)
			}
		})
	}
}

func TestSDKResultSuccessFalseFails(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tok, _ := MintConnectedToken(verifySecret, verifyAuthID, now.Add(time.Hour))
	for _, c := range []struct {
		name, json string
		ok         bool   // verifies
		sdkName    string // *SDKError wrapped, "" = none
		code       int
	}{
		{name: "success true", json: `{"success":true,"smallcaseAuthToken":"` + tok + `"}`, ok: true},
		{name: "no success key", json: `{"smallcaseAuthToken":"` + tok + `"}`, ok: true},
		{name: "success false with a token", json: `{"success":false,"smallcaseAuthToken":"` + tok + `"}`},
		{name: "success false bare", json: `{"success":false}`},
		{name: "success false named", json: `{"success":false,"error":"user_cancelled","errorCode":1010,"smallcaseAuthToken":"` + tok + `"}`,
			sdkName: "user_cancelled", code: 1010},
		{name: "success false error object", json: `{"success":false,"error":{"message":"transaction_expired","code":"3001"}}`,
			sdkName: "transaction_expired", code: 3001},
	} {
		t.Run(c.name, func(t *testing.T) {
			var o SDKOutcome
			if err := json.Unmarshal([]byte(`{"result":`+c.json+`}`), &o); err != nil {
				t.Fatal(err)
			}
			v, err := VerifyOutcome(o, verifySecret, "", now)
			if c.ok {
				if err != nil || v == nil {
					t.Fatalf("VerifyOutcome = %v, %v; want it verified", v, err)
				}
				return
			}
			if v != nil || !errors.Is(err, ErrResultFailed) {
				t.Fatalf("VerifyOutcome = %v, %v; want ErrResultFailed", v, err)
			}
			var sdk *SDKError
			if got := errors.As(err, &sdk); got != (c.sdkName != "") || (got && (sdk.Message != c.sdkName || sdk.Code != c.code)) {
				t.Fatalf("err = %v, want SDK error %q (%d)", err, c.sdkName, c.code)
			}
		})
	}
}
