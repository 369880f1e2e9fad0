package present

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gatewalk/session/bridge"
)

func TestSafeEscapesControlBytes(t *testing.T) {
	cases := map[string]string{
		"plain text ₹ ok":           "plain text ₹ ok",
		"a\x1b[2Jb":                 `a\x1b[2Jb`,
		"\x1b]52;c;aGk=\x07":        `\x1b]52;c;aGk=\x07`,
		"bell\x07":                  `bell\x07`,
		"c1 \u009b31m":              `c1 \u009b31m`,
		"c1 osc \u009d0;t\u009c":    `c1 osc \u009d0;t\u009c`,
		"raw c1 \x9b31m\x9d0;t\x9c": `raw c1 \x9b31m\x9d0;t\x9c`,
		"del\x7f":                   `del\x7f`,
		"bad \xff byte":             `bad \xff byte`,
		"keeps\nnewline\tand tab":   "keeps\nnewline\tand tab",
		"nul\x00and backspace\x08":  `nul\x00and backspace\x08`,
	}
	for in, want := range cases {
		got := Safe(in)
		if got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
		for _, r := range got {
			if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r < 0xa0) {
				t.Errorf("Safe(%q) kept control %U", in, r)
			}
		}
		if !utf8.ValidString(got) {
			t.Errorf("Safe(%q) = %q kept a byte that is not UTF-8", in, got)
		}
	}
	if got := SafeLine("two\nlines\x1b"); got != `two\nlines\x1b` {
		t.Errorf("SafeLine = %q", got)
	}
}

func TestEventTextIsSafe(t *testing.T) {
	got := EventText(bridge.JourneyEvent{Kind: bridge.JourneySDKLoadFailed, Detail: "blocked\x1b]52;c;x\x07"})
	if got != `SDK did not load (blocked\x1b]52;c;x\x07)` {
		t.Fatalf("EventText = %q", got)
	}
	if got := EventLabel("some_new_kind\x1b"); got != `some new kind\x1b` {
		t.Fatalf("EventLabel of an unknown kind = %q", got)
	}
}

