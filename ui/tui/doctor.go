package tui

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// Doctor runs the doctor's checks on a profile (see flow.Doctor). It does
// I/O: it is called from a tea.Cmd.
type Doctor func(ctx context.Context, profile string) flow.DoctorReport

type (
	openDoctorMsg     struct{}
	doctorFinishedMsg struct{ rep flow.DoctorReport }
)

func runDoctorCmd(d Doctor, profile string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return doctorFinishedMsg{rep: d(ctx, profile)}
	}
}

// doctorView shows the doctor's checks of the profile in use; r runs them
// again.
type doctorView struct {
	st      *Styles
	km      *KeyMap
	w, h    int
	profile string
	run     Doctor
	rep     *flow.DoctorReport
	// demo: the checks quote the Gateway's answers, redacted.
	demo bool
}

func newDoctorView(st *Styles, km *KeyMap, profile string, run Doctor, demo bool) *doctorView {
	return &doctorView{st: st, km: km, profile: profile, run: run, demo: demo}
}

// start runs the checks.
func (v *doctorView) start() tea.Cmd {
	v.rep = nil
	if v.run == nil {
		return nil
	}
	return runDoctorCmd(v.run, v.profile)
}

func (v *doctorView) SetSize(w, h int) { v.w, v.h = w, h }
func (v *doctorView) capturing() bool  { return false }
func (v *doctorView) ShortHelp() []key.Binding {
	return []key.Binding{v.km.Retry, v.km.Back}
}
func (v *doctorView) FullHelp() [][]key.Binding { return [][]key.Binding{{v.km.Retry, v.km.Back}} }

func (v *doctorView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case doctorFinishedMsg:
		v.rep = &msg.rep
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, v.km.Back):
			return v, emit(navigatedBackMsg{})
		case key.Matches(msg, v.km.Retry) && v.rep != nil:
			return v, v.start()
		}
	}
	return v, nil
}

// checkIndent is the width of a check line's mark and group ("✓ config   ").
const checkIndent = 11

// wrapCheck wraps a line of the report under its text, past the mark and
// the group, so the columns stay.
func (v *doctorView) wrapCheck(l string) []string {
	if ansi.StringWidth(l) <= v.w || v.w <= checkIndent+10 {
		return []string{l}
	}
	r := []rune(l)
	if len(r) <= checkIndent {
		return []string{l}
	}
	pad := strings.Repeat(" ", checkIndent)
	var out []string
	for i, w := range wrap(string(r[checkIndent:]), v.w-checkIndent) {
		if i == 0 {
			out = append(out, string(r[:checkIndent])+w)
		} else {
			out = append(out, pad+w)
		}
	}
	return out
}

func (v *doctorView) View() string {
	st := v.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Doctor") + st.Subtle.Render("  profile "+present.SafeLine(v.profile)+": what a journey needs, checked") + "\n\n")
	switch {
	case v.run == nil:
		b.WriteString(st.Subtle.Render("the checks are not available in this build") + "\n")
	case v.rep == nil:
		b.WriteString(st.Subtle.Render("checking… (one CONNECT transaction is created and left unused)") + "\n")
	default:
		for _, l := range present.DoctorLines(*v.rep) {
			style := st.Subtle
			switch {
			case strings.HasPrefix(l, "✓"):
				style = st.StatusOK
			case strings.HasPrefix(l, "!"):
				style = st.Warn
			case strings.HasPrefix(l, "✗"):
				style = st.InlineErr
			}
			// A check's detail quotes the Gateway or an error: redacted
			// before it is wrapped.
			for _, w := range v.wrapCheck(shownText(v.demo, l)) {
				b.WriteString(style.Render(w) + "\n")
			}
		}
		b.WriteString("\n" + st.Subtle.Render("The page's port shows in use while this TUI's own page runs. r checks again."))
	}
	return fitLines(b.String(), v.h)
}

// sandboxResetMsg says whether the sandbox's state was forgotten.
type sandboxResetMsg struct{ err error }

func resetSandboxCmd(r Runner) tea.Cmd {
	return func() tea.Msg { return sandboxResetMsg{err: r.ResetSandboxState()} }
}
