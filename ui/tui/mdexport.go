package tui

import (
	"context"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// journeyRecord is one attempt of a journey (completed, failed or
// stopped) kept for the export, with the profile it ran on.
type journeyRecord struct {
	kind  flow.Kind
	label string
	steps []flow.Step
	ok    bool
	// end says how an attempt that did not complete ended.
	end     string
	attempt int
	profile session.Profile
	api     string
	auto    AutoAnswer
}

// markdownRecords are the records as the session export takes them.
func markdownRecords(recs []journeyRecord) []present.Record {
	out := make([]present.Record, len(recs))
	for i, r := range recs {
		out[i] = present.Record{Kind: r.kind, Label: r.label, Steps: r.steps, OK: r.ok, End: r.end, Attempt: r.attempt,
			Profile: r.profile, API: r.api, Auto: r.auto.Scenario, AutoBroker: r.auto.Broker, AutoAccount: r.auto.Account}
	}
	return out
}

// sessionExportedMsg reports the Markdown export.
type sessionExportedMsg struct {
	path string
	err  error
}

func exportSessionCmd(path, markdown string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// The status line names the file wherever the TUI was started.
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		return sessionExportedMsg{path: path, err: writeFileCtx(ctx, path, []byte(markdown))}
	}
}
