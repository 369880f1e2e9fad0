package tui

import (
	"io"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles holds every style the screens use, with semantic names. It is built
// once by NewStyles; with noColor (NO_COLOR set) it uses no colours at all,
// only bold, faint, underline and reverse, which NO_COLOR allows and which
// then carry the meaning colour gives otherwise (the active tab, the text
// cursor, a placeholder).
type Styles struct {
	NoColor bool

	App        lipgloss.Style
	Header     lipgloss.Style
	Title      lipgloss.Style
	Subtle     lipgloss.Style
	Strong     lipgloss.Style
	Label      lipgloss.Style
	Value      lipgloss.Style
	Selected   lipgloss.Style
	Cursor     lipgloss.Style
	Footer     lipgloss.Style
	StatusInfo lipgloss.Style
	StatusOK   lipgloss.Style
	StatusErr  lipgloss.Style
	InlineErr  lipgloss.Style

	// Environment badges.
	BadgeSandbox    lipgloss.Style
	BadgeLeprechaun lipgloss.Style
	BadgeStaging    lipgloss.Style
	BadgeProduction lipgloss.Style
	BadgeDemo       lipgloss.Style

	// Step states.
	StepPending lipgloss.Style
	StepRunning lipgloss.Style
	StepDone    lipgloss.Style
	StepFailed  lipgloss.Style
	StepSkipped lipgloss.Style

	Pane       lipgloss.Style
	PaneTitle  lipgloss.Style
	ErrorPanel lipgloss.Style
	ErrorTitle lipgloss.Style
	Narration  lipgloss.Style
	Code       lipgloss.Style
	TableHead  lipgloss.Style
	Countdown  lipgloss.Style
	Warn       lipgloss.Style

	// Text fields: a placeholder must not look like a typed value, and the
	// text cursor must show without colour.
	Placeholder lipgloss.Style
	TextCursor  lipgloss.Style

	// cursorMode is how the text fields' cursor behaves (the zero value
	// blinks); the root sets it from its scheduler.
	cursorMode cursor.Mode
}

// NewStyles builds the styles; noColor drops every colour.
func NewStyles(noColor bool) *Styles {
	c := func(light, dark string) lipgloss.TerminalColor {
		if noColor {
			return lipgloss.NoColor{}
		}
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	var (
		accent = c("#5A3FC0", "#A88BFF")
		subtle = c("#6B6B6B", "#8A8A8A")
		ok     = c("#1B7F3B", "#5FD787")
		bad    = c("#B00020", "#FF6B6B")
		warn   = c("#9A6700", "#FFD166")
		onDark = c("#FFFFFF", "#000000")
		border = c("#C8C8C8", "#444444")
	)
	// The default renderer drops every attribute, bold and reverse too, once
	// the colour profile is Ascii (what NO_COLOR selects). Without colour the
	// styles use their own renderer on the ANSI profile: all their colours
	// are NoColor, so it emits attributes only.
	newStyle := lipgloss.NewStyle
	if noColor {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.ANSI)
		r.SetHasDarkBackground(true)
		newStyle = r.NewStyle
	}
	badge := func(bg lipgloss.TerminalColor) lipgloss.Style {
		s := newStyle().Bold(true).Padding(0, 1)
		if noColor {
			return s.Reverse(true)
		}
		return s.Foreground(onDark).Background(bg)
	}
	s := &Styles{NoColor: noColor}
	s.App = newStyle()
	s.Header = newStyle().Bold(true)
	s.Title = newStyle().Bold(true).Foreground(accent)
	s.Subtle = newStyle().Foreground(subtle)
	if noColor {
		s.Subtle = newStyle().Faint(true)
	}
	s.Strong = newStyle().Bold(true)
	s.Label = newStyle().Foreground(subtle)
	s.Value = newStyle()
	s.Selected = newStyle().Bold(true).Foreground(accent)
	if noColor {
		s.Selected = newStyle().Bold(true).Reverse(true)
	}
	s.Cursor = newStyle().Foreground(accent).Bold(true)
	s.Footer = newStyle()
	s.StatusInfo = newStyle().Foreground(accent)
	s.StatusOK = newStyle().Foreground(ok).Bold(true)
	s.StatusErr = newStyle().Foreground(bad).Bold(true)
	s.InlineErr = newStyle().Foreground(bad)
	s.BadgeSandbox = badge(c("#2E7D32", "#5FD787"))
	s.BadgeLeprechaun = badge(c("#00838F", "#5FD7D7"))
	s.BadgeStaging = badge(c("#B26A00", "#FFB347"))
	s.BadgeProduction = badge(c("#B00020", "#FF5F5F"))
	s.BadgeDemo = badge(accent)
	s.StepPending = newStyle().Foreground(subtle)
	s.StepRunning = newStyle().Foreground(accent)
	s.StepDone = newStyle().Foreground(ok)
	s.StepFailed = newStyle().Foreground(bad).Bold(true)
	s.StepSkipped = newStyle().Foreground(subtle).Faint(true)
	s.Pane = newStyle().Border(lipgloss.RoundedBorder()).BorderForeground(border).Padding(0, 1)
	s.PaneTitle = newStyle().Bold(true).Foreground(accent)
	s.ErrorPanel = newStyle().Border(lipgloss.ThickBorder()).BorderForeground(bad).Padding(0, 1)
	s.ErrorTitle = newStyle().Bold(true).Foreground(bad)
	s.Narration = newStyle().Bold(true).Border(lipgloss.DoubleBorder()).BorderForeground(accent).Padding(0, 2)
	s.Code = newStyle().Foreground(c("#444444", "#D0D0D0"))
	s.TableHead = newStyle().Bold(true).Underline(true)
	s.Countdown = newStyle().Bold(true).Foreground(warn)
	s.Warn = newStyle().Foreground(warn)
	s.Placeholder = newStyle().Foreground(subtle)
	if noColor {
		s.Placeholder = newStyle().Faint(true).Italic(true)
	}
	s.TextCursor = newStyle().Foreground(accent)
	return s
}

// newInput is a text field drawn with these styles: the placeholder faint
// and the cursor in reverse video, visible with or without colour.
func (s *Styles) newInput() textinput.Model {
	t := textinput.New()
	t.PlaceholderStyle = s.Placeholder
	t.CompletionStyle = s.Placeholder
	t.Cursor.Style = s.TextCursor
	t.Cursor.TextStyle = s.Value
	if s.cursorMode != cursor.CursorBlink {
		// A command comes back only to start blinking.
		_ = t.Cursor.SetMode(s.cursorMode)
	}
	return t
}

// tabs draws a tab bar: the active tab in brackets (and in the selected
// style), so that it stands out in any terminal, colour or not.
func (s *Styles) tabs(active int, names ...string) string {
	var b []byte
	for i, n := range names {
		if i > 0 {
			b = append(b, ' ')
		}
		if i == active {
			b = append(b, s.Selected.Render("["+n+"]")...)
		} else {
			b = append(b, " "+n+" "...)
		}
	}
	return string(b)
}

// fitShortHelp keeps the leading bindings that fit in w cells on one help
// line, with room for the help's " …" when some are left out. (help.Model
// adds an item that overflows when the ellipsis itself does not fit.)
func fitShortHelp(bs []key.Binding, w int) []key.Binding {
	total := 0
	for i, b := range bs {
		iw := lipgloss.Width(b.Help().Key) + 1 + lipgloss.Width(b.Help().Desc)
		if i > 0 {
			iw += 3 // " • "
		}
		if total+iw > w {
			for total+2 > w && i > 0 {
				i--
				total -= lipgloss.Width(bs[i].Help().Key) + 1 + lipgloss.Width(bs[i].Help().Desc)
				if i > 0 {
					total -= 3
				}
			}
			return bs[:i]
		}
		total += iw
	}
	return bs
}
