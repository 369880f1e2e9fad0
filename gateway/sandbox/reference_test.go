package sandbox_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// refFixture is a hand-written shape of testdata/reference (see its
// README): an example value with the keys a response may leave out or add.
type refFixture struct {
	name     string
	Source   string                       `json:"x-source"`
	Optional map[string]map[string]string `json:"x-optional"`
	Extra    map[string]map[string]string `json:"x-extra"`
	Value    any                          `json:"value"`
}

var (
	refMu    sync.Mutex
	refCache = map[string]*refFixture{}
)

// loadReference reads testdata/reference/NAME (".json" optional).
func loadReference(name string) (*refFixture, error) {
	name = strings.TrimSuffix(name, ".json")
	refMu.Lock()
	defer refMu.Unlock()
	if f, ok := refCache[name]; ok {
		return f, nil
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "reference", name+".json"))
	if err != nil {
		return nil, err
	}
	f := &refFixture{name: name}
	if err := json.Unmarshal(raw, f); err != nil {
		return nil, fmt.Errorf("reference %s: %w", name, err)
	}
	if strings.TrimSpace(f.Source) == "" || f.Value == nil {
		return nil, fmt.Errorf("reference %s: wants x-source (the section it came from) and value", name)
	}
	for _, rules := range []map[string]map[string]string{f.Optional, f.Extra} {
		for path, keys := range rules {
			for k, why := range keys {
				if strings.TrimSpace(why) == "" {
					return nil, fmt.Errorf("reference %s: %q at %q has no reason", name, k, path)
				}
			}
		}
	}
	refCache[name] = f
	return f, nil
}

// resolveRef finds the value an "x-ref:FILE#/POINTER" names, with the
// fixture that holds it and its path there.
func resolveRef(ref string) (*refFixture, string, any, error) {
	file, ptr, ok := strings.Cut(strings.TrimPrefix(ref, "x-ref:"), "#")
	if !ok || !strings.HasPrefix(ptr, "/value") {
		return nil, "", nil, fmt.Errorf("bad reference %q: want x-ref:FILE#/value/...", ref)
	}
	f, err := loadReference(file)
	if err != nil {
		return nil, "", nil, err
	}
	v, path := f.Value, ""
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/value"), "/")[1:] {
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
			if path != "" {
				path += "."
			}
			path += tok
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, "", nil, fmt.Errorf("bad reference %q: no element %s", ref, tok)
			}
			v = x[i]
			path += "[]"
		default:
			return nil, "", nil, fmt.Errorf("bad reference %q: %s is not in a container", ref, tok)
		}
		if v == nil {
			return nil, "", nil, fmt.Errorf("bad reference %q: nothing at %s", ref, tok)
		}
	}
	return f, path, v, nil
}

func jsonKindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func showPath(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

// compareShape checks got against the template want of fixture f at path:
// the same JSON kinds, every key of want unless optional there, no key
// beyond want's unless listed as extra there. It returns the differences.
func compareShape(f *refFixture, path string, got, want any) []string {
	if s, ok := want.(string); ok && strings.HasPrefix(s, "x-ref:") {
		rf, rpath, rv, err := resolveRef(s)
		if err != nil {
			return []string{err.Error()}
		}
		return compareShape(rf, rpath, got, rv)
	}
	if m, ok := want.(map[string]any); ok && len(m) == 1 && m["x-one-of"] != nil {
		alts, _ := m["x-one-of"].([]any)
		var all []string
		for i, alt := range alts {
			d := compareShape(f, path, got, alt)
			if len(d) == 0 {
				return nil
			}
			for _, x := range d {
				all = append(all, fmt.Sprintf("[shape %d] %s", i+1, x))
			}
		}
		return append([]string{fmt.Sprintf("%s: matches none of the %d shapes of %s", showPath(path), len(alts), f.name)}, all...)
	}
	if gk, wk := jsonKindOf(got), jsonKindOf(want); gk != wk {
		return []string{fmt.Sprintf("%s: is a JSON %s, the reference (%s) has a %s", showPath(path), gk, f.name, wk)}
	}
	var diffs []string
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			gv, inGot := g[k]
			wv, inWant := w[k]
			switch {
			case inWant && !inGot:
				if _, ok := f.Optional[path][k]; !ok {
					diffs = append(diffs, fmt.Sprintf("%s: missing (the reference %s has it)", sub, f.name))
				}
			case !inWant:
				if _, ok := f.Extra[path][k]; !ok {
					diffs = append(diffs, fmt.Sprintf("%s: not in the reference %s and not listed in its x-extra", sub, f.name))
				}
			default:
				diffs = append(diffs, compareShape(f, sub, gv, wv)...)
			}
		}
	case []any:
		if len(w) == 0 {
			return nil
		}
		for _, gv := range got.([]any) {
			if d := compareShape(f, path+"[]", gv, w[0]); len(d) > 0 {
				return d // one element's differences say it
			}
		}
	}
	return diffs
}

// checkReference compares a JSON response with testdata/reference/NAME.
func checkReference(t *testing.T, name string, raw []byte) {
	t.Helper()
	f, err := loadReference(name)
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("reference %s: the response is not JSON: %v: %s", name, err, raw)
	}
	if d := compareShape(f, "", got, f.Value); len(d) > 0 {
		t.Errorf("the response does not have the reference shape %s (%s):\n  %s\n%s", name, f.Source, strings.Join(d, "\n  "), raw)
	}
}

