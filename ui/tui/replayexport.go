package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/ui/present"
)

// replayExportedMsg reports the curl script and Postman collection export.
type replayExportedMsg struct {
	script, collection string
	err                error
}

// exportReplay writes the session's finished journeys as a curl script
// and a Postman collection, for a backend team to run.
func (m *Model) exportReplay() tea.Cmd {
	recs := markdownRecords(m.records)
	secrets := append([]string(nil), m.secrets...)
	if m.runner != nil {
		k := m.runner.Keys()
		secrets = append(secrets, k.Secret, k.APISecret)
	}
	script := present.CurlScript(recs, m.now, secrets...)
	col, err := present.PostmanCollection(recs, m.now, secrets...)
	if err != nil {
		return m.setStatus("export failed: "+err.Error(), statusError)
	}
	base := filepath.Join(m.cfg.ExportDir, "gatewalk-session-"+m.now.Format("20060102-150405"))
	return exportReplayCmd(base+".sh", base+".postman_collection.json", []byte(script), col)
}

func exportReplayCmd(scriptPath, colPath string, script, col []byte) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if abs, err := filepath.Abs(scriptPath); err == nil {
			scriptPath = abs
		}
		if abs, err := filepath.Abs(colPath); err == nil {
			colPath = abs
		}
		err := writeFileCtx(ctx, scriptPath, script)
		if err == nil {
			// The script is run: executable by its owner only.
			err = os.Chmod(scriptPath, 0o700)
		}
		err = errors.Join(err, writeFileCtx(ctx, colPath, col))
		return replayExportedMsg{script: scriptPath, collection: colPath, err: err}
	}
}

func (m *Model) replayExported(msg replayExportedMsg) tea.Cmd {
	if msg.err != nil {
		return m.setStatus("export failed: "+msg.err.Error(), statusError)
	}
	return m.setStatus("curl script "+msg.script+" and Postman collection "+msg.collection+" written (keys from GATEWALK_SECRET / GATEWALK_API_SECRET, or a Postman environment)", statusOK)
}
