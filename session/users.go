package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gatewalk/gateway"
)

// ErrUserNotFound is wrapped by errors about a local user that does not exist.
var ErrUserNotFound = errors.New("no such user")

// User is a local user of a profile: a label the operator chose and the
// smallcaseAuthId the Gateway returned when that user connected a broker.
type User struct {
	Label           string    `json:"label"`
	SmallcaseAuthID string    `json:"smallcaseAuthId"`
	Broker          string    `json:"broker,omitempty"`
	Leprechaun      bool      `json:"leprechaun,omitempty"`
	ConnectedAt     time.Time `json:"connectedAt,omitzero"`
	LastUsedAt      time.Time `json:"lastUsedAt,omitzero"`
}

// DuplicateAuthIDError refuses to save a smallcaseAuthId that another local
// user of the same profile already has.
type DuplicateAuthIDError struct {
	Label    string // the user being saved
	Existing User   // the user who already has the id
}

// Error names the user who already has the id and the ways forward.
func (e *DuplicateAuthIDError) Error() string {
	return fmt.Sprintf("smallcaseAuthId %s is already saved for user %q: two users with the same smallcaseAuthId "+
		"are the same broker account (typically the browser was still logged in to %q's broker account when %q connected). "+
		"Use %q for this account, log out of the broker and connect %q again, or confirm to save both",
		e.Existing.SmallcaseAuthID, e.Existing.Label, e.Existing.Label, e.Label, e.Existing.Label, e.Label)
}

// usersDoc is users.json: local users per profile name.
type usersDoc struct {
	Version  int               `json:"version"`
	Profiles map[string][]User `json:"profiles"`

	// extra and userExtra are the keys of the file (and of each user object,
	// by userKey) that this gatewalk does not know; the next save writes them
	// back as they were.
	extra     map[string]json.RawMessage
	userExtra map[userKey]map[string]json.RawMessage
}

// userKey names a user in users.json: its profile and label.
type userKey struct{ profile, label string }

// rememberUnknown keeps the unknown keys of the file b and of its users.
func (d *usersDoc) rememberUnknown(b []byte) {
	d.extra = unknownKeys(b, reflect.TypeFor[usersDoc]())
	d.userExtra = nil
	var raw struct {
		Profiles map[string][]json.RawMessage `json:"profiles"`
	}
	if json.Unmarshal(b, &raw) != nil {
		return
	}
	for name, ubs := range raw.Profiles {
		us := d.Profiles[name]
		for i, ub := range ubs {
			if i >= len(us) {
				break
			}
			if x := unknownKeys(ub, reflect.TypeFor[User]()); x != nil {
				if d.userExtra == nil {
					d.userExtra = map[userKey]map[string]json.RawMessage{}
				}
				d.userExtra[userKey{name, us[i].Label}] = x
			}
		}
	}
}

// MarshalJSON writes the document with the unknown keys it was read with.
func (d usersDoc) MarshalJSON() ([]byte, error) {
	type plain usersDoc // without this method
	b, err := json.Marshal(plain(d))
	if err != nil || (len(d.extra) == 0 && len(d.userExtra) == 0) {
		return b, err
	}
	if len(d.userExtra) > 0 {
		ps := make(map[string][]json.RawMessage, len(d.Profiles))
		for name, us := range d.Profiles {
			ubs := make([]json.RawMessage, len(us))
			for i, u := range us {
				ub, err := json.Marshal(u)
				if err != nil {
					return nil, err
				}
				if ubs[i], err = withUnknown(ub, d.userExtra[userKey{name, u.Label}]); err != nil {
					return nil, err
				}
			}
			ps[name] = ubs
		}
		pb, err := json.Marshal(ps)
		if err != nil {
			return nil, err
		}
		if b, err = replaceKey(b, "profiles", pb); err != nil {
			return nil, err
		}
	}
	return withUnknown(b, d.extra)
}

const (
	usersLoses = "the local users of every profile and their smallcaseAuthIds (profiles, keys and history " +
		"are in other files and stay; logging a user in again returns the same smallcaseAuthId)"
	usersRecovers = "`gatewalk users list`, logins and the connected journeys work again"
)

func (s *Store) loadUsers() (usersDoc, error) {
	d, err := s.readUsers()
	if d.Profiles == nil {
		d.Profiles = map[string][]User{}
	}
	return d, err
}

