package session

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Postbacks are not kept in the history file (rewriting it for each one was
// slow and grew with the history). A valid postback of a known transaction
// is appended to the profile's log, postbacks-PROFILE.jsonl, one JSON
// record a line; every other one (bad checksum, unknown transaction, a
// pending action, which names no transaction, malformed, too large) goes to the profile's ring, postbacks-PROFILE.ring:
// RingSlots fixed-size slots, the oldest overwritten, each body cut to its
// first MaxKeptBody bytes. Both are fsynced before AddPostback returns, and
// concurrent calls share one write and one fsync (group commit). History
// and UnmatchedPostbacks merge them back.
const (
	postbackFilePrefix = "postbacks-"
	postbackLogSuffix  = ".jsonl"
	postbackRingSuffix = ".ring"

	// RingSlots is how many rejected or unmatched postbacks a profile keeps.
	RingSlots = MaxUnmatchedPostbacks
	// MaxKeptBody is how much of a rejected or unmatched postback's body is kept.
	MaxKeptBody = 4 << 10
	// ringSlotSize is the size of one slot of the ring file.
	ringSlotSize = 8 << 10
	// PostbackRingBytes bounds the size of a profile's ring file.
	PostbackRingBytes = RingSlots * ringSlotSize

	ringPrefixLen = len(`{"seq":`) + 20 + len(`,"rec":`)
	ringCapacity  = ringSlotSize - ringPrefixLen - len("}\n")
)

func postbackLogName(profile string) string {
	return postbackFilePrefix + profile + postbackLogSuffix
}

func postbackRingName(profile string) string {
	return postbackFilePrefix + profile + postbackRingSuffix
}

// pbState is the Store's in-memory part of the postback storage.
type pbState struct {
	mu    sync.Mutex
	files map[string]*groupFile // by file name
	txns  map[string]*statCache // by profile: the transaction ids of its history
	profs *statCache            // the profile names known to exist
}

// statCache is a set read from a file, valid while the file's stat is unchanged.
type statCache struct {
	fi     fs.FileInfo // nil: the file did not exist
	values map[string]bool
}

func (c *statCache) validFor(fi fs.FileInfo) bool {
	if c == nil {
		return false
	}
	if fi == nil || c.fi == nil {
		return fi == nil && c.fi == nil
	}
	return sameFile(c.fi, fi)
}

// statOf is the file's stat, nil when it does not exist (or cannot be
// stat'ed: the read that follows reports why).
func statOf(path string) fs.FileInfo {
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	return fi
}

// requireProfileCached is requireProfile without re-reading profiles.json
// while it is unchanged.
func (s *Store) requireProfileCached(profile string) error {
	fi := statOf(filepath.Join(s.dir, profilesFile))
	s.pb.mu.Lock()
	ok := s.pb.profs.validFor(fi) && s.pb.profs.values[profile]
	s.pb.mu.Unlock()
	if ok {
		return nil
	}
	if err := s.requireProfile(profile); err != nil {
		return err
	}
	s.pb.mu.Lock()
	if !s.pb.profs.validFor(fi) {
		s.pb.profs = &statCache{fi: fi, values: map[string]bool{}}
	}
	s.pb.profs.values[profile] = true
	s.pb.mu.Unlock()
	return nil
}

// knownTransaction reports whether the profile's history has txnID,
// re-reading the history file only when it changed.
func (s *Store) knownTransaction(profile, txnID string) (bool, error) {
	fi := statOf(filepath.Join(s.dir, historyFileName(profile)))
	s.pb.mu.Lock()
	c := s.pb.txns[profile]
	s.pb.mu.Unlock()
	if !c.validFor(fi) {
		d, err := s.loadHistory(profile)
		if err != nil {
			return false, err
		}
		c = &statCache{fi: fi, values: make(map[string]bool, len(d.Entries))}
		for _, e := range d.Entries {
			c.values[e.TransactionID] = true
		}
		s.pb.mu.Lock()
		if s.pb.txns == nil {
			s.pb.txns = map[string]*statCache{}
		}
		s.pb.txns[profile] = c
		s.pb.mu.Unlock()
	}
	return txnID != "" && c.values[txnID], nil
}

// forgetHistoryCache drops what knownTransaction remembers of a profile.
func (s *Store) forgetHistoryCache(profile string) {
	s.pb.mu.Lock()
	delete(s.pb.txns, profile)
	s.pb.mu.Unlock()
}

// dropPostbackFiles removes a profile's postback log and ring, with its history.
func (s *Store) dropPostbackFiles(profile string) error {
	s.pb.mu.Lock()
	// Their files stay open until a writer in flight is done with them:
	// it finds them replaced or gone at its next batch and reopens.
	delete(s.pb.files, postbackLogName(profile))
	delete(s.pb.files, postbackRingName(profile))
	delete(s.pb.txns, profile)
	s.pb.mu.Unlock()
	for _, name := range []string{postbackLogName(profile), postbackRingName(profile)} {
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// groupFile batches concurrent writes to one file: the first caller writes
// and fsyncs the batch waiting when it starts; callers arriving meanwhile
// join the next batch, written by one of them (group commit). Every caller
// returns once its own batch is durable.
type groupFile struct {
	path  string
	flush func(g *groupFile, items [][]byte, sync bool) error

	mu   sync.Mutex
	next *gcBatch
	busy bool

	// Used by the one flusher at a time only.
	f    *os.File
	torn bool // the log may end in a partial line
	// ringSeq is the ring's last sequence number as this Store last wrote
	// it (0: not known); flushRing checks that no other process wrote
	// after it before using it.
	ringSeq uint64
	// after, when set, runs after each batch is durable and answered,
	// before the next batch (the log's compaction).
	after func(g *groupFile)
	// compacted is the log's size after its last compaction here.
	compacted int64
	// syncs counts the fsyncs of the ring (tests).
	syncs int
}

type gcBatch struct {
	items [][]byte
	sync  bool // an item must be fsynced before its caller returns
	done  chan struct{}
	err   error
}

func (s *Store) groupFile(name string, flush func(g *groupFile, items [][]byte, sync bool) error, after func(g *groupFile)) *groupFile {
	s.pb.mu.Lock()
	defer s.pb.mu.Unlock()
	if s.pb.files == nil {
		s.pb.files = map[string]*groupFile{}
	}
	g := s.pb.files[name]
	if g == nil {
		g = &groupFile{path: filepath.Join(s.dir, name), flush: flush, after: after}
		s.pb.files[name] = g
	}
	return g
}

// commit writes item with the next batch and returns once it is written,
// and fsynced when durable.
func (g *groupFile) commit(item []byte, durable bool) error {
	g.mu.Lock()
	if g.next == nil {
		g.next = &gcBatch{done: make(chan struct{})}
	}
	b := g.next
	b.items = append(b.items, item)
	b.sync = b.sync || durable
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if lead {
		g.drain()
	}
	<-b.done
	return b.err
}

// drain flushes the waiting batch, then hands the next one, if any, to a
// new flusher so that this caller can answer.
func (g *groupFile) drain() {
	g.mu.Lock()
	b := g.next
	g.next = nil
	g.mu.Unlock()
	b.err = g.flush(g, b.items, b.sync)
	close(b.done)
	if g.after != nil && b.err == nil {
		// Off this caller's answer: the next batch waits for it instead.
		go func() {
			g.after(g)
			g.handOn()
		}()
		return
	}
	g.handOn()
}

// handOn gives the next batch, if any, to a new flusher.
func (g *groupFile) handOn() {
	g.mu.Lock()
	more := g.next != nil
	g.busy = more
	g.mu.Unlock()
	if more {
		go g.drain()
	}
}

// open opens the file once, 0600, syncing the directory when it was created.
func (g *groupFile) open(flag int) error {
	if g.f != nil {
		return nil
	}
	_, statErr := os.Stat(g.path)
	f, err := os.OpenFile(g.path, os.O_RDWR|os.O_CREATE|flag, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", g.path, err)
	}
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return fmt.Errorf("open %s: %w", g.path, err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		syncDir(filepath.Dir(g.path))
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 && flag&os.O_APPEND != 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err != nil || last[0] != '\n' {
			g.torn = true // a writer died in the middle of a line
		}
	}
	g.f = f
	return nil
}

// flushLog appends the batch's lines in one write and fsyncs, under the
// directory's lock: a compaction (in this process or another) replaces the
// log, and a log replaced since it was opened is opened again.
func (s *Store) flushLog(g *groupFile, items [][]byte, _ bool) error {
	l, err := s.lockAndOpen(g, os.O_APPEND)
	if err != nil {
		return err
	}
	defer l.unlock()
	n := 1
	for _, it := range items {
		n += len(it)
	}
	buf := make([]byte, 0, n)
	if g.torn {
		buf = append(buf, '\n') // isolate the partial line
	}
	for _, it := range items {
		buf = append(buf, it...)
	}
	if _, err := g.f.Write(buf); err != nil {
		g.torn = true
		return fmt.Errorf("write %s: %w", g.path, err)
	}
	g.torn = false
	if err := g.f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", g.path, err)
	}
	return nil
}

// lockAndOpen takes the directory's lock and opens g's file (with flag),
// again when its path now names another file or none.
func (s *Store) lockAndOpen(g *groupFile, flag int) (*dirLock, error) {
	l, err := lockDir(s.dir, s.lockTimeout)
	if err != nil {
		return nil, err
	}
	if err := g.reopenIfReplaced(); err != nil {
		l.unlock()
		return nil, err
	}
	if err := g.open(flag); err != nil {
		l.unlock()
		return nil, err
	}
	return l, nil
}

// reopenIfReplaced closes the file when its path now names another file
// (or none), so that the next open takes the one there now.
func (g *groupFile) reopenIfReplaced() error {
	if g.f == nil {
		return nil
	}
	open, err := g.f.Stat()
	if err != nil {
		return fmt.Errorf("write %s: %w", g.path, err)
	}
	if now, err := os.Stat(g.path); err == nil && os.SameFile(open, now) {
		return nil
	}
	g.f.Close()
	g.f, g.torn, g.ringSeq = nil, false, 0
	return nil
}

// Compaction of the log. The views show the newest
// MaxPostbacksPerTransaction postbacks of each transaction of the history,
// and only those seed the listener's replays: the log keeps those and drops
// the rest once it has doubled since it was last compacted, so a log takes
// at most about twice what the views read, and each postback is rewritten
// a bounded number of times (amortised, once).
const compactLogFloor = 1 << 20

// compactLogIfDue compacts the profile's log when it has grown past twice
// its size after the last compaction (and past compactLogFloor). It runs
// between batches of the log's writer.
func (s *Store) compactLogIfDue(profile string, g *groupFile) {
	fi, err := os.Stat(g.path)
	if err != nil || fi.Size() <= max(compactLogFloor, 2*g.compacted) {
		return
	}
	if err := s.compactLog(profile, g); err != nil {
		// The log stays as it is; it is tried again once it has doubled.
		g.compacted = fi.Size()
	}
}

// compactLog rewrites the log with the postbacks the views can show: the
// newest MaxPostbacksPerTransaction of each transaction in the history, in
// arrival order, under the directory's lock, replacing the file atomically.
func (s *Store) compactLog(profile string, g *groupFile) error {
	l, err := lockDir(s.dir, s.lockTimeout)
	if err != nil {
		return err
	}
	defer l.unlock()
	d, err := s.loadHistory(profile)
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(d.Entries))
	for _, e := range d.Entries {
		known[e.TransactionID] = true
	}
	lines, err := s.readLogLines(profile)
	if err != nil {
		return err
	}
	// Newest first: keep a line while its transaction has room.
	left := map[string]int{}
	keep := make([]bool, len(lines))
	for i := len(lines) - 1; i >= 0; i-- {
		id := lines[i].txn
		if !known[id] {
			continue
		}
		if _, ok := left[id]; !ok {
			left[id] = MaxPostbacksPerTransaction
		}
		if left[id] > 0 {
			left[id]--
			keep[i] = true
		}
	}
	var buf bytes.Buffer
	for i, ln := range lines {
		if keep[i] {
			buf.Write(ln.raw)
			buf.WriteByte('\n')
		}
	}
	fi, err := writeAtomic(s.dir, postbackLogName(profile), buf.Bytes())
	if err != nil {
		return err
	}
	if g.f != nil {
		g.f.Close()
		g.f, g.torn = nil, false
	}
	g.compacted = fi.Size()
	return nil
}

// logLine is one record of the log: its bytes and its transaction.
type logLine struct {
	raw []byte
	txn string
}

// readLogLines reads the profile's log as lines; lines that do not parse
// (a write cut short) are left out.
func (s *Store) readLogLines(profile string) ([]logLine, error) {
	path := filepath.Join(s.dir, postbackLogName(profile))
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var out []logLine
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		line = bytes.TrimSpace(line)
		var head struct {
			TransactionID string `json:"transactionId"`
		}
		if len(line) == 0 || json.Unmarshal(line, &head) != nil {
			continue
		}
		out = append(out, logLine{raw: line, txn: head.TransactionID})
	}
	return out, nil
}

