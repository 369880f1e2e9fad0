package session

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readJSONObject reads a config file as a JSON object.
func readJSONObject(t *testing.T, path string) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return m
}

// sameJSON reports whether a and b are the same JSON value, ignoring layout.
func sameJSON(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

// TestProfilesFileKeepsUnknownKeys: keys this gatewalk does not know, at the
// top level of profiles.json and inside a profile, survive a change.
func TestProfilesFileKeepsUnknownKeys(t *testing.T) {
	for _, version := range []string{`"version":1,`, ``} { // current, and migrated from version 0
		t.Run("version="+version, func(t *testing.T) {
			s := openTestStore(t)
			path := filepath.Join(s.Dir(), profilesFile)
			body := `{` + version + `"active":"staging","futureTop":{"a":[1,2,"x<y"]},"profiles":[
				{"name":"staging","env":"staging","gateway":"acmebroking","secret":"s3cret-0123456789","apiSecret":"api-0123456789",
				 "callbackPort":8421,"futureField":"kept","nested":{"deep":true}},
				{"name":"other","env":"staging","gateway":"acmebroking","callbackPort":8422}]}`
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := s.UpdateProfile("staging", func(p *Profile) error { p.Leprechaun = true; return nil }); err != nil {
				t.Fatal(err)
			}
			if err := s.AddProfile(Profile{Name: "third", Env: "staging", Gateway: "acmebroking",
				Secret: "x-0123456789", APISecret: "y-0123456789", CallbackPort: 8423}); err != nil {
				t.Fatal(err)
			}
			top := readJSONObject(t, path)
			if !sameJSON(t, top["futureTop"], json.RawMessage(`{"a":[1,2,"x<y"]}`)) {
				t.Errorf("futureTop = %s, want it kept", top["futureTop"])
			}
			if string(top["version"]) != "1" {
				t.Errorf("version = %s", top["version"])
			}
			var ps []map[string]json.RawMessage
			if err := json.Unmarshal(top["profiles"], &ps); err != nil {
				t.Fatal(err)
			}
			found := 0
			for _, p := range ps {
				switch string(p["name"]) {
				case `"staging"`:
					found++
					if string(p["futureField"]) != `"kept"` || !sameJSON(t, p["nested"], json.RawMessage(`{"deep":true}`)) {
						t.Errorf("staging lost its unknown keys: %v", p)
					}
					if string(p["leprechaun"]) != "true" {
						t.Errorf("the change was not saved: %v", p)
					}
				case `"other"`, `"third"`:
					found++
					if _, ok := p["futureField"]; ok {
						t.Errorf("another profile got staging's unknown key: %v", p)
					}
				}
			}
			if found != 3 {
				t.Errorf("want 3 profiles, got %s", top["profiles"])
			}
			// And the file still reads.
			if p, err := s.Profile("staging"); err != nil || !p.Leprechaun {
				t.Fatalf("reading back: %+v %v", p, err)
			}
		})
	}
}

// TestUsersFileKeepsUnknownKeys: the same for users.json and its users.
func TestUsersFileKeepsUnknownKeys(t *testing.T) {
	s := openTestStore(t)
	path := filepath.Join(s.Dir(), usersFile)
	body := `{"version":1,"futureTop":42,"profiles":{"sandbox":[
		{"label":"alice","smallcaseAuthId":"` + authID(1) + `","futureUser":["x"]},
		{"label":"bob","smallcaseAuthId":"` + authID(2) + `"}]}}`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveUser("sandbox", User{Label: "carol", SmallcaseAuthID: authID(3)}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchUser("sandbox", "alice", time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	top := readJSONObject(t, path)
	if string(top["futureTop"]) != "42" {
		t.Errorf("futureTop = %s, want 42", top["futureTop"])
	}
	var profiles map[string][]map[string]json.RawMessage
	if err := json.Unmarshal(top["profiles"], &profiles); err != nil {
		t.Fatal(err)
	}
	us := profiles["sandbox"]
	if len(us) != 3 {
		t.Fatalf("users: %s", top["profiles"])
	}
	for _, u := range us {
		_, has := u["futureUser"]
		if want := string(u["label"]) == `"alice"`; has != want {
			t.Errorf("user %s: futureUser present %v, want %v", u["label"], has, want)
		}
		if string(u["label"]) == `"alice"` && (!sameJSON(t, u["futureUser"], json.RawMessage(`["x"]`)) || u["lastUsedAt"] == nil) {
			t.Errorf("alice: %v", u)
		}
	}
}

// TestHistoryFileKeepsUnknownKeys: the same for the top level of a history file.
func TestHistoryFileKeepsUnknownKeys(t *testing.T) {
	s := openTestStore(t)
	path := filepath.Join(s.Dir(), historyFileName("sandbox"))
	body := `{"version":1,"profile":"sandbox","futureTop":"kept","entries":[{"transactionId":"TRX_1"}]}`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_2", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	top := readJSONObject(t, path)
	if string(top["futureTop"]) != `"kept"` {
		t.Errorf("futureTop = %s, want kept", top["futureTop"])
	}
	es, err := s.History("sandbox")
	if err != nil || len(es) != 2 {
		t.Fatalf("history: %v %v", es, err)
	}
}

// TestFilesWithoutUnknownKeysAreWrittenAsBefore: no unknown keys, no
// change in what is written.
func TestFilesWithoutUnknownKeysAreWrittenAsBefore(t *testing.T) {
	s := openTestStore(t)
	if err := s.SaveProfile(stagingProfile()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(s.Dir(), profilesFile))
	if !strings.HasPrefix(string(b), "{\n  \"version\": 1,\n") {
		t.Errorf("profiles.json does not start with its version:\n%s", b)
	}
}

// TestNewerSchemaIsRefusedAndLeftAlone: a file written by a newer gatewalk
// is refused with an error that says so, and is not changed.
func TestNewerSchemaIsRefusedAndLeftAlone(t *testing.T) {
	newer := SchemaVersion + 1
	v := `{"version":` + strconv.Itoa(newer)
	for _, tc := range []struct {
		file   string
		body   string
		change func(*Store) error
	}{
		{profilesFile, v + `,"profiles":[]}`, func(s *Store) error { return s.SaveProfile(stagingProfile()) }},
		{usersFile, v + `,"profiles":{}}`, func(s *Store) error {
			return s.SaveUser("sandbox", User{Label: "a", SmallcaseAuthID: authID(1)}, false)
		}},
		{historyFileName("sandbox"), v + `,"profile":"sandbox","entries":[]}`, func(s *Store) error {
			return s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_1"})
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s := openTestStore(t)
			path := filepath.Join(s.Dir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			err := tc.change(s)
			var ce *CorruptFileError
			if !errors.As(err, &ce) || ce.Newer != newer {
				t.Fatalf("change on a newer file: %v (%T), want *CorruptFileError with Newer=%d", err, err, newer)
			}
			msg := err.Error()
			for _, want := range []string{path, "newer gatewalk", "schema version " + strconv.Itoa(newer), "reads up to " + strconv.Itoa(SchemaVersion), "has not changed it"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error does not say %q: %s", want, msg)
				}
			}
			if b, _ := os.ReadFile(path); string(b) != tc.body {
				t.Errorf("file changed: %s", b)
			}
		})
	}
}
