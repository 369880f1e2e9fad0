package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// File names inside the config directory. Secrets live in profilesFile only.
const (
	profilesFile  = "profiles.json"
	usersFile     = "users.json"
	historyPrefix = "history-"
	lockFileName  = ".lock"
	tmpMarker     = ".tmp-"
)

// SchemaVersion is the schema version of the files this gatewalk writes.
// Files with an older version (or none: version 0) are migrated when read
// and written back in this version by the next change; a file with a newer
// version is refused and left as it is.
const SchemaVersion = 1

// DefaultLockTimeout is how long a change waits for another gatewalk process
// that is writing to the same config directory.
const DefaultLockTimeout = 10 * time.Second

// StoreOptions tunes OpenStoreWith. The zero value is the default.
type StoreOptions struct {
	// Now is the clock for ConnectedAt and similar stamps; time.Now if nil.
	Now func() time.Time
	// LockTimeout bounds the wait for the directory lock; DefaultLockTimeout if zero.
	LockTimeout time.Duration
	// Keyring keeps profiles' secrets outside profiles.json; nil means this
	// process has no keyring and secrets stay in the file, as before.
	Keyring KeyringBackend
	// KeyringTimeout bounds each keyring call (KeyringTimeout if zero).
	KeyringTimeout time.Duration
	// KeyringAfter is the timer of that bound (time.After if nil).
	KeyringAfter func(time.Duration) <-chan time.Time
	// Warn receives the keyring's warnings (one line each, at most one of
	// each kind per Store): keys stored in the file because the keyring did
	// not answer, keys that could not be read.
	Warn func(string)
	// OnRead, when set, is told of each file read from disk (its name in
	// the directory); a file unchanged since this Store read or wrote it is
	// not read again.
	OnRead func(name string)
}

// Store is the operator's config directory: profiles, local users and
// transaction history. Every change takes a cross-process lock on the
// directory, re-reads the file, changes it and replaces it atomically, so
// several gatewalk processes may share one directory. A Store is safe for
// concurrent use.
type Store struct {
	dir         string
	now         func() time.Time
	lockTimeout time.Duration
	mu          sync.Mutex // serialises this process's writers before the file lock
	pb          pbState    // the postback log and ring (postbacklog.go)
	files       fileCache  // what was last read or written of each file (filecache.go)
	keys        *keyringState
}

// DefaultDir returns $GATEWALK_CONFIG_DIR, else os.UserConfigDir()/gatewalk.
func DefaultDir(getenv func(string) string) (string, error) {
	if getenv != nil {
		if d := getenv("GATEWALK_CONFIG_DIR"); d != "" {
			abs, err := filepath.Abs(d)
			if err != nil {
				return "", fmt.Errorf("GATEWALK_CONFIG_DIR %q: %w", d, err)
			}
			return abs, nil
		}
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no user config directory (%w): set GATEWALK_CONFIG_DIR to a directory gatewalk may use", err)
	}
	return filepath.Join(base, "gatewalk"), nil
}

// OpenStore opens (creating it if needed) the config directory dir. It
// checks that the directory is 0700 and its files 0600, repairs them if not
// and returns one warning per repair. Files are read lazily, so a corrupt
// file is reported by the call that needs it.
func OpenStore(dir string) (*Store, []string, error) {
	return OpenStoreWith(dir, StoreOptions{})
}

// OpenStoreWith is OpenStore with options.
func OpenStoreWith(dir string, opt StoreOptions) (*Store, []string, error) {
	if dir == "" {
		return nil, nil, errors.New("no config directory given")
	}
	s := &Store{dir: dir, now: opt.Now, lockTimeout: opt.LockTimeout, keys: newKeyringState(opt)}
	s.files.onRead = opt.OnRead
	if s.now == nil {
		s.now = time.Now
	}
	if s.lockTimeout <= 0 {
		s.lockTimeout = DefaultLockTimeout
	}
	warnings, err := s.checkPermissions()
	if err != nil {
		return nil, warnings, err
	}
	s.removeStaleTemps()
	return s, warnings, nil
}

// Dir is the config directory.
func (s *Store) Dir() string { return s.dir }

