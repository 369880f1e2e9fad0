package tui

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
)

// sampleHoldings builds n equities and m funds with deterministic values.
func sampleHoldings(n, m int) *gateway.Holdings {
	h := &gateway.Holdings{Version: "v2", V2: &gateway.HoldingsV2{SmallcaseAuthID: testAuthID, Broker: "kite-leprechaun"}}
	for i := 0; i < n; i++ {
		var s gateway.HoldingV2
		s.Name = fmt.Sprintf("Company %05d Limited", i)
		s.ISIN = fmt.Sprintf("INE%09d", i*7919%1000000000)
		s.NSETicker = fmt.Sprintf("TICK%05d", (i*37)%100000)
		s.Holdings = gateway.QtyPrice{Quantity: 1 + i%97, AveragePrice: float64(100+(i*13)%5000) + 0.25}
		s.Positions.NSE = s.Holdings
		h.V2.Securities = append(h.V2.Securities, s)
	}
	if m > 0 {
		h.V2.MutualFunds = &gateway.MFBlock{}
		for i := 0; i < m; i++ {
			h.V2.MutualFunds.Holdings = append(h.V2.MutualFunds.Holdings, gateway.MFHolding{Folio: fmt.Sprintf("F%06d", i), Fund: fmt.Sprintf("Index Fund %d Direct Growth", i),
				ISIN: fmt.Sprintf("INF%09d", i), Quantity: 10.5 * float64(i+1), AveragePrice: 50, PNL: float64(i*10 - 5)})
		}
	}
	return h
}

func newTestHoldings(n, m int, w, h int) *holdingsView {
	km := DefaultKeyMap()
	v := newHoldingsView(NewStyles(true), &km, "alice", sampleHoldings(n, m))
	v.SetSize(w, h)
	return v
}

func TestHoldingsSortFilterTotals(t *testing.T) {
	v := newTestHoldings(200, 2, 120, 30)
	if got := len(v.idx); got != 200 {
		t.Fatalf("rows %d", got)
	}
	var want float64
	for _, e := range sampleHoldings(200, 0).Equities() {
		want += e.Invested()
	}
	if v.totInv != want {
		t.Fatalf("invested total %v, want %v", v.totInv, want)
	}
	// Sort by quantity (column 2), descending.
	v.Update(keyMsg("s"))
	v.Update(keyMsg("s"))
	v.Update(keyMsg("S"))
	rows := v.rows[tabEquities]
	for i := 1; i < len(v.idx); i++ {
		if rows[v.idx[i-1]].nums[2] < rows[v.idx[i]].nums[2] {
			t.Fatalf("not sorted by quantity descending at %d", i)
		}
	}
	// Filter by typing.
	v.Update(keyMsg("/"))
	for _, r := range "tick0003" {
		v.Update(keyMsg(string(r)))
	}
	for _, i := range v.idx {
		if !strings.Contains(rows[i].search, "tick0003") {
			t.Fatalf("row %q passed the filter", rows[i].cells[0])
		}
	}
	if len(v.idx) == 0 || len(v.idx) == 200 {
		t.Fatalf("filter kept %d rows", len(v.idx))
	}
	view := plain(v.View())
	mustContain(t, view, fmt.Sprintf("%d of 200 rows", len(v.idx)), "/tick0003")
	v.Update(keyMsg("esc"))
	if len(v.idx) != 200 {
		t.Fatal("esc did not clear the filter")
	}
	v.Update(keyMsg("tab"))
	mustContain(t, plain(v.View()), "Index Fund 1 Direct Growth", "P&L")
}

func TestHoldingsScrollKeepsCursorVisible(t *testing.T) {
	v := newTestHoldings(10000, 0, 80, 20)
	vis := v.visibleRows()
	for i := 0; i < 50; i++ {
		v.Update(keyMsg("down"))
	}
	if v.cursor != 50 || v.offset != 50-vis+1 {
		t.Fatalf("cursor %d offset %d (visible %d)", v.cursor, v.offset, vis)
	}
	v.Update(keyMsg("G"))
	if v.cursor != 9999 || v.offset != 10000-vis {
		t.Fatalf("bottom: cursor %d offset %d", v.cursor, v.offset)
	}
	if n := strings.Count(v.View(), "\n"); n > 20 {
		t.Fatalf("view has %d lines for a height of 20", n)
	}
	v.Update(keyMsg("g"))
	if v.cursor != 0 || v.offset != 0 {
		t.Fatal("top did not go to row 0")
	}
}

