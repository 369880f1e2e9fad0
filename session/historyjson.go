package session

import (
	"encoding/json"
	"reflect"
	"time"
	"unicode/utf8"

	"gatewalk/gateway"
)

// Unknown keys inside the history file. The file, each history entry and
// each postback record (of an entry or of the unmatched list) keep the keys
// this gatewalk does not know, so that saving the history writes them back
// (a newer gatewalk may have added them). Records read from the postback
// log and ring keep theirs too.
//
// The history is read often and can be long. Decoding each entry and
// record through its own UnmarshalJSON costs a second pass over its bytes
// and allocations of its own, so a file is first decoded into types
// without those methods (plainHistoryDoc): a current file with only known
// keys, the common case, in one strict pass (decodeCurrent). Only a file
// whose entries or records have unknown keys is decoded again through the
// methods. Likewise a document none of whose entries and records has
// unknown keys is written through the types without methods.

var (
	historyDocFields     = jsonFieldNames(reflect.TypeFor[historyDoc]())
	historyEntryFields   = jsonFieldNames(reflect.TypeFor[HistoryEntry]())
	postbackRecordFields = jsonFieldNames(reflect.TypeFor[PostbackRecord]())

	historyTopShape = &keyShape{names: historyDocFields} // the file's own keys
	entryShape      = &keyShape{names: historyEntryFields}
	recordShape     = &keyShape{names: postbackRecordFields}
	// historyShape is a history file with no unknown keys in its entries and records.
	historyShape = &keyShape{names: historyDocFields, others: true, elems: elemShapes(historyDocFields, map[string]*keyShape{
		"entries":   {names: historyEntryFields, elems: elemShapes(historyEntryFields, map[string]*keyShape{"postbacks": recordShape})},
		"unmatched": recordShape,
	})}
)

// plainRecord is PostbackRecord without its methods.
type plainRecord PostbackRecord

// plainEntry is HistoryEntry with its postbacks without their methods: the
// same fields, in the same order, with the same tags (TestPlainHistoryTypes).
type plainEntry struct {
	TransactionID string         `json:"transactionId"`
	Intent        gateway.Intent `json:"intent,omitempty"`
	User          string         `json:"user,omitempty"`
	CreatedAt     time.Time      `json:"createdAt,omitzero"`
	ExpiresAt     time.Time      `json:"expiresAt,omitzero"`
	Status        gateway.Status `json:"status,omitempty"`
	ErrorCode     int            `json:"errorCode,omitempty"`
	ErrorMessage  string         `json:"errorMessage,omitempty"`
	Summary       string         `json:"summary,omitempty"`
	Postbacks     []plainRecord  `json:"postbacks,omitempty"`
}

// plainHistoryDoc is historyDoc with entries and records without their
// methods (TestPlainHistoryTypes), and what loadHistory decodes a history
// file into (a cachedDoc, for Store.load).
type plainHistoryDoc struct {
	Version   int           `json:"version"`
	Profile   string        `json:"profile"`
	Entries   []plainEntry  `json:"entries"`
	Unmatched []plainRecord `json:"unmatched,omitempty"`

	// doc, when set, is the document instead of the fields above: restored
	// from the store's cache, or decoded with the unknown keys of the file.
	doc *historyDoc
}

func (f *plainHistoryDoc) schemaVersion() int { return f.Version }

// document is the file's document.
func (f *plainHistoryDoc) document() historyDoc {
	if f.doc != nil {
		return *f.doc
	}
	var d historyDoc
	d.setFrom(f)
	return d
}

func (f *plainHistoryDoc) snapshot() any { return f.document().snapshot() }

func (f *plainHistoryDoc) restore(doc any) {
	d := doc.(historyDoc).snapshot().(historyDoc)
	f.doc = &d
}

// rememberUnknown keeps the unknown keys of the file b (decoded into f):
// its own, and those of its entries and records, for which it decodes b
// again through their methods.
func (f *plainHistoryDoc) rememberUnknown(b []byte) {
	var d historyDoc
	if _, ok := historyShape.fits(b, 0); ok {
		d = f.document()
	} else if json.Unmarshal(b, &d) != nil {
		return // not after f decoded b; if it did, f stays as it is
	}
	d.extra = unknownMembers(b, historyTopShape, reflect.TypeFor[historyDoc]())
	f.doc = &d
}

