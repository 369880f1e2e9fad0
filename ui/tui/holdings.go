package tui

import (
	"cmp"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"gatewalk/gateway"
	"gatewalk/ui/present"
)

// holdingsTab selects the equities or the mutual funds table.
type holdingsTab int

const (
	tabEquities holdingsTab = iota
	tabFunds
)

// holdingsRow is one display row, formatted once when the data arrives so
// that drawing a frame only copies the visible rows.
type holdingsRow struct {
	cells    []string  // display cells, one per column
	nums     []float64 // numeric value of each right-aligned column
	search   string    // lower-case text the filter matches
	qty      float64
	avg      float64
	invested float64
	pnl      float64
}

type column struct {
	title string
	width int // the widest a text column grows; 0 = flexible
	right bool
}

// The columns of the two tabs. A text column is as wide as its widest cell
// up to width; a number column as wide as its widest number.
var equityCols = []column{{"TICKER", 20, false}, {"ISIN", 12, false}, {"QTY", 1, true}, {"AVG PRICE", 1, true}, {"INVESTED", 1, true}, {"NAME", 0, false}}
var fundCols = []column{{"FUND", 0, false}, {"ISIN", 12, false}, {"FOLIO", 24, false}, {"UNITS", 1, true}, {"AVG NAV", 1, true}, {"INVESTED", 1, true}, {"P&L", 1, true}}

// holdingsView is the holdings table: sorting, filtering, a mutual funds
// tab, totals and export. Only the visible rows are drawn.
type holdingsView struct {
	st   *Styles
	km   *KeyMap
	w, h int

	label string
	// exportDir is where an export goes unless the prompt is edited: an
	// absolute path, shown in full in the prompt.
	exportDir string
	broker    string
	version   string
	rows      [2][]holdingsRow
	tab       holdingsTab
	sortCol   [2]int
	desc      [2]bool

	idx            []int // rows of the tab that pass the filter, sorted
	cursor, offset int
	totQty, totInv float64
	totPNL         float64

	// natural is each column's widest cell (or title), per tab, measured
	// once when the data arrives.
	natural [2][]int

	filter    textinput.Model
	filtering bool
	export    textinput.Model
	exporting bool
	// pending is an export waiting for the operator to allow overwriting
	// an existing file.
	pending *exportTable
	pendAbs string
}

func newHoldingsView(st *Styles, km *KeyMap, label string, h *gateway.Holdings) *holdingsView {
	v := &holdingsView{st: st, km: km, label: label}
	v.filter = st.newInput()
	v.filter.Prompt = "/"
	v.filter.Placeholder = "type to filter by ticker, ISIN or name"
	v.export = st.newInput()
	v.export.Prompt = "export to: "
	v.export.CharLimit = 512
	if h != nil {
		v.version = h.Version
		v.broker = h.Broker()
		v.rows[tabEquities] = equityRows(h.Equities())
		v.rows[tabFunds] = fundRows(h.MutualFunds())
	}
	v.sortCol = [2]int{0, 0}
	v.natural[tabEquities] = naturalWidths(equityCols, v.rows[tabEquities])
	v.natural[tabFunds] = naturalWidths(fundCols, v.rows[tabFunds])
	v.refresh()
	return v
}

// naturalWidths is the width each column needs: its title plus the sort
// arrow, or its widest cell as drawn (terminal-safe).
func naturalWidths(cols []column, rows []holdingsRow) []int {
	out := make([]int, len(cols))
	for i, c := range cols {
		out[i] = ansi.StringWidth(c.title) + 1
	}
	for _, r := range rows {
		for i, cell := range r.cells {
			if w := ansi.StringWidth(present.SafeLine(cell)); w > out[i] {
				out[i] = w
			}
		}
	}
	return out
}

