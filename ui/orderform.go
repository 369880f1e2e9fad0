package ui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

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

// orderForm builds a TRANSACTION's orderConfig: rows of ticker, quantity and
// side, or a smallcase order by scid/iscid. Fields are checked as typed.
type orderForm struct {
	st    *Styles
	km    *KeyMap
	w, h  int
	label string

	smallcase bool
	rows      []orderRow
	row, col  int // focus in securities mode; col 0 ticker, 1 qty, 2 side

	scType  int
	scID    textinput.Model
	scField int // 0 type, 1 id

	formErr string
}

func newOrderForm(st *Styles, km *KeyMap, label string) *orderForm {
	f := &orderForm{st: st, km: km, label: label}
	f.scID = textinput.New()
	f.scID.Prompt = ""
	f.scID.Placeholder = "SCMO_0001"
	f.scID.CharLimit = 64
	f.addRow("TCS", "1", gateway.Buy)
	f.focus()
	return f
}

func (f *orderForm) addRow(ticker, qty string, side gateway.Side) {
	t := textinput.New()
	t.Prompt = ""
	t.Placeholder = "TICKER"
	t.CharLimit = 30
	t.Width = 14
	t.SetValue(ticker)
	q := textinput.New()
	q.Prompt = ""
	q.Placeholder = "qty"
	q.CharLimit = 7
	q.Width = 8
	q.SetValue(qty)
	f.rows = append(f.rows, orderRow{ticker: t, qty: q, side: side})
}

// focus moves the text cursor to the focused field only.
func (f *orderForm) focus() tea.Cmd {
	var cmd tea.Cmd
	for i := range f.rows {
		f.rows[i].ticker.Blur()
		f.rows[i].qty.Blur()
	}
	f.scID.Blur()
	if f.smallcase {
		if f.scField == 1 {
			cmd = f.scID.Focus()
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
	if f.smallcase {
		return []key.Binding{f.km.NextField, f.km.SwitchMode, f.km.Submit, f.km.Back}
	}
	return []key.Binding{f.km.NextField, f.km.AddRow, f.km.DelRow, f.km.ToggleSide, f.km.SwitchMode, f.km.Submit, f.km.Back}
}

func (f *orderForm) FullHelp() [][]key.Binding {
	return [][]key.Binding{{f.km.NextField, f.km.PrevField, f.km.Up, f.km.Down},
		{f.km.AddRow, f.km.DelRow, f.km.ToggleSide, f.km.SwitchMode}, {f.km.Submit, f.km.Back}}
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
		oc.Type = smallcaseTypes[f.scType]
		id := strings.TrimSpace(f.scID.Value())
		switch {
		case oc.Type == gateway.OrderBuy:
			oc.Scid = id
		case oc.Type != gateway.OrderReconciliation:
			oc.Iscid = id
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
	f.formErr = ""
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
	case key.Matches(km, f.km.NextField), key.Matches(km, f.km.Down):
		f.scField = (f.scField + 1) % 2
		return f.focus()
	case key.Matches(km, f.km.PrevField), key.Matches(km, f.km.Up):
		f.scField = (f.scField + 1) % 2
		return f.focus()
	}
	if f.scField == 0 {
		switch {
		case key.Matches(km, f.km.Right), km.String() == " ":
			f.scType = (f.scType + 1) % len(smallcaseTypes)
		case key.Matches(km, f.km.Left):
			f.scType = (f.scType + len(smallcaseTypes) - 1) % len(smallcaseTypes)
		}
		return nil
	}
	var cmd tea.Cmd
	f.scID, cmd = f.scID.Update(km)
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
			f.formErr = "an order needs at least one row"
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
	case km.Type == tea.KeyUp:
		if f.row > 0 {
			f.row--
		}
		return f.focus()
	case km.Type == tea.KeyDown:
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
		if km.String() == " " || km.Type == tea.KeyLeft || km.Type == tea.KeyRight || km.String() == "b" || km.String() == "s" {
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
	var b strings.Builder
	b.WriteString(st.Title.Render("New order") + st.Subtle.Render("  for "+f.label+": a TRANSACTION, connected token") + "\n\n")
	secT, scT := " Securities ", " Smallcase "
	if f.smallcase {
		scT = st.Selected.Render(scT)
	} else {
		secT = st.Selected.Render(secT)
	}
	b.WriteString(secT + st.Subtle.Render("│") + scT + st.Subtle.Render("   ctrl+t switches") + "\n\n")
	if f.smallcase {
		mark := func(i int) string {
			if f.scField == i {
				return st.Cursor.Render("› ")
			}
			return "  "
		}
		t := smallcaseTypes[f.scType]
		b.WriteString(mark(0) + st.Label.Render("type  ") + "‹ " + st.Strong.Render(string(t)) + " ›\n")
		idName := "iscid "
		switch t {
		case gateway.OrderBuy:
			idName = "scid  "
		case gateway.OrderReconciliation:
			idName = "(none)"
		}
		b.WriteString(mark(1) + st.Label.Render(idName) + f.scID.View() + "\n")
		b.WriteString("\n")
		for _, l := range wrap("BUY takes a smallcase id (scid); INVESTMORE, FIX, MANAGE, REBALANCE, SIP and EXIT take the user's investment id (iscid); RECONCILIATION takes neither.", f.w) {
			b.WriteString(st.Subtle.Render(l) + "\n")
		}
	} else {
		b.WriteString("  " + st.TableHead.Render(pad("TICKER", 16)+" "+pad("QTY", 9)+" "+pad("SIDE", 6)) + "\n")
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
			b.WriteString(mark + pad(r.ticker.View(), 16) + " " + pad(r.qty.View(), 9) + " " + side + "\n")
			if e := rowError(r); e != "" && (r.ticker.Value() != "" || i != f.row) {
				b.WriteString("    " + st.InlineErr.Render("↳ "+e) + "\n")
			}
		}
	}
	if f.formErr != "" {
		b.WriteString("\n" + st.StatusErr.Render("Cannot submit: ") + st.InlineErr.Render(f.formErr) + "\n")
	} else {
		b.WriteString("\n")
		for _, l := range wrap("enter submits: gatewalk mints a connected token for "+f.label+" and creates the transaction.", f.w) {
			b.WriteString(st.Subtle.Render(l) + "\n")
		}
	}
	return fitLines(b.String(), f.h)
}
