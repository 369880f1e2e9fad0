package tui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"gatewalk/gateway"
)

// orderSubmittedMsg carries a validated order for the order journey.
type orderSubmittedMsg struct {
	label string
	oc    gateway.OrderConfig
}

type orderRow struct {
	ticker, qty textinput.Model
	side        gateway.Side
}

// smallcaseTypes are the smallcase order types, in the order ctrl+←/→ cycles them.
var smallcaseTypes = []gateway.OrderType{gateway.OrderBuy, gateway.OrderInvestMore, gateway.OrderFix,
	gateway.OrderManage, gateway.OrderRebalance, gateway.OrderSIP, gateway.OrderExit, gateway.OrderReconciliation}

// Fields of the smallcase mode, in tab order.
const (
	scFieldType = iota
	scFieldID
	scFieldAmount
	scFieldCount
)

// orderForm builds a TRANSACTION's orderConfig: rows of ticker, quantity and
// side, or a smallcase order by scid/iscid with an optional amount. Fields
// are checked as typed.
type orderForm struct {
	st    *Styles
	km    *KeyMap
	w, h  int
	label string

	smallcase bool
	rows      []orderRow
	row, col  int // focus in securities mode; col 0 ticker, 1 qty, 2 side
	offset    int // first row drawn when the rows do not fit

	scType   int
	scID     textinput.Model
	scAmount textinput.Model
	scField  int // scFieldType, scFieldID or scFieldAmount

	formErr string // why enter did not submit
	note    string // what a key could not do (it blocks nothing)
}

func newOrderForm(st *Styles, km *KeyMap, label string) *orderForm {
	f := &orderForm{st: st, km: km, label: label}
	f.scID = st.newInput()
	f.scID.Prompt = ""
	f.scID.CharLimit = 64
	f.scAmount = st.newInput()
	f.scAmount.Prompt = ""
	f.scAmount.Placeholder = "optional, in rupees (e.g. 5000)"
	f.scAmount.CharLimit = 12
	f.addRow("TCS", "1", gateway.Buy)
	f.focus()
	return f
}

func (f *orderForm) addRow(ticker, qty string, side gateway.Side) {
	t := f.st.newInput()
	t.Prompt = ""
	t.Placeholder = "TICKER"
	t.CharLimit = 30
	t.Width = 14
	t.SetValue(ticker)
	q := f.st.newInput()
	q.Prompt = ""
	q.Placeholder = "qty"
	q.CharLimit = 7
	q.Width = 8
	q.SetValue(qty)
	f.rows = append(f.rows, orderRow{ticker: t, qty: q, side: side})
}

// scTypeValue is the smallcase order type chosen.
func (f *orderForm) scTypeValue() gateway.OrderType { return smallcaseTypes[f.scType] }

// scFieldUsed reports whether a smallcase field applies to the chosen type:
// RECONCILIATION takes no id, and only BUY and INVESTMORE take an amount.
func (f *orderForm) scFieldUsed(i int) bool {
	t := f.scTypeValue()
	switch i {
	case scFieldID:
		return t != gateway.OrderReconciliation
	case scFieldAmount:
		return t == gateway.OrderBuy || t == gateway.OrderInvestMore
	}
	return true
}

// moveSmallcase moves the focus by step (+1/-1) to the next field in use.
func (f *orderForm) moveSmallcase(step int) {
	for range scFieldCount {
		f.scField = (f.scField + step + scFieldCount) % scFieldCount
		if f.scFieldUsed(f.scField) {
			return
		}
	}
}

// amountError is the inline error of the amount field, "" when valid.
func (f *orderForm) amountError() string {
	a := strings.TrimSpace(f.scAmount.Value())
	if a == "" {
		return ""
	}
	n, err := strconv.ParseFloat(a, 64)
	switch {
	case err != nil:
		return "amount " + strconv.Quote(a) + " is not a number (rupees, e.g. 5000 or 2500.50)"
	case n <= 0:
		return "amount must be more than 0, or empty to leave it out"
	}
	return ""
}

// setPlaceholder shows an example id of the kind the type takes.
func (f *orderForm) setPlaceholder() {
	switch t := f.scTypeValue(); {
	case t == gateway.OrderBuy:
		f.scID.Placeholder = "smallcase id, e.g. SCMO_0001"
	case t == gateway.OrderReconciliation:
		f.scID.Placeholder = ""
	default:
		f.scID.Placeholder = "investment id, e.g. 62bd5f8b4ec1a3d0e9a8c2f1"
	}
}

