//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package session

import (
	"errors"
	"os"
	"path/filepath"
)

// On platforms without flock or LockFileEx the lock is a lock file created
// exclusively next to the open one. A process that dies holding it leaves it
// behind; the timeout error then names the directory to clean.
func tryLockFile(f *os.File) (bool, error) {
	h, err := os.OpenFile(heldPath(f), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, h.Close()
}

func unlockFile(f *os.File) error { return os.Remove(heldPath(f)) }

func heldPath(f *os.File) string { return filepath.Join(filepath.Dir(f.Name()), lockFileName+".held") }
