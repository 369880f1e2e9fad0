package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"gatewalk/gateway"
)

// History bounds.
const (
	// MaxHistory is how many transactions a profile's history keeps (the newest).
	MaxHistory = 500
	// MaxPostbacksPerTransaction bounds the postbacks kept with one transaction.
	MaxPostbacksPerTransaction = 50
	// MaxUnmatchedPostbacks bounds the postbacks kept for unknown transactions.
	MaxUnmatchedPostbacks = 100
)

// ErrTransactionNotFound is wrapped by errors about a transaction that is not
// in the history.
var ErrTransactionNotFound = errors.New("no such transaction in the history")

// StatusAbandoned is gatewalk's own status (not the Gateway's) for a
// transaction the operator left while it was still live: the terminal
// stopped waiting, though a browser tab might still have used it.
const StatusAbandoned gateway.Status = "ABANDONED"

// StatusClaimed is gatewalk's own status for a transaction created
// elsewhere that `gatewalk sdk` has taken to run: no second run may start
// on it, even when the first was interrupted, since the SDK may have
// started (see ClaimHistory).
const StatusClaimed gateway.Status = "CLAIMED"

// ErrClaimed is returned by ClaimHistory for a transaction whose history
// status says it ran, or may have run.
var ErrClaimed = errors.New("the transaction ran, or may have run, already")

// ClaimHistory records that e's transaction is being run, in one locked
// read and write of the history: the entry is added, or an existing one
// still INITIALIZED is updated, with status CLAIMED. An entry in any other
// status is left as it is and returned with ErrClaimed, so two runs can
// never both claim a transaction.
func (s *Store) ClaimHistory(profile string, e HistoryEntry) (HistoryEntry, error) {
	if e.TransactionID == "" {
		return HistoryEntry{}, &gateway.ValidationError{Field: "transactionId", Problem: "is required"}
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now().UTC()
	}
	var got HistoryEntry
	err := s.change(func() error {
		if err := s.requireProfile(profile); err != nil {
			return err
		}
		d, err := s.loadHistory(profile)
		if err != nil {
			return err
		}
		e.Status = StatusClaimed
		if i := slices.IndexFunc(d.Entries, func(o HistoryEntry) bool { return o.TransactionID == e.TransactionID }); i >= 0 {
			old := d.Entries[i]
			if old.Status != "" && old.Status != gateway.StatusInitialized {
				got = old
				return ErrClaimed
			}
			old.Status, old.Summary = StatusClaimed, e.Summary
			if old.User == "" {
				old.User = e.User
			}
			d.Entries[i], got = old, old
		} else {
			d.Entries = append(d.Entries, e)
			got = e
		}
		return s.saveHistory(profile, d)
	})
	return got, err
}

// ReleaseClaim puts a CLAIMED transaction back to INITIALIZED: for a run
// that provably never started the SDK on it.
func (s *Store) ReleaseClaim(profile, txnID string) error {
	return s.UpdateHistory(profile, txnID, func(e *HistoryEntry) {
		if e.Status == StatusClaimed {
			e.Status = gateway.StatusInitialized
		}
	})
}

// HistoryEntry is one transaction a profile created and what became of it.
type HistoryEntry struct {
	TransactionID string         `json:"transactionId"`
	Intent        gateway.Intent `json:"intent,omitempty"`
	User          string         `json:"user,omitempty"` // the local user's label; "" for a guest
	CreatedAt     time.Time      `json:"createdAt,omitzero"`
	ExpiresAt     time.Time      `json:"expiresAt,omitzero"`
	Status        gateway.Status `json:"status,omitempty"`
	ErrorCode     int            `json:"errorCode,omitempty"`
	ErrorMessage  string         `json:"errorMessage,omitempty"`
	// Summary is a one-line account of the result ("connected kite as alice").
	Summary   string           `json:"summary,omitempty"`
	Postbacks []PostbackRecord `json:"postbacks,omitempty"`

	// extra is the keys of the entry in the file that this gatewalk does
	// not know, written back with it (historyjson.go). It is never changed
	// in place, so copies of the entry may share it.
	extra map[string]json.RawMessage
}

