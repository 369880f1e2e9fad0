package postback

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gatewalk/gateway"
)

// Timestamp kinds: how the timestamp field was written in the body.
const (
	TimestampString  = "string"
	TimestampNumber  = "number"
	TimestampMissing = "missing"
)

// Check is the verdict on one postback's checksum and the inputs it was
// computed from. It never holds the apiSecret.
type Check struct {
	// Timestamp is the exact text the checksum covers (a number's text as sent).
	Timestamp string `json:"timestamp"`
	// TimestampJSON says how the body wrote it: "string", "number" or "missing".
	TimestampJSON string `json:"timestampJson"`
	// IDField is the id the checksum covers: "smallcaseAuthId", or
	// "transactionId" for mutual-fund holdings imports.
	IDField string `json:"idField"`
	// ID is that field's value.
	ID string `json:"id"`
	// Received is the checksum in the body; Expected the one computed.
	Received string `json:"received"`
	Expected string `json:"expected,omitempty"`
	// Valid reports whether Received equals Expected.
	Valid bool `json:"valid"`
	// Problem says why the checksum does not hold and what to check next.
	Problem string `json:"problem,omitempty"`
}

// Rule names the checksum rule in words, e.g.
// "hex(HMAC-SHA256(apiSecret, timestamp + smallcaseAuthId))".
func (c Check) Rule() string {
	return "hex(HMAC-SHA256(apiSecret, timestamp + " + c.IDField + "))"
}

// MalformedError is a body that is not a postback: not JSON, or JSON of the
// wrong shape.
type MalformedError struct{ Err error }

// Error says why the body is not a postback.
func (e *MalformedError) Error() string {
	return "malformed postback body: " + e.Err.Error() +
		` (want a JSON object such as {"timestamp":"1700000000000","smallcaseAuthId":"…","transactionId":"TRX_…","event":"ORDER_COMPLETED","checksum":"<hex>"})`
}

// Unwrap returns the parse error.
func (e *MalformedError) Unwrap() error { return e.Err }

// Parse reads a postback body. timestamp may be a JSON string or number;
// the returned kind says which (TimestampString, TimestampNumber or
// TimestampMissing). Errors are *MalformedError.
func Parse(body []byte) (p gateway.Postback, timestampKind string, err error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return p, "", &MalformedError{errors.New("the body is empty")}
	}
	if body[0] != '{' {
		return p, "", &MalformedError{errors.New("the body is not a JSON object")}
	}
	// One decode of the whole body: a large one costs its size once.
	var all map[string]json.RawMessage
	if err := json.Unmarshal(body, &all); err != nil {
		return p, "", &MalformedError{err}
	}
	if p, timestampKind, err = fromMembers(all); err != nil {
		return p, "", &MalformedError{err}
	}
	return p, timestampKind, nil
}

// fromMembers is the postback of a body's top-level members, and how its
// timestamp was written.
func fromMembers(all map[string]json.RawMessage) (p gateway.Postback, timestampKind string, err error) {
	if p, err = gateway.PostbackFromFields(all); err != nil {
		return p, "", err
	}
	var rawTS json.RawMessage
	for k, v := range all {
		if strings.EqualFold(k, "timestamp") {
			rawTS = v
		}
	}
	ts := bytes.TrimSpace(rawTS)
	switch {
	case len(ts) == 0 || string(ts) == "null":
		timestampKind = TimestampMissing
	case ts[0] == '"':
		timestampKind = TimestampString
	default:
		timestampKind = TimestampNumber
	}
	return p, timestampKind, nil
}

// Verify checks p's checksum against apiSecret. timestampKind is what Parse
// returned ("" when unknown). A failed check says what to look at next,
// including when the checksum would hold with the other id (the
// mutual-fund rule or the securities rule).
func Verify(p gateway.Postback, timestampKind, apiSecret string) Check {
	c := Check{Timestamp: p.Timestamp, TimestampJSON: timestampKind, IDField: "smallcaseAuthId",
		ID: p.ChecksumID(), Received: strings.TrimSpace(p.Checksum)}
	if c.TimestampJSON == "" {
		c.TimestampJSON = TimestampString
		if p.Timestamp == "" {
			c.TimestampJSON = TimestampMissing
		}
	}
	mf := p.Intent == gateway.IntentMFHoldingsImport || p.Kind() == gateway.EventMFHoldingsImport
	if mf {
		c.IDField = "transactionId"
	}
	var missing []string
	if p.Timestamp == "" {
		missing = append(missing, "timestamp")
	}
	if c.ID == "" {
		if mf {
			missing = append(missing, "transactionId")
		} else {
			missing = append(missing, "smallcaseAuthId (mutual-fund imports use transactionId and say so in intent or event)")
		}
	}
	if c.Received == "" {
		missing = append(missing, "checksum")
	}
	if apiSecret == "" {
		c.Problem = "no apiSecret to check with: set GATEWALK_API_SECRET or use a profile that has one"
		return c
	}
	c.Expected = gateway.PostbackChecksum(apiSecret, c.Timestamp, c.ID)
	if len(missing) > 0 {
		c.Problem = "missing " + strings.Join(missing, ", ")
		return c
	}
	c.Valid = gateway.CheckPostbackChecksum(apiSecret, c.Timestamp, c.ID, c.Received)
	if c.Valid {
		return c
	}
	c.Problem = fmt.Sprintf("checksum does not match %s with this apiSecret", c.Rule())
	otherField, otherID := "transactionId", p.TransactionID
	if mf {
		otherField, otherID = "smallcaseAuthId", p.SmallcaseAuthID
	}
	switch {
	case otherID != "" && gateway.CheckPostbackChecksum(apiSecret, c.Timestamp, otherID, c.Received):
		c.Problem += fmt.Sprintf("; it matches timestamp + %s: the sender used the other rule (intent %q, event %q)", otherField, p.Intent, p.Kind())
	case len(c.Received) != 64:
		c.Problem += fmt.Sprintf("; the received checksum has %d characters, a hex HMAC-SHA256 has 64", len(c.Received))
	default:
		c.Problem += "; check the key (another profile's apiSecret? $GATEWALK_API_SECRET?) and that the body was not re-serialised on the way (the timestamp text must be byte-identical)"
	}
	return c
}
