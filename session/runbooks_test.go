package session

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSaveRunbook(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gw")
	st, _, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	path, err := st.SaveRunbook("session-1", []byte(`{"name":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, RunbooksDir, "session-1.json") {
		t.Fatalf("path %s", path)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v %v", fi.Mode(), err)
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v %v", di.Mode(), err)
	}
	// Never overwritten.
	if _, err := st.SaveRunbook("session-1", []byte(`{}`)); err == nil {
		t.Fatal("an existing runbook was overwritten")
	}
	if b, _ := os.ReadFile(path); string(b) != `{"name":"x"}` {
		t.Fatalf("the file changed: %s", b)
	}
	for _, bad := range []string{"", "../escape", "a/b", ".hidden"} {
		if _, err := st.SaveRunbook(bad, []byte(`{}`)); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}
