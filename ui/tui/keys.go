package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key binding of the interface. Screens pick the bindings
// they show in the footer; matching is always done with key.Matches.
type KeyMap struct {
	// Global.
	Quit, ForceQuit, Help, Back, Demo, ExportSession, SaveRunbook, ExportReplay key.Binding
	// Movement.
	Up, Down, PageUp, PageDown, Top, Bottom, Left, Right, Enter, NextField, PrevField key.Binding
	// Home actions.
	Connect, Order, Import, Holdings, Token, History, Profiles, ToggleIDs, RunTxn, Doctor, ResetSandbox, Runbooks key.Binding
	// Guided flow.
	Copy, Retry, Fresh, Confirm, Deny, Auto, NextFlow key.Binding
	// Copy what people paste: the transactionId, the smallcaseAuthId, the
	// page URL and the token.
	CopyTxn, CopyAuthID, CopyURL, CopyToken key.Binding
	// Holdings view.
	Sort, Reverse, Filter, Tab, Export key.Binding
	// Forms and lists.
	AddRow, DelRow, ToggleSide, SwitchMode, Submit, New, Edit, Use, Refetch key.Binding
	// The order form and its review.
	ReviewOrder, PlaceOrder, EditOrder key.Binding
	// Runbooks: open the presenter on one, run its next step.
	Present, RunStep key.Binding
	// Inside forms, where letters are typed into the fields: the arrows
	// alone move, space and x change a choice, b and s a side.
	ArrowUp, ArrowDown, Space, Check, BuySell key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return KeyMap{
		Quit:          b([]string{"q", "ctrl+c"}, "q", "quit"),
		ForceQuit:     b([]string{"ctrl+c"}, "ctrl+c", "quit"),
		Help:          b([]string{"?"}, "?", "more keys"),
		Back:          b([]string{"esc"}, "esc", "back"),
		Demo:          b([]string{"D"}, "D", "demo mode"),
		ExportSession: b([]string{"X"}, "X", "export session (md)"),
		SaveRunbook:   b([]string{"W"}, "W", "save session as runbook"),
		ExportReplay:  b([]string{"E"}, "E", "export curl + Postman"),

		Up:        b([]string{"up", "k"}, "↑/k", "up"),
		Down:      b([]string{"down", "j"}, "↓/j", "down"),
		PageUp:    b([]string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PageDown:  b([]string{"pgdown", "ctrl+f", " "}, "pgdn", "page down"),
		Top:       b([]string{"home", "g"}, "g/home", "top"),
		Bottom:    b([]string{"end", "G"}, "G/end", "bottom"),
		Left:      b([]string{"left"}, "←", "left"),
		Right:     b([]string{"right"}, "→", "right"),
		Enter:     b([]string{"enter"}, "enter", "select"),
		NextField: b([]string{"tab"}, "tab", "next field"),
		PrevField: b([]string{"shift+tab"}, "shift+tab", "previous field"),

		Connect:      b([]string{"c"}, "c", "connect user"),
		Order:        b([]string{"o"}, "o", "order"),
		Import:       b([]string{"i"}, "i", "import holdings"),
		Holdings:     b([]string{"h"}, "h", "view holdings"),
		Token:        b([]string{"t"}, "t", "token inspector"),
		History:      b([]string{"y"}, "y", "history"),
		Profiles:     b([]string{"p"}, "p", "profiles"),
		ToggleIDs:    b([]string{"m"}, "m", "mask/show ids"),
		RunTxn:       b([]string{"s"}, "s", "run a transactionId"),
		Doctor:       b([]string{"d"}, "d", "doctor"),
		ResetSandbox: b([]string{"R"}, "R", "reset the sandbox"),
		Runbooks:     b([]string{"b"}, "b", "runbooks"),

		Copy:       b([]string{"c"}, "c", "copy curl"),
		CopyTxn:    b([]string{"T"}, "T", "copy transactionId"),
		CopyAuthID: b([]string{"I"}, "I", "copy smallcaseAuthId"),
		CopyURL:    b([]string{"U"}, "U", "copy page URL"),
		CopyToken:  b([]string{"K"}, "K", "copy token"),
		Retry:      b([]string{"r"}, "r", "retry"),
		Fresh:      b([]string{"f"}, "f", "fresh transaction"),
		Confirm:    b([]string{"y"}, "y", "yes"),
		Deny:       b([]string{"n"}, "n", "no"),
		Auto:       b([]string{"a"}, "a", "auto-answer"),
		NextFlow:   b([]string{"o", "i"}, "o/i", "order / import"),

		Sort:    b([]string{"s"}, "s", "sort"),
		Reverse: b([]string{"S"}, "S", "reverse"),
		Filter:  b([]string{"/"}, "/", "filter"),
		Tab:     b([]string{"tab"}, "tab", "equities/MF"),
		Export:  b([]string{"e"}, "e", "export"),

		AddRow:     b([]string{"ctrl+n"}, "ctrl+n", "add row"),
		DelRow:     b([]string{"ctrl+x"}, "ctrl+x", "remove row"),
		ToggleSide: b([]string{"ctrl+b"}, "ctrl+b", "BUY/SELL/SDK"),
		SwitchMode: b([]string{"ctrl+t"}, "ctrl+t", "securities/smallcase"),
		Submit:     b([]string{"enter"}, "enter", "submit"),
		New:        b([]string{"a"}, "a", "add"),
		Edit:       b([]string{"e"}, "e", "edit"),
		Use:        b([]string{"enter"}, "enter", "use"),
		Refetch:    b([]string{"r"}, "r", "re-fetch orders"),

		ReviewOrder: b([]string{"enter"}, "enter", "review"),
		PlaceOrder:  b([]string{"enter"}, "enter", "place the order"),
		EditOrder:   b([]string{"esc"}, "esc", "edit the order"),

		Present: b([]string{"enter"}, "enter", "present"),
		RunStep: b([]string{"enter"}, "enter", "run the step"),

		ArrowUp:   b([]string{"up"}, "↑", "up"),
		ArrowDown: b([]string{"down"}, "↓", "down"),
		Space:     b([]string{" "}, "space", "next choice"),
		Check:     b([]string{"x"}, "x", "check"),
		BuySell:   b([]string{"b", "s"}, "b/s", "BUY/SELL/SDK"),
	}
}

// anyOf is one help entry, k desc, for the keys of several bindings; it
// matches what any of them matches.
func anyOf(k, desc string, bs ...key.Binding) key.Binding {
	var keys []string
	for _, b := range bs {
		keys = append(keys, b.Keys()...)
	}
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
}

// helpKeys adapts a binding list to help.KeyMap.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }
