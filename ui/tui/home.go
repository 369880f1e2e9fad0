package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"gatewalk/session"
	"gatewalk/ui/present"
)

// Navigation messages the screens send to the root.
type (
	navigatedBackMsg   struct{}
	guestLoginAskedMsg struct{ label string }
	openOrderFormMsg   struct{ label string }
	openImportFormMsg  struct{ label string }
	holdingsAskedMsg   struct{ label string }
	openTokenMsg       struct{}
	openHistoryMsg     struct{}
	openProfilesMsg    struct{}
	userSelectedMsg    struct{ label string }
	reconnectAskedMsg  struct{}
	// sandboxResetAskedMsg: R twice on home.
	sandboxResetAskedMsg struct{}
)

// homeView lists the profile's local users and the actions.
type homeView struct {
	st   *Styles
	km   *KeyMap
	w, h int
	now  time.Time

	users   []session.User
	cursor  int
	showIDs bool
	// resetArmed: R was pressed once; a second R resets the sandbox.
	resetArmed bool
	demo       bool
	usersErr   error

	connecting bool
	connErr    error
	profile    string

	prompt    textinput.Model
	prompting bool
	promptErr string
}

func newHomeView(st *Styles, km *KeyMap) *homeView {
	v := &homeView{st: st, km: km, connecting: true}
	v.prompt = st.newInput()
	v.prompt.Prompt = "label › "
	v.prompt.CharLimit = 64
	return v
}

func (v *homeView) SetSize(w, h int) { v.w, v.h = w, h; v.prompt.Width = w - 12 }
func (v *homeView) capturing() bool  { return v.prompting }

func (v *homeView) selected() string {
	if v.cursor >= 0 && v.cursor < len(v.users) {
		return v.users[v.cursor].Label
	}
	return ""
}

// setUsers replaces the users, keeping the selection on the same label.
func (v *homeView) setUsers(us []session.User, keep string) {
	v.users = us
	v.cursor = 0
	for i, u := range us {
		if u.Label == keep {
			v.cursor = i
		}
	}
}

func (v *homeView) ShortHelp() []key.Binding {
	if v.prompting {
		return []key.Binding{v.km.Enter, v.km.Back}
	}
	if v.connErr != nil {
		return []key.Binding{v.km.Retry, v.km.Profiles, v.km.Quit}
	}
	// The actions list on the screen shows c o i h t y p m; the footer
	// gives the keys it does not, so that every key is in sight at 80x24.
	return []key.Binding{v.km.Auto, v.km.Demo, v.km.ExportSession, v.km.Quit}
}

// FullHelp is two columns, so that with the global keys the full help fits
// in 80 columns.
func (v *homeView) FullHelp() [][]key.Binding {
	return [][]key.Binding{{v.km.Up, v.km.Down, v.km.Connect, v.km.Order, v.km.Import, v.km.Holdings},
		{v.km.RunTxn, v.km.Token, v.km.History, v.km.Profiles, v.km.ToggleIDs, v.km.Runbooks, v.km.Doctor, v.km.Auto, v.km.ResetSandbox}}
}

// suggestLabel proposes the next free userN label.
func (v *homeView) suggestLabel() string {
	for n := len(v.users) + 1; ; n++ {
		l := "user" + strconv.Itoa(n)
		free := true
		for _, u := range v.users {
			if u.Label == l {
				free = false
			}
		}
		if free {
			return l
		}
	}
}

func (v *homeView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case clockTickedMsg:
		v.now = msg.now
	case tea.KeyMsg:
		return v, v.handleKey(msg)
	}
	return v, nil
}

