package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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