// flushRing writes each item into the next slot of the ring, and fsyncs
// when sync. The directory lock keeps two processes from taking the same
// slot; a ring removed (with its profile) since it was opened is opened
// again.
func (s *Store) flushRing(g *groupFile, items [][]byte, sync bool) error {
	l, err := s.lockAndOpen(g, 0)
	if err != nil {
		return err
	}
	defer l.unlock()
	seq, err := g.lastRingSeq()
	if err != nil {
		return fmt.Errorf("read %s: %w", g.path, err)
	}
	g.ringSeq = 0
	slot := make([]byte, ringSlotSize)
	for _, it := range items {
		seq++
		slot = slot[:0]
		slot = append(slot, `{"seq":`...)
		slot = append(slot, fmt.Sprintf("%20d", seq)...)
		slot = append(slot, `,"rec":`...)
		slot = append(slot, it...)
		slot = append(slot, '}')
		slot = append(slot, padding[:ringSlotSize-1-len(slot)]...)
		slot = append(slot, '\n')
		if _, err := g.f.WriteAt(slot, int64(seq%RingSlots)*ringSlotSize); err != nil {
			return fmt.Errorf("write %s: %w", g.path, err)
		}
	}
	if sync {
		if err := g.f.Sync(); err != nil {
			return fmt.Errorf("write %s: %w", g.path, err)
		}
		g.syncs++
	}
	g.ringSeq = seq
	return nil
}

