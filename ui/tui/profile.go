package tui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session"
)

// profilesLoadedMsg carries the profiles and the active one's name.
type profilesLoadedMsg struct {
	profiles []session.Profile
	active   string
	err      error
}

// profileSavedMsg reports SaveProfile.
type profileSavedMsg struct {
	p   session.Profile
	err error
}

// profileUsedMsg reports UseProfile; the root reconnects on success.
type profileUsedMsg struct {
	name string
	err  error
}

func loadProfilesCmd(s Store) tea.Cmd {
	return func() tea.Msg {
		ps, err := s.Profiles()
		if err != nil {
			return profilesLoadedMsg{err: err}
		}
		active, err := s.ActiveName()
		return profilesLoadedMsg{profiles: ps, active: active, err: err}
	}
}

func saveProfileCmd(s Store, p session.Profile) tea.Cmd {
	return func() tea.Msg { return profileSavedMsg{p: p, err: s.SaveProfile(p)} }
}

func useProfileCmd(s Store, name string) tea.Cmd {
	return func() tea.Msg { return profileUsedMsg{name: name, err: s.UseProfile(name)} }
}

// profileField indexes the form's fields.
const (
	pfName = iota
	pfEnv
	pfGateway
	pfSecret
	pfAPISecret
	pfAPIURL
	pfSDKURL
	pfPort
	pfLeprechaun
	pfAMO
	pfCount
)

var profileFieldNames = [pfCount]string{"name", "env", "gateway", "secret", "apiSecret", "apiUrl", "sdkUrl", "callbackPort", "leprechaun", "amo"}

// profileView lists the profiles (switch with enter) and edits one in a
// form whose secrets are masked while typed.
type profileView struct {
	st    *Styles
	km    *KeyMap
	w, h  int
	store Store

	profiles []session.Profile
	active   string
	current  string // the profile the runner uses
	cursor   int
	err      error

	editing  bool
	adding   bool
	orig     session.Profile
	inputs   [pfCount]textinput.Model
	env      int
	lep, amo bool
	field    int
	fieldErr map[string]string
	formErr  string
	// demo: a field's error quotes the value typed (a URL, a config),
	// redacted.
	demo bool
}

func newProfileView(st *Styles, km *KeyMap, store Store, current string, demo bool) *profileView {
	return &profileView{st: st, km: km, store: store, current: current, demo: demo}
}

func (v *profileView) SetSize(w, h int) { v.w, v.h = w, h }
func (v *profileView) capturing() bool  { return v.editing }

func (v *profileView) ShortHelp() []key.Binding {
	if v.editing {
		return []key.Binding{v.km.NextField, v.km.PrevField, v.km.Submit, v.km.Back}
	}
	return []key.Binding{v.km.Up, v.km.Down, v.km.Use, v.km.New, v.km.Edit, v.km.Back}
}
func (v *profileView) FullHelp() [][]key.Binding {
	if v.editing {
		return [][]key.Binding{{v.km.NextField, v.km.PrevField, anyOf("↑/↓", "field", v.km.ArrowUp, v.km.ArrowDown)},
			{anyOf("←/→/space", "environment", v.km.Left, v.km.Right, v.km.Space), v.tickKeys(), v.km.Submit, v.km.Back}}
	}
	return [][]key.Binding{{v.km.Up, v.km.Down, v.km.Top, v.km.Bottom}, {v.km.Use, v.km.New, v.km.Edit, v.km.Back}}
}

// tickKeys tick and untick the focused box (leprechaun, AMO).
func (v *profileView) tickKeys() key.Binding {
	return anyOf("space/x", "tick a box", v.km.Space, v.km.Check, v.km.Left, v.km.Right)
}

func (v *profileView) selected() *session.Profile {
	if v.cursor >= 0 && v.cursor < len(v.profiles) {
		return &v.profiles[v.cursor]
	}
	return nil
}

// openForm fills the form from p; secrets start empty ("keep").
func (v *profileView) openForm(p session.Profile, adding bool) tea.Cmd {
	v.editing, v.adding, v.orig = true, adding, p
	v.fieldErr, v.formErr = map[string]string{}, ""
	for i := range v.inputs {
		t := v.st.newInput()
		t.Prompt = ""
		t.CharLimit = 256
		t.Width = max(v.w-24, 20)
		v.inputs[i] = t
	}
	v.inputs[pfName].SetValue(p.Name)
	v.inputs[pfGateway].SetValue(p.Gateway)
	v.inputs[pfAPIURL].SetValue(p.APIURL)
	v.inputs[pfSDKURL].SetValue(p.SDKURL)
	if p.CallbackPort != 0 {
		v.inputs[pfPort].SetValue(strconv.Itoa(p.CallbackPort))
	}
	for _, i := range []int{pfSecret, pfAPISecret} {
		v.inputs[i].EchoMode = textinput.EchoPassword
		v.inputs[i].EchoCharacter = '•'
		if !adding {
			v.inputs[i].Placeholder = "unchanged (" + gateway.MaskSecret(map[int]string{pfSecret: p.Secret, pfAPISecret: p.APISecret}[i]) + ")"
		}
	}
	v.inputs[pfAPIURL].Placeholder = "preset for the environment"
	v.inputs[pfSDKURL].Placeholder = "preset for the environment"
	v.inputs[pfPort].Placeholder = "e.g. 8080 (whitelisted as http://localhost:8080)"
	v.env = 0
	for i, e := range gateway.EnvironmentNames() {
		if e == string(p.Env) {
			v.env = i
		}
	}
	v.lep, v.amo = p.Leprechaun, p.AMO
	v.field = pfName
	if !adding {
		v.field = pfGateway
	}
	return v.focus()
}

