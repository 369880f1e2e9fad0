package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service of gatewalk's items in the OS keyring; each
// profile has one item per key, named PROFILE:secret and PROFILE:apiSecret.
const KeyringService = "gatewalk"

// KeyringTimeout bounds every keyring call: a hung D-Bus or an unlock
// prompt nobody answers must not hang gatewalk.
const KeyringTimeout = 3 * time.Second

// SecretStore says where a profile's secrets are kept.
type SecretStore string

// Where secrets live. An empty SecretStore is the file (profiles written
// before the keyring existed).
const (
	SecretsInFile    SecretStore = "file"
	SecretsInKeyring SecretStore = "keyring"
)

// ErrKeyringUnavailable is wrapped by every failure to use the OS keyring:
// no keyring service, a timeout, a refusal.
var ErrKeyringUnavailable = errors.New("the OS keyring is unavailable")

// KeyringBackend is a keyring as the store uses it: go-keyring's Keyring
// without DeleteAll. A missing item is keyring.ErrNotFound.
type KeyringBackend interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// OSKeyring is go-keyring's keyring (Secret Service on Linux and the BSDs,
// the Keychain on macOS, the Credential Manager on Windows; its mock after
// keyring.MockInit). On Linux and the BSDs it first looks for a D-Bus
// session bus the way godbus does ($DBUS_SESSION_BUS_ADDRESS, then
// /run/user/UID/bus or dbus-session, read through getenv): when there is
// plainly none, each call fails at once instead of starting dbus-launch or
// waiting out KeyringTimeout.
func OSKeyring(getenv func(string) string) KeyringBackend {
	return osKeyring{getenv: getenv}
}

type osKeyring struct{ getenv func(string) string }

func (k osKeyring) Get(service, user string) (string, error) {
	if err := k.noBus(); err != nil {
		return "", err
	}
	return keyring.Get(service, user)
}

func (k osKeyring) Set(service, user, secret string) error {
	if err := k.noBus(); err != nil {
		return err
	}
	return keyring.Set(service, user, secret)
}

func (k osKeyring) Delete(service, user string) error {
	if err := k.noBus(); err != nil {
		return err
	}
	return keyring.Delete(service, user)
}

// noBus reports a plainly missing session bus where the keyring is
// reached over D-Bus.
func (k osKeyring) noBus() error {
	switch runtime.GOOS {
	case "darwin", "windows", "ios", "android", "plan9", "js", "wasip1":
		return nil
	}
	getenv := k.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	run := fmt.Sprintf("/run/user/%d", os.Getuid())
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(run, f)); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: no D-Bus session bus ($DBUS_SESSION_BUS_ADDRESS is not set and %s/bus does not exist), so no Secret Service to ask", ErrKeyringUnavailable, run)
}

// keyringState is a Store's use of a keyring: each call bounded by the
// timeout, and, once one call found the keyring unavailable, the later
// ones failing at once with the same error, so a command waits at most
// once and warns once.
type keyringState struct {
	backend KeyringBackend // nil: no keyring in this process
	timeout time.Duration
	after   func(time.Duration) <-chan time.Time
	warn    func(string)

	mu     sync.Mutex
	down   error
	warned map[string]bool
}

func newKeyringState(opt StoreOptions) *keyringState {
	k := &keyringState{backend: opt.Keyring, timeout: opt.KeyringTimeout, after: opt.KeyringAfter, warn: opt.Warn, warned: map[string]bool{}}
	if k.timeout <= 0 {
		k.timeout = KeyringTimeout
	}
	if k.after == nil {
		k.after = time.After
	}
	return k
}

// do runs one keyring call within the timeout. keyring.ErrNotFound is an
// answer; any other failure marks the keyring down for this Store.
func (k *keyringState) do(f func() error) error {
	k.mu.Lock()
	down, backend := k.down, k.backend
	k.mu.Unlock()
	switch {
	case backend == nil:
		return fmt.Errorf("%w: this process has none", ErrKeyringUnavailable)
	case down != nil:
		return down
	}
	done := make(chan error, 1) // a call still hung after the timeout ends in the buffer
	go func() { done <- f() }()
	var err error
	select {
	case err = <-done:
	case <-k.after(k.timeout):
		err = fmt.Errorf("%w: no answer within %s (a hung D-Bus or an unanswered unlock prompt?)", ErrKeyringUnavailable, k.timeout)
	}
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	if !errors.Is(err, ErrKeyringUnavailable) {
		err = fmt.Errorf("%w: %v", ErrKeyringUnavailable, err)
	}
	k.mu.Lock()
	if k.down == nil {
		k.down = err
	}
	k.mu.Unlock()
	return err
}

func keyringUser(profile, key string) string { return profile + ":" + key }

// get reads one key; a missing item is "".
func (k *keyringState) get(profile, key string) (string, error) {
	// The value travels with the call's own result: a call that answers
	// after the timeout writes nothing this function still reads.
	got := make(chan string, 1)
	err := k.do(func() error {
		v, err := k.backend.Get(KeyringService, keyringUser(profile, key))
		got <- v
		return err
	})
	if err != nil {
		if errors.Is(err, keyring.ErrNotFound) {
			return "", nil
		}
		return "", err
	}
	return <-got, nil
}

// set writes one key; an empty value deletes the item.
func (k *keyringState) set(profile, key, value string) error {
	if value == "" {
		return k.del(profile, key)
	}
	return k.do(func() error { return k.backend.Set(KeyringService, keyringUser(profile, key), value) })
}

