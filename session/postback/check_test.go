package postback

import (
	"errors"
	"strings"
	"testing"
)

// Vectors computed independently with
// printf '1700000000000<id>' | openssl dgst -sha256 -hmac gatewayDemo_secret
const (
	vecSecret   = "gatewayDemo_secret"
	vecAuthID   = "5f0321b5f3743c31d95abd35"
	vecChecksum = "74a430f734e39b7e6c5636bbdaf5041bc5e6d0959ff57aaab75c37fa79f8ced5"
	vecMFTxn    = "TRX_mf1"
	vecMFSum    = "e1ea3f38a838d29ef5661593bc631fa92632ecf493c71457a9231b6c49ad1db0"
)

func TestParseAndVerify(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		secret    string
		valid     bool
		tsKind    string
		idField   string
		problem   string // substring of Check.Problem
		malformed bool
	}{
		{name: "string timestamp", body: `{"timestamp":"1700000000000","smallcaseAuthId":"` + vecAuthID + `","transactionId":"TRX_1","event":"ORDER_COMPLETED","checksum":"` + vecChecksum + `"}`,
			secret: vecSecret, valid: true, tsKind: TimestampString, idField: "smallcaseAuthId"},
		{name: "number timestamp keeps its text", body: `{"timestamp":1700000000000,"smallcaseAuthId":"` + vecAuthID + `","transactionId":"TRX_1","checksum":"` + vecChecksum + `"}`,
			secret: vecSecret, valid: true, tsKind: TimestampNumber, idField: "smallcaseAuthId"},
		{name: "upper-case checksum", body: `{"timestamp":"1700000000000","smallcaseAuthId":"` + vecAuthID + `","checksum":"` + strings.ToUpper(vecChecksum) + `"}`,
			secret: vecSecret, valid: true, tsKind: TimestampString, idField: "smallcaseAuthId"},
		{name: "mutual-fund import uses transactionId", body: `{"timestamp":"1700000000000","transactionId":"` + vecMFTxn + `","intent":"MF_HOLDINGS_IMPORT","checksum":"` + vecMFSum + `"}`,
			secret: vecSecret, valid: true, tsKind: TimestampString, idField: "transactionId"},
		{name: "MF rule used for a securities postback", body: `{"timestamp":"1700000000000","smallcaseAuthId":"` + vecAuthID + `","transactionId":"` + vecMFTxn + `","event":"ORDER_COMPLETED","checksum":"` + vecMFSum + `"}`,
			secret: vecSecret, tsKind: TimestampString, idField: "smallcaseAuthId", problem: "it matches timestamp + transactionId"},
		{name: "tampered timestamp", body: `{"timestamp":"1700000000001","smallcaseAuthId":"` + vecAuthID + `","checksum":"` + vecChecksum + `"}`,
			secret: vecSecret, tsKind: TimestampString, idField: "smallcaseAuthId", problem: "does not match"},
		{name: "wrong key", body: `{"timestamp":"1700000000000","smallcaseAuthId":"` + vecAuthID + `","checksum":"` + vecChecksum + `"}`,
			secret: "another_secret", tsKind: TimestampString, idField: "smallcaseAuthId", problem: "check the key"},
		{name: "short checksum", body: `{"timestamp":"1700000000000","smallcaseAuthId":"` + vecAuthID + `","checksum":"abcd"}`,
			secret: vecSecret, tsKind: TimestampString, idField: "smallcaseAuthId", problem: "4 characters"},
		{name: "missing checksum and timestamp", body: `{"smallcaseAuthId":"` + vecAuthID + `"}`,
			secret: vecSecret, tsKind: TimestampMissing, idField: "smallcaseAuthId", problem: "missing timestamp, checksum"},
		{name: "missing smallcaseAuthId", body: `{"timestamp":"1700000000000","transactionId":"TRX_1","checksum":"` + vecChecksum + `"}`,
			secret: vecSecret, tsKind: TimestampString, idField: "smallcaseAuthId", problem: "missing smallcaseAuthId"},
		{name: "no key", body: `{"timestamp":"1700000000000","smallcaseAuthId":"` + vecAuthID + `","checksum":"` + vecChecksum + `"}`,
			tsKind: TimestampString, idField: "smallcaseAuthId", problem: "GATEWALK_API_SECRET"},
		{name: "not JSON", body: `timestamp=1&checksum=2`, malformed: true},
		{name: "empty", body: "  ", malformed: true},
		{name: "array", body: `[1,2]`, malformed: true},
		{name: "timestamp object", body: `{"timestamp":{"a":1}}`, malformed: true},
		{name: "truncated", body: `{"timestamp":"1`, malformed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, kind, err := Parse([]byte(tt.body))
			if tt.malformed {
				var me *MalformedError
				if !errors.As(err, &me) {
					t.Fatalf("Parse error = %v, want *MalformedError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			c := Verify(p, kind, tt.secret)
			if c.Valid != tt.valid {
				t.Errorf("Valid = %v, want %v (problem %q)", c.Valid, tt.valid, c.Problem)
			}
			if c.TimestampJSON != tt.tsKind {
				t.Errorf("TimestampJSON = %q, want %q", c.TimestampJSON, tt.tsKind)
			}
			if c.IDField != tt.idField {
				t.Errorf("IDField = %q, want %q", c.IDField, tt.idField)
			}
			if tt.valid && c.Problem != "" {
				t.Errorf("valid check has problem %q", c.Problem)
			}
			if !strings.Contains(c.Problem, tt.problem) {
				t.Errorf("Problem = %q, want it to contain %q", c.Problem, tt.problem)
			}
			if tt.secret != "" && strings.Contains(c.Problem+c.Rule(), tt.secret) {
				t.Errorf("the check reveals the secret: %+v", c)
			}
		})
	}
}

func TestNumberTimestampTextIsKept(t *testing.T) {
	p, kind, err := Parse([]byte(`{"timestamp": 1.7e12 ,"smallcaseAuthId":"x","checksum":"y"}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Timestamp != "1.7e12" || kind != TimestampNumber {
		t.Fatalf("timestamp %q kind %q, want the number's text 1.7e12", p.Timestamp, kind)
	}
}

func BenchmarkParseVerify(b *testing.B) {
	body := []byte(`{"timestamp":"1700000000000","smallcaseAuthId":"` + vecAuthID + `","transactionId":"TRX_1","intent":"TRANSACTION","event":"ORDER_COMPLETED","status":"COMPLETED","broker":"kite-leprechaun","data":{"batches":[{"status":"COMPLETED","orders":[{"tradingsymbol":"INFY","quantity":1}]}]},"checksum":"` + vecChecksum + `"}`)
	b.ReportAllocs()
	for b.Loop() {
		p, kind, err := Parse(body)
		if err != nil || !Verify(p, kind, vecSecret).Valid {
			b.Fatal("invalid")
		}
	}
}
