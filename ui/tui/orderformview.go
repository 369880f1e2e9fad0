package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"gatewalk/gateway"
	"gatewalk/ui/present"
)

// The order form's drawing: the securities rows, each with the line it
// sends, or the smallcase fields.

func (f *orderForm) View() string {
	st := f.st
	var top, bottom []string
	top = append(top, st.Title.Render("New order")+st.Subtle.Render("  for "+present.SafeLine(f.label)+": a TRANSACTION, connected token"), "")
	mode := 0
	if f.smallcase {
		mode = 1
	}
	top = append(top, st.tabs(mode, "Securities", "Smallcase")+st.Subtle.Render("   ctrl+t switches"), "")

	bottom = append(bottom, "")
	switch {
	case f.formErr != "":
		bottom = append(bottom, leadWrap(st.StatusErr.Render("Cannot submit: "), st.InlineErr, f.formErr, f.w)...)
	case f.note != "":
		bottom = append(bottom, leadWrap("", st.Warn, f.note, f.w)...)
	default:
		bottom = append(bottom, leadWrap("", st.Subtle, "enter reviews the order as it will be sent; nothing is created until you confirm it there.", f.w)...)
		if !f.smallcase {
			bottom = append(bottom, leadWrap("", st.Subtle, "An empty qty, or side SDK, leaves it to the user in the SDK's review screen (the same on every row).", f.w)...)
		}
	}

	var body []string
	if f.smallcase {
		body = f.smallcaseLines()
	} else {
		body = f.rowLines(f.h - len(top) - len(bottom))
	}
	lines := append(append(top, body...), bottom...)
	return fitLines(strings.Join(lines, "\n"), f.h)
}

// leadWrap wraps text to w cells after a styled lead on the first line.
func leadWrap(lead string, style lipgloss.Style, text string, w int) []string {
	lw := lipgloss.Width(lead)
	ls := wrap(text, w-lw)
	out := make([]string, len(ls))
	for i, l := range ls {
		if i == 0 {
			out[i] = lead + style.Render(l)
		} else {
			out[i] = strings.Repeat(" ", lw) + style.Render(l)
		}
	}
	return out
}

func (f *orderForm) smallcaseLines() []string {
	st := f.st
	var out []string
	mark := func(i int) string {
		if f.scField == i {
			return st.Cursor.Render("› ")
		}
		return "  "
	}
	t := f.scTypeValue()
	out = append(out, mark(scFieldType)+st.Label.Render(pad("type", 8))+"‹ "+st.Strong.Render(string(t))+" ›")
	switch t {
	case gateway.OrderBuy:
		out = append(out, mark(scFieldID)+st.Label.Render(pad("scid", 8))+f.scID.View())
	case gateway.OrderReconciliation:
		out = append(out, "  "+st.Label.Render(pad("id", 8))+st.Subtle.Render("none: RECONCILIATION takes neither a scid nor an iscid"))
	default:
		out = append(out, mark(scFieldID)+st.Label.Render(pad("iscid", 8))+f.scID.View())
	}
	if f.scFieldUsed(scFieldAmount) {
		out = append(out, mark(scFieldAmount)+st.Label.Render(pad("amount", 8))+f.scAmount.View())
		if e := f.amountError(); e != "" {
			out = append(out, leadWrap("          ", st.InlineErr, "↳ "+e, f.w)...)
		}
	} else {
		out = append(out, "  "+st.Label.Render(pad("amount", 8))+st.Subtle.Render("only BUY and INVESTMORE take an amount"))
	}
	if oc, err := f.config(); err == nil {
		out = append(out, "  "+st.Label.Render(pad("sent as", 8))+st.Strong.Render(strings.Join(present.OrderLines(oc), "; ")))
	}
	out = append(out, "")
	for _, l := range wrap("BUY takes a smallcase id (scid); INVESTMORE, FIX, MANAGE, REBALANCE, SIP and EXIT take the user's investment id (iscid); RECONCILIATION takes neither. BUY and INVESTMORE may set an amount to invest.", f.w) {
		out = append(out, st.Subtle.Render(l))
	}
	return out
}

// rowLines draws the securities rows in at most h lines, scrolled so that
// the focused row and its inline error are always in view.
func (f *orderForm) rowLines(h int) []string {
	st := f.st
	blocks := make([][]string, len(f.rows))
	total := 0
	for i, r := range f.rows {
		mark := "  "
		if i == f.row {
			mark = st.Cursor.Render("› ")
		}
		side := string(r.side)
		if side == "" {
			side = "SDK"
		}
		if i == f.row && f.col == 2 {
			side = st.Selected.Render("‹" + side + "›")
		} else {
			side = " " + side + " "
		}
		b := []string{mark + pad(r.ticker.View(), 16) + " " + pad(r.qty.View(), 9) + " " + side + "  " + st.Strong.Render(r.sentLine())}
		// The row being typed says only what was typed wrong, until enter
		// was refused; the others say what is missing too.
		if e := rowProblem(r, i != f.row || f.tried); e != "" {
			b = append(b, leadWrap("    ", st.InlineErr, "↳ "+e, f.w)...)
		}
		blocks[i] = b
		total += len(b)
	}
	head := "  " + st.TableHead.Render(pad("TICKER", 16)+" "+pad("QTY", 9)+" "+pad("SIDE", 6)) + "  " + st.TableHead.Render("SENT AS")
	if total+1 <= h {
		f.offset = 0
		out := []string{head}
		for _, b := range blocks {
			out = append(out, b...)
		}
		return out
	}
	// Not all rows fit: keep the focused row in a window, with a line
	// above and below saying how many rows are out of view.
	avail := max(h-3, len(blocks[f.row]))
	if f.row < f.offset {
		f.offset = f.row
	}
	used := func(from, to int) int {
		n := 0
		for i := from; i <= to; i++ {
			n += len(blocks[i])
		}
		return n
	}
	for f.offset < f.row && used(f.offset, f.row) > avail {
		f.offset++
	}
	end := f.row + 1
	for end < len(blocks) && used(f.offset, end) <= avail {
		end++
	}
	// Fill the space left above when the window reaches the last row.
	for f.offset > 0 && used(f.offset-1, end-1) <= avail {
		f.offset--
	}
	out := []string{head + st.Subtle.Render("  row "+strconv.Itoa(f.row+1)+" of "+strconv.Itoa(len(f.rows)))}
	if f.offset > 0 {
		out = append(out, st.Subtle.Render("  ↑ "+pluralize(f.offset, "more row", "more rows")))
	} else {
		out = append(out, "")
	}
	for i := f.offset; i < end; i++ {
		out = append(out, blocks[i]...)
	}
	if n := len(blocks) - end; n > 0 {
		out = append(out, st.Subtle.Render("  ↓ "+pluralize(n, "more row", "more rows")))
	}
	return out
}

// pluralize is "1 row" or "n rows".
func pluralize(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
