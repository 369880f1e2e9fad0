package session

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// dirLock is an exclusive lock on the config directory, held through the
// open lock file. The operating system drops it when the process dies, so a
// crash never leaves the directory locked.
type dirLock struct{ f *os.File }

func openLockFile(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// lockDir waits up to timeout for the directory lock.
func lockDir(dir string, timeout time.Duration) (*dirLock, error) {
	f, err := openLockFile(dir)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	wait := 200 * time.Microsecond
	for {
		ok, err := tryLockFile(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if ok {
			return &dirLock{f: f}, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("another gatewalk process has been writing to %s for over %s: "+
				"wait for it to finish or stop it, then try again", dir, timeout)
		}
		// Jitter keeps two waiting processes from retrying in step.
		time.Sleep(wait/2 + rand.N(wait))
		if wait < 5*time.Millisecond {
			wait *= 2
		}
	}
}

// tryLockDir takes the lock only if it is free; nil means it is held.
func tryLockDir(dir string) (*dirLock, error) {
	f, err := openLockFile(dir)
	if err != nil {
		return nil, err
	}
	ok, err := tryLockFile(f)
	if err != nil || !ok {
		f.Close()
		return nil, err
	}
	return &dirLock{f: f}, nil
}

func (l *dirLock) unlock() {
	_ = unlockFile(l.f)
	l.f.Close()
}
