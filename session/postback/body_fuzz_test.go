package postback

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
)

// FuzzPostbackBody feeds a body to Parse and Verify, as the receiver does,
// and then to the receiver itself.
func FuzzPostbackBody(f *testing.F) {
	good, _ := json.Marshal(signed("TRX_known", "order_updated", vecSecret))
	f.Add(good)
	numTS := bytes.Replace(good, []byte(`"timestamp":"1772445600000"`), []byte(`"timestamp":1772445600000`), 1)
	f.Add(numTS)
	mf := gateway.Postback{Timestamp: "1700000000000", TransactionID: vecMFTxn, Intent: gateway.IntentMFHoldingsImport,
		Event: gateway.EventMFHoldingsImport, Status: gateway.StatusCompleted}
	mf.Sign(vecSecret)
	mfb, _ := json.Marshal(mf)
	f.Add(mfb)
	f.Add(bytes.Replace(good, []byte(`"checksum":"`), []byte(`"checksum":"00`), 1))
	f.Add([]byte(`{"timestamp":null,"smallcaseAuthId":"x","checksum":"  "}`))
	f.Add([]byte(`{"timestamp":{"a":1}}`))
	f.Add([]byte(`{"timestamp":1e400}`))
	f.Add([]byte(`  [1,2]`))
	f.Add([]byte(`{"data":`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		p, kind, err := Parse(body)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("Parse error %T is not a *MalformedError: %v", err, err)
			}
		} else {
			switch kind {
			case TimestampString, TimestampNumber, TimestampMissing:
			default:
				t.Fatalf("timestamp kind %q", kind)
			}
			for _, secret := range []string{vecSecret, ""} {
				c := Verify(p, kind, secret)
				if c.Valid {
					if secret == "" || c.Problem != "" {
						t.Fatalf("valid with secret %q, problem %q", secret, c.Problem)
					}
					if !strings.EqualFold(c.Received, gateway.PostbackChecksum(secret, p.Timestamp, p.ChecksumID())) {
						t.Fatalf("valid but the checksum %q is not the HMAC", c.Received)
					}
				} else if c.Problem == "" {
					t.Fatal("invalid without a problem")
				}
			}
			// Signing what was parsed always verifies, when it has what a
			// checksum covers.
			if p.Timestamp != "" && p.ChecksumID() != "" {
				p.Sign(vecSecret)
				if c := Verify(p, kind, vecSecret); !c.Valid {
					t.Fatalf("a re-signed postback does not verify: %s", c.Problem)
				}
			}
		}

		r := NewReceiver(Config{Profile: testProfile, APISecret: vecSecret, MaxBody: 4096, AcceptUnknown: true, Now: func() time.Time { return t0 }})
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/postback", bytes.NewReader(body)))
		ev := <-r.Events()
		if ev.HTTPStatus != w.Code {
			t.Fatalf("event status %d, answered %d", ev.HTTPStatus, w.Code)
		}
		switch {
		case len(body) > 4096:
			if w.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("a %d-byte body answered %d", len(body), w.Code)
			}
		case err != nil:
			if w.Code != http.StatusBadRequest || ev.Outcome != OutcomeMalformed {
				t.Fatalf("a malformed body answered %d %s", w.Code, ev.Outcome)
			}
		case w.Code == http.StatusOK || w.Code == http.StatusAccepted:
			if ev.Check == nil || !ev.Check.Valid {
				t.Fatalf("accepted (%d %s) without a valid checksum", w.Code, ev.Outcome)
			}
		case w.Code != http.StatusUnauthorized:
			t.Fatalf("answered %d %s", w.Code, ev.Outcome)
		}
		var answer map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil || answer["outcome"] == nil {
			t.Fatalf("answer %q is not the JSON outcome: %v", w.Body.String(), err)
		}
	})
}
