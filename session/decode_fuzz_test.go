package session

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gatewalk/gateway"
)

// fuzzStore is a store whose config directory holds name with the bytes b.
func fuzzStore(t *testing.T, name string, b []byte) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, err := OpenStoreWith(dir, StoreOptions{Now: func() time.Time { return time.Unix(1700000000, 0) }, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

// mustBeUnchanged fails if the file at path no longer holds want.
func mustBeUnchanged(t *testing.T, path string, want []byte, after string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("after %s: %v", after, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("after %s the refused file was rewritten:\n was %q\n now %q", after, want, got)
	}
}

const fuzzProfile = `{"name":"stg","env":"staging","gateway":"acme","secret":"s3cr3t","apiSecret":"api-s3cr3t","callbackPort":8421}`

func FuzzProfilesFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"profiles":[` + fuzzProfile + `]}`))
	f.Add([]byte(`{"version":1,"active":"stg","profiles":[` + fuzzProfile + `],"futureKey":{"a":1}}`))
	f.Add([]byte(`{"profiles":[` + fuzzProfile + `]}`)) // version 0: migrated
	f.Add([]byte(`{"version":2,"profiles":[]}`))        // newer: refused
	f.Add([]byte(`{"version":1,"active":"ghost","profiles":[` + fuzzProfile + `]}`))
	f.Add([]byte(`{"version":"1"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"version":1,"profiles":[{"name":"stg"`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, path := fuzzStore(t, profilesFile, b)
		ps, err := s.Profiles()
		if err != nil {
			if ps != nil {
				t.Fatalf("profiles and an error: %v", err)
			}
			if _, err := s.ActiveName(); err == nil {
				t.Fatal("Profiles refused the file but ActiveName read it")
			}
			err := s.SaveProfile(Profile{Name: "fuzz", Env: gateway.EnvSandbox, Gateway: "gatewaydemo"})
			if err == nil {
				t.Fatal("SaveProfile succeeded on a refused file")
			}
			mustBeUnchanged(t, path, b, "SaveProfile")
			return
		}
		if len(ps) == 0 || !ps[0].Builtin() {
			t.Fatalf("the built-in profile is not first: %+v", ps)
		}
		mustBeUnchanged(t, path, b, "Profiles") // reading never writes
		// A file that was read can be changed, and the result read again.
		if err := s.SaveProfile(Profile{Name: "fuzz-added", Env: gateway.EnvSandbox, Gateway: "gatewaydemo"}); err != nil {
			return // e.g. a read profile of that name: not this target's concern
		}
		if _, err := s.Profiles(); err != nil {
			t.Fatalf("the file SaveProfile wrote does not read back: %v", err)
		}
	})
}

func FuzzUsersFile(f *testing.F) {
	const alice = `{"label":"alice","smallcaseAuthId":"5f0321b5f3743c31d95abd35","broker":"kite"}`
	f.Add([]byte(`{"version":1,"profiles":{"sandbox":[` + alice + `]}}`))
	f.Add([]byte(`{"version":1,"profiles":{"sandbox":[` + alice + `],"stg":[]},"extra":[1,2]}`))
	f.Add([]byte(`{"profiles":{"sandbox":[` + alice + `]}}`))
	f.Add([]byte(`{"version":7,"profiles":{}}`))
	f.Add([]byte(`{"version":1,"profiles":{"sandbox":[` + alice + `,` + alice + `]}}`))
	f.Add([]byte(`{"version":1,"profiles":{"sandbox":{}}}`))
	f.Add([]byte(`{"version":-1}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"version":1,"profiles":`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, path := fuzzStore(t, usersFile, b)
		us, err := s.Users(BuiltinProfileName)
		if err != nil {
			if us != nil {
				t.Fatalf("users and an error: %v", err)
			}
			err := s.SaveUser(BuiltinProfileName, User{Label: "fuzzer", SmallcaseAuthID: "65a0c1d2e3f4a5b6c7d8e9f0"}, true)
			if err == nil {
				t.Fatal("SaveUser succeeded on a refused file")
			}
			mustBeUnchanged(t, path, b, "SaveUser")
			return
		}
		mustBeUnchanged(t, path, b, "Users")
		if err := s.SaveUser(BuiltinProfileName, User{Label: "fuzzer", SmallcaseAuthID: "65a0c1d2e3f4a5b6c7d8e9f0"}, true); err != nil {
			return // e.g. a read user of that label with another id
		}
		if _, err := s.Users(BuiltinProfileName); err != nil {
			t.Fatalf("the file SaveUser wrote does not read back: %v", err)
		}
	})
}

func FuzzHistoryFile(f *testing.F) {
	const entry = `{"transactionId":"TRX_1","intent":"CONNECT","createdAt":"2024-01-02T03:04:05Z","status":"COMPLETED",` +
		`"postbacks":[{"transactionId":"TRX_1","event":"order_updated","checksumValid":true,"body":{"a":1}}]}`
	f.Add([]byte(`{"version":1,"profile":"sandbox","entries":[` + entry + `]}`))
	f.Add([]byte(`{"version":1,"profile":"sandbox","entries":[],"unmatched":[{"transactionId":"TRX_9","body":"not json"}],"x":true}`))
	f.Add([]byte(`{"profile":"sandbox","entries":[` + entry + `]}`))
	f.Add([]byte(`{"version":3,"entries":[]}`))
	f.Add([]byte(`{"version":1,"entries":[{"createdAt":"yesterday"}]}`))
	f.Add([]byte(`{"version":1,"entries":null}`))
	f.Add([]byte(`"history"`))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, path := fuzzStore(t, historyFileName(BuiltinProfileName), b)
		es, err := s.History(BuiltinProfileName)
		if err != nil {
			if es != nil {
				t.Fatalf("entries and an error: %v", err)
			}
			if err := s.AddHistory(BuiltinProfileName, HistoryEntry{TransactionID: "TRX_fuzz"}); err == nil {
				t.Fatal("AddHistory succeeded on a refused file")
			}
			mustBeUnchanged(t, path, b, "AddHistory")
			if _, err := s.AddPostback(BuiltinProfileName, "TRX_fuzz", PostbackRecord{Event: "order_updated"}); err == nil {
				t.Fatal("AddPostback succeeded on a refused file")
			}
			mustBeUnchanged(t, path, b, "AddPostback")
			return
		}
		mustBeUnchanged(t, path, b, "History")
		if err := s.AddHistory(BuiltinProfileName, HistoryEntry{TransactionID: "TRX_fuzz"}); err != nil {
			t.Fatalf("AddHistory on a file History read: %v", err)
		}
		if _, err := s.History(BuiltinProfileName); err != nil {
			t.Fatalf("the file AddHistory wrote does not read back: %v", err)
		}
	})
}
