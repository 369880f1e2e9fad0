package session

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestKeyShapeFits: the scan that finds the common case says "only known
// keys" exactly when the object has no key but its fields (and, for a
// history file, its entries and records none but theirs), and "maybe not"
// for anything it does not read itself.
func TestKeyShapeFits(t *testing.T) {
	record := &keyShape{names: postbackRecordFields}
	for _, tc := range []struct {
		shape *keyShape
		obj   string
		want  bool
	}{
		{record, `{}`, true},
		{record, ` { } `, true},
		{record, `{"event":"a","checksumValid":true,"body":{"x":[1,{"y":"}"}],"z":"\"}"}}`, true},
		{record, `{"body":"{\"futureKey\":1}","event":"a"}`, true},
		{record, `{"body":[1,2,"]"],"status":null,"checksumValid":false}`, true},
		{record, "{\n\t\"event\" : \"a\" ,\r\n\"problem\":\"\\\\\"\n}", true},
		{record, `{"receivedAt":"2026-01-02T03:04:05Z","transactionId":"TRX_1","body":-1.5e+3}`, true},
		{record, `{"body":-1.5e+3}`, true},
		{record, `{"EVENT":"a","TransactionID":"x"}`, true}, // encoding/json folds case
		{record, `{"event":"a","futureKey":1}`, false},
		{record, `{"futureKey":{"event":"a"},"event":"a"}`, false},
		{record, `{"body":{},"x":1}`, false},
		{record, `{"body":7,"x":1}`, false},
		{record, `{"ev\u0065nt":"a"}`, false}, // escaped: maybe known, left to unknownKeys
		{record, `{"événement":"a"}`, false},
		{record, `null`, false},
		{record, `[]`, false},
		{record, `"event"`, false},
		{record, ``, false},

		{historyShape, `{"version":1,"entries":[]}`, true},
		{historyShape, `{"version":1,"futureTop":{"x":[{"y":1}]},"entries":null}`, true}, // the file's own keys are rememberUnknown's
		{historyShape, `{"entries":[{"transactionId":"a","postbacks":[{"event":"e"},null]},null],"unmatched":[{"body":{"k":1}}]}`, true},
		{historyShape, `{"ENTRIES":[{"transactionId":"a","futureEntry":1}]}`, false},
		{historyShape, `{"entries":[{"transactionId":"a"},{"transactionId":"b","futureEntry":1}]}`, false},
		{historyShape, `{"entries":[{"transactionId":"a","postbacks":[{"event":"e"},{"futurePostback":1}]}]}`, false},
		{historyShape, `{"unmatched":[{"event":"e"},{"futureUnmatched":1}]}`, false},
		{historyShape, `{"entries":[{"transactionId":"a"}],"unmatched":[{"event":"e"}],"entries2":[{"x":1}]}`, true},
	} {
		if _, got := tc.shape.fits([]byte(tc.obj), 0); got != tc.want {
			t.Errorf("fits(%s) = %v, want %v", tc.obj, got, tc.want)
		}
	}
}

// FuzzKeyShapeFits: whenever the scan says an object has only known keys,
// unknownKeys finds none.
func FuzzKeyShapeFits(f *testing.F) {
	f.Add([]byte(`{"event":"a","body":{"x":"}"},"checksumValid":true}`))
	f.Add([]byte(`{"body":[1,"]",{"a":null}],"problem":"\"x\""}`))
	f.Add([]byte(`{"Event":1,"futureKey":2}`))
	f.Add([]byte(`{"body":-0.5E-2 , "status":"s"}`))
	t := reflect.TypeFor[PostbackRecord]()
	shape := &keyShape{names: jsonFieldNames(t)}
	f.Fuzz(func(t2 *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		if _, ok := shape.fits(b, 0); ok {
			if x := unknownKeys(b, t); x != nil {
				t2.Fatalf("fits(%s) = true, but unknownKeys found %v", b, x)
			}
		}
	})
}