// padding fills a ring slot after its record.
var padding = bytes.Repeat([]byte{' '}, ringSlotSize)

// lastRingSeq is the ring's last sequence number: the one this Store
// wrote last when the slot after it shows that nobody wrote since (one
// read of a slot's head, exact whatever the file's timestamps), else from
// every slot.
func (g *groupFile) lastRingSeq() (uint64, error) {
	if g.ringSeq > 0 {
		head := make([]byte, ringPrefixLen)
		n, err := g.f.ReadAt(head, int64((g.ringSeq+1)%RingSlots)*ringSlotSize)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if next, ok := ringSeq(head[:n]); !ok || next <= g.ringSeq {
			return g.ringSeq, nil
		}
	}
	return ringLastSeq(g.f)
}

// ringLastSeq is the highest sequence number in the ring's slots (0 when empty).
func ringLastSeq(f *os.File) (uint64, error) {
	var last uint64
	head := make([]byte, ringPrefixLen)
	for i := range RingSlots {
		n, err := f.ReadAt(head, int64(i)*ringSlotSize)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		if seq, ok := ringSeq(head[:n]); ok && seq > last {
			last = seq
		}
	}
	return last, nil
}

func ringSeq(head []byte) (uint64, bool) {
	rest, ok := bytes.CutPrefix(head, []byte(`{"seq":`))
	if !ok || len(rest) < 20 {
		return 0, false
	}
	seq, err := strconv.ParseUint(strings.TrimSpace(string(rest[:20])), 10, 64)
	return seq, err == nil
}

