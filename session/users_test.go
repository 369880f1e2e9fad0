package session

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
)

const (
	idA = "5f0321b5f3743c31d95abd35"
	idB = "631fad01d9fe7ba34b6c0a3a"
)

func TestSaveUserRefusesADuplicateAuthID(t *testing.T) {
	s := openTestStore(t)
	alice := User{Label: "alice", SmallcaseAuthID: idA, Broker: "kite", Leprechaun: true}
	if err := s.SaveUser("sandbox", alice, false); err != nil {
		t.Fatal(err)
	}
	err := s.SaveUser("sandbox", User{Label: "bob", SmallcaseAuthID: idA, Broker: "kite"}, false)
	var dup *DuplicateAuthIDError
	if !errors.As(err, &dup) {
		t.Fatalf("duplicate id: %v (%T)", err, err)
	}
	if dup.Existing.Label != "alice" || dup.Existing.SmallcaseAuthID != idA || dup.Label != "bob" {
		t.Errorf("error fields: %+v", dup)
	}
	for _, want := range []string{idA, `"alice"`, "same broker account", "confirm"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %s", want, err)
		}
	}
	if us, _ := s.Users("sandbox"); len(us) != 1 {
		t.Fatalf("refused user was saved: %+v", us)
	}
	// Another profile is another gateway: the same id is fine there.
	if err := s.SaveProfile(stagingProfile()); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveUser("staging", User{Label: "bob", SmallcaseAuthID: idA}, false); err != nil {
		t.Fatalf("same id in another profile: %v", err)
	}
	// The operator confirms.
	if err := s.SaveUser("sandbox", User{Label: "bob", SmallcaseAuthID: idA}, true); err != nil {
		t.Fatalf("confirmed duplicate: %v", err)
	}
	us, _ := s.Users("sandbox")
	if len(us) != 2 || us[0].Label != "alice" || us[1].Label != "bob" || us[1].SmallcaseAuthID != idA {
		t.Fatalf("users after confirmation: %+v", us)
	}
	// Saving alice again (an update of her own record) is not a duplicate.
	if err := s.SaveUser("sandbox", alice, false); err != nil {
		t.Fatalf("updating a user: %v", err)
	}
}

func TestSaveUserNeverOverwritesTheStoredID(t *testing.T) {
	s := openTestStore(t)
	if err := s.SaveUser("sandbox", User{Label: "alice", SmallcaseAuthID: idA, Broker: "kite"}, false); err != nil {
		t.Fatal(err)
	}
	first, _ := s.User("sandbox", "alice")
	err := s.SaveUser("sandbox", User{Label: "alice", SmallcaseAuthID: idB}, true)
	var mm *gateway.AuthIDMismatchError
	if !errors.As(err, &mm) || mm.Expected != idA || mm.Got != idB || mm.User != "alice" {
		t.Fatalf("different id for alice: %v", err)
	}
	got, _ := s.User("sandbox", "alice")
	if got != first {
		t.Fatalf("stored user changed: %+v -> %+v", first, got)
	}
	// Reconnecting with the same id keeps ConnectedAt and the broker.
	if err := s.SaveUser("sandbox", User{Label: "alice", SmallcaseAuthID: idA, Leprechaun: true}, false); err != nil {
		t.Fatal(err)
	}
	got, _ = s.User("sandbox", "alice")
	if !got.ConnectedAt.Equal(first.ConnectedAt) || got.Broker != "kite" || !got.Leprechaun {
		t.Fatalf("update: %+v", got)
	}
}

func TestCheckAuthID(t *testing.T) {
	alice := User{Label: "alice", SmallcaseAuthID: idA}
	for _, tc := range []struct {
		user     User
		got      string
		mismatch bool
	}{
		{alice, idA, false},
		{alice, idB, true},
		{alice, "", true},
		{User{Label: "guest"}, idB, false},
	} {
		err := CheckAuthID(tc.user, tc.got)
		var mm *gateway.AuthIDMismatchError
		if errors.As(err, &mm) != tc.mismatch {
			t.Errorf("CheckAuthID(%q, %q) = %v", tc.user.SmallcaseAuthID, tc.got, err)
			continue
		}
		if tc.mismatch && (mm.Expected != tc.user.SmallcaseAuthID || mm.Got != tc.got ||
			!strings.Contains(err.Error(), "kept") || !strings.Contains(err.Error(), `"alice"`)) {
			t.Errorf("mismatch report: %+v %s", mm, err)
		}
	}
	s := openTestStore(t)
	if err := s.CheckAuthID(alice, idB); err == nil {
		t.Error("Store.CheckAuthID accepted a mismatch")
	}
}