// PostbackRecord is one postback received for a transaction.
type PostbackRecord struct {
	// TransactionID is the transaction the postback named.
	TransactionID string    `json:"transactionId,omitempty"`
	ReceivedAt    time.Time `json:"receivedAt,omitzero"`
	Event         string    `json:"event,omitempty"`
	Status        string    `json:"status,omitempty"`
	ChecksumValid bool      `json:"checksumValid"`
	// Problem says what is wrong with the postback, if anything.
	Problem string `json:"problem,omitempty"`
	// Body is the postback as received. A body that is not JSON is kept as a
	// JSON string.
	Body json.RawMessage `json:"body,omitempty"`

	// extra is the keys of the record, as read, that this gatewalk does not
	// know, written back with it (historyjson.go). It is never changed in
	// place, so copies of the record may share it.
	extra map[string]json.RawMessage
}

// historyDoc is history-PROFILE.json.
type historyDoc struct {
	Version   int              `json:"version"`
	Profile   string           `json:"profile"`
	Entries   []HistoryEntry   `json:"entries"`
	Unmatched []PostbackRecord `json:"unmatched,omitempty"`

	// extra is the keys of the file that this gatewalk does not know; the
	// next save writes them back as they were.
	extra map[string]json.RawMessage
}

func historyFileName(profile string) string { return historyPrefix + profile + ".json" }

func (s *Store) loadHistory(profile string) (historyDoc, error) {
	d := historyDoc{Profile: profile}
	if profile != BuiltinProfileName && !profileNameRe.MatchString(profile) {
		return d, notFoundProfile(profile) // never a path outside the directory
	}
	name := historyFileName(profile)
	f := plainHistoryDoc{Profile: profile} // see historyjson.go
	exists, cached, fi, err := s.load(name,
		fmt.Sprintf("the transaction history of profile %q and the postbacks recorded with it (profiles, keys and local users are in other files and stay)", profile),
		fmt.Sprintf("the history of profile %q, `gatewalk listen` and the journeys that record transactions work again", profile), &f)
	d = f.document()
	if err == nil && exists && !cached {
		s.keepDoc(name, fi, d.snapshot())
	}
	return d, err
}

// snapshot is a deep copy of the document.
func (d historyDoc) snapshot() any {
	c := d
	c.Entries = slices.Clone(d.Entries)
	for i := range c.Entries {
		c.Entries[i].Postbacks = slices.Clone(c.Entries[i].Postbacks)
	}
	c.Unmatched = slices.Clone(d.Unmatched)
	c.extra = maps.Clone(d.extra)
	return c
}

// restore sets the document to a deep copy of a snapshot.
func (d *historyDoc) restore(doc any) { *d = doc.(historyDoc).snapshot().(historyDoc) }

// saveHistory keeps the newest MaxHistory entries, newest first.
func (s *Store) saveHistory(profile string, d historyDoc) error {
	d.Version, d.Profile = SchemaVersion, profile
	sortHistory(d.Entries)
	if len(d.Entries) > MaxHistory {
		d.Entries = d.Entries[:MaxHistory]
	}
	if len(d.Unmatched) > MaxUnmatchedPostbacks {
		d.Unmatched = d.Unmatched[len(d.Unmatched)-MaxUnmatchedPostbacks:]
	}
	defer s.forgetHistoryCache(profile)
	return s.saveCompact(historyFileName(profile), &d)
}

func sortHistory(es []HistoryEntry) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].CreatedAt.After(es[j].CreatedAt) })
}

// History lists a profile's transactions, newest first (at most MaxHistory).
func (s *Store) History(profile string) ([]HistoryEntry, error) {
	if err := s.requireProfile(profile); err != nil {
		return nil, err
	}
	d, err := s.loadHistory(profile)
	if err != nil {
		return nil, err
	}
	if err := s.mergePostbacks(profile, &d); err != nil {
		return nil, err
	}
	sortHistory(d.Entries)
	return d.Entries, nil
}