// appendPostbackLog records a valid postback of a known transaction.
func (s *Store) appendPostbackLog(profile string, rec PostbackRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode postback: %w", err)
	}
	g := s.groupFile(postbackLogName(profile), s.flushLog, func(g *groupFile) { s.compactLogIfDue(profile, g) })
	return g.commit(append(line, '\n'), true)
}

// addToRing records a rejected or unmatched postback, bounded. A postback
// whose checksum holds (a pending action, an unknown transaction) is
// fsynced before this returns, as it is answered 2xx; a refused one is
// written but not waited on: its sender was told no and tries again, and
// only a crash of the machine, not of gatewalk, can lose that write. So a
// flood of refused requests does not queue for the disk ahead of the
// postbacks that are answered after their fsync.
func (s *Store) addToRing(profile string, rec PostbackRecord) error {
	item, err := ringItem(rec)
	if err != nil {
		return err
	}
	return s.groupFile(postbackRingName(profile), s.flushRing, nil).commit(item, rec.ChecksumValid)
}

// ringItem encodes rec to fit one slot: short fields clipped, the body cut
// to its first MaxKeptBody bytes (kept as a JSON string, with a note in
// Problem), less if escaping makes it too long.
func ringItem(rec PostbackRecord) ([]byte, error) {
	rec.TransactionID, rec.Event, rec.Status = clip(rec.TransactionID, 128), clip(rec.Event, 64), clip(rec.Status, 64)
	rec.Problem = clip(rec.Problem, 512)
	body := rec.Body
	for limit := MaxKeptBody; ; limit /= 2 {
		r := rec
		if len(body) > limit {
			text := string(body)
			var s string
			if json.Unmarshal(body, &s) == nil {
				text = s
			}
			if len(text) > limit {
				r.Problem = strings.TrimSpace(fmt.Sprintf("%s (body cut to its first %d of %d bytes)", r.Problem, limit, len(text)))
				text = clip(text, limit)
			}
			r.Body, _ = json.Marshal(text)
			if limit == 0 {
				r.Body = nil
			}
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode postback: %w", err)
		}
		if len(b) <= ringCapacity || limit == 0 {
			return b, nil
		}
	}
}

