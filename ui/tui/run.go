package tui

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aymanbagabas/go-osc52/v2"
	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// UnfinishedError is what Run returns when the operator confirmed quitting
// while a journey's transaction was live: the transaction is left as it
// is, as after an interrupted headless command.
type UnfinishedError struct {
	TransactionID string
	ExpireAt      time.Time
	// Settled says the SDK step had answered: only fetching the result
	// was left.
	Settled bool
}

// Error says what was left behind.
func (e *UnfinishedError) Error() string {
	if e.Settled {
		return fmt.Sprintf("quit: transaction %s had finished; its result was not fetched", e.TransactionID)
	}
	return fmt.Sprintf("quit: transaction %s left unfinished (it expires at %s)", e.TransactionID, e.ExpireAt.Local().Format("15:04:05"))
}

// Run runs the interface full screen on in/out until the operator quits or
// ctx ends, then closes the runner. Quitting while a transaction is live
// returns an *UnfinishedError.
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
	if m.unfinished != nil {
		return m.unfinished
	}
	return cerr
}

// OSC52Clipboard copies through the terminal with the OSC 52 escape
// sequence, written to w (the terminal). The sequence is plain even inside
// tmux: tmux takes it into its paste buffer (and hands it on to the outer
// terminal with set-clipboard on), while the passthrough wrapping is
// dropped by tmux 3.3 and later unless allow-passthrough is on.
func OSC52Clipboard(w io.Writer) Clipboard {
	return ClipboardFunc(func(text string) error {
		_, err := osc52.New(text).WriteTo(w)
		return err
	})
}

// plainHelpStyles are help styles without colour, for NO_COLOR.
func plainHelpStyles() help.Styles {
	return help.Styles{}
}
