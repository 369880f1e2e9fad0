package ui

import "github.com/charmbracelet/lipgloss"

// Styles holds every style the screens use, with semantic names. It is built
// once by NewStyles; with noColor (NO_COLOR set) it uses no colours at all,
// only bold, faint and reverse.
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
	badge := func(bg lipgloss.TerminalColor) lipgloss.Style {
		s := lipgloss.NewStyle().Bold(true).Padding(0, 1)
		if noColor {
			return s.Reverse(true)
		}
		return s.Foreground(onDark).Background(bg)
	}
	s := &Styles{NoColor: noColor}
	s.App = lipgloss.NewStyle()
	s.Header = lipgloss.NewStyle().Bold(true)
	s.Title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Subtle = lipgloss.NewStyle().Foreground(subtle)
	if noColor {
		s.Subtle = lipgloss.NewStyle().Faint(true)
	}
	s.Strong = lipgloss.NewStyle().Bold(true)
	s.Label = lipgloss.NewStyle().Foreground(subtle)
	s.Value = lipgloss.NewStyle()
	s.Selected = lipgloss.NewStyle().Bold(true).Foreground(accent)
	if noColor {
		s.Selected = lipgloss.NewStyle().Bold(true).Reverse(true)
	}
	s.Cursor = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.Footer = lipgloss.NewStyle()
	s.StatusInfo = lipgloss.NewStyle().Foreground(accent)
	s.StatusOK = lipgloss.NewStyle().Foreground(ok).Bold(true)
	s.StatusErr = lipgloss.NewStyle().Foreground(bad).Bold(true)
	s.InlineErr = lipgloss.NewStyle().Foreground(bad)
	s.BadgeSandbox = badge(c("#2E7D32", "#5FD787"))
	s.BadgeLeprechaun = badge(c("#00838F", "#5FD7D7"))
	s.BadgeStaging = badge(c("#B26A00", "#FFB347"))
	s.BadgeProduction = badge(c("#B00020", "#FF5F5F"))
	s.BadgeDemo = badge(accent)
	s.StepPending = lipgloss.NewStyle().Foreground(subtle)
	s.StepRunning = lipgloss.NewStyle().Foreground(accent)
	s.StepDone = lipgloss.NewStyle().Foreground(ok)
	s.StepFailed = lipgloss.NewStyle().Foreground(bad).Bold(true)
	s.StepSkipped = lipgloss.NewStyle().Foreground(subtle).Faint(true)
	s.Pane = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(border).Padding(0, 1)
	s.PaneTitle = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.ErrorPanel = lipgloss.NewStyle().Border(lipgloss.ThickBorder()).BorderForeground(bad).Padding(0, 1)
	s.ErrorTitle = lipgloss.NewStyle().Bold(true).Foreground(bad)
	s.Narration = lipgloss.NewStyle().Bold(true).Border(lipgloss.DoubleBorder()).BorderForeground(accent).Padding(0, 2)
	s.Code = lipgloss.NewStyle().Foreground(c("#444444", "#D0D0D0"))
	s.TableHead = lipgloss.NewStyle().Bold(true).Underline(true)
	s.Countdown = lipgloss.NewStyle().Bold(true).Foreground(warn)
	s.Warn = lipgloss.NewStyle().Foreground(warn)
	return s
}