// clip cuts s to at most n bytes of valid UTF-8.
func clip(s string, n int) string {
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// readPostbackLog reads the profile's log; lines that do not parse (a
// write cut short) are skipped.
func (s *Store) readPostbackLog(profile string) ([]PostbackRecord, error) {
	path := filepath.Join(s.dir, postbackLogName(profile))
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	var out []PostbackRecord
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var rec PostbackRecord
			if decodeRecord(line, &rec) == nil {
				out = append(out, rec)
			}
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
}

// readRing reads the profile's ring, oldest first; slots that do not parse
// are skipped.
func (s *Store) readRing(profile string) ([]PostbackRecord, error) {
	path := filepath.Join(s.dir, postbackRingName(profile))
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	type slot struct {
		Seq uint64         `json:"seq"`
		Rec PostbackRecord `json:"rec"`
	}
	var slots []slot
	for off := 0; off < len(b); off += ringSlotSize {
		var sl slot
		if json.Unmarshal(b[off:min(off+ringSlotSize, len(b))], &sl) == nil && sl.Seq > 0 {
			slots = append(slots, sl)
		}
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].Seq < slots[j].Seq })
	out := make([]PostbackRecord, len(slots))
	for i, sl := range slots {
		out[i] = sl.Rec
	}
	return out, nil
}

// mergePostbacks adds the log's and the ring's postbacks to d: those of a
// transaction in d go with it (arrival order, the newest
// MaxPostbacksPerTransaction); the ring's others are unmatched (the newest
// MaxUnmatchedPostbacks). A logged postback whose transaction left the
// history goes with it.
func (s *Store) mergePostbacks(profile string, d *historyDoc) error {
	logged, err := s.readPostbackLog(profile)
	if err != nil {
		return err
	}
	ring, err := s.readRing(profile)
	if err != nil {
		return err
	}
	if len(logged) == 0 && len(ring) == 0 {
		return nil
	}
	idx := make(map[string]int, len(d.Entries))
	for i, e := range d.Entries {
		idx[e.TransactionID] = i
	}
	touched := map[int]bool{}
	for _, rec := range logged {
		if i, ok := idx[rec.TransactionID]; ok {
			d.Entries[i].Postbacks = append(d.Entries[i].Postbacks, rec)
			touched[i] = true
		}
	}
	for _, rec := range ring {
		if i, ok := idx[rec.TransactionID]; ok && rec.TransactionID != "" {
			d.Entries[i].Postbacks = append(d.Entries[i].Postbacks, rec)
			touched[i] = true
		} else {
			d.Unmatched = append(d.Unmatched, rec)
		}
	}
	for i := range touched {
		pbs := d.Entries[i].Postbacks
		sort.SliceStable(pbs, func(a, b int) bool { return pbs[a].ReceivedAt.Before(pbs[b].ReceivedAt) })
		trimPostbacks(&d.Entries[i])
	}
	sort.SliceStable(d.Unmatched, func(a, b int) bool { return d.Unmatched[a].ReceivedAt.Before(d.Unmatched[b].ReceivedAt) })
	if n := len(d.Unmatched); n > MaxUnmatchedPostbacks {
		d.Unmatched = d.Unmatched[n-MaxUnmatchedPostbacks:]
	}
	return nil
}