// AddHistory records a transaction. If the history already has its id, the
// entry is replaced, keeping the postbacks already received. Postbacks that
// arrived for the id before it was recorded move from the unmatched list to
// the entry. A zero CreatedAt is stamped with the store's clock.
func (s *Store) AddHistory(profile string, e HistoryEntry) error {
	if e.TransactionID == "" {
		return &gateway.ValidationError{Field: "transactionId", Problem: "is required"}
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now().UTC()
	}
	e.Postbacks = slices.Clone(e.Postbacks)
	return s.change(func() error {
		if err := s.requireProfile(profile); err != nil {
			return err
		}
		d, err := s.loadHistory(profile)
		if err != nil {
			return err
		}
		kept := d.Unmatched[:0]
		for _, pb := range d.Unmatched {
			if pb.TransactionID == e.TransactionID {
				e.Postbacks = append(e.Postbacks, pb)
			} else {
				kept = append(kept, pb)
			}
		}
		d.Unmatched = kept
		if i := slices.IndexFunc(d.Entries, func(o HistoryEntry) bool { return o.TransactionID == e.TransactionID }); i >= 0 {
			e.Postbacks = append(d.Entries[i].Postbacks, e.Postbacks...)
			if e.extra == nil {
				e.extra = d.Entries[i].extra // the keys a newer gatewalk added stay
			}
			d.Entries[i] = e
		} else {
			d.Entries = append(d.Entries, e)
		}
		trimPostbacks(&d.Entries[slices.IndexFunc(d.Entries, func(o HistoryEntry) bool { return o.TransactionID == e.TransactionID })])
		return s.saveHistory(profile, d)
	})
}

func trimPostbacks(e *HistoryEntry) {
	if n := len(e.Postbacks); n > MaxPostbacksPerTransaction {
		e.Postbacks = e.Postbacks[n-MaxPostbacksPerTransaction:]
	}
}

// UpdateHistory changes the entry of txnID with fn, under the lock; fn must
// not keep the pointer. The transaction id cannot be changed.
func (s *Store) UpdateHistory(profile, txnID string, fn func(*HistoryEntry)) error {
	return s.change(func() error {
		d, err := s.loadHistory(profile)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(d.Entries, func(o HistoryEntry) bool { return o.TransactionID == txnID })
		if i < 0 {
			if err := s.requireProfile(profile); err != nil {
				return err
			}
			return fmt.Errorf("%w: %s (profile %q keeps its newest %d transactions)", ErrTransactionNotFound, txnID, profile, MaxHistory)
		}
		fn(&d.Entries[i])
		d.Entries[i].TransactionID = txnID
		trimPostbacks(&d.Entries[i])
		return s.saveHistory(profile, d)
	})
}

// AddPostback keeps a received postback next to its transaction and reports
// matched=true, or, when the history has no such transaction, in the
// profile's unmatched list (see UnmatchedPostbacks). A zero ReceivedAt is
// stamped with the store's clock. It returns once the record is on disk
// (fsynced): a valid postback of a known transaction in the profile's
// append-only log, any other in its bounded ring (body cut to MaxKeptBody);
// concurrent calls share one write and fsync. The history file is only read.
func (s *Store) AddPostback(profile, txnID string, rec PostbackRecord) (matched bool, err error) {
	rec.TransactionID = txnID
	if rec.ReceivedAt.IsZero() {
		rec.ReceivedAt = s.now().UTC()
	}
	if len(rec.Body) > 0 && !json.Valid(rec.Body) {
		quoted, _ := json.Marshal(strings.ToValidUTF8(string(rec.Body), "\uFFFD"))
		rec.Body = quoted
	}
	if profile != BuiltinProfileName && !profileNameRe.MatchString(profile) {
		return false, notFoundProfile(profile)
	}
	if err := s.requireProfileCached(profile); err != nil {
		return false, err
	}
	known, err := s.knownTransaction(profile, txnID)
	if err != nil {
		return false, err
	}
	if known && rec.ChecksumValid {
		err = s.appendPostbackLog(profile, rec)
	} else {
		err = s.addToRing(profile, rec)
	}
	return known && err == nil, err
}

// UnmatchedPostbacks lists the postbacks whose transaction is not in the
// profile's history, newest first.
func (s *Store) UnmatchedPostbacks(profile string) ([]PostbackRecord, error) {
	if err := s.requireProfile(profile); err != nil {
		return nil, err
	}
	d, err := s.loadHistory(profile)
	if err != nil {
		return nil, err
	}
	if err := s.mergePostbacks(profile, &d); err != nil {
		return nil, err
	}
	out := slices.Clone(d.Unmatched)
	slices.Reverse(out)
	return out, nil
}

// checkHistoryReadable fails if the profile's history file exists but does
// not parse, so that removing the profile does not delete it unread.
func (s *Store) checkHistoryReadable(profile string) error {
	_, err := s.loadHistory(profile)
	return err
}