func (v *profileView) focus() tea.Cmd {
	for i := range v.inputs {
		v.inputs[i].Blur()
	}
	if v.field == pfEnv || v.field == pfLeprechaun || v.field == pfAMO {
		return nil
	}
	return v.inputs[v.field].Focus()
}

// formProfile builds the profile from the form; empty secrets keep the
// stored ones.
func (v *profileView) formProfile() (session.Profile, error) {
	p := v.orig
	p.Name = strings.TrimSpace(v.inputs[pfName].Value())
	p.Env = gateway.Environment(gateway.EnvironmentNames()[v.env])
	p.Gateway = strings.TrimSpace(v.inputs[pfGateway].Value())
	if s := v.inputs[pfSecret].Value(); s != "" {
		p.Secret = s
	}
	if s := v.inputs[pfAPISecret].Value(); s != "" {
		p.APISecret = s
	}
	p.APIURL = strings.TrimSpace(v.inputs[pfAPIURL].Value())
	p.SDKURL = strings.TrimSpace(v.inputs[pfSDKURL].Value())
	p.CallbackPort = 0
	if s := strings.TrimSpace(v.inputs[pfPort].Value()); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, &gateway.ValidationError{Field: "callbackPort", Problem: strconv.Quote(s) + " is not a port number (1024-65535)"}
		}
		p.CallbackPort = n
	}
	p.Leprechaun, p.AMO = v.lep, v.amo
	return p, p.Validate()
}

func (v *profileView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case profilesLoadedMsg:
		v.profiles, v.active, v.err = msg.profiles, msg.active, msg.err
		for i, p := range v.profiles {
			if p.Name == v.current {
				v.cursor = i
			}
		}
		return v, nil
	case profileSavedMsg:
		if msg.err != nil {
			v.showErr(msg.err)
			return v, nil
		}
		v.editing = false
		return v, tea.Batch(setStatus("saved profile "+msg.p.Name+" (secrets stored in the profile file only)", statusOK), emit(profilesChangedMsg{}))
	case tea.KeyMsg:
		if v.editing {
			return v, v.updateForm(msg)
		}
		if c, moved := moveCursor(v.km, msg, v.cursor, len(v.profiles)); moved {
			v.cursor = c
			return v, nil
		}
		switch {
		case key.Matches(msg, v.km.Back):
			return v, emit(navigatedBackMsg{})
		case key.Matches(msg, v.km.Use):
			if p := v.selected(); p != nil {
				return v, emit(profileChosenMsg{p.Name})
			}
		case key.Matches(msg, v.km.New):
			return v, v.openForm(session.Profile{Env: gateway.EnvProduction, Leprechaun: true}, true)
		case key.Matches(msg, v.km.Edit):
			if p := v.selected(); p != nil {
				if p.Builtin() {
					return v, setStatus("the built-in sandbox profile cannot be edited: a adds a profile of your own", statusError)
				}
				return v, v.openForm(*p, false)
			}
		}
	}
	return v, nil
}

// profileChosenMsg asks the root to switch to a profile.
type profileChosenMsg struct{ name string }

// profilesChangedMsg asks the root to reload the profiles.
type profilesChangedMsg struct{}

func (v *profileView) showErr(err error) {
	var ve *gateway.ValidationError
	if errors.As(err, &ve) {
		v.fieldErr[ve.Field] = ve.Problem
		for i, n := range profileFieldNames {
			if n == ve.Field {
				v.field = i
				v.focus()
			}
		}
		return
	}
	v.formErr = err.Error()
}

func (v *profileView) updateForm(k tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(k, v.km.Back):
		v.editing = false
		return nil
	case key.Matches(k, v.km.Submit):
		v.fieldErr, v.formErr = map[string]string{}, ""
		p, err := v.formProfile()
		if err != nil {
			v.showErr(err)
			return nil
		}
		return saveProfileCmd(v.store, p)
	case key.Matches(k, v.km.NextField, v.km.ArrowDown):
		v.field = (v.field + 1) % pfCount
		if !v.adding && v.field == pfName {
			v.field++
		}
		return v.focus()
	case key.Matches(k, v.km.PrevField, v.km.ArrowUp):
		v.field = (v.field + pfCount - 1) % pfCount
		if !v.adding && v.field == pfName {
			v.field = pfCount - 1
		}
		return v.focus()
	}
	switch v.field {
	case pfEnv:
		n := len(gateway.EnvironmentNames())
		switch {
		case key.Matches(k, v.km.Right, v.km.Space):
			v.env = (v.env + 1) % n
		case key.Matches(k, v.km.Left):
			v.env = (v.env + n - 1) % n
		}
		return nil
	case pfLeprechaun, pfAMO:
		if key.Matches(k, v.tickKeys()) {
			if v.field == pfLeprechaun {
				v.lep = !v.lep
			} else {
				v.amo = !v.amo
			}
		}
		return nil
	}
	var cmd tea.Cmd
	v.inputs[v.field], cmd = v.inputs[v.field].Update(k)
	delete(v.fieldErr, profileFieldNames[v.field])
	return cmd
}