func (v *homeView) handleKey(k tea.KeyMsg) tea.Cmd {
	km := v.km
	if v.prompting {
		switch {
		case key.Matches(k, km.Back):
			v.prompting, v.promptErr = false, ""
			v.prompt.Blur()
			return nil
		case key.Matches(k, km.Enter):
			label := strings.TrimSpace(v.prompt.Value())
			if label == "" {
				label = v.prompt.Placeholder
			}
			if err := session.ValidateLabel(label); err != nil {
				v.promptErr = err.Error()
				return nil
			}
			v.prompting, v.promptErr = false, ""
			v.prompt.Blur()
			return emit(guestLoginAskedMsg{label})
		}
		var cmd tea.Cmd
		v.prompt, cmd = v.prompt.Update(k)
		v.promptErr = ""
		return cmd
	}
	if v.connErr != nil && key.Matches(k, km.Retry) {
		return emit(reconnectAskedMsg{})
	}
	needUser := func(mk func(string) tea.Msg) tea.Cmd {
		if v.connecting || v.connErr != nil {
			return setStatus("the profile is not ready yet", statusError)
		}
		l := v.selected()
		if l == "" {
			return setStatus("no local user yet: press c to connect one with a guest login", statusError)
		}
		return emit(mk(l))
	}
	armed := v.resetArmed
	v.resetArmed = false
	if cmd, ok := v.toolKey(k, armed); ok {
		return cmd
	}
	switch {
	case key.Matches(k, km.Up):
		if v.cursor > 0 {
			v.cursor--
		}
		return emit(userSelectedMsg{v.selected()})
	case key.Matches(k, km.Down):
		if v.cursor < len(v.users)-1 {
			v.cursor++
		}
		return emit(userSelectedMsg{v.selected()})
	case key.Matches(k, km.ToggleIDs):
		v.showIDs = !v.showIDs
	case key.Matches(k, km.Connect):
		if v.connecting || v.connErr != nil {
			return setStatus("the profile is not ready yet", statusError)
		}
		v.prompting = true
		// The suggestion is a placeholder: typing replaces it, enter takes it.
		v.prompt.SetValue("")
		v.prompt.Placeholder = v.suggestLabel()
		return v.prompt.Focus()
	case key.Matches(k, km.Order):
		return needUser(func(l string) tea.Msg { return openOrderFormMsg{l} })
	case key.Matches(k, km.Import):
		return needUser(func(l string) tea.Msg { return openImportFormMsg{l} })
	case key.Matches(k, km.Holdings):
		return needUser(func(l string) tea.Msg { return holdingsAskedMsg{l} })
	case key.Matches(k, km.Token):
		return emit(openTokenMsg{})
	case key.Matches(k, km.History):
		return emit(openHistoryMsg{})
	case key.Matches(k, km.Profiles):
		return emit(openProfilesMsg{})
	case key.Matches(k, km.Runbooks):
		return emit(openRunbooksMsg{})
	}
	return nil
}

// toolKey handles the keys of the integrator's tools: run a transactionId,
// the doctor, and resetting the sandbox (R twice: armed is the first).
func (v *homeView) toolKey(k tea.KeyMsg, armed bool) (tea.Cmd, bool) {
	km := v.km
	notReady := v.connecting || v.connErr != nil
	switch {
	case key.Matches(k, km.RunTxn) && notReady, key.Matches(k, km.ResetSandbox) && notReady:
		return setStatus("the profile is not ready yet", statusError), true
	case key.Matches(k, km.RunTxn):
		return emit(openRunFormMsg{v.selected()}), true
	case key.Matches(k, km.ResetSandbox) && !armed:
		v.resetArmed = true
		return setStatus("R again forgets the sandbox's transactions, orders and holdings (users and history stay); any other key keeps them", statusInfo), true
	case key.Matches(k, km.ResetSandbox):
		return emit(sandboxResetAskedMsg{}), true
	case key.Matches(k, km.Doctor):
		return emit(openDoctorMsg{}), true
	}
	return nil, false
}