// del deletes one key; a missing item is not an error.
func (k *keyringState) del(profile, key string) error {
	err := k.do(func() error { return k.backend.Delete(KeyringService, keyringUser(profile, key)) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

// warnOnce prints one warning of each kind per Store.
func (k *keyringState) warnOnce(kind, msg string) {
	k.mu.Lock()
	seen := k.warned[kind]
	k.warned[kind] = true
	k.mu.Unlock()
	if !seen && k.warn != nil {
		k.warn(msg)
	}
}

// Keyring key names.
const (
	keySecret    = "secret"
	keyAPISecret = "apiSecret"
)

// readSecrets fills in the secrets of a profile kept in the keyring. When
// the keyring does not answer, they stay empty, the error says why and a
// warning (once) says what to do.
func (s *Store) readSecrets(p *Profile) error {
	if p.SecretStore != SecretsInKeyring {
		return nil
	}
	sec, err := s.keys.get(p.Name, keySecret)
	if err == nil {
		p.Secret = sec
		p.APISecret, err = s.keys.get(p.Name, keyAPISecret)
	}
	if err != nil {
		p.Secret, p.APISecret = "", ""
		s.keys.warnOnce("read", fmt.Sprintf("the keys of profile %q are in the OS keyring, which did not answer (%v): "+
			"set $%s and $%s for this run, or try again", p.Name, errors.Unwrap(err), EnvSecret, EnvAPISecret))
	}
	return err
}

// placeSecrets puts p's secrets where p.SecretStore asks (empty: the
// keyring when this process has one, else the file as before) and returns p
// as profiles.json holds it: no secrets when they are in the keyring. old is
// the stored profile with its secrets read, nil for a new one. When the
// keyring does not answer, the secrets go to the file with a warning
// naming it.
func (s *Store) placeSecrets(p Profile, old *Profile) Profile {
	want := p.SecretStore
	if want == "" && old != nil {
		if old.SecretStore != SecretsInKeyring && old.Secret == p.Secret && old.APISecret == p.APISecret {
			p.SecretStore = old.SecretStore // untouched file-stored keys stay where they are
			return p
		}
		want = old.SecretStore
	}
	if want == "" && s.keys.backend == nil {
		return p // no keyring in this process: the file, as before
	}
	inKeyring := old != nil && old.SecretStore == SecretsInKeyring
	if want == SecretsInFile {
		if inKeyring {
			s.dropKeyringItems(p.Name)
		}
		return p
	}
	if p.Secret == "" && p.APISecret == "" && !inKeyring {
		p.SecretStore = ""
		return p
	}
	var err error
	for _, kv := range [][2]string{{keySecret, p.Secret}, {keyAPISecret, p.APISecret}} {
		if err == nil && !(inKeyring && kv[1] == oldKey(old, kv[0])) {
			err = s.keys.set(p.Name, kv[0], kv[1])
		}
	}
	if err != nil {
		p.SecretStore = SecretsInFile
		s.keys.warnOnce("fallback", fmt.Sprintf("%v; the keys of profile %q are stored unencrypted in %s (mode 0600); "+
			"`gatewalk profile migrate-secrets` moves them to the keyring once it answers",
			err, p.Name, filepath.Join(s.dir, profilesFile)))
		return p
	}
	p.SecretStore = SecretsInKeyring
	p.Secret, p.APISecret = "", ""
	return p
}

func oldKey(old *Profile, key string) string {
	if key == keySecret {
		return old.Secret
	}
	return old.APISecret
}

// dropKeyringItems deletes a profile's keyring items; when the keyring does
// not answer, it warns that they may be left there.
func (s *Store) dropKeyringItems(name string) {
	err := s.keys.del(name, keySecret)
	if err == nil {
		err = s.keys.del(name, keyAPISecret)
	}
	if err != nil {
		s.keys.warnOnce("drop", fmt.Sprintf("%v: profile %q's items (service %q) may be left in the OS keyring; delete them with your keyring's tool",
			err, name, KeyringService))
	}
}

// MigratedProfile is one profile MigrateSecrets moved.
type MigratedProfile struct {
	Name string
	// Keys counts the keys moved (0 to 2).
	Keys int
}

// MigrateSecrets moves the keys of file-stored profiles (only name when it
// is not "") to the OS keyring and removes them from profiles.json. Nothing
// is changed when the keyring does not answer: the error says why.
func (s *Store) MigrateSecrets(name string) ([]MigratedProfile, error) {
	if s.keys.backend == nil {
		return nil, fmt.Errorf("%w: this process has none", ErrKeyringUnavailable)
	}
	var out []MigratedProfile
	err := s.change(func() error {
		d, err := s.loadProfiles()
		if err != nil {
			return err
		}
		if name != "" && name != BuiltinProfileName {
			if _, ok := d.find(name); !ok {
				return notFoundProfile(name)
			}
		}
		changed := false
		for i, p := range d.Profiles {
			if (name != "" && p.Name != name) || p.SecretStore == SecretsInKeyring || (p.Secret == "" && p.APISecret == "") {
				continue
			}
			n := 0
			for _, kv := range [][2]string{{keySecret, p.Secret}, {keyAPISecret, p.APISecret}} {
				if kv[1] == "" {
					continue
				}
				if err := s.keys.set(p.Name, kv[0], kv[1]); err != nil {
					if changed {
						_ = s.saveProfiles(d) // keep the profiles already moved
					}
					return fmt.Errorf("profile %q: %w; its keys stay in %s", p.Name, err, filepath.Join(s.dir, profilesFile))
				}
				n++
			}
			p.Secret, p.APISecret, p.SecretStore = "", "", SecretsInKeyring
			d.Profiles[i] = p
			changed = true
			out = append(out, MigratedProfile{Name: p.Name, Keys: n})
		}
		if !changed {
			return nil
		}
		return s.saveProfiles(d)
	})
	return out, err
}
