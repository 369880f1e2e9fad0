package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// countingStore opens a second Store on s's directory that counts the
// files it reads from disk.
func countingStore(t *testing.T, s *Store) (*Store, map[string]int) {
	t.Helper()
	reads := map[string]int{}
	o, _, err := OpenStoreWith(s.Dir(), StoreOptions{Now: s.now, OnRead: func(name string) { reads[name]++ }})
	if err != nil {
		t.Fatal(err)
	}
	return o, reads
}

// TestStoreReadsAFileOnceUntilItChanges: a Store reads and parses each
// file once and keeps it while it is unchanged, including after its own
// writes; a change by another process (a rename, as every Store writes)
// or by hand in place (the same inode) is read again.
func TestStoreReadsAFileOnceUntilItChanges(t *testing.T) {
	other := openTestStore(t)
	if err := other.SaveProfile(stagingProfile()); err != nil {
		t.Fatal(err)
	}
	alice := User{Label: "alice", SmallcaseAuthID: "5f0321b5f3743c31d95abd35"}
	if err := other.SaveUser("staging", alice, false); err != nil {
		t.Fatal(err)
	}
	s, reads := countingStore(t, other)
	for range 3 {
		if us, err := s.Users("staging"); err != nil || len(us) != 1 {
			t.Fatalf("users %v, %v", us, err)
		}
		if _, err := s.Profile("staging"); err != nil {
			t.Fatal(err)
		}
	}
	if reads[usersFile] != 1 || reads[profilesFile] != 1 {
		t.Fatalf("three lookups read %v, want each file once", reads)
	}
	bob := User{Label: "bob", SmallcaseAuthID: "6a0321b5f3743c31d95abd36"}
	if err := s.SaveUser("staging", bob, false); err != nil {
		t.Fatal(err)
	}
	if us, _ := s.Users("staging"); len(us) != 2 || reads[usersFile] != 1 {
		t.Fatalf("after its own write: users %v, reads %v; want 2 users without reading again", us, reads)
	}

	// Another process writes.
	carol := User{Label: "carol", SmallcaseAuthID: "7b0321b5f3743c31d95abd37"}
	if err := other.SaveUser("staging", carol, false); err != nil {
		t.Fatal(err)
	}
	if us, _ := s.Users("staging"); len(us) != 3 || reads[usersFile] != 2 {
		t.Fatalf("after another store's write: users %v, reads %v; want carol, read again", us, reads)
	}

	// A hand edit in place: same inode, other bytes.
	path := filepath.Join(s.Dir(), usersFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), `"carol"`, `"carla"`, 1)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(edited + " "); err != nil { // one byte longer
		t.Fatal(err)
	}
	f.Close()
	if _, err := s.User("staging", "carla"); err != nil || reads[usersFile] != 3 {
		t.Fatalf("after an edit in place: %v, reads %v", err, reads)
	}
}

// TestLoadedDocumentsAreCopies: what a load hands out may be changed by
// the caller without changing what the store keeps.
func TestLoadedDocumentsAreCopies(t *testing.T) {
	s := openTestStore(t)
	if err := s.SaveProfile(stagingProfile()); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveUser("staging", User{Label: "alice", SmallcaseAuthID: "5f0321b5f3743c31d95abd35"}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHistory("staging", HistoryEntry{TransactionID: "TRX_1", Postbacks: []PostbackRecord{{Event: "ORDER_PLACED"}}}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // kept after the write, then after a read
		ud, _ := s.loadUsers()
		ud.Profiles["staging"][0].Label = "mallory"
		pd, _ := s.loadProfiles()
		pd.Profiles[0].Brokers = append(pd.Profiles[0].Brokers[:0], "mallory")
		pd.Profiles[0].Name = "mallory"
		hd, _ := s.loadHistory("staging")
		hd.Entries[0].TransactionID = "TRX_mallory"
		hd.Entries[0].Postbacks[0].Event = "mallory"

		if u, err := s.User("staging", "alice"); err != nil || u.Label != "alice" {
			t.Fatalf("a changed copy of users.json reached the store: %v", err)
		}
		if p, err := s.Profile("staging"); err != nil || strings.Contains(strings.Join(p.Brokers, ","), "mallory") {
			t.Fatalf("a changed copy of profiles.json reached the store: %+v %v", p, err)
		}
		if es, err := s.History("staging"); err != nil || es[0].TransactionID != "TRX_1" || es[0].Postbacks[0].Event != "ORDER_PLACED" {
			t.Fatalf("a changed copy of the history reached the store: %+v %v", es, err)
		}
		s.files.forget(usersFile) // the second round reads the files again
		s.files.forget(profilesFile)
		s.files.forget(historyFileName("staging"))
	}
}

// TestStoreNoticesEachKindOfChange: each part of a file's identity is
// enough on its own to read it again: another inode (a rename over it),
// another size, another modification time; the other two kept as they were.
func TestStoreNoticesEachKindOfChange(t *testing.T) {
	for _, tc := range []struct {
		name string
		// change replaces the users file's content with b, keeping what
		// the case does not change.
		change func(t *testing.T, path string, b []byte)
	}{
		{"inode", func(t *testing.T, path string, b []byte) {
			fi, _ := os.Stat(path)
			tmp := path + ".new"
			if err := os.WriteFile(tmp, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(tmp, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"size", func(t *testing.T, path string, b []byte) {
			fi, _ := os.Stat(path)
			if err := os.WriteFile(path, append(b, ' '), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		}},
		{"mtime", func(t *testing.T, path string, b []byte) {
			fi, _ := os.Stat(path)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			later := fi.ModTime().Add(time.Second)
			if err := os.Chtimes(path, later, later); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestStore(t)
			if err := s.SaveUser("sandbox", User{Label: "carol", SmallcaseAuthID: "5f0321b5f3743c31d95abd35"}, false); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(s.Dir(), usersFile)
			b, _ := os.ReadFile(path)
			edited := []byte(strings.Replace(string(b), `"carol"`, `"carla"`, 1)) // the same length
			tc.change(t, path, edited)
			if _, err := s.User("sandbox", "carla"); err != nil {
				t.Fatalf("the store kept the file as it was before the change: %v", err)
			}
		})
	}
}
