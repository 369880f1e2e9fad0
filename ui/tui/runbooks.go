package tui

import (
	"io/fs"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/session/runbook"
	"gatewalk/ui/present"
)

// runbooksLoadedMsg carries the runbooks found (shipped and the config
// directory's).
type runbooksLoadedMsg struct {
	entries []runbook.Entry
	err     error
}

// runbookChosenMsg asks the root to open the presenter on a runbook.
type runbookChosenMsg struct {
	rb     *runbook.Runbook
	source string
}

func loadRunbooksCmd(shipped fs.FS, dir string) tea.Cmd {
	return func() tea.Msg {
		es, err := runbook.List(shipped, dir)
		return runbooksLoadedMsg{entries: es, err: err}
	}
}

// runbookList lists the runbooks; enter opens the presenter on one.
type runbookList struct {
	st      *Styles
	km      *KeyMap
	w, h    int
	dir     string
	loaded  bool
	err     error
	entries []runbook.Entry
	cursor  int
}

func newRunbookList(st *Styles, km *KeyMap, dir string) *runbookList {
	return &runbookList{st: st, km: km, dir: dir}
}

func (v *runbookList) SetSize(w, h int) { v.w, v.h = w, h }
func (v *runbookList) capturing() bool  { return false }

func (v *runbookList) ShortHelp() []key.Binding {
	return []key.Binding{v.km.Up, v.km.Down, v.km.Present, v.km.Back}
}

func (v *runbookList) FullHelp() [][]key.Binding { return [][]key.Binding{v.ShortHelp()} }

func (v *runbookList) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case runbooksLoadedMsg:
		v.loaded, v.err, v.entries = true, msg.err, msg.entries
		v.cursor = 0
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, v.km.Up):
			if v.cursor > 0 {
				v.cursor--
			}
		case key.Matches(msg, v.km.Down):
			if v.cursor < len(v.entries)-1 {
				v.cursor++
			}
		case key.Matches(msg, v.km.Present):
			if v.cursor >= len(v.entries) {
				return v, nil
			}
			e := v.entries[v.cursor]
			if e.Err != nil {
				return v, setStatus("runbook "+e.Name+" does not parse: "+e.Err.Error(), statusError)
			}
			return v, emit(runbookChosenMsg{rb: e.Runbook, source: e.Source})
		}
	}
	return v, nil
}

func (v *runbookList) View() string {
	st := v.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Runbooks") + st.Subtle.Render("  journeys in order, each checked; enter presents one") + "\n")
	switch {
	case !v.loaded:
		b.WriteString(st.Subtle.Render("reading the runbooks…") + "\n")
	case v.err != nil:
		b.WriteString(st.InlineErr.Render(present.Safe(v.err.Error())) + "\n")
	case len(v.entries) == 0:
		b.WriteString(st.Subtle.Render("none") + "\n")
	}
	nameW := 10
	for _, e := range v.entries {
		nameW = max(nameW, len(present.SafeLine(e.Name))+1)
	}
	nameW = min(nameW, max(v.w/3, 10))
	for i, e := range v.entries {
		desc := ""
		switch {
		case e.Err != nil:
			desc = st.InlineErr.Render("does not parse: " + present.SafeLine(e.Err.Error()))
		default:
			desc = strconv.Itoa(len(e.Runbook.Steps)) + " steps · " + present.SafeLine(e.Runbook.Name)
		}
		src := "built-in"
		if e.Source != runbook.BuiltIn {
			src = "yours"
		}
		line := pad(present.SafeLine(e.Name), nameW) + " " + pad(src, 9) + " " + desc
		line = pad(line, max(v.w-2, 10))
		if i == v.cursor {
			b.WriteString(st.Cursor.Render("› ") + st.Selected.Render(line) + "\n")
		} else {
			b.WriteString("  " + line + "\n")
		}
	}
	b.WriteString("\n" + st.Subtle.Render("yours: "+present.SafeLine(v.dir)+" (W saves this session there)") + "\n")
	return fitLines(b.String(), v.h)
}
