package ui

import (
	"context"
	"io"

	"github.com/aymanbagabas/go-osc52/v2"
	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Run runs the interface full screen on in/out until the operator quits or
// ctx ends, then closes the runner.
func Run(ctx context.Context, cfg Config, in io.Reader, out io.Writer) error {
	if cfg.NoColor {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	m := New(cfg)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithAltScreen(), tea.WithInput(in), tea.WithOutput(out))
	_, err := p.Run()
	cerr := m.Close()
	if err != nil {
		return err
	}
	return cerr
}

// OSC52Clipboard copies through the terminal with the OSC 52 escape
// sequence, written to w (the terminal); inTmux wraps it for tmux.
func OSC52Clipboard(w io.Writer, inTmux bool) Clipboard {
	return ClipboardFunc(func(text string) error {
		seq := osc52.New(text)
		if inTmux {
			seq = seq.Tmux()
		}
		_, err := seq.WriteTo(w)
		return err
	})
}

// plainHelpStyles are help styles without colour, for NO_COLOR.
func plainHelpStyles() help.Styles {
	return help.Styles{}
}