// readUsers reads users.json: a current file in one pass straight into
// the document (users.json is the store's largest file after the history,
// and users list reads all of it), any other through decodeVersioned, which
// migrates it or explains why it does not parse; an unchanged file not
// again (see load).
func (s *Store) readUsers() (usersDoc, error) {
	var d usersDoc
	exists, cached, fi, err := s.load(usersFile, usersLoses, usersRecovers, &d)
	if err != nil {
		return usersDoc{}, err
	}
	if exists && !cached {
		s.keepDoc(usersFile, fi, d.snapshot())
	}
	return d, nil
}

func (d *usersDoc) schemaVersion() int { return d.Version }

// snapshot is a deep copy of the document.
func (d usersDoc) snapshot() any {
	c := d
	c.Profiles = make(map[string][]User, len(d.Profiles))
	for name, us := range d.Profiles {
		c.Profiles[name] = slices.Clone(us)
	}
	c.extra = maps.Clone(d.extra)
	c.userExtra = maps.Clone(d.userExtra)
	return c
}

// restore sets the document to a deep copy of a snapshot.
func (d *usersDoc) restore(doc any) { *d = doc.(usersDoc).snapshot().(usersDoc) }

func (s *Store) saveUsers(d usersDoc) error {
	d.Version = SchemaVersion
	for name, us := range d.Profiles {
		if len(us) == 0 {
			delete(d.Profiles, name)
			continue
		}
		sortUsers(us)
	}
	return s.save(usersFile, &d)
}

// sortUsers orders us by label, case-insensitively, then byte-wise. Users
// come back from the file already in that order (saveUsers sorts them), so
// the common case is one linear check.
func sortUsers(us []User) {
	if slices.IsSortedFunc(us, compareUsers) {
		return
	}
	slices.SortStableFunc(us, compareUsers)
}

func compareUsers(a, b User) int {
	if c := compareFold(a.Label, b.Label); c != 0 {
		return c
	}
	return strings.Compare(a.Label, b.Label)
}

// compareFold compares strings.ToLower(a) with strings.ToLower(b) without
// allocating when both are ASCII, as every valid label is.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x >= utf8.RuneSelf || y >= utf8.RuneSelf {
			return strings.Compare(strings.ToLower(a[i:]), strings.ToLower(b[i:]))
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return int(x) - int(y)
		}
	}
	return len(a) - len(b)
}

// requireProfile fails unless the profile exists.
func (s *Store) requireProfile(name string) error {
	d, err := s.loadProfiles()
	if err != nil {
		return err
	}
	if _, ok := d.find(name); !ok {
		return notFoundProfile(name)
	}
	return nil
}

// labelRe is the shape of a local user's label: like a profile name, a word
// that needs no quoting in a shell, but it may hold upper-case letters, dots
// and @ so that people can use names and e-mail addresses (Alice, alice@acme.in).
var labelRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ValidateLabel checks a local user's label: 1-64 letters, digits, '-', '_',
// '.' or '@', starting with a letter or digit.
func ValidateLabel(label string) error {
	bad := func(problem string) error { return &gateway.ValidationError{Field: "label", Problem: problem} }
	switch {
	case label == "":
		return bad("is required: a name you choose for this user, such as alice or leprechaun-1")
	case len(label) > 64:
		return bad("is longer than 64 characters")
	case !labelRe.MatchString(label):
		return bad(fmt.Sprintf("%q is not a label: use letters, digits, '-', '_', '.' or '@' (no spaces), "+
			"starting with a letter or digit, e.g. alice, alice.kite or alice@acme.in", label))
	}
	return nil
}

// Users lists the local users of a profile by label.
func (s *Store) Users(profile string) ([]User, error) {
	if err := s.requireProfile(profile); err != nil {
		return nil, err
	}
	d, err := s.loadUsers()
	if err != nil {
		return nil, err
	}
	us := slices.Clone(d.Profiles[profile])
	sortUsers(us)
	return us, nil
}

// User returns the local user labelled label in profile.
func (s *Store) User(profile, label string) (User, error) {
	us, err := s.Users(profile)
	if err != nil {
		return User{}, err
	}
	for _, u := range us {
		if u.Label == label {
			return u, nil
		}
	}
	return User{}, notFoundUser(profile, label)
}

// NotFoundUser is the error User returns for a label profile does not
// have, for callers that look the user up in a list from Users themselves.
func NotFoundUser(profile, label string) error { return notFoundUser(profile, label) }

func notFoundUser(profile, label string) error {
	return fmt.Errorf("%w %q in profile %q: `gatewalk users list --profile %s` shows its users", ErrUserNotFound, label, profile, profile)
}