// TestPlainHistoryTypes: the types the common case is decoded into and
// written from have the fields of the real ones, and convert every field.
func TestPlainHistoryTypes(t *testing.T) {
	for _, pair := range [][2]reflect.Type{
		{reflect.TypeFor[HistoryEntry](), reflect.TypeFor[plainEntry]()},
		{reflect.TypeFor[historyDoc](), reflect.TypeFor[plainHistoryDoc]()},
	} {
		exported := func(t reflect.Type) (fs []reflect.StructField) {
			for i := range t.NumField() {
				if f := t.Field(i); f.IsExported() {
					fs = append(fs, f)
				}
			}
			return fs
		}
		real, plain := pair[0], pair[1]
		fields, plainFields := exported(real), exported(plain)
		if len(fields) != len(plainFields) {
			t.Fatalf("%v has %d exported fields, %v %d", real, len(fields), plain, len(plainFields))
		}
		plainOf := map[reflect.Type]reflect.Type{
			reflect.TypeFor[[]PostbackRecord](): reflect.TypeFor[[]plainRecord](),
			reflect.TypeFor[[]HistoryEntry]():   reflect.TypeFor[[]plainEntry](),
		}
		for i, f := range fields {
			p := plainFields[i]
			want := f.Type
			if pt, ok := plainOf[want]; ok {
				want = pt
			}
			if p.Name != f.Name || p.Tag != f.Tag || p.Type != want {
				t.Errorf("%v field %d is %s %v `%s`, want %s %v `%s`", plain, i, p.Name, p.Type, p.Tag, f.Name, want, f.Tag)
			}
		}
	}

	// Every field survives both conversions.
	rec := PostbackRecord{TransactionID: "T", ReceivedAt: time.Unix(1, 2).UTC(), Event: "e", Status: "s", ChecksumValid: true, Problem: "p", Body: json.RawMessage(`1`)}
	e := HistoryEntry{}
	v := reflect.ValueOf(&e).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(v.Type().Field(i).Name)
		case reflect.Int:
			f.SetInt(int64(i + 1))
		case reflect.Slice:
			f.Set(reflect.ValueOf([]PostbackRecord{rec}))
		case reflect.Struct:
			f.Set(reflect.ValueOf(time.Unix(int64(i), 0).UTC()))
		default:
			t.Fatalf("set field %s of kind %v", v.Type().Field(i).Name, f.Kind())
		}
	}
	for _, d := range []historyDoc{
		{Version: 1, Profile: "p", Entries: []HistoryEntry{e, {}, e}, Unmatched: []PostbackRecord{rec}},
		{Entries: []HistoryEntry{}, Unmatched: []PostbackRecord{}},
		{Entries: []HistoryEntry{{Postbacks: []PostbackRecord{}}}},
		{},
	} {
		var d2 historyDoc
		pd := d.plain()
		d2.setFrom(&pd)
		if !reflect.DeepEqual(d2, d) {
			t.Errorf("round trip:\n got %+v\nwant %+v", d2, d)
		}
	}
	// The entries' postbacks share an array, but an append to one leaves the next alone.
	d := historyDoc{Entries: []HistoryEntry{e, e}}
	pd := d.plain()
	var d2 historyDoc
	d2.setFrom(&pd)
	d2.Entries[0].Postbacks = append(d2.Entries[0].Postbacks, PostbackRecord{Event: "new"})
	if !reflect.DeepEqual(d2.Entries[1], e) {
		t.Errorf("an append to one entry's postbacks changed the next: %+v", d2.Entries[1])
	}
}

// TestHistoryFileDecodesTheSameEitherWay: a history file decoded as
// loadHistory does (in one pass when it can) and one decoded through the
// methods of its entries and records give the same document, written the same.
func TestHistoryFileDecodesTheSameEitherWay(t *testing.T) {
	const entry = `{"transactionId":"a","intent":"CONNECT","user":"u","createdAt":"2026-01-02T03:04:05Z",` +
		`"expiresAt":"2026-01-02T04:04:05Z","status":"COMPLETED","errorCode":3,"errorMessage":"m<","summary":"s",` +
		`"postbacks":[{"transactionId":"a","receivedAt":"2026-01-02T03:04:06Z","event":"e","status":"s","checksumValid":true,"problem":"p","body":{"b":"<&>"}},null]}`
	// Migrating a file writes it again, escaping HTML characters in its
	// postbacks' bodies: the same JSON, other bytes.
	migrated := strings.ReplaceAll(entry, "<&>", "x")
	for _, file := range []string{
		`{"version":1,"profile":"p","entries":[` + entry + `,null,{"transactionId":"b","postbacks":[]}],"unmatched":[{"transactionId":"z","body":"x"}]}`,
		`{"version":1,"profile":"p","entries":[]}`,
		`{"version":1,"entries":null}`,
		`{"profile":"p","entries":[` + migrated + `]}`, // version 0, migrated
		`{"version":1,"Entries":[{"TRANSACTIONID":"a"}],"unmatched":[]}`,
		`{"version":1,"profile":"p","futureTop":[1],"entries":[` + entry + `]}`,
		`{"version":1,"profile":"p","entries":[` + entry + `,{"transactionId":"b","futureEntry":{"x":1}}]}`,
		`{"version":1,"profile":"p","entries":[{"transactionId":"b","postbacks":[{"futurePostback":2},{}]}],"unmatched":[{"futureUnmatched":3}]}`,
		`{"profile":"p","futureTop":0,"entries":[{"transactionId":"b","futureEntry":1,"postbacks":[{"futurePostback":2}]}]}`,
	} {
		var f plainHistoryDoc
		if err := decodeVersioned([]byte(file), &f); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		got := f.document()
		var want historyDoc
		type plain historyDoc // through the methods of entries and records
		if err := json.Unmarshal([]byte(file), (*plain)(&want)); err != nil {
			t.Fatal(err)
		}
		want.Version = SchemaVersion
		want.extra = unknownKeys([]byte(file), reflect.TypeFor[historyDoc]())
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", file, got, want)
		}
		gb, err1 := json.Marshal(got)
		wb, err2 := json.Marshal(plain(want))
		if err2 == nil {
			wb, err2 = withUnknown(wb, want.extra)
		}
		if err1 != nil || err2 != nil || string(gb) != string(wb) {
			t.Errorf("written:\n got %s %v\nwant %s %v", gb, err1, wb, err2)
		}
	}
	// An error is told in terms of the file, unknown keys or not.
	for _, file := range []string{
		`{"version":1,"entries":[{"transactionId":5}]}`,
		`{"version":1,"entries":[{"futureEntry":1,"transactionId":5}]}`,
		`{"version":1,"unmatched":[{"futureUnmatched":1},{"checksumValid":"yes"}]}`,
	} {
		var f plainHistoryDoc
		err := decodeVersioned([]byte(file), &f)
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || !strings.Contains(file[:te.Offset], "[{") || !strings.HasPrefix(te.Field, "entries.") && !strings.HasPrefix(te.Field, "unmatched.") {
			t.Errorf("%s: %v (%+v)", file, err, te)
		}
	}
}
