package session

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestOpenStoreClosesGroupBits: a config directory open only to its group
// (no bits for others) is still repaired to 0700, with a warning.
func TestOpenStoreClosesGroupBits(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix modes")
	}
	for _, mode := range []os.FileMode{0o750, 0o770, 0o710, 0o740} {
		t.Run(mode.String(), func(t *testing.T) {
			s := openTestStore(t)
			if err := os.Chmod(s.Dir(), mode); err != nil {
				t.Fatal(err)
			}
			_, warnings, err := OpenStore(s.Dir())
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(s.Dir())
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o700 {
				t.Errorf("directory mode %04o after open, want 0700", got)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], s.Dir()) || !strings.Contains(warnings[0], "0700") {
				t.Errorf("want one warning naming the directory and 0700, got %q", warnings)
			}
		})
	}
}
