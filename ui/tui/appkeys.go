package tui

import (
	"path/filepath"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/ui/present"
)

// handleKey applies the global keys, then hands the key to the screen.
func (m *Model) handleKey(k tea.KeyMsg) tea.Cmd {
	km := &m.km
	if m.asked != nil {
		return m.answerLeave(k)
	}
	if key.Matches(k, km.ForceQuit) {
		return m.askQuit()
	}
	if !m.active().capturing() {
		switch {
		case key.Matches(k, km.Quit):
			return m.askQuit()
		case key.Matches(k, km.Help):
			m.help.ShowAll = !m.help.ShowAll
			m.layout()
			return nil
		case key.Matches(k, km.Demo):
			m.setDemo(!m.demo)
			if m.demo {
				auto := "auto-answer off: the SDK step waits for the browser"
				if m.auto.On() {
					auto = "auto-answer on: the sandbox answers " + string(m.auto.Scenario)
				}
				return m.setStatus("demo mode: ids and secrets redacted, narration large; "+auto+" (D leaves it)", statusInfo)
			}
			return m.setStatus("demo mode off", statusInfo)
		case key.Matches(k, km.Back) && len(m.stack) > 1:
			// Synchronous, so that keys typed right after esc reach the
			// screen below.
			return m.askBack()
		case key.Matches(k, km.ExportSession):
			return m.exportSession()
		case key.Matches(k, km.SaveRunbook):
			return m.saveSessionRunbook()
		case key.Matches(k, km.ExportReplay):
			return m.exportReplay()
		case key.Matches(k, km.Auto) && m.active() == screen(m.home):
			if m.runner == nil {
				return m.setStatus("the profile is not ready yet", statusError)
			}
			if m.runner.Profile().Env != gateway.EnvSandbox {
				return m.setStatus("auto-answer needs a sandbox profile: the real Gateway only answers in a browser", statusError)
			}
			if m.auto.On() {
				return m.chooseAuto(AutoAnswer{})
			}
			m.push(newAutoChooser(m.st, &m.km, m.testAccounts(), m.home.users, m.auto))
			return nil
		}
	}
	cmd := m.updateAt(len(m.stack)-1, k)
	if m.flow != nil {
		m.records = append(m.records, m.flow.takeEnded()...)
	}
	return cmd
}

// chooseAuto switches the auto-answer on the runner in use: the sandbox,
// and what it knows, stays.
func (m *Model) chooseAuto(a AutoAnswer) tea.Cmd {
	if _, ok := m.active().(*autoChooser); ok {
		m.back()
	}
	if m.runner == nil {
		return m.setStatus("the profile is not ready yet", statusError)
	}
	if err := m.runner.SetAuto(a); err != nil {
		return m.setStatus("auto-answer unchanged: "+err.Error(), statusError)
	}
	m.auto = m.runner.Auto()
	if !m.auto.On() {
		return m.setStatus("auto-answer off: the SDK step runs in the browser", statusInfo)
	}
	as := ""
	if m.auto.Account != "" {
		as = "; guest logins connect " + m.auto.Broker + " " + m.auto.Account
	}
	return m.setStatus("auto-answer on: the sandbox answers "+string(m.auto.Scenario)+" after a short pause"+as+" (a turns it off)", statusInfo)
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	if txn, settled := m.flow.liveTransaction(); txn != nil {
		m.unfinished = &UnfinishedError{TransactionID: txn.TransactionID, ExpireAt: txn.ExpireAt, Settled: settled}
	}
	m.leaveFlow()
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
		case *presenterView:
			v.demo = on
		case *doctorView:
			v.demo = on
		case *profileView:
			v.demo = on
		}
	}
}

// exportSession writes the journeys of this run to a Markdown file.
func (m *Model) exportSession() tea.Cmd {
	recs := append([]journeyRecord(nil), m.records...)
	if f := m.flow; f != nil && !f.recorded {
		recs = append(recs, f.record(false, "still running at the export: “"+f.currentTitle()+"”"))
	}
	secrets := append([]string(nil), m.secrets...)
	api := ""
	if m.runner != nil {
		k := m.runner.Keys()
		secrets = append(secrets, k.Secret, k.APISecret)
		api = m.runner.APIURL()
	}
	name := "gatewalk-session-" + m.now.Format("20060102-150405") + ".md"
	path := filepath.Join(m.cfg.ExportDir, name)
	return exportSessionCmd(path, present.SessionMarkdown(m.profile, api, markdownRecords(recs), m.now, secrets...))
}
