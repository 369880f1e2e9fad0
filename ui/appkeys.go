package ui

import (
	"path/filepath"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
)

// handleKey applies the global keys, then hands the key to the screen.
func (m *Model) handleKey(k tea.KeyMsg) tea.Cmd {
	km := &m.km
	if key.Matches(k, km.ForceQuit) {
		return m.quit()
	}
	if !m.active().capturing() {
		switch {
		case key.Matches(k, km.Quit):
			return m.quit()
		case key.Matches(k, km.Help):
			m.help.ShowAll = !m.help.ShowAll
			m.layout()
			return nil
		case key.Matches(k, km.Demo):
			m.setDemo(!m.demo)
			if m.demo {
				return m.setStatus("demo mode: ids and secrets redacted, narration large (D leaves it)", statusInfo)
			}
			return m.setStatus("demo mode off", statusInfo)
		case key.Matches(k, km.Back) && len(m.stack) > 1:
			// Synchronous, so that keys typed right after esc reach the
			// screen below.
			m.back()
			return nil
		case key.Matches(k, km.ExportSession):
			return m.exportSession()
		case key.Matches(k, km.Auto) && m.active() == screen(m.home):
			if m.runner != nil && m.runner.Profile().Env != gateway.EnvSandbox {
				return m.setStatus("auto-answer needs a sandbox profile: the real Gateway only answers in a browser", statusError)
			}
			m.auto = !m.auto
			state := "off: the SDK step runs in the browser"
			if m.auto {
				state = "on: the sandbox answers the SDK step itself after a short pause"
			}
			return tea.Batch(m.reconnect(ConnectOptions{Profile: m.connOpt.Profile, Auto: m.auto}), m.setStatus("auto-answer "+state, statusInfo))
		}
	}
	s, cmd := m.active().Update(k)
	m.stack[len(m.stack)-1] = s
	return cmd
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	if m.flow != nil {
		m.flow.stop()
	}
	return tea.Quit
}

func (m *Model) setDemo(on bool) {
	m.demo = on
	for _, s := range m.stack {
		switch v := s.(type) {
		case *flowView:
			v.demo = on
			v.refreshDetail()
		case *tokenView:
			v.demo = on
		case *historyView:
			v.demo = on
		case *homeView:
			v.demo = on
		}
	}
}

// exportSession writes the journeys of this run to a Markdown file.
func (m *Model) exportSession() tea.Cmd {
	recs := append([]journeyRecord(nil), m.records...)
	if m.flow != nil && !m.flow.finished {
		recs = append(recs, journeyRecord{kind: m.flow.kind, label: m.flow.label, steps: m.flow.steps})
	}
	var secrets []string
	if m.runner != nil {
		k := m.runner.Keys()
		secrets = []string{k.Secret, k.APISecret}
	}
	name := "gatewalk-session-" + m.now.Format("20060102-150405") + ".md"
	path := filepath.Join(m.cfg.ExportDir, name)
	return exportSessionCmd(path, sessionMarkdown(m.profile, recs, m.now, secrets...))
}
