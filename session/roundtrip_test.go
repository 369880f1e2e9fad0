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
	for _, version := range []string{`"version":1,`, ``} { // current, and migrated from version 0
		t.Run("version="+version, func(t *testing.T) {
			s := openTestStore(t)
			path := filepath.Join(s.Dir(), usersFile)
			body := `{` + version + `"futureTop":42,"profiles":{"sandbox":[
				{"label":"alice","smallcaseAuthId":"` + authID(1) + `","futureUser":["x"]},
				{"label":"bob","smallcaseAuthId":"` + authID(2) + `"}]}}`
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveUser("sandbox", User{Label: "carol", SmallcaseAuthID: authID(3)}, false); err != nil {
				t.Fatal(err)
			}
			if version == "" {
				// The first write migrated the file: what it wrote is read
				// back as a current file by the next change.
				if v := readJSONObject(t, path)["version"]; string(v) != "1" {
					t.Fatalf("version after the migrating write = %s", v)
				}
			}
			if err := s.TouchUser("sandbox", "alice", time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
			top := readJSONObject(t, path)
			if string(top["futureTop"]) != "42" {
				t.Errorf("futureTop = %s, want 42", top["futureTop"])
			}
			if string(top["version"]) != "1" {
				t.Errorf("version = %s", top["version"])
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
				if string(u["label"]) == `"alice"` && (has && !sameJSON(t, u["futureUser"], json.RawMessage(`["x"]`)) || u["lastUsedAt"] == nil) {
					t.Errorf("alice: %v", u)
				}
			}
			// And the file still reads.
			if u, err := s.User("sandbox", "alice"); err != nil || u.LastUsedAt.IsZero() {
				t.Fatalf("reading back: %+v %v", u, err)
			}
		})
	}
}

// historyFileObjects reads a history file: its top level, its entries by
// transaction id and its unmatched records, as JSON objects.
func historyFileObjects(t *testing.T, path string) (top map[string]json.RawMessage, entries map[string]map[string]json.RawMessage, unmatched []map[string]json.RawMessage) {
	t.Helper()
	top = readJSONObject(t, path)
	var es []map[string]json.RawMessage
	if err := json.Unmarshal(top["entries"], &es); err != nil {
		t.Fatalf("entries: %v", err)
	}
	entries = map[string]map[string]json.RawMessage{}
	for _, e := range es {
		var id string
		if err := json.Unmarshal(e["transactionId"], &id); err != nil {
			t.Fatalf("entry %v: %v", e, err)
		}
		entries[id] = e
	}
	if top["unmatched"] != nil {
		if err := json.Unmarshal(top["unmatched"], &unmatched); err != nil {
			t.Fatalf("unmatched: %v", err)
		}
	}
	return top, entries, unmatched
}

// postbacksOf is the postback records of a history file's entry.
func postbacksOf(t *testing.T, e map[string]json.RawMessage) []map[string]json.RawMessage {
	t.Helper()
	var pbs []map[string]json.RawMessage
	if e["postbacks"] != nil {
		if err := json.Unmarshal(e["postbacks"], &pbs); err != nil {
			t.Fatalf("postbacks: %v", err)
		}
	}
	return pbs
}

// unknownKeysHistory is a history file with keys this gatewalk does not
// know at its top level, in entries, in a postback record and in
// unmatched records.
const unknownKeysHistory = `{"version":1,"profile":"sandbox","futureTop":"kept","entries":[
		{"transactionId":"TRX_1","createdAt":"2026-01-01T00:00:00Z","futureEntry":{"n":1},
		 "postbacks":[{"transactionId":"TRX_1","event":"a","checksumValid":true,"futurePostback":[1,"<"]}]},
		{"transactionId":"TRX_C","createdAt":"2026-01-01T00:00:01Z","status":"INITIALIZED","futureEntry":"claim me"},
		{"transactionId":"TRX_P","createdAt":"2026-01-01T00:00:02Z"}],
		"unmatched":[{"transactionId":"TRX_9","event":"u","futureUnmatched":"stays"},
		             {"transactionId":"TRX_2","event":"m","futureMoved":true}]}`

// storeWithUnknownKeysHistory is a store whose sandbox history is
// unknownKeysHistory, and the file's path.
func storeWithUnknownKeysHistory(t *testing.T) (*Store, string) {
	t.Helper()
	s := openTestStore(t)
	path := filepath.Join(s.Dir(), historyFileName("sandbox"))
	if err := os.WriteFile(path, []byte(unknownKeysHistory), 0o600); err != nil {
		t.Fatal(err)
	}
	return s, path
}

