package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/session/runbook"
	"gatewalk/ui/present"
)

// runbookStepAskedMsg asks the root to run step idx of the presenter's
// runbook.
type runbookStepAskedMsg struct{ idx int }

// runbookStepCheckedMsg is the end of a step the presenter ran without a
// journey screen (a holdings fetch, an api call), checked.
type runbookStepCheckedMsg struct {
	idx      int
	outcome  string
	failures []string
	// txnID is the transaction an api step created, for an sdk step after
	// it.
	txnID string
}

// stepResult is where a runbook step is in the presenter.
type stepResult struct {
	ran      bool
	outcome  string
	failures []string
}

// presenterView steps through a runbook: the next step's narration is
// shown first, enter runs it (its journey on the journey screen; esc
// comes back), and its result is checked against the expectation.
type presenterView struct {
	st      *Styles
	km      *KeyMap
	w, h    int
	rb      *runbook.Runbook
	source  string
	next    int
	running int // the step running, -1 when none
	results []stepResult
	// auto says whether the sandbox answers the SDK steps (the home
	// screen's a), for the line that tells the audience.
	auto bool
	// lastTxn is the transaction the last api step created, which an sdk
	// step without a transactionId runs.
	lastTxn string
	// demo: the results quote the SDK and the Gateway, redacted.
	demo bool
}

func newPresenter(st *Styles, km *KeyMap, rb *runbook.Runbook, source string, auto, demo bool) *presenterView {
	return &presenterView{st: st, km: km, rb: rb, source: source, running: -1, results: make([]stepResult, len(rb.Steps)), auto: auto, demo: demo}
}

func (p *presenterView) SetSize(w, h int) { p.w, p.h = w, h }
func (p *presenterView) capturing() bool  { return false }

func (p *presenterView) ShortHelp() []key.Binding {
	if p.next >= len(p.rb.Steps) {
		return []key.Binding{p.km.Back}
	}
	return []key.Binding{p.km.RunStep, p.km.Back}
}

func (p *presenterView) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }

func (p *presenterView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case runbookStepCheckedMsg:
		if msg.txnID != "" && msg.idx == p.running {
			p.lastTxn = msg.txnID
		}
		p.finish(msg.idx, msg.outcome, msg.failures)
	case tea.KeyMsg:
		if key.Matches(msg, p.km.RunStep) && p.running < 0 && p.next < len(p.rb.Steps) {
			p.running = p.next
			return p, emit(runbookStepAskedMsg{idx: p.next})
		}
	}
	return p, nil
}

// finish records step idx's result and moves on to the next step.
func (p *presenterView) finish(idx int, outcome string, failures []string) {
	if idx != p.running || idx < 0 || idx >= len(p.results) {
		return
	}
	p.results[idx] = stepResult{ran: true, outcome: outcome, failures: failures}
	p.running = -1
	p.next = idx + 1
}

// stepRefused ends step idx without running it, saying why.
func (p *presenterView) stepRefused(idx int, why string) {
	p.finish(idx, "not run", []string{why})
}

// passed counts the steps that ran and held.
func (p *presenterView) passed() (ok, ran int) {
	for _, r := range p.results {
		if r.ran {
			ran++
			if len(r.failures) == 0 {
				ok++
			}
		}
	}
	return ok, ran
}

func (p *presenterView) View() string {
	st := p.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Runbook: "+present.SafeLine(p.rb.Name)) + st.Subtle.Render("  "+present.SafeLine(p.source)) + "\n")
	if p.auto {
		b.WriteString(st.Subtle.Render("SDK steps: the sandbox answers each as the step says") + "\n")
	} else {
		b.WriteString(st.Subtle.Render("SDK steps: in the browser (on the sandbox, a at home: the sandbox answers)") + "\n")
	}
	bottom := p.bottomView()
	// The steps get what the header and the next step's narration leave.
	room := max(p.h-2-strings.Count(bottom, "\n")-1, 3)
	b.WriteString(strings.Join(p.stepLines(room), "\n") + "\n\n")
	b.WriteString(bottom)
	return fitLines(b.String(), p.h)
}

// stepLines are the steps with their results, at most room lines: a
// window that keeps the step running or next in sight.
func (p *presenterView) stepLines(room int) []string {
	st := p.st
	var lines []string
	focus := 0
	for i, s := range p.rb.Steps {
		r := p.results[i]
		mark, style := "·", st.StepPending
		switch {
		case i == p.running:
			mark, style = "…", st.StepRunning
		case r.ran && len(r.failures) == 0:
			mark, style = "✓", st.StepDone
		case r.ran:
			mark, style = "✗", st.StepFailed
		case i == p.next:
			mark, style = "›", st.Cursor
		}
		if i == p.next || i == p.running {
			focus = len(lines)
		}
		line := fmt.Sprintf("%s %2d %s", mark, i+1, present.SafeLine(s.Name))
		if r.ran {
			line += "  " + present.SafeLine(r.outcome)
		}
		// The outcome and the failures quote the SDK and the Gateway:
		// redacted before they are cut or wrapped.
		lines = append(lines, style.Render(pad(shownText(p.demo, line), max(p.w-2, 10))))
		for _, f := range r.failures {
			for _, l := range wrap("↳ "+shownText(p.demo, present.Safe(f)), max(p.w-6, 10)) {
				lines = append(lines, "     "+st.InlineErr.Render(l))
			}
		}
	}
	if p.next >= len(p.rb.Steps) && p.running < 0 {
		focus = len(lines) - 1
	}
	if len(lines) <= room {
		return lines
	}
	// One line each for the "more" notes above and below, when there is
	// more there.
	start := min(max(focus-(room-2)/2, 0), len(lines)-(room-1))
	end := start + room - 1
	if start > 0 {
		start++
	}
	end = min(end, len(lines))
	if end < len(lines) {
		end--
	}
	var out []string
	if start > 0 {
		out = append(out, st.Subtle.Render(fmt.Sprintf("  … %d more above", start)))
	}
	out = append(out, lines[start:end]...)
	if end < len(lines) {
		out = append(out, st.Subtle.Render(fmt.Sprintf("  … %d more below", len(lines)-end)))
	}
	return out
}

// bottomView is the step that runs, the next one with its narration, or
// the verdict.
func (p *presenterView) bottomView() string {
	st := p.st
	var b strings.Builder
	switch {
	case p.running >= 0:
		b.WriteString(st.Subtle.Render("step "+strconv.Itoa(p.running+1)+" is running; esc on its screen comes back here") + "\n")
	case p.next < len(p.rb.Steps):
		s := p.rb.Steps[p.next]
		b.WriteString(st.Strong.Render(fmt.Sprintf("Next: step %d of %d, %s", p.next+1, len(p.rb.Steps), present.SafeLine(s.Name))) + "\n")
		text := s.Narration
		if text == "" {
			text = "The " + s.Journey + " step; it must end with " + s.Expect.WantOutcome() + "."
		}
		b.WriteString(st.Narration.Width(max(p.w-4, 20)).Render(present.Safe(text)) + "\n")
		b.WriteString(st.Subtle.Render("enter runs it") + "\n")
	default:
		ok, ran := p.passed()
		verdict := "all passed"
		if ok != ran {
			verdict = strconv.Itoa(ran-ok) + " failed"
		}
		b.WriteString(st.Strong.Render(fmt.Sprintf("Done: %d of %d steps passed (%s)", ok, ran, verdict)) + "\n")
	}
	return b.String()
}
