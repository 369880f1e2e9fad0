package postback

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"gatewalk/gateway"
)

// skimObject returns the members of the JSON object b as json.Unmarshal
// into a map[string]json.RawMessage returns them for a valid object: each
// value's bytes as sent, the last of duplicate keys winning. It reads only
// the object's own structure: a string is skipped to its closing quote (a
// fast byte search) and a nested value to its matching bracket, without
// checking what is inside them. So it costs a fraction of a parse, and ok
// says only that b looks like an object to it, not that b is valid JSON.
func skimObject(b []byte) (members map[string]json.RawMessage, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	members = map[string]json.RawMessage{}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return members, skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		end, ok := skipString(b, i)
		if !ok {
			return nil, false
		}
		key, ok := decodeKey(b[i:end])
		if !ok {
			return nil, false
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		start := skipSpace(b, i+1)
		if end, ok = skipValue(b, start); !ok {
			return nil, false
		}
		members[key] = b[start:end]
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return members, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that opens at b[i] ('"').
func skipString(b []byte, i int) (int, bool) {
	j := i + 1
	for {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			return 0, false
		}
		j += q
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for k := j - 1; k > i && b[k] == '\\'; k-- {
			n++
		}
		j++
		if n%2 == 0 {
			return j, true
		}
	}
}

// skipValue returns the index after the value that starts at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[j])) {
		j++
	}
	return j, j > i
}

// decodeKey is the key of the quoted string q, as json.Unmarshal decodes it.
func decodeKey(q []byte) (string, bool) {
	plain := utf8.Valid(q)
	for _, c := range q {
		if c == '\\' || c < 0x20 {
			plain = false
			break
		}
	}
	if plain {
		return string(q[1 : len(q)-1]), true
	}
	var k string
	return k, json.Unmarshal(q, &k) == nil
}

// skimKeys are the members a checksum's verdict depends on by value, and
// those the listener shows of a pending action. Of the others only the
// presence counts (an event told from its fields).
var skimKeys = []string{"timestamp", "smallcaseAuthId", "transactionId", "intent", "event", "status", "broker", "checksum",
	"iscid", "action"}

// skim reads what a postback's checksum verdict depends on from a body
// without parsing all of it (see skimObject): the members skimKeys
// names by value, the others as present. ok is false when the body does
// not look like an object, or those members do not decode; Parse then
// decides.
func skim(body []byte) (p gateway.Postback, timestampKind string, ok bool) {
	members, ok := skimObject(body)
	if !ok {
		return p, "", false
	}
	null := json.RawMessage("null")
	for k := range members {
		known := false
		for _, name := range skimKeys {
			if strings.EqualFold(k, name) {
				known = true
				break
			}
		}
		if !known {
			members[k] = null
		}
	}
	p, kind, err := fromMembers(members)
	return p, kind, err == nil
}