func TestDurations(t *testing.T) {
	for d, want := range map[time.Duration]string{-time.Second: "0:00", 59 * time.Second: "0:59", 299500 * time.Millisecond: "5:00"} {
		if got := Countdown(d); got != want {
			t.Errorf("Countdown(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{90 * time.Second: "1:30", 5*time.Hour + 4*time.Minute: "5h04m", 8795 * 24 * time.Hour: "8795d"} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{0: "", time.Microsecond: "<1ms", 42 * time.Millisecond: "42ms", 1300 * time.Millisecond: "1.3s", 298 * time.Second: "4m58s"} {
		if got := StepDuration(d); got != want {
			t.Errorf("StepDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestMasks(t *testing.T) {
	if got := RedactID("5f0321b5f3743c31d95abd35", true); got != Mask+"bd35" {
		t.Errorf("RedactID demo = %q", got)
	}
	if got := RedactID("TRX_0123456789abcdef0123456789abcdef", true); got != "TRX_"+Mask+"cdef" {
		t.Errorf("RedactID demo of a transactionId = %q", got)
	}
	if got := RedactID("5f0321b5f3743c31d95abd35", false); got != "5f0321b5f3743c31d95abd35" {
		t.Errorf("RedactID off demo = %q", got)
	}
	if got := MaskAuthID("5f0321b5f3743c31d95abd35"); got != Mask+"bd35" {
		t.Errorf("MaskAuthID = %q", got)
	}
	tok := "eyJhbGciOiJIUzI1NiJ9.eyJndWVzdCI6dHJ1ZX0.c2lnbmF0dXJlLWJ5dGVz"
	if got := RedactToken(tok, true); strings.Contains(got, "c2lnbmF0") || !strings.HasPrefix(got, tok[:10]) {
		t.Errorf("RedactToken demo = %q", got)
	}
	if got := CutJWTSignatures("jwt " + tok + " end"); got != "jwt eyJhbGciOiJIUzI1NiJ9.eyJndWVzdCI6dHJ1ZX0.<signature removed> end" {
		t.Errorf("CutJWTSignatures = %q", got)
	}
	if got := Scrub("key=topsecret-value and abc", "topsecret-value", "abc"); got != "key=[secret removed] and abc" {
		t.Errorf("Scrub = %q (secrets under four characters are kept)", got)
	}
	if got := ShortToken(tok); strings.Contains(got, "c2lnbmF0dXJl") || len(got) >= len(tok) {
		t.Errorf("ShortToken = %q", got)
	}
}

func TestTableExports(t *testing.T) {
	tb := Table{Header: []string{"Ticker", "P&L"}, Numeric: []bool{false, true}, Rows: [][]string{{"TCS", "12.50"}, {"A,B", "n/a"}}}
	js := string(tb.JSON())
	if !strings.Contains(js, `"p&l": 12.50`) || !strings.Contains(js, `"p&l": "n/a"`) || !strings.Contains(js, `"ticker": "A,B"`) {
		t.Fatalf("JSON:\n%s", js)
	}
	if empty := string(Table{Header: []string{"a"}}.JSON()); strings.TrimSpace(empty) != "[]" {
		t.Fatalf("no rows = %q", empty)
	}
	csv, err := tb.CSV()
	if err != nil || string(csv) != "Ticker,P&L\nTCS,12.50\n\"A,B\",n/a\n" {
		t.Fatalf("CSV %q %v", csv, err)
	}
	if _, err := tb.Encode("out.xlsx"); err == nil || !strings.Contains(err.Error(), ".csv or .json") {
		t.Fatalf("Encode(.xlsx) = %v", err)
	}
}

// TestSafeJSONEscapesRawBytes: json.RawMessage (an SDK result's data) and
// json.Indent (an API body) keep bytes that are not UTF-8 as they came; a
// raw 0x9b is an 8-bit CSI, 0x9d an OSC and 0x9c their end to a terminal
// that reads 8-bit controls. SafeJSON writes them as \ufffd, what
// encoding/json decodes them to, so the output is valid UTF-8 JSON with
// no control byte.
func TestSafeJSONEscapesRawBytes(t *testing.T) {
	tests := []struct {
		name, in, want, decoded string
	}{
		{"raw CSI", "{\"a\":\"x\x9b31m\"}", `{"a":"x\ufffd31m"}`, "x\ufffd31m"},
		{"raw OSC and ST", "{\"a\":\"\x9d0;title\x9c\"}", `{"a":"\ufffd0;title\ufffd"}`, "\ufffd0;title\ufffd"},
		{"cut UTF-8 sequence", "{\"a\":\"\xe2\x82 \xff\"}", `{"a":"\ufffd\ufffd \ufffd"}`, "\ufffd\ufffd \ufffd"},
		{"raw byte beside a C1 rune and DEL", "{\"k\x9b\":\"\u009d\x7f\x9b\"}", `{"k\ufffd":"\u009d\u007f\ufffd"}`, "\u009d\x7f\ufffd"},
		{"clean JSON unchanged", `{"a":"₹ ok"}`, `{"a":"₹ ok"}`, "₹ ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(SafeJSON([]byte(tt.in)))
			if got != tt.want {
				t.Fatalf("SafeJSON(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Fatalf("SafeJSON(%q) = %q is not UTF-8", tt.in, got)
			}
			var v map[string]string
			if err := json.Unmarshal([]byte(got), &v); err != nil {
				t.Fatalf("%q does not decode: %v", got, err)
			}
			for _, val := range v {
				if val != tt.decoded {
					t.Fatalf("%q decodes to %q, want %q", got, val, tt.decoded)
				}
			}
		})
	}
}

func TestSafeJSONEscapesWhatEncodingJSONLeaves(t *testing.T) {
	in := []byte(`{"a":"x` + "\u009b" + `31m` + "\x7f" + `y ₹"}`)
	got := string(SafeJSON(in))
	if got != `{"a":"x\u009b31m\u007fy ₹"}` {
		t.Fatalf("SafeJSON = %q", got)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(got), &v); err != nil || v["a"] != "x\u009b31m\x7fy ₹" {
		t.Fatalf("the escaped JSON decodes to %q (%v)", v["a"], err)
	}
}