func money(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func equityRows(eq []gateway.Equity) []holdingsRow {
	out := make([]holdingsRow, len(eq))
	for i, e := range eq {
		out[i] = holdingsRow{
			cells:    []string{e.Ticker, e.ISIN, strconv.Itoa(e.Quantity), money(e.AveragePrice), money(e.Invested()), e.Name},
			nums:     []float64{0, 0, float64(e.Quantity), e.AveragePrice, e.Invested(), 0},
			search:   strings.ToLower(e.Ticker + " " + e.ISIN + " " + e.Name),
			qty:      float64(e.Quantity),
			avg:      e.AveragePrice,
			invested: e.Invested(),
		}
	}
	return out
}

func fundRows(mf []gateway.MFHolding) []holdingsRow {
	out := make([]holdingsRow, len(mf))
	for i, f := range mf {
		inv := f.Quantity * f.AveragePrice
		out[i] = holdingsRow{
			cells:  []string{f.Fund, f.ISIN, f.Folio, strconv.FormatFloat(f.Quantity, 'f', 3, 64), money(f.AveragePrice), money(inv), money(f.PNL)},
			nums:   []float64{0, 0, 0, f.Quantity, f.AveragePrice, inv, f.PNL},
			search: strings.ToLower(f.Fund + " " + f.ISIN + " " + f.Folio),
			qty:    f.Quantity, avg: f.AveragePrice, invested: inv, pnl: f.PNL,
		}
	}
	return out
}

func (v *holdingsView) cols() []column {
	if v.tab == tabFunds {
		return fundCols
	}
	return equityCols
}

// refresh recomputes the filtered, sorted index and the totals. It runs on
// data, sort and filter changes, never per frame.
func (v *holdingsView) refresh() {
	rows := v.rows[v.tab]
	q := strings.ToLower(strings.TrimSpace(v.filter.Value()))
	v.idx = v.idx[:0]
	v.totQty, v.totInv, v.totPNL = 0, 0, 0
	for i := range rows {
		if q != "" && !strings.Contains(rows[i].search, q) {
			continue
		}
		v.idx = append(v.idx, i)
		v.totQty += rows[i].qty
		v.totInv += rows[i].invested
		v.totPNL += rows[i].pnl
	}
	col, desc := v.sortCol[v.tab], v.desc[v.tab]
	cols := v.cols()
	numeric := cols[col].right
	sortHoldings(v.idx, rows, col, numeric, desc)
	v.clamp()
}

// sortKey is one row's sort value beside its index, so that the sort reads
// a contiguous slice instead of chasing each row's cells or nums.
type sortKey[K cmp.Ordered] struct {
	k K
	i int
}

// sortHoldings sorts idx (row indices) by column col of rows, ascending or
// descending, ties broken by the row index ascending. The order is total,
// so an unstable sort gives what a stable one would.
func sortHoldings(idx []int, rows []holdingsRow, col int, numeric, desc bool) {
	if numeric {
		sortByKey(idx, func(i int) float64 { return rows[i].nums[col] }, desc)
	} else {
		sortByKey(idx, func(i int) string { return rows[i].cells[col] }, desc)
	}
}

func sortByKey[K cmp.Ordered](idx []int, key func(int) K, desc bool) {
	keys := make([]sortKey[K], len(idx))
	for j, i := range idx {
		keys[j] = sortKey[K]{key(i), i}
	}
	slices.SortFunc(keys, func(a, b sortKey[K]) int {
		c := cmp.Compare(a.k, b.k)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	for j := range keys {
		idx[j] = keys[j].i
	}
}

func (v *holdingsView) visibleRows() int {
	// header, column titles, totals, filter/status line, tab bar
	n := v.h - 5
	if n < 1 {
		n = 1
	}
	return n
}

func (v *holdingsView) clamp() {
	n := len(v.idx)
	if v.cursor >= n {
		v.cursor = n - 1
	}
	if v.cursor < 0 {
		v.cursor = 0
	}
	vis := v.visibleRows()
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+vis {
		v.offset = v.cursor - vis + 1
	}
	if v.offset > n-vis {
		v.offset = n - vis
	}
	if v.offset < 0 {
		v.offset = 0
	}
}

func (v *holdingsView) SetSize(w, h int) {
	v.w, v.h = w, h
	// The fields pad to their width: the prompt, the field and the note
	// after it fit in w.
	v.filter.Width = w - 4
	v.export.Width = w - len(v.export.Prompt) - len(exportNote) - 2
	v.clamp()
}

func (v *holdingsView) capturing() bool { return v.filtering || v.exporting || v.pending != nil }

func (v *holdingsView) ShortHelp() []key.Binding {
	switch {
	case v.pending != nil:
		return []key.Binding{v.km.Confirm, v.km.Deny}
	case v.filtering:
		return []key.Binding{v.km.Enter, v.km.Tab, v.km.Back}
	case v.exporting:
		return []key.Binding{v.km.Enter, v.km.Back}
	}
	return []key.Binding{v.km.Up, v.km.Down, v.km.Sort, v.km.Filter, v.km.Tab, v.km.Export, v.km.Back}
}

func (v *holdingsView) FullHelp() [][]key.Binding {
	return [][]key.Binding{{v.km.Up, v.km.Down, v.km.PageUp, v.km.PageDown, v.km.Top, v.km.Bottom},
		{v.km.Sort, v.km.Reverse, v.km.Filter, v.km.Tab, v.km.Export, v.km.Back}}
}

// defaultExportPath is the suggested export file name.
func (v *holdingsView) defaultExportPath() string {
	name := "holdings"
	if v.label != "" {
		name += "-" + safeFileName(v.label)
	}
	if v.tab == tabFunds {
		name += "-mf"
	}
	// The full path, so the operator sees (and may edit) where it goes.
	return filepath.Join(v.exportDir, name+".csv")
}

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}

func (v *holdingsView) Update(msg tea.Msg) (screen, tea.Cmd) {
	if m, ok := msg.(exportExistsMsg); ok {
		t := m.t
		v.pending, v.pendAbs = &t, m.abs
		return v, nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return v, nil
	}
	switch {
	case v.pending != nil:
		switch {
		case key.Matches(km, v.km.Confirm):
			t, path := *v.pending, v.pendAbs
			v.pending, v.pendAbs = nil, ""
			return v, exportHoldingsCmd(path, t, true)
		case key.Matches(km, v.km.Deny), key.Matches(km, v.km.Back):
			// Back to the file name, to choose another.
			v.pending, v.pendAbs = nil, ""
			v.exporting = true
			v.export.CursorEnd()
			return v, v.export.Focus()
		}
		return v, nil
	case v.exporting:
		switch {
		case key.Matches(km, v.km.Back):
			v.exporting = false
			v.export.Blur()
			return v, nil
		case key.Matches(km, v.km.Enter):
			path := strings.TrimSpace(v.export.Value())
			if path == "" {
				return v, setStatus("give a file name ending in .csv or .json", statusError)
			}
			v.exporting = false
			v.export.Blur()
			return v, exportHoldingsCmd(path, v.exportRecords(), false)
		}
		var cmd tea.Cmd
		v.export, cmd = v.export.Update(msg)
		return v, cmd
	case v.filtering:
		switch {
		case key.Matches(km, v.km.Back):
			v.filtering = false
			v.filter.Blur()
			v.filter.SetValue("")
			v.refresh()
			return v, nil
		case key.Matches(km, v.km.Enter):
			v.filtering = false
			v.filter.Blur()
			return v, nil
		case key.Matches(km, v.km.Tab):
			// The filter applies to both tabs: tab shows the other one.
			v.tab = 1 - v.tab
			v.cursor, v.offset = 0, 0
			v.refresh()
			return v, nil
		}
		var cmd tea.Cmd
		v.filter, cmd = v.filter.Update(msg)
		v.cursor, v.offset = 0, 0
		v.refresh()
		return v, cmd
	}
	vis := v.visibleRows()
	switch {
	case key.Matches(km, v.km.Up):
		v.cursor--
	case key.Matches(km, v.km.Down):
		v.cursor++
	case key.Matches(km, v.km.PageUp):
		v.cursor -= vis
	case key.Matches(km, v.km.PageDown):
		v.cursor += vis
	case key.Matches(km, v.km.Top):
		v.cursor = 0
	case key.Matches(km, v.km.Bottom):
		v.cursor = len(v.idx) - 1
	case key.Matches(km, v.km.Tab):
		v.tab = 1 - v.tab
		v.cursor, v.offset = 0, 0
		v.refresh()
		return v, nil
	case key.Matches(km, v.km.Sort):
		v.sortCol[v.tab] = (v.sortCol[v.tab] + 1) % len(v.cols())
		v.refresh()
		return v, nil
	case key.Matches(km, v.km.Reverse):
		v.desc[v.tab] = !v.desc[v.tab]
		v.refresh()
		return v, nil
	case key.Matches(km, v.km.Filter):
		v.filtering = true
		v.filter.CursorEnd()
		return v, v.filter.Focus()
	case key.Matches(km, v.km.Export):
		v.exporting = true
		v.export.SetValue(v.defaultExportPath())
		v.export.CursorEnd()
		return v, v.export.Focus()
	case key.Matches(km, v.km.Back):
		return v, emit(navigatedBackMsg{})
	}
	v.clamp()
	return v, nil
}

// exportRecords copies the rows in view (filtered and sorted) for export.
func (v *holdingsView) exportRecords() exportTable {
	cols := v.cols()
	t := exportTable{}
	for _, c := range cols {
		t.Header = append(t.Header, c.title)
		t.Numeric = append(t.Numeric, c.right)
	}
	rows := v.rows[v.tab]
	for _, i := range v.idx {
		t.Rows = append(t.Rows, append([]string(nil), rows[i].cells...))
	}
	return t
}
