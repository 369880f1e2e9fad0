package gateway

import (
	"encoding/json"
	"testing"
)

func TestSetJSONFieldsKeepsOrderAndText(t *testing.T) {
	in := `{"timestamp":1700000000000, "b":{"x":1.50},"a":"z"}`
	out, err := SetJSONFields([]byte(in), JSONField{"a", json.RawMessage(`"y"`)}, JSONField{"new", json.RawMessage(`[1]`)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `{"timestamp":1700000000000,"b":{"x":1.50},"a":"y","new":[1]}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	for _, bad := range []string{`[1]`, `{"a":1} {}`, `{"a":`, ``} {
		if _, err := SetJSONFields([]byte(bad)); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
	if _, err := SetJSONFields([]byte(`{}`), JSONField{"a", json.RawMessage(`nope`)}); err == nil {
		t.Error("a value that is not JSON was set")
	}
}

func TestSignPostbackBody(t *testing.T) {
	for _, in := range []string{
		`{"timestamp":"1700000000000","smallcaseAuthId":"5f0321b5f3743c31d95abd35","transactionId":"TRX_1","event":"ORDER_COMPLETED","checksum":"old"}`,
		`{"timestamp":1700000000000,"transactionId":"TRX_1","intent":"MF_HOLDINGS_IMPORT","event":"MF_HOLDINGS_IMPORT"}`,
	} {
		out, err := SignPostbackBody([]byte(in), "k")
		if err != nil {
			t.Fatal(err)
		}
		var p Postback
		if err := json.Unmarshal(out, &p); err != nil {
			t.Fatal(err)
		}
		if !p.Verify("k") || p.Verify("other") || p.Checksum == "old" {
			t.Errorf("%s: checksum %q does not hold", out, p.Checksum)
		}
	}
}
