package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/ui/present"
)

// importSubmittedMsg starts a holdings import with the chosen options.
type importSubmittedMsg struct {
	label string
	opt   gateway.HoldingsOptions
}

// importForm chooses the holdings import options: response version and
// mutual funds.
type importForm struct {
	st     *Styles
	km     *KeyMap
	w, h   int
	label  string
	opt    gateway.HoldingsOptions
	cursor int // 0 version, 1 mutual funds
}

func newImportForm(st *Styles, km *KeyMap, label string) *importForm {
	return &importForm{st: st, km: km, label: label, opt: gateway.HoldingsOptions{V2: true, MFHoldings: true}}
}

func (f *importForm) SetSize(w, h int) { f.w, f.h = w, h }
func (f *importForm) capturing() bool  { return false }
func (f *importForm) ShortHelp() []key.Binding {
	return []key.Binding{f.km.Up, f.km.Down, f.km.Left, f.km.Submit, f.km.Back}
}
func (f *importForm) FullHelp() [][]key.Binding {
	return [][]key.Binding{{f.km.Up, f.km.Down, f.km.NextField, f.km.PrevField}, {f.changeKeys(), f.km.Submit, f.km.Back}}
}

// changeKeys change the focused option.
func (f *importForm) changeKeys() key.Binding {
	return anyOf("←/→/space/x", "change", f.km.Left, f.km.Right, f.km.Space, f.km.Check)
}

func (f *importForm) Update(msg tea.Msg) (screen, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return f, nil
	}
	switch {
	case key.Matches(km, f.km.Back):
		return f, emit(navigatedBackMsg{})
	case key.Matches(km, f.km.Submit):
		return f, emit(importSubmittedMsg{label: f.label, opt: f.opt})
	case key.Matches(km, f.km.Up), key.Matches(km, f.km.PrevField):
		f.cursor = (f.cursor + 1) % 2
	case key.Matches(km, f.km.Down), key.Matches(km, f.km.NextField):
		f.cursor = (f.cursor + 1) % 2
	case key.Matches(km, f.changeKeys()):
		if f.cursor == 0 {
			f.opt.V2 = !f.opt.V2
		} else {
			f.opt.MFHoldings = !f.opt.MFHoldings
		}
	}
	return f, nil
}

func (f *importForm) View() string {
	st := f.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Import holdings") + st.Subtle.Render("  for "+present.SafeLine(f.label)+": HOLDINGS_IMPORT, then the holdings API") + "\n\n")
	mark := func(i int) string {
		if f.cursor == i {
			return st.Cursor.Render("› ")
		}
		return "  "
	}
	v1, v2 := "( ) v1", "( ) v2"
	if f.opt.V2 {
		v2 = "(•) v2"
	} else {
		v1 = "(•) v1"
	}
	mf := "[ ] include mutual funds (mfHoldings=true)"
	if f.opt.MFHoldings {
		mf = "[x] include mutual funds (mfHoldings=true)"
	}
	b.WriteString(mark(0) + st.Label.Render("response  ") + v1 + "   " + v2 + "\n")
	b.WriteString(mark(1) + mf + "\n\n")
	for _, l := range wrap("v2 adds ISIN, NSE/BSE tickers and per-exchange positions; v1 is the older flat list. The user authorises the import on the broker page; gatewalk then fetches the holdings with a connected token and shows them in the holdings table.", f.w) {
		b.WriteString(st.Subtle.Render(l) + "\n")
	}
	b.WriteString("\n")
	b.WriteString(st.Subtle.Render("enter starts the import."))
	return fitLines(b.String(), f.h)
}