// focus moves the text cursor to the focused field only.
func (f *orderForm) focus() tea.Cmd {
	var cmd tea.Cmd
	for i := range f.rows {
		f.rows[i].ticker.Blur()
		f.rows[i].qty.Blur()
	}
	f.scID.Blur()
	f.scAmount.Blur()
	f.setPlaceholder()
	if f.smallcase {
		switch f.scField {
		case scFieldID:
			cmd = f.scID.Focus()
		case scFieldAmount:
			cmd = f.scAmount.Focus()
		}
		return cmd
	}
	r := &f.rows[f.row]
	switch f.col {
	case 0:
		cmd = r.ticker.Focus()
	case 1:
		cmd = r.qty.Focus()
	}
	return cmd
}

func (f *orderForm) SetSize(w, h int) { f.w, f.h = w, h }
func (f *orderForm) capturing() bool  { return true }

func (f *orderForm) ShortHelp() []key.Binding {
	// Most needed first: a narrow footer cuts from the end (ctrl+t is also
	// on the tab bar).
	if f.smallcase {
		return fitShortHelp([]key.Binding{f.km.Submit, f.km.Back, f.km.NextField, f.km.SwitchMode}, f.w)
	}
	return fitShortHelp([]key.Binding{f.km.Submit, f.km.Back, f.km.AddRow, f.km.DelRow, f.km.ToggleSide, f.km.NextField, f.km.SwitchMode}, f.w)
}

// FullHelp is two columns, worded short enough that with the global keys
// they fit in 80 columns.
func (f *orderForm) FullHelp() [][]key.Binding {
	prev := f.km.PrevField
	prev.SetHelp(prev.Help().Key, "prev field")
	if f.smallcase {
		fields := anyOf("↑/↓", "field", f.km.ArrowUp, f.km.ArrowDown)
		return [][]key.Binding{{f.km.NextField, prev, fields}, {f.typeKeys(), f.km.SwitchMode, f.km.Submit, f.km.Back}}
	}
	rows := anyOf("↑/↓", "row", f.km.ArrowUp, f.km.ArrowDown)
	return [][]key.Binding{{f.km.NextField, prev, rows, f.km.Submit, f.km.Back},
		{f.km.AddRow, f.km.DelRow, f.km.ToggleSide, f.sideKeys(), f.km.SwitchMode}}
}

// typeKeys cycle the smallcase order type (its field focused): → and
// space to the next, ← to the previous.
func (f *orderForm) typeKeys() key.Binding {
	return anyOf("←/→/space", "order type", f.km.Left, f.km.Right, f.km.Space)
}

// sideKeys turn a row's side (its SIDE focused) between BUY and SELL.
func (f *orderForm) sideKeys() key.Binding {
	return anyOf("b/s", "side (←/→/space too)", f.km.Space, f.km.Left, f.km.Right, f.km.BuySell)
}

// rowError is the inline error of one securities row, "" when valid.
func rowError(r orderRow) string {
	t := strings.TrimSpace(r.ticker.Value())
	switch {
	case t == "":
		return "ticker is empty (e.g. TCS, INFY, M&M)"
	case !gateway.ValidTicker(t):
		return strconv.Quote(t) + " is not a trading symbol: upper case letters, digits, & - . _"
	}
	q := strings.TrimSpace(r.qty.Value())
	n, err := strconv.Atoi(q)
	switch {
	case q == "":
		return "quantity is empty"
	case err != nil:
		return "quantity " + strconv.Quote(q) + " is not a whole number"
	case n < 1:
		return "quantity must be 1 or more"
	}
	return ""
}

// config builds the orderConfig; the error names what to fix.
func (f *orderForm) config() (gateway.OrderConfig, error) {
	var oc gateway.OrderConfig
	if f.smallcase {
		oc.Type = f.scTypeValue()
		id := strings.TrimSpace(f.scID.Value())
		switch {
		case oc.Type == gateway.OrderBuy:
			oc.Scid = id
		case oc.Type != gateway.OrderReconciliation:
			oc.Iscid = id
		}
		if f.scFieldUsed(scFieldAmount) {
			if e := f.amountError(); e != "" {
				return oc, errors.New(e)
			}
			oc.Amount, _ = strconv.ParseFloat(strings.TrimSpace(f.scAmount.Value()), 64)
		}
	} else {
		oc.Type = gateway.OrderSecurities
		for i, r := range f.rows {
			if e := rowError(r); e != "" {
				return oc, errors.New("row " + strconv.Itoa(i+1) + ": " + e)
			}
			n, _ := strconv.Atoi(strings.TrimSpace(r.qty.Value()))
			oc.Securities = append(oc.Securities, gateway.Security{Ticker: strings.TrimSpace(r.ticker.Value()), Quantity: n, Type: r.side})
		}
	}
	req := gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &oc}
	if err := req.Validate(); err != nil {
		return oc, err
	}
	return oc, nil
}