// checkPermissions creates the directory 0700 or repairs it, and repairs
// every regular file in it to 0600.
func (s *Store) checkPermissions() ([]string, error) {
	var warnings []string
	fi, err := os.Stat(s.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return nil, fmt.Errorf("create config directory %s: %w", s.dir, err)
		}
		// MkdirAll honours the umask; make sure of 0700.
		if err := os.Chmod(s.dir, 0o700); err != nil {
			return nil, fmt.Errorf("config directory %s: %w", s.dir, err)
		}
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("config directory %s: %w", s.dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("config directory %s is not a directory: point GATEWALK_CONFIG_DIR at a directory", s.dir)
	}
	if runtime.GOOS == "windows" {
		return nil, nil // modes mean little there; the user profile's ACLs apply
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		if err := os.Chmod(s.dir, 0o700); err != nil {
			return nil, fmt.Errorf("config directory %s is mode %04o and cannot be set to 0700: %w", s.dir, perm, err)
		}
		warnings = append(warnings, fmt.Sprintf("config directory %s was mode %04o; gatewalk set it to 0700", s.dir, perm))
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return warnings, fmt.Errorf("config directory %s: %w", s.dir, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			path := filepath.Join(s.dir, e.Name())
			if err := os.Chmod(path, 0o600); err != nil {
				return warnings, fmt.Errorf("%s is mode %04o (readable by others) and cannot be set to 0600: %w", path, perm, err)
			}
			warnings = append(warnings, fmt.Sprintf("%s was mode %04o; gatewalk set it to 0600", path, perm))
		}
	}
	return warnings, nil
}

// removeStaleTemps deletes temporary files left by a writer that died before
// its rename. It runs only when it gets the lock at once: a held lock means a
// writer is alive and its temporary file is not stale.
func (s *Store) removeStaleTemps() {
	l, err := tryLockDir(s.dir)
	if err != nil || l == nil {
		return
	}
	defer l.unlock()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), tmpMarker) && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}

// change runs fn with the directory locked against other processes and
// other goroutines. fn re-reads what it changes.
func (s *Store) change(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := lockDir(s.dir, s.lockTimeout)
	if err != nil {
		return err
	}
	defer l.unlock()
	return fn()
}

// CorruptFileError is a config file that does not parse, that holds values
// gatewalk cannot use, or that a newer gatewalk wrote. gatewalk never
// overwrites such a file.
type CorruptFileError struct {
	Path string
	Err  error
	// Loses says what starting again without the file forgets.
	Loses string
	// Recovers says what works again once the file is moved aside.
	Recovers string
	// Invalid is set when the file parses but a value in it is not usable
	// (Err names the entry and the field).
	Invalid bool
	// Newer is set when the file's schema version is newer than SchemaVersion.
	Newer int
}

// Error tells what is wrong with the file, that gatewalk left it as it is,
// and how to recover.
func (e *CorruptFileError) Error() string {
	if e.Newer > 0 {
		return fmt.Sprintf("%s was written by a newer gatewalk (schema version %d; this one reads up to %d). "+
			"gatewalk has not changed it: use the newer gatewalk, or move the file aside to start again without %s",
			e.Path, e.Newer, SchemaVersion, e.Loses)
	}
	aside := fmt.Sprintf("move it aside (mv %s %s.broken): gatewalk then starts again without %s, and %s; "+
		"copy what you need back from the moved file", e.Path, e.Path, e.Loses, e.Recovers)
	if e.Invalid {
		return fmt.Sprintf("%s is not valid: %v. gatewalk has not changed it. To recover, correct that field in the file, or %s",
			e.Path, e.Err, aside)
	}
	return fmt.Sprintf("%s does not parse (%v). gatewalk has not changed it. To recover, correct the file, or %s",
		e.Path, e.Err, aside)
}

// Unwrap returns the parse or validation error.
func (e *CorruptFileError) Unwrap() error { return e.Err }

// jsonProblem is a JSON decoding error told in terms of the file: where it
// is and what was expected, not Go types.
type jsonProblem struct {
	msg string
	err error
}

func (p *jsonProblem) Error() string { return p.msg }
func (p *jsonProblem) Unwrap() error { return p.err }

// explainJSON translates an encoding/json error about src. src may be nil
// when the bytes that failed are not the file's (after a migration): the
// position is then left out.
func explainJSON(src []byte, err error) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
		pe *time.ParseError
	)
	at := func(offset int64) string {
		if src == nil || offset <= 0 || offset > int64(len(src))+1 {
			return ""
		}
		line, col := lineCol(src, offset)
		return fmt.Sprintf("line %d, column %d: ", line, col)
	}
	var msg string
	switch {
	case errors.As(err, &se):
		text := se.Error()
		switch {
		case strings.HasPrefix(text, "invalid character "):
			text = "unexpected character " + strings.TrimPrefix(text, "invalid character ")
		}
		offset := se.Offset
		if text == "unexpected end of JSON input" {
			// Point just past the last character, where more was expected.
			text, offset = "unexpected end of the file (it stops in the middle of a value)", offset+1
		}
		msg = at(offset) + text
	case errors.As(err, &te):
		field := ""
		if te.Field != "" {
			field = "field " + te.Field + ": "
		}
		found := te.Value
		if n, ok := strings.CutPrefix(found, "number "); ok {
			found = "the number " + n
		} else {
			found = article(found)
		}
		msg = fmt.Sprintf("%s%sexpected %s, found %s", at(te.Offset), field, jsonKind(te.Type), found)
	case errors.As(err, &pe):
		msg = fmt.Sprintf("a date is not a time such as 2026-01-02T15:04:05Z (%q)", pe.Value)
	case strings.HasPrefix(err.Error(), "Time.UnmarshalJSON"):
		msg = "a date is not a string such as \"2026-01-02T15:04:05Z\""
	default:
		msg = goTypeRe.ReplaceAllString(strings.TrimPrefix(err.Error(), "json: "), "")
	}
	return &jsonProblem{msg: msg, err: err}
}