// MarshalJSON writes the document with the unknown keys it was read with.
func (d historyDoc) MarshalJSON() ([]byte, error) {
	var b []byte
	var err error
	if d.recordsHaveNoExtra() {
		b, err = json.Marshal(d.plain())
	} else {
		type plain historyDoc // without this method
		b, err = json.Marshal(plain(d))
	}
	if err != nil {
		return nil, err
	}
	return withUnknown(b, d.extra)
}

// recordsHaveNoExtra reports whether no entry or record of d has unknown keys.
func (d *historyDoc) recordsHaveNoExtra() bool {
	for i := range d.Entries {
		if d.Entries[i].extra != nil {
			return false
		}
		for j := range d.Entries[i].Postbacks {
			if d.Entries[i].Postbacks[j].extra != nil {
				return false
			}
		}
	}
	for i := range d.Unmatched {
		if d.Unmatched[i].extra != nil {
			return false
		}
	}
	return true
}

// The conversions below copy the postbacks of all entries into one array
// (each entry's slice capped at its length, so that an append to one
// copies it rather than overwriting the next).

func (d *historyDoc) plain() plainHistoryDoc {
	p := plainHistoryDoc{Version: d.Version, Profile: d.Profile}
	if d.Unmatched != nil {
		p.Unmatched = make([]plainRecord, len(d.Unmatched))
		for i, r := range d.Unmatched {
			p.Unmatched[i] = plainRecord(r)
		}
	}
	if d.Entries == nil {
		return p
	}
	n := 0
	for i := range d.Entries {
		n += len(d.Entries[i].Postbacks)
	}
	all := make([]plainRecord, 0, n)
	p.Entries = make([]plainEntry, len(d.Entries))
	for i := range d.Entries {
		e := &d.Entries[i]
		var pbs []plainRecord
		if e.Postbacks != nil {
			start := len(all)
			for _, r := range e.Postbacks {
				all = append(all, plainRecord(r))
			}
			pbs = all[start:len(all):len(all)]
		}
		p.Entries[i] = plainEntry{TransactionID: e.TransactionID, Intent: e.Intent, User: e.User, CreatedAt: e.CreatedAt, ExpiresAt: e.ExpiresAt,
			Status: e.Status, ErrorCode: e.ErrorCode, ErrorMessage: e.ErrorMessage, Summary: e.Summary, Postbacks: pbs}
	}
	return p
}

// setFrom sets d to the fields of p.
func (d *historyDoc) setFrom(p *plainHistoryDoc) {
	d.Version, d.Profile, d.Entries, d.Unmatched = p.Version, p.Profile, nil, nil
	if p.Unmatched != nil {
		d.Unmatched = make([]PostbackRecord, len(p.Unmatched))
		for i, r := range p.Unmatched {
			d.Unmatched[i] = PostbackRecord(r)
		}
	}
	if p.Entries == nil {
		return
	}
	n := 0
	for i := range p.Entries {
		n += len(p.Entries[i].Postbacks)
	}
	all := make([]PostbackRecord, 0, n)
	d.Entries = make([]HistoryEntry, len(p.Entries))
	for i := range p.Entries {
		e := &p.Entries[i]
		var pbs []PostbackRecord
		if e.Postbacks != nil {
			start := len(all)
			for _, r := range e.Postbacks {
				all = append(all, PostbackRecord(r))
			}
			pbs = all[start:len(all):len(all)]
		}
		d.Entries[i] = HistoryEntry{TransactionID: e.TransactionID, Intent: e.Intent, User: e.User, CreatedAt: e.CreatedAt, ExpiresAt: e.ExpiresAt,
			Status: e.Status, ErrorCode: e.ErrorCode, ErrorMessage: e.ErrorMessage, Summary: e.Summary, Postbacks: pbs}
	}
}

// UnmarshalJSON decodes the entry and remembers its unknown keys.
func (e *HistoryEntry) UnmarshalJSON(b []byte) error {
	type plain HistoryEntry // without this method
	if err := json.Unmarshal(b, (*plain)(e)); err != nil {
		return err
	}
	e.extra = unknownMembers(b, entryShape, reflect.TypeFor[HistoryEntry]())
	return nil
}

// MarshalJSON writes the entry with the unknown keys it was read with;
// without any, exactly as json.Marshal writes its fields.
func (e HistoryEntry) MarshalJSON() ([]byte, error) {
	type plain HistoryEntry // without this method
	b, err := json.Marshal(plain(e))
	if err != nil || len(e.extra) == 0 {
		return b, err
	}
	return withUnknown(b, e.extra)
}

