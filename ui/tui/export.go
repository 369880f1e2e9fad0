package tui

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// exportTable is a table copied out of a view for export.
type exportTable struct {
	header  []string
	numeric []bool // per column: the cells are numbers
	rows    [][]string
}

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
		var data []byte
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json":
			data = holdingsJSON(t)
		case ".csv", "":
			var buf bytes.Buffer
			w := csv.NewWriter(&buf)
			_ = w.Write(t.header)
			_ = w.WriteAll(t.rows)
			if err := w.Error(); err != nil {
				return fileExportedMsg{what: "holdings", path: path, err: err}
			}
			data = buf.Bytes()
		default:
			return fileExportedMsg{what: "holdings", path: path,
				err: fmt.Errorf("unknown format %q: end the file name in .csv or .json", filepath.Ext(path))}
		}
		var err error
		if overwrite {
			err = writeFileCtx(ctx, path, data)
		} else {
			err = createFileCtx(ctx, path, data)
			if errors.Is(err, fs.ErrExist) {
				return exportExistsMsg{abs: path, t: t}
			}
		}
		return fileExportedMsg{what: "holdings", path: path, rows: len(t.rows), err: err}
	}
}

// holdingsJSON is the table as a JSON array of objects, one per row, keys
// in column order (lower case, spaces as underscores), numbers as JSON
// numbers, nothing HTML-escaped; no rows is [].
func holdingsJSON(t exportTable) []byte {
	keys := make([][]byte, len(t.header))
	for i, h := range t.header {
		keys[i] = jsonString(strings.ToLower(strings.ReplaceAll(h, " ", "_")))
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for n, r := range t.rows {
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for i := range t.header {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(keys[i])
			b.WriteByte(':')
			cell := ""
			if i < len(r) {
				cell = r[i]
			}
			if i < len(t.numeric) && t.numeric[i] && isJSONNumber(cell) {
				b.WriteString(cell)
			} else {
				b.Write(jsonString(cell))
			}
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return append(b.Bytes(), '\n')
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// isJSONNumber reports whether s is a number as JSON writes one.
func isJSONNumber(s string) bool {
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	return json.Valid([]byte(s))
}

// jsonString encodes s as a JSON string without HTML escaping ("p&l").
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimRight(b.Bytes(), "\n")
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
