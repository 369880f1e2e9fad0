package tui

import (
	"context"
	"errors"
	"fmt"
	"gatewalk/ui/present"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// exportTable is a table copied out of a view for export.
type exportTable = present.Table

// fileExportedMsg reports a file written by an export; path is absolute.
type fileExportedMsg struct {
	what string
	path string
	rows int
	err  error
}

// exportExistsMsg says the export's file exists and was left alone; the
// view asks whether to overwrite it.
type exportExistsMsg struct {
	abs string
	t   exportTable
}

// exportHoldingsCmd writes t as CSV, or as JSON when path ends in .json.
// An existing file is replaced only when overwrite is set; otherwise the
// answer is an exportExistsMsg.
func exportHoldingsCmd(path string, t exportTable, overwrite bool) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		data, err := t.Encode(path)
		if err != nil {
			return fileExportedMsg{what: "holdings", path: path, err: err}
		}
		if overwrite {
			err = writeFileCtx(ctx, path, data)
		} else {
			err = createFileCtx(ctx, path, data)
			if errors.Is(err, fs.ErrExist) {
				return exportExistsMsg{abs: path, t: t}
			}
		}
		return fileExportedMsg{what: "holdings", path: path, rows: len(t.Rows), err: err}
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

// createFileCtx writes data to a new file at path (0600); an existing file
// is left alone and the error wraps fs.ErrExist.
func createFileCtx(ctx context.Context, path string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
