package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gatewalk/gateway"
)

// testClock is an injectable clock that advances one second per call.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// openTestStore opens a store in a fresh directory named the way the CLI
// finds it: through GATEWALK_CONFIG_DIR.
func openTestStore(t *testing.T) *Store {
	t.Helper()
	t.Setenv("GATEWALK_CONFIG_DIR", filepath.Join(t.TempDir(), "cfg"))
	dir, err := DefaultDir(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	clk := &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s, warnings, err := OpenStoreWith(dir, StoreOptions{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Fatalf("fresh directory gave warnings: %q", warnings)
	}
	return s
}

func stagingProfile() Profile {
	return Profile{Name: "staging", Env: gateway.EnvStaging, Gateway: "acmebroking",
		Secret: "stag-jwt-secret-0123456789", APISecret: "stag-api-secret-9876543210", CallbackPort: 8421,
		Leprechaun: true, Brokers: []string{"kite", "hdfc"}}
}

func authID(n int) string { return fmt.Sprintf("%024x", n) }

func TestDefaultDir(t *testing.T) {
	dir := t.TempDir()
	got, err := DefaultDir(func(k string) string {
		if k == "GATEWALK_CONFIG_DIR" {
			return dir
		}
		return ""
	})
	if err != nil || got != dir {
		t.Fatalf("DefaultDir with GATEWALK_CONFIG_DIR = %q, %v; want %q", got, err, dir)
	}
	got, err = DefaultDir(func(string) string { return "" })
	if err != nil {
		t.Skipf("no user config dir here: %v", err)
	}
	base, _ := os.UserConfigDir()
	if want := filepath.Join(base, "gatewalk"); got != want {
		t.Fatalf("DefaultDir without override = %q, want %q", got, want)
	}
}

func TestOpenStoreCreatesPrivateDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix modes")
	}
	dir := filepath.Join(t.TempDir(), "a", "gatewalk")
	s, warnings, err := OpenStore(dir)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("OpenStore: %v %q", err, warnings)
	}
	if err := s.SaveProfile(stagingProfile()); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveUser("staging", User{Label: "alice", SmallcaseAuthID: "5f0321b5f3743c31d95abd35"}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHistory("staging", HistoryEntry{TransactionID: "TRX_1"}); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %04o, want 0700", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) < 4 {
		t.Fatalf("want profiles, users, history and lock files, got %d entries", len(entries))
	}
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %04o, want 0600", e.Name(), info.Mode().Perm())
		}
	}
}

func TestOpenStoreRepairsPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix modes")
	}
	s := openTestStore(t)
	p := stagingProfile()
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(s.Dir(), profilesFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	_, warnings, err := OpenStore(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 {
		t.Fatalf("want a warning for the directory and one for profiles.json, got %q", warnings)
	}
	if !strings.Contains(warnings[0], "0755") || !strings.Contains(warnings[1], profilesFile) || !strings.Contains(warnings[1], "0644") {
		t.Errorf("warnings do not say what was repaired: %q", warnings)
	}
	for _, w := range warnings {
		if strings.Contains(w, p.Secret) || strings.Contains(w, p.APISecret) {
			t.Errorf("warning shows a secret: %q", w)
		}
	}
	if fi, _ := os.Stat(s.Dir()); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir not repaired: %04o", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Join(s.Dir(), profilesFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("profiles.json not repaired: %04o", fi.Mode().Perm())
	}
	if _, warnings, _ = OpenStore(s.Dir()); len(warnings) != 0 {
		t.Errorf("second open still warns: %q", warnings)
	}
}

func TestOpenStoreRefusesAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "cfg")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenStore(f); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("OpenStore on a file: %v", err)
	}
}

