package flow

import (
	"gatewalk/session"
)

// StatefulEmulator is an Emulator whose state outlives its process: the
// built-in sandbox profile's keeps its transactions, orders, holdings and
// clock offset in the config directory (session.SandboxStateFile).
type StatefulEmulator interface {
	// ImportState loads a state written by MergeState, before serving.
	ImportState(data []byte) error
	// MergeState returns the state to write over prev (the file as it is
	// now), having taken over what prev has that this emulator did not
	// change; nil when prev already says it all.
	MergeState(prev []byte) ([]byte, error)
}

// loadSandboxState restores the built-in sandbox's state into sb. A state
// that cannot be used is a *session.SandboxStateError: never reset here.
func (r *Runner) loadSandboxState(sb Emulator) error {
	st, ok := sb.(StatefulEmulator)
	if !ok || r.profile.Name != session.BuiltinProfileName || r.opt.EphemeralSandbox {
		return nil
	}
	data, err := r.store.SandboxState()
	if err != nil {
		return err
	}
	if data != nil {
		if err := st.ImportState(data); err != nil {
			return &session.SandboxStateError{Path: r.store.SandboxStatePath(), Err: err}
		}
	}
	r.state = st
	return nil
}

// saveSandboxState writes the built-in sandbox's state, merged with what
// another process wrote meanwhile, under the store's lock. Failures are
// logged: the journey goes on, and the next save tries again.
func (r *Runner) saveSandboxState() {
	if r.state == nil {
		return
	}
	r.sh.mu.Lock()
	forgotten := r.sh.stateReset
	r.sh.mu.Unlock()
	if forgotten {
		return
	}
	if err := r.store.UpdateSandboxState(r.state.MergeState); err != nil {
		r.opt.Logf("sandbox state: %v", err)
	}
}

// ResetSandboxState forgets the built-in sandbox's saved state, so the
// next runner starts it over; this runner no longer saves it. Restart the
// runner after it.
func (r *Runner) ResetSandboxState() error {
	r.sh.mu.Lock()
	r.sh.stateReset = true
	r.sh.mu.Unlock()
	return r.store.ResetSandboxState()
}

// KeepsSandboxState reports whether the runner's sandbox keeps its state
// between processes (the built-in sandbox profile).
func (r *Runner) KeepsSandboxState() bool { return r.state != nil }
