package tui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/ui/present"
)

// orderSubmittedMsg carries a validated order to its review (orderreview.go).
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
// are checked as typed, and each valid row shows the line it sends. No
// field starts with a value: the examples are placeholders, so what is
// typed is never glued to a default, and an empty field is refused rather
// than sent as its example. Enter hands the order to the review
// (orderreview.go); nothing is created from the form itself.
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
	// tried is set once enter was refused: from then on the focused row
	// says too that a field is empty, not only what was typed wrong.
	tried bool
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
	f.addRow(gateway.Buy)
	f.focus()
	return f
}

// addRow adds an empty row: its examples are placeholders, drawn faint
// and gone at the first key, never values.
func (f *orderForm) addRow(side gateway.Side) {
	t := f.st.newInput()
	t.Prompt = ""
	t.Placeholder = "e.g. TCS"
	t.CharLimit = 30
	t.Width = 14
	q := f.st.newInput()
	q.Prompt = ""
	q.Placeholder = "e.g. 1"
	q.CharLimit = 7
	q.Width = 8
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
		return fitShortHelp([]key.Binding{f.km.ReviewOrder, f.km.Back, f.km.NextField, f.km.SwitchMode}, f.w)
	}
	return fitShortHelp([]key.Binding{f.km.ReviewOrder, f.km.Back, f.km.AddRow, f.km.DelRow, f.km.ToggleSide, f.km.NextField, f.km.SwitchMode}, f.w)
}

// FullHelp is two columns, worded short enough that with the global keys
// they fit in 80 columns.
func (f *orderForm) FullHelp() [][]key.Binding {
	prev := f.km.PrevField
	prev.SetHelp(prev.Help().Key, "prev field")
	if f.smallcase {
		fields := anyOf("↑/↓", "field", f.km.ArrowUp, f.km.ArrowDown)
		return [][]key.Binding{{f.km.NextField, prev, fields}, {f.typeKeys(), f.km.SwitchMode, f.km.ReviewOrder, f.km.Back}}
	}
	rows := anyOf("↑/↓", "row", f.km.ArrowUp, f.km.ArrowDown)
	return [][]key.Binding{{f.km.NextField, prev, rows, f.km.ReviewOrder, f.km.Back},
		{f.km.AddRow, f.km.DelRow, f.km.ToggleSide, f.sideKeys(), f.km.SwitchMode}}
}

// typeKeys cycle the smallcase order type (its field focused): → and
// space to the next, ← to the previous.
func (f *orderForm) typeKeys() key.Binding {
	return anyOf("←/→/space", "order type", f.km.Left, f.km.Right, f.km.Space)
}

// sideKeys turn a row's side (its SIDE focused) between BUY, SELL and SDK
// (chosen by the user in the SDK's review screen).
func (f *orderForm) sideKeys() key.Binding {
	return anyOf("b/s", "side (←/→/space too)", f.km.Space, f.km.Left, f.km.Right, f.km.BuySell)
}

// rowError is the inline error of one securities row, "" when valid.
func rowError(r orderRow) string { return rowProblem(r, true) }

// rowProblem is what is wrong with a row; without empty, a field left
// empty is not a problem yet (the row being typed).
func rowProblem(r orderRow, empty bool) string {
	t := strings.TrimSpace(r.ticker.Value())
	switch {
	case t == "" && empty:
		return "ticker is empty (e.g. TCS, INFY, M&M)"
	case t != "" && !gateway.ValidTicker(t):
		return strconv.Quote(t) + " is not a trading symbol: upper case letters, digits, & - . _"
	}
	q := strings.TrimSpace(r.qty.Value())
	n, err := strconv.Atoi(q)
	switch {
	case q == "":
		// Left out: the user chooses it in the SDK's review screen.
	case err != nil:
		return "quantity " + strconv.Quote(q) + " is not a whole number"
	case n < 1:
		return "quantity must be 1 or more"
	}
	return ""
}

// security is the row as it is sent; ok is false while the row is not
// valid.
func (r orderRow) security() (s gateway.Security, ok bool) {
	if rowError(r) != "" {
		return s, false
	}
	n, _ := strconv.Atoi(strings.TrimSpace(r.qty.Value()))
	return gateway.Security{Ticker: strings.TrimSpace(r.ticker.Value()), Quantity: n, Type: r.side}, true
}

// sentLine is how a valid row is sent ("BUY INFY × 3"), "" otherwise.
func (r orderRow) sentLine() string {
	s, ok := r.security()
	if !ok {
		return ""
	}
	return present.OrderLines(gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{s}})[0]
}

// digitsOnly keeps the digits a key types into the quantity; ok is false
// when it types only other characters. Keys that type nothing (backspace,
// the arrows) pass as they are.
func digitsOnly(k tea.KeyMsg) (tea.KeyMsg, bool) {
	if len(k.Runes) == 0 {
		return k, true
	}
	var ds []rune
	for _, r := range k.Runes {
		if r >= '0' && r <= '9' {
			ds = append(ds, r)
		}
	}
	if len(ds) == 0 {
		return k, false
	}
	k.Type, k.Runes = tea.KeyRunes, ds
	return k, true
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
			sec, _ := r.security()
			oc.Securities = append(oc.Securities, sec)
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
	case key.Matches(km, f.km.ReviewOrder):
		oc, err := f.config()
		if err != nil {
			f.formErr, f.tried = err.Error(), true
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
		f.addRow(gateway.Buy)
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
		k, ok := digitsOnly(km)
		if !ok {
			f.note = "the quantity takes digits only: a whole number of shares"
			return nil
		}
		r.qty, cmd = r.qty.Update(k)
	case 2:
		if key.Matches(km, f.sideKeys()) {
			r.toggle()
		}
	}
	return cmd
}

// toggle turns a row's side BUY → SELL → left to the user in the SDK's
// review screen → BUY.
func (r *orderRow) toggle() {
	switch r.side {
	case gateway.Buy:
		r.side = gateway.Sell
	case gateway.Sell:
		r.side = ""
	default:
		r.side = gateway.Buy
	}
}
