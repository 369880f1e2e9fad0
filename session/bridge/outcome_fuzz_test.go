package bridge

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"gatewalk/gateway"
)

// FuzzParseOutcome feeds ParseOutcome what the harness page might post.
func FuzzParseOutcome(f *testing.F) {
	tok, err := gateway.MintConnectedToken(bridgeSecret, bridgeAuthID, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"result":{"success":true,"transaction":"CONNECT","smallcaseAuthToken":"` + tok + `","broker":"kite"}}`))
	f.Add([]byte(`{"result":{"success":true,"data":"{\"smallcaseAuthToken\":\"` + tok + `\"}"},"error":null}`))
	f.Add([]byte(`{"result":{"success":true,"orderBatches":[{"batchId":"b","orders":[{"tradingsymbol":"TCS","quantity":2}]}]}}`))
	f.Add([]byte(`{"error":{"code":1010,"message":"user_cancelled"}}`))
	f.Add([]byte(`{"result":null,"error":{"message":"market_closed"}}`))
	f.Add([]byte(`{"result":{},"error":{}}`))
	f.Add([]byte(`{"result":{"success":true},"extra":1}`))
	f.Add([]byte(`{"result":{"success":true}} {}`))
	f.Add([]byte(`{"error":"user_cancelled"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := ParseOutcome(body)
		if err != nil {
			if o.Result != nil || o.Error != nil {
				t.Fatalf("an outcome and an error: %+v %v", o, err)
			}
			return
		}
		if (o.Result == nil) == (o.Error == nil) {
			t.Fatalf("not exactly one of result and error: %+v", o)
		}
		// What ParseOutcome accepts, the lenient decoder reads the same.
		var lenient gateway.SDKOutcome
		if err := json.Unmarshal(body, &lenient); err != nil {
			t.Fatalf("ParseOutcome accepted what json.Unmarshal refuses: %v", err)
		}
		if !reflect.DeepEqual(o, lenient) {
			t.Fatalf("ParseOutcome %+v, json.Unmarshal %+v", o, lenient)
		}
		_, _ = gateway.VerifyOutcome(o, bridgeSecret, "", time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	})
}
