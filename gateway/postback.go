package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
