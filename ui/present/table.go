package present

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"gatewalk/gateway"
)

// Table is rows of text under a header, as a face shows them, for export.
type Table struct {
	Header []string
	// Numeric marks, per column, cells that are numbers (JSON writes them
	// as numbers).
	Numeric []bool
	Rows    [][]string
}

// CSV is the table as CSV, header first.
func (t Table) CSV() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(t.Header)
	_ = w.WriteAll(t.Rows)
	if err := w.Error(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// JSON is the table as a JSON array of objects, one per row, keys in
// column order (lower case, spaces as underscores), numbers as JSON
// numbers, nothing HTML-escaped; no rows is [].
func (t Table) JSON() []byte {
	keys := make([][]byte, len(t.Header))
	for i, h := range t.Header {
		keys[i] = jsonString(strings.ToLower(strings.ReplaceAll(h, " ", "_")))
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for n, r := range t.Rows {
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for i := range t.Header {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(keys[i])
			b.WriteByte(':')
			cell := ""
			if i < len(r) {
				cell = r[i]
			}
			if i < len(t.Numeric) && t.Numeric[i] && isJSONNumber(cell) {
				b.WriteString(cell)
			} else {
				b.Write(jsonString(cell))
			}
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return append(b.Bytes(), '\n')
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// Encode is the table in the format path's extension names: .json, or
// .csv (also without an extension).
func (t Table) Encode(path string) ([]byte, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".json":
		return t.JSON(), nil
	case ".csv", "":
		return t.CSV()
	default:
		return nil, fmt.Errorf("unknown format %q: end the file name in .csv or .json", ext)
	}
}

// isJSONNumber reports whether s is a number as JSON writes one.
func isJSONNumber(s string) bool {
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	return json.Valid([]byte(s))
}

// jsonString encodes s as a JSON string without HTML escaping ("p&l").
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// HoldingsTable is every equity and mutual fund folio of h, one row each,
// as `gatewalk holdings --csv` prints them.
func HoldingsTable(h *gateway.Holdings) Table {
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	t := Table{Header: []string{"asset", "ticker", "isin", "name", "exchange", "folio", "quantity", "average_price", "invested"},
		Numeric: []bool{false, false, false, false, false, false, true, true, true}}
	for _, e := range h.Equities() {
		t.Rows = append(t.Rows, []string{"equity", e.Ticker, e.ISIN, e.Name, e.Exchange, "", strconv.Itoa(e.Quantity), f(e.AveragePrice, 2), f(e.Invested(), 2)})
	}
	for _, m := range h.MutualFunds() {
		t.Rows = append(t.Rows, []string{"mutual_fund", "", m.ISIN, m.Fund, "", m.Folio, f(m.Quantity, 3), f(m.AveragePrice, 4), f(m.Quantity*m.AveragePrice, 2)})
	}
	return t
}
