//go:build unix

package bridge

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpenDoesNotWaitForTheBrowser: a launcher (xdg-open) that starts the
// browser and returns must let Open return too, though the browser it
// started keeps running with the launcher's output inherited.
func TestOpenDoesNotWaitForTheBrowser(t *testing.T) {
	dir := t.TempDir()
	exited := filepath.Join(dir, "browser-exited")
	// The "browser" runs on after the launcher returns and leaves a mark
	// when it exits.
	script := "#!/bin/sh\n(sleep 3; echo bye > " + exited + ") &\necho launched\nexit 0\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+"/bin"+string(os.PathListSeparator)+"/usr/bin")
	if err := NewBrowserOpener().Open("http://localhost:1/"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(exited); err == nil {
		t.Fatal("Open returned only after the browser it started had exited")
	}
}
