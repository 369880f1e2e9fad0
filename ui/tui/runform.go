package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// Messages of the "Run a transactionId" form.
type (
	openRunFormMsg struct{ label string }
	// runSubmittedMsg runs the SDK step on a transaction created
	// elsewhere, with the user's connected token or a guest token.
	runSubmittedMsg struct {
		spec flow.RunSpec
	}
)

// runForm takes a transactionId created elsewhere (the partner's backend)
// and whose token starts the SDK: the selected user's or a guest's. On a
// production profile enter asks first, and only y runs it: a second enter
// (a double press, a key repeat) must not run a real transaction.
type runForm struct {
	st      *Styles
	km      *KeyMap
	w, h    int
	profile session.Profile
	label   string // the selected user; "" when there is none
	guest   bool
	input   textinput.Model
	err     string
	// confirming: production, enter was pressed once; y runs, n or esc
	// goes back to the form.
	confirming bool
	// submitted is set when the run is asked for: a key typed before the
	// journey's screen opened must not ask for a second run.
	submitted bool
}

func newRunForm(st *Styles, km *KeyMap, p session.Profile, label string) *runForm {
	in := st.newInput()
	in.Placeholder = "TRX_…"
	in.CharLimit = 128
	in.Focus()
	return &runForm{st: st, km: km, profile: p, label: label, guest: label == "", input: in}
}

func (f *runForm) SetSize(w, h int) { f.w, f.h = w, h; f.input.Width = max(w-20, 20) }
func (f *runForm) capturing() bool  { return true }
func (f *runForm) ShortHelp() []key.Binding {
	if f.confirming {
		return f.confirmKeys()
	}
	return []key.Binding{f.km.NextField, f.km.Submit, f.km.Back}
}
func (f *runForm) FullHelp() [][]key.Binding {
	if f.confirming {
		return [][]key.Binding{f.confirmKeys()}
	}
	return [][]key.Binding{{f.km.NextField, f.km.Submit, f.km.Back}}
}

// confirmKeys are the keys of the production question.
func (f *runForm) confirmKeys() []key.Binding {
	y, n := f.km.Confirm, f.km.Deny
	y.SetHelp(y.Help().Key, "run on production")
	n.SetHelp(n.Help().Key, "back to the form")
	return []key.Binding{y, n, f.km.Back}
}

func (f *runForm) Update(msg tea.Msg) (screen, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		var cmd tea.Cmd
		f.input, cmd = f.input.Update(msg)
		return f, cmd
	}
	if f.confirming {
		return f, f.answer(km)
	}
	switch {
	case key.Matches(km, f.km.Back):
		return f, emit(navigatedBackMsg{})
	case key.Matches(km, f.km.NextField), key.Matches(km, f.km.PrevField):
		// The token: the selected user's, or a guest's.
		if f.label != "" {
			f.guest = !f.guest
		}
		return f, nil
	case key.Matches(km, f.km.Submit):
		return f, f.submit()
	}
	var cmd tea.Cmd
	f.input, cmd = f.input.Update(msg)
	f.err = ""
	return f, cmd
}

// answer takes a key while production asks: y runs, n or esc goes back to
// the form; any other key (enter again) changes nothing.
func (f *runForm) answer(k tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(k, f.km.Confirm):
		return f.run()
	case key.Matches(k, f.km.Deny), key.Matches(k, f.km.Back):
		if !f.submitted {
			f.confirming = false
		}
	}
	return nil
}

// submit checks the id and runs it, or on production asks first.
func (f *runForm) submit() tea.Cmd {
	id := strings.TrimSpace(f.input.Value())
	if !flow.TransactionIDPattern.MatchString(id) {
		f.err = "paste the transactionId your backend created (letters, digits, '_' or '-', such as TRX_ and 32 hex characters)"
		return nil
	}
	if f.profile.Env == gateway.EnvProduction {
		f.confirming = true
		return nil
	}
	return f.run()
}

// run asks the root for the run, once.
func (f *runForm) run() tea.Cmd {
	if f.submitted {
		return nil
	}
	f.submitted = true
	spec := flow.RunSpec{TransactionID: strings.TrimSpace(f.input.Value()), Label: f.label, Guest: f.guest}
	if f.guest {
		spec.Label = "" // a guest's CONNECT is shown, not saved under the selected user
	}
	return emit(runSubmittedMsg{spec: spec})
}

// tokenName says whose token starts the SDK, for the production question.
func (f *runForm) tokenName() string {
	if f.guest {
		return "a guest token"
	}
	return present.SafeLine(f.label) + "'s connected token"
}

func (f *runForm) View() string {
	st := f.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Run a transactionId") + st.Subtle.Render("  the SDK step alone, on a transaction your backend created") + "\n\n")
	b.WriteString(st.Label.Render("transactionId  ") + f.input.View() + "\n")
	if f.err != "" {
		for _, l := range wrap("↳ "+f.err, f.w) {
			b.WriteString(st.InlineErr.Render(l) + "\n")
		}
	}
	user, guest := "( ) user", "( ) guest"
	if f.label != "" {
		user = "( ) user " + present.SafeLine(f.label) + " (connected token)"
	}
	if f.guest {
		guest = "(•) guest"
	} else {
		user = "(•)" + user[3:]
	}
	if f.label == "" {
		user = "    (no user selected: a guest token)"
	}
	b.WriteString(st.Label.Render("token          ") + user + "   " + guest + "\n\n")
	for _, l := range wrap("gatewalk mints the token with the profile's secret, checks that the transaction has not run before, opens the page and waits for the SDK's result, then verifies it: a CONNECT's user is saved (tab switches user / guest), a TRANSACTION's batches are shown. A transaction runs once.", f.w) {
		b.WriteString(st.Subtle.Render(l) + "\n")
	}
	b.WriteString("\n")
	if f.confirming {
		msg := "PRODUCTION: profile " + present.SafeLine(f.profile.Name) + " will run " + present.SafeLine(strings.TrimSpace(f.input.Value())) +
			" with " + f.tokenName() + ". If it is an order, real orders are placed with the user's broker.\ny runs it, n or esc goes back to the form."
		b.WriteString(st.ErrorPanel.Width(max(f.w-2, 20)).Render(msg) + "\n")
	} else {
		b.WriteString(st.Subtle.Render("enter opens the page."))
	}
	return fitLines(b.String(), f.h)
}
