package postback

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"gatewalk/gateway"
)

// FuzzSkimObject: for every body json.Unmarshal reads as an object,
// skimObject finds the same members with the same bytes; whatever it reads
// from a body json.Unmarshal refuses is never trusted alone (the receiver
// refuses with it only a checksum that does not hold).
func FuzzSkimObject(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a" : "x\"}" , "b":[1,{"c":"]"}],"a":2}`,
		`{"t\u0069mestamp":"1","k\\":null}`, `{"a":"\\\\"}`, `{"a":"\\\\\""}`,
		`{"data":{"x":[[[]]],"y":"}}}"},"checksum":"00"}`, `{"a":tru}`, `{"a":1,}`, `{"a":1}x`, `[1]`, `{"a"}`,
		"{\"\xff\":1}", "{\"a\tb\":1}", `{"a":-1.5e3,"b":true,"c":false,"d":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]json.RawMessage
		werr := json.Unmarshal(b, &want)
		got, ok := skimObject(b)
		if werr != nil || want == nil {
			return
		}
		if !ok {
			t.Fatalf("json reads %q as an object, skimObject does not", b)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: skim %d members, json %d", b, len(got), len(want))
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || !bytes.Equal(g, v) {
				t.Fatalf("%q: member %q skim %q, json %q", b, k, g, v)
			}
		}
	})
}

// TestSkimAgreesWithParse: a large body read by skim gives the verdict
// Parse gives, for valid and bad checksums, a number timestamp, an event
// told from the fields, the mutual-fund rule and a pending action.
func TestSkimAgreesWithParse(t *testing.T) {
	filler := strings.Repeat("x", 100<<10)
	for _, tc := range []struct {
		name string
		body string
	}{
		{"valid", signedBody(t, `"event":"ORDER_COMPLETED","status":"COMPLETED","transactionId":"TRX_1"`, "id", true)},
		{"bad", signedBody(t, `"event":"ORDER_COMPLETED","status":"COMPLETED","transactionId":"TRX_1"`, "id", false)},
		{"told from fields", signedBody(t, `"batchId":"b1","orders":[{"a":"]"}],"status":"PLACED","transactionId":"TRX_1"`, "id", false)},
		{"mf", signedBody(t, `"intent":"MF_HOLDINGS_IMPORT","transactionId":"TRX_mf"`, "TRX_mf", true)},
		{"pending", signedBody(t, `"iscid":"ISC_1","action":"SIP_DUE"`, "id", false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(tc.body, `"data":null`, fmt.Sprintf(`"data":{"pad":%q}`, filler), 1)
			want, wkind, err := Parse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			got, gkind, ok := skim([]byte(body))
			if !ok {
				t.Fatal("skim could not read the body")
			}
			w, g := Verify(want, wkind, vecSecret), Verify(got, gkind, vecSecret)
			if w != g || got.Kind() != want.Kind() || got.TransactionID != want.TransactionID || got.Status != want.Status {
				t.Fatalf("skim %+v (%s), parse %+v (%s)", g, got.Kind(), w, want.Kind())
			}
			if i, a := pendingFields(got); tc.name == "pending" && (i != "ISC_1" || a != "SIP_DUE") {
				t.Errorf("pending action from skim: %q %q", i, a)
			}
		})
	}
}

// signedBody is a postback body with the given members, a smallcaseAuthId,
// a number timestamp and "data":null, its checksum over id (valid or not).
func signedBody(t *testing.T, members, id string, valid bool) string {
	t.Helper()
	const ts, authID = "1700000000000", "5f0321b5f3743c31d95abd35"
	if id == "id" {
		id = authID
	}
	sum := gateway.PostbackChecksum(vecSecret, ts, id)
	if !valid {
		sum = strings.Repeat("0", len(sum))
	}
	return fmt.Sprintf(`{"timestamp":%s,"smallcaseAuthId":%q,%s,"data":null,"checksum":%q}`, ts, authID, members, sum)
}
