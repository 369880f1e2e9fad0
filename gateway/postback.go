package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// PostbackChecksum is the checksum of a postback, as integrators implement
// it: hex(HMAC-SHA256(key=apiSecret, msg=timestamp+id)), where id is the
// smallcaseAuthId, or the transactionId for mutual-fund holdings imports.
func PostbackChecksum(apiSecret, timestamp, id string) string {
	m := hmac.New(sha256.New, []byte(apiSecret))
	m.Write([]byte(timestamp + id))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckPostbackChecksum compares a received checksum with the expected one
// in constant time.
func CheckPostbackChecksum(apiSecret, timestamp, id, checksum string) bool {
	want := PostbackChecksum(apiSecret, timestamp, id)
	return hmac.Equal([]byte(want), []byte(strings.ToLower(strings.TrimSpace(checksum))))
}

// Postback events.
const (
	EventOrderPlaced      = "ORDER_PLACED"
	EventOrderCompleted   = "ORDER_COMPLETED"
	EventHoldingsImport   = "HOLDINGS_IMPORT"
	EventMFHoldingsImport = "MF_HOLDINGS_IMPORT"
)

// Postback is the JSON body the Gateway POSTs to a partner's postback URL.
// timestamp, smallcaseAuthId, transactionId and checksum are known from
// integrator code; the rest is the sandbox's choice. Timestamp is a string
// (epoch milliseconds) so the checksum input is unambiguous.
type Postback struct {
	Timestamp       string          `json:"timestamp"`
	SmallcaseAuthID string          `json:"smallcaseAuthId,omitempty"`
	TransactionID   string          `json:"transactionId"`
	Intent          Intent          `json:"intent"`
	Event           string          `json:"event"`
	Status          Status          `json:"status"`
	Broker          string          `json:"broker,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"`
	Checksum        string          `json:"checksum"`
}

// ChecksumID returns the id the checksum covers: the transactionId for
// mutual-fund imports, else the smallcaseAuthId.
func (p Postback) ChecksumID() string {
	if p.Intent == IntentMFHoldingsImport || p.Event == EventMFHoldingsImport {
		return p.TransactionID
	}
	return p.SmallcaseAuthID
}

// Sign sets the checksum with apiSecret.
func (p *Postback) Sign(apiSecret string) {
	p.Checksum = PostbackChecksum(apiSecret, p.Timestamp, p.ChecksumID())
}

// Verify reports whether the checksum holds for apiSecret.
func (p Postback) Verify(apiSecret string) bool {
	return CheckPostbackChecksum(apiSecret, p.Timestamp, p.ChecksumID(), p.Checksum)
}

// UnmarshalJSON reads a postback body. It accepts timestamp as a JSON string
// or a JSON number; for a number it keeps the number's text exactly as sent
// (1700000000000, not 1.7e+12), because that text is what the checksum covers.
func (p *Postback) UnmarshalJSON(b []byte) error {
	type plain Postback
	var aux struct {
		plain
		Timestamp json.RawMessage `json:"timestamp"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*p = Postback(aux.plain)
	p.Timestamp = ""
	ts := bytes.TrimSpace(aux.Timestamp)
	switch {
	case len(ts) == 0 || string(ts) == "null":
	case ts[0] == '"':
		if err := json.Unmarshal(ts, &p.Timestamp); err != nil {
			return fmt.Errorf("timestamp: %w", err)
		}
	case ts[0] == '-' || (ts[0] >= '0' && ts[0] <= '9'):
		p.Timestamp = string(ts)
	default:
		return fmt.Errorf("timestamp: want a string or a number of epoch milliseconds, got %s", ts)
	}
	return nil
}
