package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"gatewalk/gateway"
)

const (
	krSecret    = "kr-jwt-secret-never-in-the-file-1"
	krAPISecret = "kr-api-secret-never-in-the-file-2"
)

// withBus is a getenv under which OSKeyring finds a session bus, so the
// library's (mock) keyring is asked.
func withBus(k string) string {
	if k == "DBUS_SESSION_BUS_ADDRESS" {
		return "unix:path=/nonexistent/bus"
	}
	return ""
}

type warnings struct{ lines []string }

func (w *warnings) add(s string) { w.lines = append(w.lines, s) }

func openWith(t *testing.T, dir string, opt StoreOptions) *Store {
	t.Helper()
	st, _, err := OpenStoreWith(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func krProfile(name string) Profile {
	return Profile{Name: name, Env: gateway.EnvStaging, Gateway: "acme", Secret: krSecret, APISecret: krAPISecret, CallbackPort: 8421}
}

func profilesFileText(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, profilesFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("profiles.json mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// With the library's mock keyring, the keys go to the keyring (one item per
// profile and key), profiles.json holds only the marker, and reading the
// profile gives them back.
func TestSecretsInTheMockKeyring(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	var w warnings
	st := openWith(t, dir, StoreOptions{Keyring: OSKeyring(withBus), Warn: w.add})
	if err := st.AddProfile(krProfile("staging")); err != nil {
		t.Fatal(err)
	}
	text := profilesFileText(t, dir)
	if strings.Contains(text, krSecret) || strings.Contains(text, krAPISecret) || !strings.Contains(text, `"secretStore": "keyring"`) {
		t.Fatalf("profiles.json:\n%s", text)
	}
	if v, err := keyring.Get(KeyringService, "staging:apiSecret"); err != nil || v != krAPISecret {
		t.Fatalf("keyring item: %q %v", v, err)
	}
	p, err := st.Profile("staging")
	if err != nil || p.Secret != krSecret || p.APISecret != krAPISecret || p.SecretStore != SecretsInKeyring {
		t.Fatalf("profile %+v %v", p.Redacted(), err)
	}
	ps, err := st.Profiles()
	if err != nil || ps[1].APISecret != krAPISecret {
		t.Fatalf("profiles %v", err)
	}
	if len(w.lines) != 0 {
		t.Fatalf("warnings %q", w.lines)
	}

	// An edit of another field leaves the keys in the keyring.
	if _, err := st.UpdateProfile("staging", func(p *Profile) error { p.AMO = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if text := profilesFileText(t, dir); strings.Contains(text, krSecret) {
		t.Fatal("an edit wrote the secret to the file")
	}
	if p, _ := st.Profile("staging"); p.Secret != krSecret || !p.AMO {
		t.Fatalf("after the edit: %+v", p.Redacted())
	}
	// New keys replace the items.
	if _, err := st.UpdateProfile("staging", func(p *Profile) error { p.Secret = "rotated-secret-3"; return nil }); err != nil {
		t.Fatal(err)
	}
	if v, _ := keyring.Get(KeyringService, "staging:secret"); v != "rotated-secret-3" {
		t.Fatalf("rotated secret in the keyring: %q", v)
	}
	// Removing the profile removes its items.
	if err := st.RemoveProfile("staging"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"staging:secret", "staging:apiSecret"} {
		if _, err := keyring.Get(KeyringService, k); !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("%s left in the keyring: %v", k, err)
		}
	}
}

// SecretsInFile (--insecure-storage) keeps the keys in the file even with a
// keyring, and moving a profile there deletes its items.
func TestSecretsInTheFileOnPurpose(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	st := openWith(t, dir, StoreOptions{Keyring: OSKeyring(withBus)})
	p := krProfile("filed")
	p.SecretStore = SecretsInFile
	if err := st.AddProfile(p); err != nil {
		t.Fatal(err)
	}
	if text := profilesFileText(t, dir); !strings.Contains(text, krSecret) || !strings.Contains(text, `"secretStore": "file"`) {
		t.Fatalf("profiles.json:\n%s", text)
	}
	if _, err := keyring.Get(KeyringService, "filed:secret"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("the keyring was written: %v", err)
	}
	if err := st.AddProfile(krProfile("kept")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateProfile("kept", func(p *Profile) error { p.SecretStore = SecretsInFile; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get(KeyringService, "kept:secret"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("moved to the file, the item stays: %v", err)
	}
	if text := profilesFileText(t, dir); strings.Count(text, krSecret) != 2 {
		t.Fatalf("profiles.json:\n%s", text)
	}
}

// When the keyring refuses, the keys go to the 0600 file with one warning
// naming it, however many keys and profiles are saved by the Store.
func TestFallbackToTheFileWarnsOnce(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
	dir := t.TempDir()
	var w warnings
	st := openWith(t, dir, StoreOptions{Keyring: OSKeyring(withBus), Warn: w.add})
	for _, name := range []string{"one", "two"} {
		if err := st.AddProfile(krProfile(name)); err != nil {
			t.Fatal(err)
		}
	}
	text := profilesFileText(t, dir)
	if strings.Count(text, krSecret) != 2 || strings.Contains(text, `"keyring"`) {
		t.Fatalf("profiles.json:\n%s", text)
	}
	if len(w.lines) != 1 || !strings.Contains(w.lines[0], filepath.Join(dir, profilesFile)) || strings.Contains(w.lines[0], "\n") {
		t.Fatalf("warnings %q, want one line naming the file", w.lines)
	}
	if p, err := st.Profile("two"); err != nil || p.APISecret != krAPISecret || p.SecretStore != SecretsInFile {
		t.Fatalf("profile %+v %v", p.Redacted(), err)
	}
}

// Without a session bus, OSKeyring fails at once: the library (here its
// mock, which would answer) is never asked.
func TestNoSessionBusFailsAtOnce(t *testing.T) {
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(fmt.Sprintf("/run/user/%d/%s", os.Getuid(), f)); err == nil {
			t.Skip("this machine has a session bus")
		}
	}
	keyring.MockInit()
	k := OSKeyring(func(string) string { return "" })
	if err := k.Set(KeyringService, "x:secret", "v"); !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "D-Bus") {
		t.Fatalf("Set: %v", err)
	}
	if _, err := keyring.Get(KeyringService, "x:secret"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatal("the library was asked")
	}
	dir := t.TempDir()
	var w warnings
	st := openWith(t, dir, StoreOptions{Keyring: k, Warn: w.add})
	if err := st.AddProfile(krProfile("headless")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(profilesFileText(t, dir), krSecret) || len(w.lines) != 1 {
		t.Fatalf("no fallback: %q", w.lines)
	}
}

// hungKeyring never answers until released: a D-Bus that hangs.
type hungKeyring struct {
	release chan struct{}
	calls   atomic.Int32
}

func (h *hungKeyring) wait() error                        { h.calls.Add(1); <-h.release; return errors.New("released") }
func (h *hungKeyring) Get(string, string) (string, error) { return "", h.wait() }
func (h *hungKeyring) Set(string, string, string) error   { return h.wait() }
func (h *hungKeyring) Delete(string, string) error        { return h.wait() }

// A hung keyring times out after KeyringTimeout (3 s): the timer asked for
// is that long, the keys fall back to the file, and the later calls of the
// Store fail at once without asking the keyring again.
func TestHungKeyringTimesOut(t *testing.T) {
	h := &hungKeyring{release: make(chan struct{})}
	defer close(h.release)
	fire := make(chan time.Time)
	var asked []time.Duration
	after := func(d time.Duration) <-chan time.Time { asked = append(asked, d); return fire }
	dir := t.TempDir()
	var w warnings
	st := openWith(t, dir, StoreOptions{Keyring: h, KeyringAfter: after, Warn: w.add})
	done := make(chan error, 1)
	go func() { done <- st.AddProfile(krProfile("hung")) }()
	fire <- time.Time{} // the timeout
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || asked[0] != 3*time.Second {
		t.Fatalf("timers asked for %v, want one of 3s", asked)
	}
	if !strings.Contains(profilesFileText(t, dir), krSecret) || len(w.lines) != 1 || !strings.Contains(w.lines[0], "no answer within 3s") {
		t.Fatalf("no fallback: %q", w.lines)
	}
	if err := st.AddProfile(krProfile("second")); err != nil {
		t.Fatal(err)
	}
	if n := h.calls.Load(); n != 1 {
		t.Fatalf("the hung keyring was asked %d times, want once", n)
	}
}

// The same with the real timer: the call returns, about KeyringTimeout
// later, with the fallback (this test takes those 3 s).
func TestHungKeyringRealTimer(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the 3 s keyring timeout")
	}
	h := &hungKeyring{release: make(chan struct{})}
	defer close(h.release)
	dir := t.TempDir()
	var w warnings
	st := openWith(t, dir, StoreOptions{Keyring: h, Warn: w.add})
	if err := st.AddProfile(krProfile("hung")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(profilesFileText(t, dir), krSecret) || len(w.lines) != 1 {
		t.Fatalf("no fallback: %q", w.lines)
	}
}

// Keys in a keyring that stops answering are not lost: the profile reads
// with empty keys and a warning, an edit of other fields keeps them there,
// an edit giving one key is refused.
func TestKeyringThatStopsAnswering(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	st := openWith(t, dir, StoreOptions{Keyring: OSKeyring(withBus)})
	if err := st.AddProfile(krProfile("staging")); err != nil {
		t.Fatal(err)
	}
	keyring.MockInitWithError(errors.New("locked"))
	var w warnings
	st = openWith(t, dir, StoreOptions{Keyring: OSKeyring(withBus), Warn: w.add})
	p, err := st.Profile("staging")
	if err != nil || p.Secret != "" || len(w.lines) != 1 || !strings.Contains(w.lines[0], EnvSecret) {
		t.Fatalf("profile %+v %v, warnings %q", p.Redacted(), err, w.lines)
	}
	if _, err := st.UpdateProfile("staging", func(p *Profile) error { p.AMO = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateProfile("staging", func(p *Profile) error { p.Secret = "only-one"; return nil }); err == nil {
		t.Fatal("an edit with one key and an unreadable keyring was saved")
	}
	text := profilesFileText(t, dir)
	if !strings.Contains(text, `"secretStore": "keyring"`) || !strings.Contains(text, `"amo": true`) || strings.Contains(text, "only-one") {
		t.Fatalf("profiles.json:\n%s", text)
	}
}

// MigrateSecrets moves the keys of profiles written to the file (before
// the keyring) into it; a keyring that refuses changes nothing.
func TestMigrateSecrets(t *testing.T) {
	dir := t.TempDir()
	legacy := openWith(t, dir, StoreOptions{}) // no keyring: the file, as before
	for _, name := range []string{"old1", "old2"} {
		if err := legacy.AddProfile(krProfile(name)); err != nil {
			t.Fatal(err)
		}
	}
	if text := profilesFileText(t, dir); strings.Count(text, krSecret) != 2 || strings.Contains(text, "secretStore") {
		t.Fatalf("legacy profiles.json:\n%s", text)
	}
	keyring.MockInitWithError(errors.New("no keyring"))
	st := openWith(t, dir, StoreOptions{Keyring: OSKeyring(withBus)})
	if _, err := st.MigrateSecrets(""); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("migrate with a refusing keyring: %v", err)
	}
	if strings.Count(profilesFileText(t, dir), krSecret) != 2 {
		t.Fatal("a failed migration changed the file")
	}
	keyring.MockInit()
	st = openWith(t, dir, StoreOptions{Keyring: OSKeyring(withBus)})
	if p, _ := st.Profile("old1"); p.Secret != krSecret {
		t.Fatal("file-stored keys do not read")
	}
	moved, err := st.MigrateSecrets("")
	if err != nil || len(moved) != 2 || moved[0].Keys != 2 {
		t.Fatalf("moved %+v %v", moved, err)
	}
	if text := profilesFileText(t, dir); strings.Contains(text, krSecret) || strings.Count(text, `"keyring"`) != 2 {
		t.Fatalf("profiles.json:\n%s", text)
	}
	if p, _ := st.Profile("old2"); p.APISecret != krAPISecret || p.SecretStore != SecretsInKeyring {
		t.Fatalf("after the migration: %+v", p.Redacted())
	}
	if moved, err := st.MigrateSecrets(""); err != nil || len(moved) != 0 {
		t.Fatalf("a second migration: %+v %v", moved, err)
	}
	if _, err := st.MigrateSecrets("nosuch"); !errors.Is(err, ErrProfileNotFound) {
		t.Fatalf("unknown profile: %v", err)
	}
}

func TestSecretStoreIsChecked(t *testing.T) {
	p := krProfile("odd")
	p.SecretStore = "vault"
	var ve *gateway.ValidationError
	if err := p.Validate(); !errors.As(err, &ve) || ve.Field != "secretStore" {
		t.Fatalf("Validate: %v", err)
	}
}

// Keys in the file stay there when an edit does not change them, even with
// a keyring; new keys given to such a profile go to the keyring.
func TestFileKeysStayUntilChanged(t *testing.T) {
	dir := t.TempDir()
	if err := openWith(t, dir, StoreOptions{}).AddProfile(krProfile("legacy")); err != nil {
		t.Fatal(err)
	}
	keyring.MockInit()
	st := openWith(t, dir, StoreOptions{Keyring: OSKeyring(withBus)})
	if _, err := st.UpdateProfile("legacy", func(p *Profile) error { p.AMO = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if text := profilesFileText(t, dir); !strings.Contains(text, krSecret) {
		t.Fatalf("an edit of another field moved the keys:\n%s", text)
	}
	if _, err := keyring.Get(KeyringService, "legacy:secret"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("the keyring was written: %v", err)
	}
	p := krProfile("legacy")
	p.Secret = "new-secret-9"
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if text := profilesFileText(t, dir); strings.Contains(text, "new-secret-9") || strings.Contains(text, krAPISecret) {
		t.Fatalf("new keys went to the file:\n%s", text)
	}
}

// DBUS_SESSION_BUS_ADDRESS=autolaunch: is no address (godbus would start
// dbus-launch).
func TestAutolaunchIsNoBus(t *testing.T) {
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(fmt.Sprintf("/run/user/%d/%s", os.Getuid(), f)); err == nil {
			t.Skip("this machine has a session bus")
		}
	}
	keyring.MockInit()
	k := OSKeyring(func(key string) string {
		if key == "DBUS_SESSION_BUS_ADDRESS" {
			return "autolaunch:"
		}
		return ""
	})
	if _, err := k.Get(KeyringService, "x:secret"); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("Get: %v", err)
	}
}
