package session

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// SandboxStateFile is where the built-in sandbox profile's emulator keeps
// its state (transactions, orders, holdings, clock offset) between
// processes.
const SandboxStateFile = "sandbox-state.json"

// SandboxStatePath is the state file's path.
func (s *Store) SandboxStatePath() string { return filepath.Join(s.dir, SandboxStateFile) }

// SandboxState reads the sandbox's state; nil when there is none yet. The
// store does not interpret it: the emulator does, and refuses what does
// not parse (see SandboxStateError). The bytes are shared with the store's
// cache: the caller must not change them.
func (s *Store) SandboxState() ([]byte, error) {
	b, _, _, err := s.readFile(SandboxStateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, readErr(s.dir, SandboxStateFile, err)
	}
	return b, nil
}

// UpdateSandboxState replaces the sandbox's state under the directory's
// lock: fn gets the state as it is on disk now (nil when none; another
// process may have written it since it was read) and returns the new one,
// which is written atomically (0600). An error from fn leaves the file as
// it is.
func (s *Store) UpdateSandboxState(fn func(prev []byte) ([]byte, error)) error {
	return s.change(func() error {
		prev, err := s.SandboxState()
		if err != nil {
			return err
		}
		next, err := fn(prev)
		if err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		return s.writeFile(SandboxStateFile, next, nil)
	})
}

// ResetSandboxState removes the sandbox's state, so the built-in sandbox
// starts over: no transactions, the demo portfolios, the real clock.
func (s *Store) ResetSandboxState() error {
	return s.change(func() error { return s.remove(SandboxStateFile) })
}

// SandboxStateError is a state file the emulator refuses (it does not
// parse, or belongs to another gateway). gatewalk never resets it by
// itself.
type SandboxStateError struct {
	Path string
	Err  error
}

// Error says that the file was left as it is, and the two ways out.
func (e *SandboxStateError) Error() string {
	return fmt.Sprintf("the built-in sandbox's state %s cannot be used (%v). gatewalk has not changed it: "+
		"run `gatewalk sandbox reset` to start the sandbox over (its transactions, orders and holdings are forgotten; "+
		"profiles, users and history stay), or move the file aside (mv %s %s.broken)", e.Path, e.Err, e.Path, e.Path)
}

// Unwrap returns the emulator's error.
func (e *SandboxStateError) Unwrap() error { return e.Err }
