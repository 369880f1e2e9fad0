package tui

import (
	"fmt"
	"gatewalk/ui/present"
	"strconv"
	"strings"
)

// View draws the tab bar, the column titles, the visible rows only, the
// totals and the filter or export prompt.
func (v *holdingsView) View() string {
	var b strings.Builder
	b.Grow((v.w + 16) * (v.h + 2))
	st := v.st
	// Tab bar and header.
	who := present.SafeLine(v.label)
	if v.broker != "" {
		who += " · " + present.SafeLine(v.broker)
	}
	if v.version != "" {
		who += " · " + present.SafeLine(v.version)
	}
	b.WriteString(st.tabs(int(v.tab), "Equities ("+strconv.Itoa(len(v.rows[tabEquities]))+")", "Mutual funds ("+strconv.Itoa(len(v.rows[tabFunds]))+")") +
		"  " + st.Subtle.Render(who) + "\n")

	cols := v.cols()
	widths := v.widths(cols)
	var head strings.Builder
	for i, c := range cols {
		// The sort arrow goes on the side away from the column's edge (after
		// a left-aligned title, before a right-aligned one), so sorting never
		// moves a title off its column.
		title := c.title
		if i == v.sortCol[v.tab] {
			arrow := "↑"
			if v.desc[v.tab] {
				arrow = "↓"
			}
			if c.right {
				title = arrow + title
			} else {
				title += arrow
			}
		}
		if c.right {
			head.WriteString(padLeft(title, widths[i]))
		} else {
			head.WriteString(pad(title, widths[i]))
		}
		if i < len(cols)-1 {
			head.WriteByte(' ')
		}
	}
	b.WriteString(st.TableHead.Render(head.String()) + "\n")

	rows := v.rows[v.tab]
	vis := v.visibleRows()
	end := v.offset + vis
	if end > len(v.idx) {
		end = len(v.idx)
	}
	// The cells keep the data as received (the export writes them); each
	// is drawn terminal-safe.
	var line strings.Builder
	for n := v.offset; n < end; n++ {
		r := &rows[v.idx[n]]
		line.Reset()
		for i, c := range cols {
			if c.right {
				line.WriteString(padLeft(present.SafeLine(r.cells[i]), widths[i]))
			} else {
				line.WriteString(pad(present.SafeLine(r.cells[i]), widths[i]))
			}
			if i < len(cols)-1 {
				line.WriteByte(' ')
			}
		}
		if n == v.cursor {
			b.WriteString(st.Selected.Render(line.String()))
		} else {
			b.WriteString(line.String())
		}
		b.WriteByte('\n')
	}
	if len(v.idx) == 0 {
		if len(rows) == 0 {
			if v.tab == tabFunds {
				b.WriteString(st.Subtle.Render("No mutual funds: import holdings with the MF option to see them.") + "\n")
			} else {
				b.WriteString(st.Subtle.Render("No equities in this account.") + "\n")
			}
		} else {
			b.WriteString(st.Subtle.Render("Nothing matches the filter"+v.filterHint()) + "\n")
		}
		end++
	}
	for n := end - v.offset; n < vis; n++ {
		b.WriteByte('\n')
	}
	tot := fmt.Sprintf("%d of %d rows · quantity %s · invested %s", len(v.idx), len(rows),
		strconv.FormatFloat(v.totQty, 'f', -1, 64), money(v.totInv))
	if v.tab == tabFunds {
		tot += " · P&L " + money(v.totPNL)
	}
	if len(v.idx) > 0 {
		tot += fmt.Sprintf(" · row %d", v.cursor+1)
	}
	b.WriteString(st.Strong.Render(pad(tot, v.w)) + "\n")
	switch {
	case v.pending != nil:
		b.WriteString(st.Warn.Render(present.SafeLine(v.pendAbs)+" exists: ") + st.Strong.Render("y") + " overwrite it · " + st.Strong.Render("n") + " choose another name")
	case v.exporting:
		b.WriteString(v.export.View() + st.Subtle.Render(exportNote))
	case v.filtering:
		b.WriteString(v.filter.View())
	case v.filter.Value() != "":
		b.WriteString(pad(v.filter.Prompt+present.SafeLine(v.filter.Value()), max(v.w-len(filterNote)-1, 8)) + st.Subtle.Render(filterNote))
	}
	return b.String()
}

// Notes after the export field and after an applied filter.
const (
	exportNote = "  (.csv or .json)"
	filterNote = "  (/ edits the filter, esc there clears it)"
)

// filterHint says how to get rows back when the filter matches none here.
// (esc clears the filter only while it is being edited: elsewhere esc
// leaves the table.)
func (v *holdingsView) filterHint() string {
	other := tabFunds
	if v.tab == tabFunds {
		other = tabEquities
	}
	if !v.filtering {
		if len(v.rows[other]) > 0 {
			return " on this tab: tab shows the other one; / then esc clears the filter."
		}
		return ": / then esc clears it."
	}
	if len(v.rows[other]) > 0 {
		return " on this tab: tab shows the other one; esc clears the filter."
	}
	return ": esc clears it."
}

// widths sizes the columns to their content (text columns up to their
// cap), and gives what is left of the width to the flexible column.
func (v *holdingsView) widths(cols []column) []int {
	out := make([]int, len(cols))
	nat := v.natural[v.tab]
	fixed, flex := len(cols)-1, -1
	for i, c := range cols {
		if c.width == 0 {
			flex = i
			continue
		}
		out[i] = nat[i]
		if !c.right && out[i] > c.width {
			out[i] = c.width
		}
		fixed += out[i]
	}
	if flex >= 0 {
		out[flex] = max(v.w-fixed, 4)
	}
	return out
}
