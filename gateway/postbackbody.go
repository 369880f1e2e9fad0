package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// JSONField is one top-level field of a JSON object: its key and its value
// as raw JSON.
type JSONField struct {
	Key   string
	Value json.RawMessage
}

// SetJSONFields returns the JSON object body with fields set: a key it
// has keeps its place and takes the new value, a new key goes at the end.
// The other fields are kept as they were written, in their order.
func SetJSONFields(body []byte, fields ...JSONField) ([]byte, error) {
	obj, err := splitJSONObject(body)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if !json.Valid(f.Value) {
			return nil, fmt.Errorf("field %s: not a JSON value", f.Key)
		}
		found := false
		for i := range obj {
			if obj[i].Key == f.Key {
				obj[i].Value, found = f.Value, true
			}
		}
		if !found {
			obj = append(obj, f)
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range obj {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(f.Value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// splitJSONObject reads a JSON object's top-level fields in order.
func splitJSONObject(body []byte) ([]JSONField, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out []JSONField
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("field %s: %w", k, err)
		}
		out = append(out, JSONField{Key: k, Value: v})
	}
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("more than one JSON value")
	}
	return out, nil
}

// SignPostbackBody sets the checksum of a postback body with apiSecret, over
// the body's own timestamp (its text as written) and id (smallcaseAuthId, or
// transactionId for mutual-fund imports); the rest of the body is kept as
// written.
func SignPostbackBody(body []byte, apiSecret string) ([]byte, error) {
	var p Postback
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("not a postback body: %w", err)
	}
	sum, _ := json.Marshal(PostbackChecksum(apiSecret, p.Timestamp, p.ChecksumID()))
	return SetJSONFields(body, JSONField{Key: "checksum", Value: sum})
}