func jsonText(v any) string { b, _ := json.Marshal(v); return string(b) }

// checkUnknownHistoryKeys fails t unless the history file at path still
// has the unknown keys of unknownKeysHistory, each where it was; it
// returns the file's entries and unmatched records.
func checkUnknownHistoryKeys(t *testing.T, path, after string) (map[string]map[string]json.RawMessage, []map[string]json.RawMessage) {
	t.Helper()
	is := func(raw json.RawMessage, want string) bool {
		return raw != nil && sameJSON(t, raw, json.RawMessage(want))
	}
	top, entries, unmatched := historyFileObjects(t, path)
	if string(top["futureTop"]) != `"kept"` {
		t.Errorf("after %s: futureTop = %s, want kept", after, top["futureTop"])
	}
	if e := entries["TRX_1"]; !is(e["futureEntry"], `{"n":1}`) {
		t.Errorf("after %s: entry TRX_1 lost its unknown key: %s", after, jsonText(e))
	} else if pbs := postbacksOf(t, e); len(pbs) == 0 || !is(pbs[0]["futurePostback"], `[1,"<"]`) {
		t.Errorf("after %s: the postback of TRX_1 lost its unknown key: %s", after, jsonText(pbs))
	}
	if e := entries["TRX_C"]; string(e["futureEntry"]) != `"claim me"` {
		t.Errorf("after %s: entry TRX_C lost its unknown key: %s", after, jsonText(e))
	}
	for id, e := range entries {
		if _, ok := e["futureEntry"]; ok && id != "TRX_1" && id != "TRX_C" {
			t.Errorf("after %s: entry %s got another's unknown key: %s", after, id, jsonText(e))
		}
	}
	found := false
	for _, u := range unmatched {
		if string(u["transactionId"]) == `"TRX_9"` {
			found = string(u["futureUnmatched"]) == `"stays"`
		}
	}
	if !found {
		t.Errorf("after %s: the unmatched record TRX_9 lost its unknown key: %s", after, jsonText(unmatched))
	}
	return entries, unmatched
}

// TestHistoryFileKeepsUnknownKeys: the same for a history file: at its top
// level, in an entry, in an entry's postback record and in an unmatched
// record, through every change that writes the file.
func TestHistoryFileKeepsUnknownKeys(t *testing.T) {
	s, path := storeWithUnknownKeysHistory(t)
	check := func(after string) (map[string]map[string]json.RawMessage, []map[string]json.RawMessage) {
		t.Helper()
		return checkUnknownHistoryKeys(t, path, after)
	}

	// A new entry takes the unmatched postback of its transaction, unknown key and all.
	if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_2", CreatedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	entries, unmatched := check("AddHistory")
	if pbs := postbacksOf(t, entries["TRX_2"]); len(pbs) != 1 || string(pbs[0]["futureMoved"]) != "true" {
		t.Errorf("the postback that moved to TRX_2 lost its unknown key: %s", jsonText(pbs))
	}
	if len(unmatched) != 1 {
		t.Errorf("unmatched: %s", jsonText(unmatched))
	}

	// Claiming, releasing, abandoning and replacing an entry keep its keys.
	if _, err := s.ClaimHistory("sandbox", HistoryEntry{TransactionID: "TRX_C", Summary: "claimed"}); err != nil {
		t.Fatal(err)
	}
	if entries, _ = check("ClaimHistory"); string(entries["TRX_C"]["status"]) != `"CLAIMED"` {
		t.Errorf("the claim was not saved: %s", jsonText(entries["TRX_C"]))
	}
	if err := s.ReleaseClaim("sandbox", "TRX_C"); err != nil {
		t.Fatal(err)
	}
	check("ReleaseClaim")
	if err := s.UpdateHistory("sandbox", "TRX_1", func(e *HistoryEntry) { e.Status = StatusAbandoned }); err != nil {
		t.Fatal(err)
	}
	if entries, _ = check("UpdateHistory"); string(entries["TRX_1"]["status"]) != `"ABANDONED"` {
		t.Errorf("the update was not saved: %s", jsonText(entries["TRX_1"]))
	}
	if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_1", Summary: "again", CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if entries, _ = check("AddHistory of a known transaction"); string(entries["TRX_1"]["summary"]) != `"again"` {
		t.Errorf("the replacement was not saved: %s", jsonText(entries["TRX_1"]))
	}
}