func TestUsersLookupsAndValidation(t *testing.T) {
	s := openTestStore(t)
	_, err := s.User("sandbox", "nobody")
	if !errors.Is(err, ErrUserNotFound) || !strings.Contains(err.Error(), "gatewalk users list") {
		t.Fatalf("missing user: %v", err)
	}
	if _, err := s.Users("nope"); !errors.Is(err, ErrProfileNotFound) {
		t.Fatalf("users of a missing profile: %v", err)
	}
	if err := s.SaveUser("nope", User{Label: "a", SmallcaseAuthID: idA}, false); !errors.Is(err, ErrProfileNotFound) {
		t.Fatalf("save into a missing profile: %v", err)
	}
	for _, u := range []User{
		{Label: "", SmallcaseAuthID: idA},
		{Label: " alice", SmallcaseAuthID: idA},
		{Label: "a\tb", SmallcaseAuthID: idA},
		{Label: strings.Repeat("x", 65), SmallcaseAuthID: idA},
		{Label: "alice", SmallcaseAuthID: "not-an-id"},
		{Label: "alice", SmallcaseAuthID: ""},
	} {
		var ve *gateway.ValidationError
		if err := s.SaveUser("sandbox", u, false); !errors.As(err, &ve) {
			t.Errorf("SaveUser(%q, %q) = %v, want a validation error", u.Label, u.SmallcaseAuthID, err)
		}
	}
	if err := s.SaveUser("sandbox", User{Label: "Zed", SmallcaseAuthID: idB}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveUser("sandbox", User{Label: "amy", SmallcaseAuthID: idA}, false); err != nil {
		t.Fatal(err)
	}
	us, _ := s.Users("sandbox")
	if len(us) != 2 || us[0].Label != "amy" || us[1].Label != "Zed" {
		t.Fatalf("order: %+v", us)
	}
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := s.TouchUser("sandbox", "amy", at); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User("sandbox", "amy"); !u.LastUsedAt.Equal(at) || u.ConnectedAt.IsZero() {
		t.Fatalf("touched: %+v", u)
	}
	if err := s.TouchUser("sandbox", "ghost", at); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("touch missing: %v", err)
	}
	if err := s.RemoveUser("sandbox", "amy"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveUser("sandbox", "amy"); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("remove twice: %v", err)
	}
	if us, _ := s.Users("sandbox"); len(us) != 1 || us[0].Label != "Zed" {
		t.Fatalf("after remove: %+v", us)
	}
}

func BenchmarkSaveUser(b *testing.B) {
	s, _, err := OpenStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		if err := s.SaveUser("sandbox", User{Label: "seed-" + authID(i), SmallcaseAuthID: authID(i)}, false); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; b.Loop(); i++ {
		if err := s.TouchUser("sandbox", "seed-"+authID(i%200), time.Unix(int64(i), 0)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProfile(b *testing.B) {
	s, _, err := OpenStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SaveProfile(stagingProfile()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Profile("staging"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestValidateLabel: one rule, like profile names but for people: letters
// of either case, digits, - _ . and @; nothing a shell would need quoted.
func TestValidateLabel(t *testing.T) {
	for _, ok := range []string{"alice", "Alice", "leprechaun-1", "user_2", "alice.kite", "alice@acme.in", "9", strings.Repeat("a", 64)} {
		if err := ValidateLabel(ok); err != nil {
			t.Errorf("ValidateLabel(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Bad Label!", "a b", " alice", "alice ", "-alice", ".alice", "a/b", "a\tb", "ali$ce", "élodie", strings.Repeat("a", 65)} {
		err := ValidateLabel(bad)
		var ve *gateway.ValidationError
		if !errors.As(err, &ve) || ve.Field != "label" {
			t.Errorf("ValidateLabel(%q) = %v, want a label error", bad, err)
		}
	}
}

// TestReconnectKeepsTheFirstConnection: connecting a user again keeps the
// first connection time and moves the last use; UpsertUser returns what is
// stored, not the caller's copy.
func TestReconnectKeepsTheFirstConnection(t *testing.T) {
	s := openTestStore(t)
	t1 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t2 := t1.Add(48 * time.Hour)
	first, err := s.UpsertUser("sandbox", User{Label: "alice", SmallcaseAuthID: authID(1), Broker: "kite", ConnectedAt: t1, LastUsedAt: t1}, false)
	if err != nil || !first.ConnectedAt.Equal(t1) {
		t.Fatalf("first connection: %+v %v", first, err)
	}
	again, err := s.UpsertUser("sandbox", User{Label: "alice", SmallcaseAuthID: authID(1), ConnectedAt: t2, LastUsedAt: t2}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !again.ConnectedAt.Equal(t1) || !again.LastUsedAt.Equal(t2) || again.Broker != "kite" {
		t.Errorf("returned %+v, want connected %v, last used %v, broker kite", again, t1, t2)
	}
	stored, err := s.User("sandbox", "alice")
	if err != nil || stored != again {
		t.Errorf("stored %+v %v, returned %+v", stored, err, again)
	}
}
