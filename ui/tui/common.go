package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/mattn/go-runewidth"
)

// screen is a child model of the root: one per page of the interface.
type screen interface {
	Update(tea.Msg) (screen, tea.Cmd)
	View() string
	SetSize(w, h int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// capturing reports whether a text field has the focus, so that
	// single-letter global keys go to the field instead.
	capturing() bool
}

// statusLevel is how a status line message is drawn.
type statusLevel int

const (
	statusInfo statusLevel = iota
	statusOK
	statusError
)

// statusMsg asks the root to show a line in the status bar; it clears
// itself after statusTTL.
type statusMsg struct {
	text  string
	level statusLevel
}

// statusClearedMsg clears the status line if it still shows message id.
type statusClearedMsg struct{ id int }

// clockTickedMsg carries the wall clock once a second, for countdowns.
type clockTickedMsg struct{ now time.Time }

const statusTTL = 5 * time.Second

func emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

func setStatus(text string, level statusLevel) tea.Cmd { return emit(statusMsg{text, level}) }

func tickClockCmd(s scheduler) tea.Cmd {
	return s.tick(time.Second, func(t time.Time) tea.Msg { return clockTickedMsg{t} })
}

func clearStatusCmd(s scheduler, id int) tea.Cmd {
	return s.tick(statusTTL, func(time.Time) tea.Msg { return statusClearedMsg{id} })
}

// pad cuts or pads s (which may hold ANSI styles) to exactly w cells.
func pad(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	if sw == w {
		return s
	}
	return s + strings.Repeat(" ", w-sw)
}

// padLeft right-aligns s in w cells.
func padLeft(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw >= w {
		return pad(s, w)
	}
	return strings.Repeat(" ", w-sw) + s
}

// fitLines cuts a block to at most h lines.
func fitLines(s string, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// wrap breaks text at spaces to lines of at most w cells.
func wrap(text string, w int) []string {
	if w < 8 {
		w = 8
	}
	var out []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			switch {
			case line == "":
				line = word
			case runewidth.StringWidth(line)+1+runewidth.StringWidth(word) <= w:
				line += " " + word
			default:
				out = append(out, line)
				line = word
			}
			for runewidth.StringWidth(line) > w {
				cut := runewidth.Truncate(line, w, "")
				out = append(out, cut)
				line = line[len(cut):]
			}
		}
		out = append(out, line)
	}
	return out
}

// moveCursor moves a list cursor over n rows for the Up, Down, Top and
// Bottom keys; moved is false for any other key.
func moveCursor(km *KeyMap, k tea.KeyMsg, cursor, n int) (next int, moved bool) {
	switch {
	case key.Matches(k, km.Up):
		return max(cursor-1, 0), true
	case key.Matches(k, km.Down):
		return max(min(cursor+1, n-1), 0), true
	case key.Matches(k, km.Top):
		return 0, true
	case key.Matches(k, km.Bottom):
		return max(n-1, 0), true
	}
	return cursor, false
}