func TestSecretsOnlyInTheProfileFile(t *testing.T) {
	s := openTestStore(t)
	p := stagingProfile()
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveUser(p.Name, User{Label: "alice", SmallcaseAuthID: "5f0321b5f3743c31d95abd35", Broker: "kite"}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHistory(p.Name, HistoryEntry{TransactionID: "TRX_1", Intent: gateway.IntentConnect, User: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPostback(p.Name, "TRX_1", PostbackRecord{Event: "CONNECT", Body: json.RawMessage(`{"checksum":"ab"}`)}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(s.Dir())
	var sawProfiles bool
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(s.Dir(), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		has := bytes.Contains(b, []byte(p.Secret)) && bytes.Contains(b, []byte(p.APISecret))
		if e.Name() == profilesFile {
			sawProfiles = has
			continue
		}
		if bytes.Contains(b, []byte(p.Secret)) || bytes.Contains(b, []byte(p.APISecret)) {
			t.Errorf("%s holds a secret", e.Name())
		}
	}
	if !sawProfiles {
		t.Error("profiles.json does not hold the keys")
	}
}

func TestCorruptFilesAreLeftUntouched(t *testing.T) {
	for _, tc := range []struct {
		file   string
		body   string
		change func(*Store) error
	}{
		{profilesFile, `{"version":1,"profiles":[{"name":"staging",`, func(s *Store) error { return s.SaveProfile(stagingProfile()) }},
		{profilesFile, `{"version":1,"profiles":{"x":1}}`, func(s *Store) error { return s.UseProfile("sandbox") }},
		{profilesFile, `{"version":7,"profiles":[]}`, func(s *Store) error { return s.SaveProfile(stagingProfile()) }},
		{usersFile, "\x00\x01garbage", func(s *Store) error {
			return s.SaveUser("sandbox", User{Label: "a", SmallcaseAuthID: "5f0321b5f3743c31d95abd35"}, false)
		}},
		{usersFile, `null`, func(s *Store) error { return s.RemoveUser("sandbox", "a") }},
		// A stray closing bracket after a current file: nothing may follow the object.
		{usersFile, `{"version":1,"profiles":{}}]`, func(s *Store) error {
			return s.SaveUser("sandbox", User{Label: "a", SmallcaseAuthID: "5f0321b5f3743c31d95abd35"}, false)
		}},
		{profilesFile, `{"version":1,"profiles":[]}}`, func(s *Store) error { return s.SaveProfile(stagingProfile()) }},
		{historyFileName("sandbox"), `{"version":1,"profile":"sandbox","entries":[]}]`, func(s *Store) error {
			return s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_2"})
		}},
		{historyFileName("sandbox"), `{"version":1,"entries":[{"transactionId":5}]}`, func(s *Store) error {
			return s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_2"})
		}},
		{historyFileName("sandbox"), ``, func(s *Store) error {
			_, err := s.AddPostback("sandbox", "TRX_2", PostbackRecord{Event: "x"})
			return err
		}},
	} {
		t.Run(tc.file+"/"+strings.ToValidUTF8(tc.body, "?"), func(t *testing.T) {
			s := openTestStore(t)
			path := filepath.Join(s.Dir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Stat(path)
			err := tc.change(s)
			var ce *CorruptFileError
			if !errors.As(err, &ce) {
				t.Fatalf("change on a corrupt file: %v (%T), want *CorruptFileError", err, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, "has not changed it") {
				t.Errorf("error does not name the file and say it is untouched: %s", msg)
			}
			if ce.Newer == 0 && (!strings.Contains(msg, "mv "+path+" "+path+".broken") || ce.Recovers == "" || !strings.Contains(msg, ce.Recovers)) {
				t.Errorf("error does not say how to recover: %s", msg)
			}
			// Each file says what moving it aside loses and brings back for
			// that file, in the file's terms, never Go's.
			wantLoses := map[string]string{profilesFile: "the profiles you added", usersFile: "the local users of every profile",
				historyFileName("sandbox"): `the transaction history of profile "sandbox"`}[tc.file]
			if !strings.Contains(msg, wantLoses) {
				t.Errorf("error does not say it loses %q: %s", wantLoses, msg)
			}
			if tc.file != profilesFile && strings.Contains(msg, "profile list") {
				t.Errorf("the %s message speaks of the profiles file: %s", tc.file, msg)
			}
			for _, goText := range []string{"Go struct", "Go value", "session.", "map[", "[]"} {
				if strings.Contains(msg, goText) {
					t.Errorf("error shows Go types (%q): %s", goText, msg)
				}
			}
			b, _ := os.ReadFile(path)
			if string(b) != tc.body {
				t.Errorf("file changed: %q", b)
			}
			after, _ := os.Stat(path)
			if !after.ModTime().Equal(before.ModTime()) {
				t.Error("file rewritten")
			}
			// Following the advice brings defaults back.
			if err := os.Rename(path, path+".broken"); err != nil {
				t.Fatal(err)
			}
			if err := tc.change(s); err != nil && !errors.Is(err, ErrUserNotFound) {
				t.Fatalf("after moving the file aside: %v", err)
			}
			if ps, err := s.Profiles(); err != nil || len(ps) == 0 || ps[0].Name != "sandbox" {
				t.Fatalf("profiles after recovery: %v %v", ps, err)
			}
		})
	}
}

// TestJSONErrorsSayWhereAndWhat: a parse error gives the line and column
// and what was expected, in JSON's terms.
func TestJSONErrorsSayWhereAndWhat(t *testing.T) {
	for _, tc := range []struct {
		file, body string
		want       []string
	}{
		{usersFile, `{"version":1,"profiles":[]}`, []string{"line 1, column 25: field profiles: expected an object, found an array"}},
		{usersFile, "{\"version\":1,\n  \"profiles\":{\"sandbox\":[{\"label\":\"a\",}]}}", []string{"line 2, column 39: unexpected character '}'"}},
		{usersFile, `{"version":1,"profiles":{"sandbox":[{"label":"a","connectedAt":"yesterday"}]}}`, []string{`a date is not a time such as 2026-01-02T15:04:05Z ("yesterday")`}},
		{historyFileName("sandbox"), "{\"version\":1,\n\"entries\":[{\"transactionId\":5}]}", []string{"line 2, column 29: field entries.transactionId: expected a string, found a number"}},
		{historyFileName("sandbox"), `{"version":1,"entries":[{"errorCode":1.5}]}`, []string{"field entries.errorCode: expected a whole number, found the number 1.5"}},
		{profilesFile, `{"version":1,"profiles":[{"name":"x"`, []string{"line 1, column 37: unexpected end of the file"}},
		{profilesFile, `["not", "an", "object"]`, []string{"line 1, column 1: expected an object, found an array"}},
		// An older file is migrated first; the position is then not the file's and is left out.
		{usersFile, `{"profiles":{"sandbox":{}}}`, []string{"field profiles: expected an array, found an object"}},
	} {
		t.Run(tc.body, func(t *testing.T) {
			s := openTestStore(t)
			if err := os.WriteFile(filepath.Join(s.Dir(), tc.file), []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.Users("sandbox")
			if err == nil {
				_, err = s.History("sandbox")
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
			if strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "json:") {
				t.Errorf("error speaks Go: %s", err)
			}
		})
	}
}

func TestReadingACorruptProfilesFileNamesIt(t *testing.T) {
	s := openTestStore(t)
	path := filepath.Join(s.Dir(), profilesFile)
	os.WriteFile(path, []byte("{oops"), 0o600)
	for name, f := range map[string]func() error{
		"Profiles":   func() error { _, err := s.Profiles(); return err },
		"Profile":    func() error { _, err := s.Profile(""); return err },
		"ActiveName": func() error { _, err := s.ActiveName(); return err },
		"Users":      func() error { _, err := s.Users("sandbox"); return err },
	} {
		if err := f(); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming %s", name, err, path)
		}
	}
}

func TestMigrationFromUnversionedFiles(t *testing.T) {
	s := openTestStore(t)
	// Schema version 0: the same shape without a version field.
	v0 := map[string]string{
		profilesFile: `{"active":"staging","profiles":[{"name":"staging","env":"staging","gateway":"acmebroking",` +
			`"secret":"s3cr3t-jwt-key","apiSecret":"s3cr3t-api-key","callbackPort":8421}]}`,
		usersFile:                  `{"profiles":{"staging":[{"label":"alice","smallcaseAuthId":"5f0321b5f3743c31d95abd35","broker":"kite"}]}}`,
		historyFileName("staging"): `{"profile":"staging","entries":[{"transactionId":"TRX_old","intent":"CONNECT","status":"COMPLETED"}]}`,
	}
	for f, b := range v0 {
		if err := os.WriteFile(filepath.Join(s.Dir(), f), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.Profile("")
	if err != nil || p.Name != "staging" || p.Secret != "s3cr3t-jwt-key" || p.CallbackPort != 8421 {
		t.Fatalf("v0 profile: %+v %v", p, err)
	}
	// Reading does not rewrite.
	for f, b := range v0 {
		got, _ := os.ReadFile(filepath.Join(s.Dir(), f))
		if string(got) != b {
			t.Fatalf("%s rewritten by a read", f)
		}
	}
	if err := s.SaveUser("staging", User{Label: "bob", SmallcaseAuthID: "631fad01d9fe7ba34b6c0a3a"}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.UseProfile("staging"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveProfile(Profile{Name: "dev", Env: gateway.EnvDevelopment, Gateway: "acmebroking", Secret: "x1234", APISecret: "y1234", CallbackPort: 9000}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHistory("staging", HistoryEntry{TransactionID: "TRX_new"}); err != nil {
		t.Fatal(err)
	}
	for f := range v0 {
		var doc struct {
			Version int `json:"version"`
		}
		b, _ := os.ReadFile(filepath.Join(s.Dir(), f))
		if err := json.Unmarshal(b, &doc); err != nil || doc.Version != SchemaVersion {
			t.Errorf("%s after a change: version %d (%v), want %d", f, doc.Version, err, SchemaVersion)
		}
	}
	us, err := s.Users("staging")
	if err != nil || len(us) != 2 || us[0].Label != "alice" || us[0].Broker != "kite" {
		t.Fatalf("users after migration: %+v %v", us, err)
	}
	h, err := s.History("staging")
	if err != nil || len(h) != 2 {
		t.Fatalf("history after migration: %+v %v", h, err)
	}
	if p, err := s.Profile("staging"); err != nil || p.APISecret != "s3cr3t-api-key" {
		t.Fatalf("profile after migration: %+v %v", p, err)
	}
}

func TestStaleTemporaryFilesAreRemovedOnOpen(t *testing.T) {
	s := openTestStore(t)
	stale := filepath.Join(s.Dir(), "."+usersFile+tmpMarker+"123")
	os.WriteFile(stale, []byte(`{"version":1,"pro`), 0o600)
	if _, _, err := OpenStore(s.Dir()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temporary file kept: %v", err)
	}
	// While another writer holds the lock, its temporary file is not stale.
	os.WriteFile(stale, nil, 0o600)
	l, err := lockDir(s.Dir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer l.unlock()
	if _, _, err := OpenStore(s.Dir()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err != nil {
		t.Fatalf("a live writer's temporary file was removed: %v", err)
	}
}

func TestLockTimeoutSaysWhatToDo(t *testing.T) {
	s := openTestStore(t)
	l, err := lockDir(s.Dir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer l.unlock()
	s2, _, _ := OpenStoreWith(s.Dir(), StoreOptions{LockTimeout: 20 * time.Millisecond})
	err = s2.UseProfile("sandbox")
	if err == nil || !strings.Contains(err.Error(), "another gatewalk process") {
		t.Fatalf("change while locked: %v", err)
	}
}