// UnmarshalJSON decodes the record and remembers its unknown keys.
func (r *PostbackRecord) UnmarshalJSON(b []byte) error { return decodeRecord(b, r) }

// decodeRecord is json.Unmarshal(b, r) in one pass, for a line of the
// postback log.
func decodeRecord(b []byte, r *PostbackRecord) error {
	if err := json.Unmarshal(b, (*plainRecord)(r)); err != nil {
		return err
	}
	r.extra = unknownMembers(b, recordShape, reflect.TypeFor[PostbackRecord]())
	return nil
}

// MarshalJSON writes the record with the unknown keys it was read with;
// without any, exactly as json.Marshal writes its fields (so a line of the
// postback log is what it always was).
func (r PostbackRecord) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(plainRecord(r))
	if err != nil || len(r.extra) == 0 {
		return b, err
	}
	return withUnknown(b, r.extra)
}

// unknownMembers is unknownKeys(obj, t), s being the shape of t's objects:
// nil, without allocating, when every key of obj is plainly one of t's.
func unknownMembers(obj []byte, s *keyShape, t reflect.Type) map[string]json.RawMessage {
	if _, ok := s.fits(obj, 0); ok {
		return nil
	}
	return unknownKeys(obj, t)
}

// keyShape is the keys a JSON object of a Go struct may have, as
// encoding/json matches them to its fields.
type keyShape struct {
	names []string // the JSON names of the fields
	// others allows keys not in names.
	others bool
	// elems is, for a name, the shape of the objects in an array under it (nil: any value).
	elems []*keyShape
}

// elemShapes is the elems of a keyShape of names.
func elemShapes(names []string, by map[string]*keyShape) []*keyShape {
	out := make([]*keyShape, len(names))
	for i, n := range names {
		out[i] = by[n]
	}
	return out
}

// fits reports whether b, valid JSON, holds at i an object that has only
// the keys of s, the objects in its arrays having theirs, and returns the
// index past it. false means "maybe not": not an object, a key with an
// escape or beyond ASCII (left to encoding/json), or an unknown key.
func (s *keyShape) fits(b []byte, i int) (end int, ok bool) {
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case '}':
			return i + 1, true
		case ',':
			i++
			continue
		case '"':
		default:
			return 0, false
		}
		start := i + 1
		end := start
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' || b[end] >= utf8.RuneSelf {
				return 0, false
			}
			end++
		}
		if end >= len(b) {
			return 0, false
		}
		k := nameIndex(b[start:end], s.names)
		if k < 0 && !s.others {
			return 0, false
		}
		i = skipSpace(b, end+1)
		if i >= len(b) || b[i] != ':' {
			return 0, false
		}
		i = skipSpace(b, i+1)
		if k >= 0 && s.elems != nil && s.elems[k] != nil && i < len(b) && b[i] == '[' {
			if i, ok = s.elems[k].arrayFits(b, i); !ok {
				return 0, false
			}
		} else if i = skipValue(b, i); i < 0 {
			return 0, false
		}
	}
}

// arrayFits is fits for each object of the array at b[i]; its other values
// are not looked at (decoding them fails either way).
func (s *keyShape) arrayFits(b []byte, i int) (end int, ok bool) {
	i++ // [
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ']':
			return i + 1, true
		case ',':
			i++
		case '{':
			if i, ok = s.fits(b, i); !ok {
				return 0, false
			}
		default:
			if i = skipValue(b, i); i < 0 {
				return 0, false
			}
		}
	}
}

// nameIndex is the index in names of the ASCII key k, matched exactly or
// without regard to case; -1 if none.
func nameIndex(k []byte, names []string) int {
	for i, n := range names {
		if string(k) == n {
			return i
		}
	}
	for i, n := range names {
		if len(n) == len(k) && asciiEqualFold(k, n) {
			return i
		}
	}
	return -1
}

func asciiEqualFold(a []byte, b string) bool {
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value that starts at
// b[i], -1 if b ends first. b is valid JSON.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			i++ // the closing quote
		case c == '{' || c == '[':
			depth++
			i++
			continue
		case c == '}' || c == ']':
			if depth == 0 {
				return i // the end of the enclosing object or array, after a number or literal
			}
			depth--
			i++
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return i
		default:
			i++
			continue
		}
		if depth == 0 {
			if i > len(b) {
				return -1
			}
			return i
		}
	}
	if depth == 0 {
		return i // a number or literal that ends b
	}
	return -1
}
