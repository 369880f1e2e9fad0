package tui

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
)

// runnerConnectedMsg reports Connect.
type runnerConnectedMsg struct {
	r   Runner
	opt ConnectOptions
	err error
}

// runnerClosedMsg reports the close of a replaced runner.
type runnerClosedMsg struct{ err error }

func connectCmd(c Connector, opt ConnectOptions) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := c(ctx, opt)
		return runnerConnectedMsg{r: r, opt: opt, err: err}
	}
}

func closeRunnerCmd(r Runner) tea.Cmd {
	return func() tea.Msg { return runnerClosedMsg{r.Close()} }
}

func (m *Model) reconnect(opt ConnectOptions) tea.Cmd {
	m.resetToHome()
	m.connOpt = opt
	if opt.Profile != "" {
		m.home.profile = opt.Profile
	}
	return m.restartRunner()
}

// restartRunner replaces the runner with a new one on m.connOpt's profile,
// keeping the screens open (after an edit of the profile in use).
func (m *Model) restartRunner() tea.Cmd {
	m.connOpt.Generation++
	m.home.connecting, m.home.connErr = true, nil
	cmds := []tea.Cmd{connectCmd(m.cfg.Connect, m.connOpt)}
	if m.runner != nil {
		cmds = append(cmds, closeRunnerCmd(m.runner))
		m.runner = nil
	}
	return tea.Batch(cmds...)
}

// applyAuto gives the runner the chosen auto-answer; off the sandbox it
// turns the choice off and says why.
func (m *Model) applyAuto() tea.Cmd {
	if m.runner == nil {
		return nil
	}
	if !m.auto.On() {
		if m.runner.Auto().On() {
			// A runner set up answering by itself (flow.Options.Auto).
			m.auto = m.runner.Auto()
		}
		return nil
	}
	if m.runner.Profile().Env != gateway.EnvSandbox {
		m.auto = AutoAnswer{}
		return m.setStatus("auto-answer is off: profile "+m.profile.Name+" is not the sandbox, so the SDK step runs in a browser", statusInfo)
	}
	if err := m.runner.SetAuto(m.auto); err != nil {
		m.auto = AutoAnswer{}
		return m.setStatus("auto-answer is off: "+err.Error(), statusError)
	}
	return nil
}
