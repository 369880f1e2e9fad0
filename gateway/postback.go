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

// Postback events. The docs list the events (order placed, order
// completed, holdings import, MF holdings import, a pending action on an
// invested smallcase) but no field that names them: the event field is the
// sandbox's own, and gatewalk reads bodies without it (Kind).
const (
	EventOrderPlaced      = "ORDER_PLACED"
	EventOrderCompleted   = "ORDER_COMPLETED"
	EventHoldingsImport   = "HOLDINGS_IMPORT"
	EventMFHoldingsImport = "MF_HOLDINGS_IMPORT"
	EventPendingAction    = "PENDING_ACTION"
)

// Postback is the JSON body the Gateway POSTs to a partner's postback URL.
// timestamp, smallcaseAuthId, transactionId, intent, status and checksum
// are known from the docs and integrator code; the official SST sample puts
// the order batch's fields (batchId, buyAmount, …, orders) at the top level,
// and a holdings postback carries the holdings at the top level too. Those
// event fields are Fields. Event and Broker are the sandbox's own; Data is
// read from bodies of an older shape. Timestamp is a string (epoch
// milliseconds) so the checksum input is unambiguous.
type Postback struct {
	Timestamp       string          `json:"timestamp"`
	SmallcaseAuthID string          `json:"smallcaseAuthId,omitempty"`
	TransactionID   string          `json:"transactionId,omitempty"`
	Intent          Intent          `json:"intent,omitempty"`
	Event           string          `json:"event,omitempty"`
	Status          Status          `json:"status,omitempty"`
	Broker          string          `json:"broker,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"`
	Checksum        string          `json:"checksum"`
	// Fields is a JSON object of the event's own top-level fields: an
	// order batch for SST events, the holdings for imports. They are
	// written first; a known field above that Fields also holds is written
	// once, from Fields.
	Fields json.RawMessage `json:"-"`
}

// postbackKnown are the keys of Postback's own fields.
var postbackKnown = map[string]bool{"timestamp": true, "smallcaseAuthId": true, "transactionId": true, "intent": true,
	"event": true, "status": true, "broker": true, "data": true, "checksum": true}

// MarshalJSON writes Fields' keys at the top level, then the known fields.
func (p Postback) MarshalJSON() ([]byte, error) {
	type plain Postback
	known, err := json.Marshal(plain(p))
	if err != nil {
		return nil, err
	}
	f := bytes.TrimSpace(p.Fields)
	if len(f) == 0 || string(f) == "null" {
		return known, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(f, &fields); err != nil {
		return nil, fmt.Errorf("postback fields: want a JSON object: %w", err)
	}
	var k map[string]json.RawMessage
	if err := json.Unmarshal(known, &k); err != nil {
		return nil, err
	}
	out := bytes.NewBuffer(make([]byte, 0, len(f)+len(known)))
	out.Write(f[:len(f)-1])
	// The known keys in a fixed order after the event's fields.
	first := len(fields) == 0
	for _, key := range []string{"timestamp", "smallcaseAuthId", "transactionId", "intent", "event", "status", "broker", "data", "checksum"} {
		v, ok := k[key]
		if !ok {
			continue
		}
		if _, dup := fields[key]; dup {
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(key)
		out.Write(kb)
		out.WriteByte(':')
		out.Write(v)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// Kind is the postback's event: its event field, else what its fields say
// (batch fields: an order event, placed or completed by the batch status;
// holdings: an import; an iscid with an action: a pending action).
func (p Postback) Kind() string {
	if p.Event != "" {
		return p.Event
	}
	var f map[string]json.RawMessage
	_ = json.Unmarshal(p.Fields, &f)
	switch {
	case f["batchId"] != nil || f["orders"] != nil:
		switch p.Status {
		case "PLACED", "PROCESSING", "PENDING", "OPEN":
			return EventOrderPlaced
		}
		return EventOrderCompleted
	case p.Intent == IntentMFHoldingsImport:
		return EventMFHoldingsImport
	case f["securities"] != nil || p.Intent == IntentHoldingsImport:
		return EventHoldingsImport
	case f["iscid"] != nil && f["action"] != nil:
		return EventPendingAction
	}
	return ""
}

// ChecksumID returns the id the checksum covers: the transactionId for
// mutual-fund imports, else the smallcaseAuthId.
func (p Postback) ChecksumID() string {
	if p.Intent == IntentMFHoldingsImport || p.Kind() == EventMFHoldingsImport {
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
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	got, err := PostbackFromFields(all)
	if err != nil {
		return err
	}
	*p = got
	return nil
}

// PostbackFromFields builds a postback from a body already decoded into
// its top-level fields, without another pass over the body (a large one
// costs its size once). Known keys match as encoding/json matches field
// names, case-insensitively; the others become Fields.
func PostbackFromFields(all map[string]json.RawMessage) (Postback, error) {
	var p Postback
	extra := map[string]json.RawMessage{}
	str := func(dst *string, name string, v json.RawMessage) error {
		if string(bytes.TrimSpace(v)) == "null" {
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	var ts json.RawMessage
	for k, v := range all {
		name := knownPostbackKey(k)
		var err error
		switch name {
		case "timestamp":
			ts = v
		case "smallcaseAuthId":
			err = str(&p.SmallcaseAuthID, name, v)
		case "transactionId":
			err = str(&p.TransactionID, name, v)
		case "intent":
			err = str((*string)(&p.Intent), name, v)
		case "event":
			err = str(&p.Event, name, v)
		case "status":
			err = str((*string)(&p.Status), name, v)
		case "broker":
			err = str(&p.Broker, name, v)
		case "checksum":
			err = str(&p.Checksum, name, v)
		case "data":
			if string(bytes.TrimSpace(v)) != "null" {
				p.Data = v
			}
		default:
			extra[k] = v
		}
		if err != nil {
			return Postback{}, err
		}
	}
	if len(extra) > 0 {
		f, err := json.Marshal(extra)
		if err != nil {
			return Postback{}, err
		}
		p.Fields = f
	}
	ts = bytes.TrimSpace(ts)
	switch {
	case len(ts) == 0 || string(ts) == "null":
	case ts[0] == '"':
		if err := json.Unmarshal(ts, &p.Timestamp); err != nil {
			return Postback{}, fmt.Errorf("timestamp: %w", err)
		}
	case ts[0] == '-' || (ts[0] >= '0' && ts[0] <= '9'):
		p.Timestamp = string(ts)
	default:
		return Postback{}, fmt.Errorf("timestamp: want a string or a number of epoch milliseconds, got %s", ts)
	}
	return p, nil
}

// knownPostbackKey is the Postback field a body key names ("" for none):
// an exact match, else one that differs only in case.
func knownPostbackKey(k string) string {
	if postbackKnown[k] {
		return k
	}
	for name := range postbackKnown {
		if strings.EqualFold(name, k) {
			return name
		}
	}
	return ""
}
