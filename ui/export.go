package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// exportTable is a table copied out of a view for export.
type exportTable struct {
	header []string
	rows   [][]string
}

// fileExportedMsg reports a file written by an export.
type fileExportedMsg struct {
	what string
	path string
	rows int
	err  error
}

// exportHoldingsCmd writes t as CSV, or as JSON when path ends in .json.
func exportHoldingsCmd(path string, t exportTable) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var buf bytes.Buffer
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json":
			var out []map[string]string
			for _, r := range t.rows {
				m := map[string]string{}
				for i, h := range t.header {
					m[strings.ToLower(strings.ReplaceAll(h, " ", "_"))] = r[i]
				}
				out = append(out, m)
			}
			enc := json.NewEncoder(&buf)
			enc.SetIndent("", "  ")
			if err := enc.Encode(out); err != nil {
				return fileExportedMsg{what: "holdings", path: path, err: err}
			}
		case ".csv", "":
			w := csv.NewWriter(&buf)
			_ = w.Write(t.header)
			_ = w.WriteAll(t.rows)
			if err := w.Error(); err != nil {
				return fileExportedMsg{what: "holdings", path: path, err: err}
			}
		default:
			return fileExportedMsg{what: "holdings", path: path,
				err: fmt.Errorf("unknown format %q: end the file name in .csv or .json", filepath.Ext(path))}
		}
		err := writeFileCtx(ctx, path, buf.Bytes())
		return fileExportedMsg{what: "holdings", path: path, rows: len(t.rows), err: err}
	}
}

// writeFileCtx writes data to path (0600) unless ctx is already done.
func writeFileCtx(ctx context.Context, path string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