// goTypeRe removes Go type names from an error text that explainJSON does
// not know.
var goTypeRe = regexp.MustCompile(` (into|of type) [^ ]*(Go struct field [^ ]* of type [^ ]*)?`)

// lineCol is the 1-based line and column of the byte before offset, where
// encoding/json stopped.
func lineCol(src []byte, offset int64) (line, col int) {
	i := int(offset) - 1
	line = 1 + bytes.Count(src[:i], []byte("\n"))
	start := bytes.LastIndexByte(src[:i], '\n') + 1
	return line, i - start + 1
}

// jsonKind names what a Go type is in JSON.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	if t == reflect.TypeFor[time.Time]() {
		return "a time string such as \"2026-01-02T15:04:05Z\""
	}
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Name() == "RawMessage" {
			return "a JSON value"
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "another value"
}

// article puts "a" or "an" before a JSON kind as encoding/json names it.
func article(kind string) string {
	switch kind {
	case "array", "object":
		return "an " + kind
	case "bool":
		return "true or false"
	case "":
		return "another value"
	}
	return "a " + kind
}

// migrations[v] turns a file of schema version v into version v+1. Version 0
// is a file from before the version field: same shape, no "version".
var migrations = map[int]func(doc map[string]json.RawMessage) error{
	0: func(doc map[string]json.RawMessage) error {
		doc["version"] = json.RawMessage("1")
		return nil
	},
}

// cachedDoc is a file's document that the store may keep between reads:
// it copies itself deeply.
type cachedDoc interface {
	// snapshot is a deep copy of the document.
	snapshot() any
	// restore sets the document to a deep copy of doc, a snapshot.
	restore(doc any)
}

// load reads name into v, migrating older schemas in memory. A missing file
// leaves v alone and reports exists=false. When the file is unchanged since
// the store kept its document (see keepDoc), v gets a copy of that instead
// and cached is true; fi identifies the file read.
func (s *Store) load(name, loses, recovers string, v cachedDoc) (exists, cached bool, fi fs.FileInfo, err error) {
	b, doc, fi, err := s.readFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil, nil
	}
	if err != nil {
		return false, false, nil, readErr(s.dir, name, err)
	}
	if doc != nil {
		v.restore(doc)
		return true, true, fi, nil
	}
	if err := decodeVersioned(b, v); err != nil {
		var ce *CorruptFileError
		if errors.As(err, &ce) {
			ce.Path, ce.Loses, ce.Recovers = filepath.Join(s.dir, name), loses, recovers
		}
		return true, false, fi, err
	}
	return true, false, fi, nil
}

// decodeCurrent decodes b into v in one pass when b is a current file (its
// version SchemaVersion) with only the keys this gatewalk knows and nothing
// after the object. Otherwise it reports false and v is to be reset.
func decodeCurrent(b []byte, v interface{ schemaVersion() int }) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if dec.Decode(v) != nil || v.schemaVersion() != SchemaVersion {
		return false
	}
	// More() is false before a stray ']' or '}' too: only the end will do.
	_, err := dec.Token()
	return err == io.EOF
}