func (f *orderForm) Update(msg tea.Msg) (screen, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return f, nil
	}
	f.formErr, f.note = "", ""
	switch {
	case key.Matches(km, f.km.Back):
		return f, emit(navigatedBackMsg{})
	case key.Matches(km, f.km.Submit):
		oc, err := f.config()
		if err != nil {
			f.formErr = err.Error()
			return f, nil
		}
		return f, emit(orderSubmittedMsg{label: f.label, oc: oc})
	case key.Matches(km, f.km.SwitchMode):
		f.smallcase = !f.smallcase
		return f, f.focus()
	}
	if f.smallcase {
		return f, f.updateSmallcase(km)
	}
	return f, f.updateSecurities(km)
}

func (f *orderForm) updateSmallcase(km tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(km, f.km.NextField, f.km.ArrowDown):
		f.moveSmallcase(+1)
		return f.focus()
	case key.Matches(km, f.km.PrevField, f.km.ArrowUp):
		f.moveSmallcase(-1)
		return f.focus()
	}
	var cmd tea.Cmd
	switch f.scField {
	case scFieldType:
		switch {
		case key.Matches(km, f.km.Right, f.km.Space):
			f.scType = (f.scType + 1) % len(smallcaseTypes)
		case key.Matches(km, f.km.Left):
			f.scType = (f.scType + len(smallcaseTypes) - 1) % len(smallcaseTypes)
		}
		f.setPlaceholder()
	case scFieldID:
		f.scID, cmd = f.scID.Update(km)
	case scFieldAmount:
		f.scAmount, cmd = f.scAmount.Update(km)
	}
	return cmd
}

func (f *orderForm) updateSecurities(km tea.KeyMsg) tea.Cmd {
	r := &f.rows[f.row]
	switch {
	case key.Matches(km, f.km.AddRow):
		f.addRow("", "1", gateway.Buy)
		f.row, f.col = len(f.rows)-1, 0
		return f.focus()
	case key.Matches(km, f.km.DelRow):
		if len(f.rows) == 1 {
			f.note = "the last row cannot be removed: an order needs at least one security (edit this one instead)"
			return nil
		}
		f.rows = append(f.rows[:f.row], f.rows[f.row+1:]...)
		if f.row >= len(f.rows) {
			f.row = len(f.rows) - 1
		}
		return f.focus()
	case key.Matches(km, f.km.ToggleSide):
		r.toggle()
		return nil
	case key.Matches(km, f.km.NextField):
		f.col++
		if f.col > 2 {
			f.col = 0
			f.row = (f.row + 1) % len(f.rows)
		}
		return f.focus()
	case key.Matches(km, f.km.PrevField):
		f.col--
		if f.col < 0 {
			f.col = 2
			f.row = (f.row + len(f.rows) - 1) % len(f.rows)
		}
		return f.focus()
	case key.Matches(km, f.km.ArrowUp):
		if f.row > 0 {
			f.row--
		}
		return f.focus()
	case key.Matches(km, f.km.ArrowDown):
		if f.row < len(f.rows)-1 {
			f.row++
		}
		return f.focus()
	}
	var cmd tea.Cmd
	switch f.col {
	case 0:
		r.ticker, cmd = r.ticker.Update(km)
		if up := strings.ToUpper(r.ticker.Value()); up != r.ticker.Value() {
			pos := r.ticker.Position()
			r.ticker.SetValue(up)
			r.ticker.SetCursor(pos)
		}
	case 1:
		r.qty, cmd = r.qty.Update(km)
	case 2:
		if key.Matches(km, f.sideKeys()) {
			r.toggle()
		}
	}
	return cmd
}

func (r *orderRow) toggle() {
	if r.side == gateway.Buy {
		r.side = gateway.Sell
	} else {
		r.side = gateway.Buy
	}
}

func (f *orderForm) View() string {
	st := f.st
	var top, bottom []string
	top = append(top, st.Title.Render("New order")+st.Subtle.Render("  for "+f.label+": a TRANSACTION, connected token"), "")
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
		bottom = append(bottom, leadWrap("", st.Subtle, "enter submits: gatewalk mints a connected token for "+f.label+" and creates the transaction.", f.w)...)
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
		if i == f.row && f.col == 2 {
			side = st.Selected.Render("‹" + side + "›")
		} else {
			side = " " + side + " "
		}
		b := []string{mark + pad(r.ticker.View(), 16) + " " + pad(r.qty.View(), 9) + " " + side}
		if e := rowError(r); e != "" && (r.ticker.Value() != "" || i != f.row) {
			b = append(b, leadWrap("    ", st.InlineErr, "↳ "+e, f.w)...)
		}
		blocks[i] = b
		total += len(b)
	}
	head := "  " + st.TableHead.Render(pad("TICKER", 16)+" "+pad("QTY", 9)+" "+pad("SIDE", 6))
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