// TestPostbackLogRecordKeepsUnknownKeys: a record of the postback log keeps
// its unknown keys as History reads it, and the file keeps its own.
func TestPostbackLogRecordKeepsUnknownKeys(t *testing.T) {
	s, path := storeWithUnknownKeysHistory(t)
	line := `{"transactionId":"TRX_P","receivedAt":"2026-01-03T00:00:00Z","event":"logged","checksumValid":true,"futureLogged":7}` + "\n"
	if err := os.WriteFile(filepath.Join(s.Dir(), postbackLogName("sandbox")), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	es, err := s.History("sandbox")
	if err != nil || len(es) != 3 {
		t.Fatalf("history: %v %v", es, err)
	}
	for _, e := range es {
		if e.TransactionID != "TRX_P" {
			continue
		}
		b, err := json.Marshal(e)
		if err != nil || len(e.Postbacks) != 1 || !strings.Contains(string(b), `"futureLogged":7`) {
			t.Errorf("the logged postback lost its unknown key: %s %v", b, err)
		}
	}
	checkUnknownHistoryKeys(t, path, "History")
}

// TestHistoryRecordsWithoutUnknownKeysAreWrittenAsBefore: an entry or a
// postback record without unknown keys encodes as its fields alone, in
// the history file and in the postback log, byte for byte as before.
func TestHistoryRecordsWithoutUnknownKeysAreWrittenAsBefore(t *testing.T) {
	type plainRecord PostbackRecord // without the methods
	type plainEntry struct {
		TransactionID string        `json:"transactionId"`
		Intent        string        `json:"intent,omitempty"`
		User          string        `json:"user,omitempty"`
		CreatedAt     time.Time     `json:"createdAt,omitzero"`
		ExpiresAt     time.Time     `json:"expiresAt,omitzero"`
		Status        string        `json:"status,omitempty"`
		ErrorCode     int           `json:"errorCode,omitempty"`
		ErrorMessage  string        `json:"errorMessage,omitempty"`
		Summary       string        `json:"summary,omitempty"`
		Postbacks     []plainRecord `json:"postbacks,omitempty"`
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	rec := PostbackRecord{TransactionID: "TRX_1", ReceivedAt: at, Event: "a<b", Status: "ok&", ChecksumValid: true,
		Problem: "\u2028", Body: json.RawMessage(`{"html":"<b>&</b>","n":1}`)}
	for _, r := range []PostbackRecord{rec, {}} {
		got, err := json.Marshal(r)
		want, _ := json.Marshal(plainRecord(r))
		if err != nil || string(got) != string(want) {
			t.Errorf("record:\n got %s %v\nwant %s", got, err, want)
		}
	}
	e := HistoryEntry{TransactionID: "TRX_1", Intent: "CONNECT", User: "alice", CreatedAt: at, Status: "COMPLETED",
		ErrorCode: 7, ErrorMessage: "x<y", Summary: "s", Postbacks: []PostbackRecord{rec, {}}}
	got, err := json.Marshal(e)
	want, _ := json.Marshal(plainEntry{TransactionID: e.TransactionID, Intent: string(e.Intent), User: e.User, CreatedAt: e.CreatedAt,
		Status: string(e.Status), ErrorCode: e.ErrorCode, ErrorMessage: e.ErrorMessage, Summary: e.Summary,
		Postbacks: []plainRecord{plainRecord(rec), {}}})
	if err != nil || string(got) != string(want) {
		t.Errorf("entry:\n got %s %v\nwant %s", got, err, want)
	}

	// The postback log's line, as gatewalk has always written it.
	s := openTestStore(t)
	if err := s.AddHistory("sandbox", HistoryEntry{TransactionID: "TRX_1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPostback("sandbox", "TRX_1", rec); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.Dir(), postbackLogName("sandbox")))
	const line = `{"transactionId":"TRX_1","receivedAt":"2026-01-02T03:04:05.0000006Z","event":"a\u003cb","status":"ok\u0026",` +
		`"checksumValid":true,"problem":"\u2028","body":{"html":"\u003cb\u003e\u0026\u003c/b\u003e","n":1}}` + "\n"
	if err != nil || string(b) != line {
		t.Errorf("log:\n got %s %v\nwant %s", b, err, line)
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