// decodeVersioned parses b, migrates it to SchemaVersion and decodes it into v.
func decodeVersioned(b []byte, v any) error {
	// The common case, a current file, is decoded once.
	if cv, ok := v.(interface{ schemaVersion() int }); ok {
		if decodeCurrent(b, cv) {
			return nil
		}
		reflect.ValueOf(v).Elem().SetZero()
	}
	var head struct {
		Version json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err == nil && string(head.Version) == strconv.Itoa(SchemaVersion) {
		if err := json.Unmarshal(b, v); err != nil {
			return &CorruptFileError{Err: explainJSON(b, err)}
		}
		keepUnknown(v, b)
		return nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return &CorruptFileError{Err: explainJSON(b, err)}
	}
	if doc == nil {
		return &CorruptFileError{Err: errors.New("the file holds null, not an object")}
	}
	version := 0
	if raw, ok := doc["version"]; ok {
		if err := json.Unmarshal(raw, &version); err != nil || version < 0 {
			return &CorruptFileError{Err: fmt.Errorf("version %s is not a schema version", raw)}
		}
	}
	if version > SchemaVersion {
		return &CorruptFileError{Err: fmt.Errorf("schema version %d", version), Newer: version}
	}
	for ; version < SchemaVersion; version++ {
		if err := migrations[version](doc); err != nil {
			return &CorruptFileError{Err: fmt.Errorf("migrating from schema version %d: %w", version, err)}
		}
	}
	nb, err := json.Marshal(doc)
	if err != nil {
		return &CorruptFileError{Err: err}
	}
	if err := json.Unmarshal(nb, v); err != nil {
		return &CorruptFileError{Err: explainJSON(nil, err)}
	}
	keepUnknown(v, nb)
	return nil
}

// unknownKeeper is a file's document that remembers the keys this gatewalk
// does not know (written by a newer or another tool, or by hand), so that
// saving a change writes them back instead of dropping them.
type unknownKeeper interface {
	// rememberUnknown is given the (migrated) bytes the document was decoded from.
	rememberUnknown(b []byte)
}

// keepUnknown lets v remember its unknown keys if it can.
func keepUnknown(v any, b []byte) {
	if k, ok := v.(unknownKeeper); ok {
		k.rememberUnknown(b)
	}
}

// unknownKeys returns the keys of the JSON object obj that decoding it into
// the struct type t does not use, with their values; nil if there are none
// or obj is not an object. encoding/json matches keys to fields without
// regard to case, so a key that folds to a field's name counts as known.
func unknownKeys(obj []byte, t reflect.Type) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(obj, &m) != nil {
		return nil
	}
	known := jsonFieldNames(t)
	for k := range m {
		for _, f := range known {
			if strings.EqualFold(k, f) {
				delete(m, k)
				break
			}
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// jsonFieldNames is the JSON names of the exported fields of struct type t.
func jsonFieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// withUnknown appends the keys of extra, in sorted order, to the end of the
// JSON object obj (as json.Marshal writes it). Keys already in obj win.
func withUnknown(obj []byte, extra map[string]json.RawMessage) ([]byte, error) {
	if len(extra) == 0 {
		return obj, nil
	}
	var have map[string]json.RawMessage
	if err := json.Unmarshal(obj, &have); err != nil {
		return nil, err
	}
	trimmed := bytes.TrimRight(obj, " \t\r\n")
	if len(trimmed) == 0 || trimmed[len(trimmed)-1] != '}' {
		return nil, errors.New("not a JSON object")
	}
	out := append([]byte(nil), trimmed[:len(trimmed)-1]...)
	empty := len(have) == 0
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, dup := have[k]; dup {
			continue
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		if !empty {
			out = append(out, ',')
		}
		empty = false
		out = append(append(append(out, kb...), ':'), extra[k]...)
	}
	return append(out, '}'), nil
}

// replaceKey returns the JSON object obj with the value of key replaced by
// val, keeping the order of the keys.
func replaceKey(obj []byte, key string, val []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	out := []byte{'{'}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if k == key {
			v = val
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(append(append(out, kb...), ':'), v...)
	}
	return append(out, '}'), nil
}

// save writes v to name atomically: a temporary file in the same directory,
// fsync, rename over the old file, fsync of the directory. A reader sees the
// old file or the new one, never a mix, even if the process dies. The store
// then keeps v's snapshot as the file's document.
func (s *Store) save(name string, v cachedDoc) error {
	// Indented: people read these files, and fix them by hand when asked to.
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	return s.writeFile(name, append(b, '\n'), v.snapshot())
}

// saveCompact is save without indentation, for the history: larger, read by
// gatewalk, and holding postback bodies that should keep their bytes.
func (s *Store) saveCompact(name string, v cachedDoc) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	return s.writeFile(name, append(b, '\n'), v.snapshot())
}

func writeFileAtomic(dir, name string, data []byte) error {
	_, err := writeAtomic(dir, name, data)
	return err
}

// writeAtomic is writeFileAtomic returning the identity of the file written.
func writeAtomic(dir, name string, data []byte) (fi fs.FileInfo, err error) {
	path := filepath.Join(dir, name)
	f, err := os.CreateTemp(dir, "."+name+tmpMarker+"*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	// The rename keeps the inode, size and modification time.
	if fi, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(dir)
	return fi, nil
}

// syncDir makes a rename durable. Best effort: not every platform can fsync
// a directory, and the rename already happened.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}

// remove deletes name if it exists; with a history file go the profile's
// postback log and ring.
func (s *Store) remove(name string) error {
	s.files.forget(name)
	err := os.Remove(filepath.Join(s.dir, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if p, ok := strings.CutPrefix(name, historyPrefix); ok {
		if p, ok := strings.CutSuffix(p, ".json"); ok {
			if err := s.dropPostbackFiles(p); err != nil {
				return err
			}
		}
	}
	syncDir(s.dir)
	return nil
}