// SaveUser adds u to profile, or updates the user with the same label.
//
// A smallcaseAuthId that another user of the profile already has is refused
// with a *DuplicateAuthIDError unless allowDuplicate (the operator confirmed
// both are the same broker account). Updating a user with a different
// smallcaseAuthId is refused with an *gateway.AuthIDMismatchError: the stored id is
// never overwritten; remove the user to connect the label again. A zero
// ConnectedAt is stamped with the store's clock; an update keeps the stored
// ConnectedAt and the later LastUsedAt.
func (s *Store) SaveUser(profile string, u User, allowDuplicate bool) error {
	_, err := s.UpsertUser(profile, u, allowDuplicate)
	return err
}

// UpsertUser is SaveUser returning the user as stored: on an update, the
// first ConnectedAt, the later LastUsedAt and the known broker are kept, so a
// report of a new connection shows these rather than the caller's copy.
func (s *Store) UpsertUser(profile string, u User, allowDuplicate bool) (User, error) {
	if err := ValidateLabel(u.Label); err != nil {
		return User{}, err
	}
	if err := gateway.ValidateAuthID(u.SmallcaseAuthID); err != nil {
		return User{}, &gateway.ValidationError{Field: "smallcaseAuthId", Problem: err.Error()}
	}
	u.Broker = strings.TrimSpace(u.Broker)
	err := s.change(func() error {
		if err := s.requireProfile(profile); err != nil {
			return err
		}
		d, err := s.loadUsers()
		if err != nil {
			return err
		}
		us := d.Profiles[profile]
		at := slices.IndexFunc(us, func(o User) bool { return o.Label == u.Label })
		if at < 0 && !allowDuplicate {
			// An update keeps the user's id (checked below), so only a new
			// user can bring in a duplicate.
			for _, o := range us {
				if o.SmallcaseAuthID == u.SmallcaseAuthID {
					return &DuplicateAuthIDError{Label: u.Label, Existing: o}
				}
			}
		}
		if at >= 0 {
			old := us[at]
			if err := CheckAuthID(old, u.SmallcaseAuthID); err != nil {
				return err
			}
			if !old.ConnectedAt.IsZero() {
				u.ConnectedAt = old.ConnectedAt
			}
			if old.LastUsedAt.After(u.LastUsedAt) {
				u.LastUsedAt = old.LastUsedAt
			}
			if u.Broker == "" {
				u.Broker = old.Broker
			}
		}
		if u.ConnectedAt.IsZero() {
			u.ConnectedAt = s.now().UTC()
		}
		if at >= 0 {
			us[at] = u
		} else {
			us = append(us, u)
		}
		d.Profiles[profile] = us
		return s.saveUsers(d)
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// TouchUser records that a flow used the user at at.
func (s *Store) TouchUser(profile, label string, at time.Time) error {
	return s.changeUser(profile, label, func(us []User, i int) []User {
		us[i].LastUsedAt = at.UTC()
		return us
	})
}

// RemoveUser forgets a local user of profile.
func (s *Store) RemoveUser(profile, label string) error {
	return s.changeUser(profile, label, func(us []User, i int) []User {
		return slices.Delete(us, i, i+1)
	})
}

// changeUser replaces the users of profile with edit's result, where i is
// the index of the user labelled label, and saves them under the store's
// lock. A missing profile or user is an error and changes nothing.
func (s *Store) changeUser(profile, label string, edit func(us []User, i int) []User) error {
	return s.change(func() error {
		d, err := s.loadUsers()
		if err != nil {
			return err
		}
		us := d.Profiles[profile]
		i := slices.IndexFunc(us, func(u User) bool { return u.Label == label })
		if i < 0 {
			if err := s.requireProfile(profile); err != nil {
				return err
			}
			return notFoundUser(profile, label)
		}
		d.Profiles[profile] = edit(us, i)
		return s.saveUsers(d)
	})
}

// CheckAuthID compares the smallcaseAuthId of a result with the one the
// flow was started for (the expected user's). It returns an
// *gateway.AuthIDMismatchError when they differ, including when the result carries
// none; it never changes what is stored. A user with no stored id (a guest)
// matches anything.
func CheckAuthID(expected User, got string) error {
	if expected.SmallcaseAuthID == "" || got == expected.SmallcaseAuthID {
		return nil
	}
	return &gateway.AuthIDMismatchError{User: expected.Label, Expected: expected.SmallcaseAuthID, Got: got}
}

// CheckAuthID is the package function CheckAuthID, for callers holding a Store.
func (s *Store) CheckAuthID(expected User, got string) error { return CheckAuthID(expected, got) }
