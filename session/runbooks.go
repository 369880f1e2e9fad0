package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// RunbooksDir is the folder of the config directory that holds the
// operator's runbooks (runbook.Dir names the same place).
const RunbooksDir = "runbooks"

var runbookNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// SaveRunbook writes a runbook file NAME.json into the runbooks folder of
// the config directory (0700, created when missing), under the store's
// lock and atomically, as every config file. An existing file of that name
// is refused, never overwritten. It returns the file's path.
func (s *Store) SaveRunbook(name string, data []byte) (string, error) {
	if !runbookNameRe.MatchString(name) {
		return "", fmt.Errorf("runbook name %q: use 1-64 letters, digits, '.', '_' or '-'", name)
	}
	dir := filepath.Join(s.dir, RunbooksDir)
	path := filepath.Join(dir, name+".json")
	err := s.change(func() error {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return err
		}
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s exists: choose another name", path)
		}
		return writeFileAtomic(dir, name+".json", data)
	})
	return path, err
}