// checkOutcomeReference checks a driver answer {"result"} or {"error"}
// against the web SDK's resolve value or error.
func checkOutcomeReference(t *testing.T, raw []byte) {
	t.Helper()
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("outcome: %v: %s", err, raw)
	}
	switch {
	case o["result"] != nil && o["error"] == nil:
		checkReference(t, "sdk_resolve", o["result"])
	case o["error"] != nil && o["result"] == nil:
		checkReference(t, "sdk_error", o["error"])
	default:
		t.Errorf("outcome: want exactly one of result and error: %s", raw)
	}
}

// TestReferenceFixtures: every fixture loads, names its source, resolves its
// references and matches itself.
func TestReferenceFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "reference", "*.json"))
	if len(files) < 8 {
		t.Fatalf("want the 8 reference shapes, found %d", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		f, err := loadReference(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(f.Source, "gateway-api.md §") {
			t.Errorf("%s: x-source does not name its section of gateway-api.md: %q", name, f.Source)
		}
		raw, _ := json.Marshal(f.Value)
		var self any
		json.Unmarshal(raw, &self)
		// A value with x-one-of or x-ref stands for shapes, not for data.
		if !strings.Contains(string(raw), "x-one-of") && !strings.Contains(string(raw), "x-ref:") {
			if d := compareShape(f, "", self, f.Value); len(d) > 0 {
				t.Errorf("%s does not match itself: %v", name, d)
			}
		}
	}
}

// TestReferenceComparator: the comparison fails on a missing key, a wrong
// type, an unlisted key and a bad element, and lets listed keys through.
func TestReferenceComparator(t *testing.T) {
	good := `{"success":true,"errors":null,"data":{"transactionId":"TRX_0123456789abcdef0123456789abcdef","expireAt":"2026-03-02T04:35:00Z"}}`
	f, err := loadReference("create_transaction")
	if err != nil {
		t.Fatal(err)
	}
	shape := func(s string) []string {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return compareShape(f, "", v, f.Value)
	}
	if d := shape(good); len(d) > 0 {
		t.Fatalf("a good answer fails: %v", d)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"success":true,"errors":null,"data":{"expireAt":"x"}}`, "data.transactionId: missing"},
		{`{"success":"true","errors":null,"data":{"transactionId":"x","expireAt":"x"}}`, "success: is a JSON string"},
		{`{"success":true,"errors":null,"data":{"transactionId":"x","expireAt":1}}`, "data.expireAt: is a JSON number"},
		{`{"success":true,"errors":null,"data":{"transactionId":"x","expireAt":"x","status":"INITIALIZED"}}`, "data.status: not in the reference"},
		{`{"success":true,"errors":null,"data":[]}`, "data: is a JSON array"},
	} {
		d := shape(tc.body)
		if !strings.Contains(strings.Join(d, "\n"), tc.want) {
			t.Errorf("%s: differences %q, want one with %q", tc.body, d, tc.want)
		}
	}

	// Arrays check each element; x-extra and x-optional let listed keys by.
	ob, _ := loadReference("order_batch")
	batch := func(orderJSON string) []string {
		s := `{"success":true,"errors":null,"data":{"transactionId":"TRX_x","status":"COMPLETED","batches":[{"batchId":"b","variety":"amo",` +
			`"status":"PLACED","filled":0,"quantity":1,"buyAmount":0,"sellAmount":0,"transactionId":"TRX_x","label":"BUY","orders":[` + orderJSON + `],"unplaced":[]}]}}`
		var v any
		json.Unmarshal([]byte(s), &v)
		return compareShape(ob, "", v, ob.Value)
	}
	order := `{"tradingsymbol":"TCS","exchange":"BSE","transactionType":"BUY","quantity":1,"filledQuantity":0,"averagePrice":0,"status":"PLACED","orderType":"MARKET","product":"CNC"%s}`
	if d := batch(fmt.Sprintf(order, `,"statusMessage":"queued"`)); len(d) > 0 {
		t.Errorf("listed extra and optional keys fail: %v", d)
	}
	if d := batch(fmt.Sprintf(order, `,"price":1`)); !strings.Contains(strings.Join(d, " "), "data.batches[].orders[].price: not in the reference") {
		t.Errorf("an unlisted key in an array element passes: %v", d)
	}
	if d := batch(strings.Replace(fmt.Sprintf(order, ""), `"quantity":1,`, "", 1)); !strings.Contains(strings.Join(d, " "), "orders[].quantity: missing") {
		t.Errorf("a missing key in an array element passes: %v", d)
	}

	// x-one-of: any one shape; none gives every shape's differences.
	pb, _ := loadReference("postback")
	post := func(fields string) []string {
		var v any
		json.Unmarshal([]byte(`{`+fields+`"timestamp":"1","transactionId":"TRX_x","intent":"MF_HOLDINGS_IMPORT","status":"COMPLETED","event":"MF_HOLDINGS_IMPORT","checksum":"ab"}`), &v)
		return compareShape(pb, "", v, pb.Value)
	}
	if d := post(`"holdings":[],`); len(d) > 0 {
		t.Errorf("an MF postback fails: %v", d)
	}
	if d := post(`"orders":[],`); len(d) == 0 {
		t.Error("a postback with fields of no known shape passes")
	}
}