func relTime(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	if now.IsZero() {
		return t.Local().Format("2006-01-02 15:04")
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h ago"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d ago"
}

// label is a user's label as the screen shows it: in demo mode redacted
// (a label may be the user's smallcaseAuthId) before a column cuts it.
func (v *homeView) label(l string) string { return shownText(v.demo, present.SafeLine(l)) }

func (v *homeView) View() string {
	st := v.st
	var b strings.Builder
	switch {
	case v.connErr != nil:
		msg := []string{st.ErrorTitle.Render("Profile " + present.SafeLine(v.profile) + " could not start")}
		// The error may quote a profile's value or the Gateway's answer:
		// redacted before it is wrapped.
		msg = append(msg, wrap(shownText(v.demo, present.Safe(v.connErr.Error())), v.w-6)...)
		msg = append(msg, "", st.Strong.Render("What to do: ")+"fix the profile (p), set GATEWALK_SECRET / GATEWALK_API_SECRET, or free the port; then r retries.")
		b.WriteString(st.ErrorPanel.Width(v.w-2).Render(strings.Join(msg, "\n")) + "\n")
	case v.connecting:
		b.WriteString(st.Subtle.Render("Starting profile "+present.SafeLine(v.profile)+"…") + "\n")
	}
	b.WriteString(st.Title.Render("Local users") + st.Subtle.Render("  smallcaseAuthIds this profile has connected") + "\n")
	idW := 16
	if v.showIDs {
		idW = 26
	}
	// LABEL is as wide as the longest label (labels are short), not the
	// whole width left over.
	nameW := len("LABEL") + 1
	for _, u := range v.users {
		nameW = max(nameW, ansi.StringWidth(v.label(u.Label))+1)
	}
	nameW = max(min(nameW, v.w-idW-20-12-6), 10)
	b.WriteString("  " + st.TableHead.Render(pad("LABEL", nameW)+" "+pad("SMALLCASEAUTHID", idW)+" "+pad("BROKER", 20)+" "+pad("LAST USED", 12)) + "\n")
	if v.usersErr != nil {
		b.WriteString("  " + st.InlineErr.Render(present.Safe(v.usersErr.Error())) + "\n")
	}
	if len(v.users) == 0 && v.usersErr == nil {
		b.WriteString("  " + st.Subtle.Render("none yet: press c to connect a user with a guest login") + "\n")
	}
	maxRows := max(v.h-14, 3)
	start := 0
	if v.cursor >= maxRows {
		start = v.cursor - maxRows + 1
	}
	for i := start; i < len(v.users) && i < start+maxRows; i++ {
		u := v.users[i]
		id := present.MaskAuthID(present.SafeLine(u.SmallcaseAuthID))
		if v.showIDs {
			id = present.RedactID(present.SafeLine(u.SmallcaseAuthID), v.demo)
		}
		line := pad(v.label(u.Label), nameW) + " " + pad(id, idW) + " " + pad(present.SafeLine(u.Broker), 20) + " " + pad(relTime(u.LastUsedAt, v.now), 12)
		if i == v.cursor {
			b.WriteString(st.Cursor.Render("› ") + st.Selected.Render(line) + "\n")
		} else {
			b.WriteString("  " + line + "\n")
		}
	}
	if v.prompting {
		b.WriteString("\n" + st.Strong.Render("Connect a new user") + st.Subtle.Render(": a label you choose; the Gateway gives the smallcaseAuthId") + "\n")
		b.WriteString(v.prompt.View() + "\n")
		if v.promptErr != "" {
			for _, l := range wrap("↳ "+present.Safe(v.promptErr), v.w) {
				b.WriteString(st.InlineErr.Render(l) + "\n")
			}
		}
		return b.String()
	}
	sel := v.selected()
	forUser := ""
	if sel != "" {
		forUser = " for " + v.label(sel)
	}
	b.WriteString("\n" + st.Title.Render("Actions") + "\n")
	acts := [][2]string{
		{"c", "connect a new user (guest login)"},
		{"o", "place an order" + forUser},
		{"i", "import holdings" + forUser},
		{"h", "view holdings" + forUser},
		{"s", "run a transactionId (sdk)"},
		{"t", "inspect a token"},
		{"y", "transaction history"},
		{"p", "switch or edit profiles"},
		{"m", "show/mask smallcaseAuthIds"},
		{"d", "doctor: check keys, network, clock"},
		{"b", "runbooks: guided demos, checks"},
	}
	colW := v.w / 2
	if colW < 38 {
		colW = v.w
	}
	perLine := max(v.w/colW, 1)
	for i := 0; i < len(acts); i += perLine {
		var line string
		for j := i; j < i+perLine && j < len(acts); j++ {
			line += pad("  "+st.Cursor.Render(acts[j][0])+" "+acts[j][1], colW)
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	return fitLines(b.String(), v.h)
}