func TestHoldingsExport(t *testing.T) {
	dir := t.TempDir()
	for _, ext := range []string{"csv", "json"} {
		v := newTestHoldings(30, 0, 100, 20)
		v.Update(keyMsg("/"))
		for _, r := range "tick0" {
			v.Update(keyMsg(string(r)))
		}
		v.Update(keyMsg("enter"))
		n := len(v.idx)
		_, cmd := v.Update(keyMsg("e"))
		_ = cmd
		if !v.exporting || v.export.Value() != "holdings-alice.csv" {
			t.Fatalf("export prompt %q", v.export.Value())
		}
		path := filepath.Join(dir, "out."+ext)
		v.export.SetValue(path)
		_, cmd = v.Update(keyMsg("enter"))
		msg := cmd().(fileExportedMsg)
		if msg.err != nil || msg.rows != n {
			t.Fatalf("%s: %+v (want %d rows)", ext, msg, n)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch ext {
		case "csv":
			recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
			if err != nil || len(recs) != n+1 || recs[0][0] != "TICKER" {
				t.Fatalf("csv: %v %d rows", err, len(recs))
			}
		case "json":
			var out []map[string]any
			if err := json.Unmarshal(b, &out); err != nil || len(out) != n || out[0]["ticker"] == "" || out[0]["qty"] == nil {
				t.Fatalf("json: %v %v", err, out)
			}
		}
	}
	v := newTestHoldings(3, 0, 100, 20)
	v.Update(keyMsg("e"))
	v.export.SetValue(filepath.Join(dir, "x.xlsx"))
	_, cmd := v.Update(keyMsg("enter"))
	if msg := cmd().(fileExportedMsg); msg.err == nil || !strings.Contains(msg.err.Error(), ".csv or .json") {
		t.Fatalf("xlsx export: %+v", msg)
	}
}

// BenchmarkHoldingsView draws one frame of the table with 10,000 rows.
func BenchmarkHoldingsView(b *testing.B) {
	v := newTestHoldings(10000, 0, 120, 40)
	v.cursor = 5000
	v.clamp()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = v.View()
	}
}

// BenchmarkHoldingsScroll is one key press down plus the frame it causes.
func BenchmarkHoldingsScroll(b *testing.B) {
	v := newTestHoldings(10000, 0, 120, 40)
	down, up := keyMsg("down"), keyMsg("up")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var k tea.KeyMsg = down
		if (i/9000)%2 == 1 {
			k = up
		}
		v.Update(k)
		_ = v.View()
	}
}

// BenchmarkHoldingsViewRows shows that a frame costs the same whatever the
// number of rows: only the visible ones are drawn.
func BenchmarkHoldingsViewRows(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			v := newTestHoldings(n, 0, 120, 40)
			v.cursor = n / 2
			v.clamp()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = v.View()
			}
		})
	}
}

// BenchmarkHoldingsFrame is a key press and the whole frame (header, table,
// status and help) with 10,000 rows, as the program draws it.
func BenchmarkHoldingsFrame(b *testing.B) {
	km := DefaultKeyMap()
	m := New(Config{Now: testNow, Connect: func(context.Context, ConnectOptions) (Runner, error) { return nil, nil }})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.push(newHoldingsView(m.st, &km, "alice", sampleHoldings(10000, 0)))
	down := keyMsg("down")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(down)
		_ = m.View()
	}
}

// TestSortArrowKeepsTitlesInPlace: sorting by any column never moves a
// column title: the arrow sits after a left-aligned title and before a
// right-aligned one.
func TestSortArrowKeepsTitlesInPlace(t *testing.T) {
	v := newTestHoldings(20, 0, 120, 30)
	header := func() string {
		for _, l := range strings.Split(plain(v.View()), "\n") {
			if strings.Contains(l, "TICKER") {
				return l
			}
		}
		t.Fatalf("no header in:\n%s", plain(v.View()))
		return ""
	}
	first := header()
	titles := strings.Fields(strings.NewReplacer("↑", " ", "↓", " ").Replace(first))
	for range titles {
		v.Update(keyMsg("s"))
		h := header()
		col := func(line, title string) int { return ansi.StringWidth(line[:strings.Index(line, title)]) }
		for _, title := range titles {
			if col(h, title) != col(first, title) {
				t.Errorf("sorting moved %q:\n%q\n%q", title, first, h)
			}
		}
	}
}

// TestExportPromptShowsTheFullPath: the export prompt starts on the full
// path the file will be written to, which the operator may edit.
func TestExportPromptShowsTheFullPath(t *testing.T) {
	v := newTestHoldings(3, 0, 120, 30)
	v.exportDir = "/home/op/work"
	v.Update(keyMsg("e"))
	if got := v.export.Value(); got != "/home/op/work/holdings-alice.csv" {
		t.Fatalf("export prompt %q, want the full path", got)
	}
	mustContain(t, plain(v.View()), "export to: /home/op/work/holdings-alice.csv")
	v.Update(keyMsg("backspace"))
	if got := v.export.Value(); got != "/home/op/work/holdings-alice.cs" {
		t.Fatalf("the prompt cannot be edited: %q", got)
	}
}
