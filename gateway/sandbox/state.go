package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"gatewalk/gateway"
)

// StateVersion is the version of the state document ExportState writes.
const StateVersion = 1

// stateDoc is the sandbox's state between processes: what a caller keeps
// in a file so that the next process's sandbox goes on where this one
// stopped. Web script sessions are not kept (a page does not outlive its
// process).
type stateDoc struct {
	Version int    `json:"version"`
	Gateway string `json:"gateway"`
	// ClockOffsetNs is how far Advance moved the sandbox clock.
	ClockOffsetNs int64                    `json:"clockOffsetNs"`
	StartedAt     time.Time                `json:"startedAt"`
	Transactions  []txnState               `json:"transactions"`
	Live          map[string]*portfolio    `json:"live"`
	Snapshots     map[string]snapshotState `json:"snapshots"`
	Connected     []string                 `json:"connected"`
}

type txnState struct {
	ID          string                     `json:"id"`
	Req         gateway.TransactionRequest `json:"request"`
	CreatedAt   time.Time                  `json:"createdAt"`
	ExpireAt    time.Time                  `json:"expireAt"`
	AuthID      string                     `json:"authId,omitempty"`
	Status      gateway.Status             `json:"status"`
	Err         *gateway.TxnError          `json:"error,omitempty"`
	Broker      string                     `json:"broker,omitempty"`
	Account     string                     `json:"account,omitempty"`
	UserAuthID  string                     `json:"userAuthId,omitempty"`
	Batches     []gateway.OrderBatch       `json:"batches,omitempty"`
	Outcome     *gateway.SDKOutcome        `json:"outcome,omitempty"`
	CompletedAt time.Time                  `json:"completedAt,omitzero"`
}

type snapshotState struct {
	Portfolio *portfolio `json:"portfolio"`
	At        time.Time  `json:"at"`
}

func (t *txn) state() txnState {
	return txnState{ID: t.ID, Req: t.Req, CreatedAt: t.CreatedAt, ExpireAt: t.ExpireAt, AuthID: t.AuthID, Status: t.Status,
		Err: t.Err, Broker: t.Broker, Account: t.Account, UserAuthID: t.UserAuthID, Batches: t.Batches, Outcome: t.Outcome,
		CompletedAt: t.CompletedAt}
}

func (ts txnState) txn() *txn {
	return &txn{ID: ts.ID, Req: ts.Req, CreatedAt: ts.CreatedAt, ExpireAt: ts.ExpireAt, AuthID: ts.AuthID, Status: ts.Status,
		Err: ts.Err, Broker: ts.Broker, Account: ts.Account, UserAuthID: ts.UserAuthID, Batches: ts.Batches, Outcome: ts.Outcome,
		CompletedAt: ts.CompletedAt}
}

// transactionStates copies every transaction the store holds.
func (s *store) transactionStates() []txnState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]txnState, 0, len(s.m)+len(s.c)+s.f.n)
	for _, t := range s.m {
		out = append(out, t.state())
	}
	for k, r := range s.c {
		out = append(out, s.expand(k, r).state())
	}
	s.f.each(func(k txnKey, r freshRec) {
		out = append(out, s.expandFresh(k, r).state())
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// has reports whether the store holds id, and whether it is final.
func (s *store) has(id string) (known, final bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.m[id]; ok {
		return true, t.Status.Final()
	}
	if k, ok := parseKey(id); ok {
		if r, ok := s.c[k]; ok {
			return true, r.shape.Value().status.Final()
		}
		if _, _, ok := s.f.get(k); ok {
			return true, false
		}
	}
	return false, false
}

// adopt puts a transaction read from a state document in the store,
// replacing one with its id (never one a journey step runs now).
func (s *store) adopt(t *txn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.m[t.ID]; ok && cur.running {
		return
	}
	if k, ok := parseKey(t.ID); ok {
		delete(s.c, k)
		if seq, ok := s.f.seq(k); ok {
			s.f.clear(seq)
		}
	}
	s.m[t.ID] = t
}

// ExportState is the sandbox's state as a JSON document, for ImportState
// in another process.
func (s *Server) ExportState() ([]byte, error) {
	d := s.state()
	return json.Marshal(d)
}

func (s *Server) state() stateDoc {
	d := stateDoc{Version: StateVersion, Gateway: s.cfg.Gateway, ClockOffsetNs: s.off.Load(),
		Transactions: s.store.transactionStates(), Live: map[string]*portfolio{}, Snapshots: map[string]snapshotState{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	d.StartedAt = s.startedAt
	for id, p := range s.live {
		d.Live[id] = p.clone()
	}
	for id, sn := range s.snaps {
		if sn.at.Equal(s.startedAt) {
			// Made on first use, not by an import: the next process makes
			// its own from the live portfolio, orders included.
			continue
		}
		d.Snapshots[id] = snapshotState{Portfolio: sn.p.clone(), At: sn.at}
	}
	for id := range s.connected {
		d.Connected = append(d.Connected, id)
	}
	sort.Strings(d.Connected)
	return d
}

// parseState reads a state document and checks it belongs to this
// sandbox's gateway.
func (s *Server) parseState(data []byte) (stateDoc, error) {
	d, _, err := s.parseStateKeys(data)
	return d, err
}

// parseStateKeys is parseState, also naming a key of the document this
// sandbox does not know ("" when there is none).
func (s *Server) parseStateKeys(data []byte) (d stateDoc, unknown string, err error) {
	strict := json.NewDecoder(bytes.NewReader(data))
	strict.DisallowUnknownFields()
	if serr := strict.Decode(&d); serr != nil {
		// A key this version does not know is read past (and named);
		// anything else does not parse.
		d = stateDoc{}
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&d); err != nil {
			return d, "", fmt.Errorf("it does not parse: %w", err)
		}
		if k, ok := strings.CutPrefix(serr.Error(), "json: unknown field "); ok {
			unknown = k
		} else {
			return d, "", fmt.Errorf("it does not parse: %w", serr)
		}
	}
	d, err = s.checkState(d)
	return d, unknown, err
}

// checkState checks a parsed state document.
func (s *Server) checkState(d stateDoc) (stateDoc, error) {
	switch {
	case d.Version == 0:
		return d, errors.New("it has no version: not a sandbox state")
	case d.Version > StateVersion:
		return d, fmt.Errorf("a newer gatewalk wrote it (version %d; this one reads %d)", d.Version, StateVersion)
	case d.Gateway != s.cfg.Gateway:
		return d, fmt.Errorf("it is the state of gateway %q, not %q", d.Gateway, s.cfg.Gateway)
	}
	for _, t := range d.Transactions {
		if _, ok := parseKey(t.ID); !ok {
			return d, fmt.Errorf("transaction id %q is not TRX_ and 32 hex characters", t.ID)
		}
	}
	for id, p := range d.Live {
		if p == nil || p.Positions == nil {
			return d, fmt.Errorf("the portfolio of %s is empty", id)
		}
	}
	for id, sn := range d.Snapshots {
		if sn.Portfolio == nil || sn.Portfolio.Positions == nil {
			return d, fmt.Errorf("the holdings snapshot of %s is empty", id)
		}
	}
	return d, nil
}

// ImportState loads a document ExportState wrote into this sandbox (built
// with the same gateway, before it served anything): its transactions,
// portfolios, imports and clock offset. A document that does not parse
// or is another gateway's is refused, and nothing changes.
func (s *Server) ImportState(data []byte) error {
	d, unknown, err := s.parseStateKeys(data)
	if err != nil {
		return err
	}
	for _, t := range d.Transactions {
		s.store.adopt(t.txn())
	}
	s.off.Store(d.ClockOffsetNs)
	s.mu.Lock()
	if !d.StartedAt.IsZero() {
		s.startedAt = d.StartedAt
	}
	for id, p := range d.Live {
		s.live[id] = p
	}
	for id, sn := range d.Snapshots {
		s.snaps[id] = &snapshot{p: sn.Portfolio, at: sn.At}
	}
	for _, id := range d.Connected {
		s.connected[id] = true
	}
	s.mu.Unlock()
	s.markSaved(d)
	if unknown == "" {
		// A document with a key this gatewalk does not know is parsed
		// again by the next merge, which refuses to write over it.
		s.setLastDoc(data)
	}
	s.store.purge(s.now())
	return nil
}

// setLastDoc remembers doc (not changed after) as the state document last
// read or written.
func (s *Server) setLastDoc(doc []byte) {
	s.mu.Lock()
	s.lastDoc = bytes.TrimSpace(doc)
	s.mu.Unlock()
}

// isLastDoc reports whether doc is the state document last read or written.
func (s *Server) isLastDoc(doc []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastDoc != nil && bytes.Equal(s.lastDoc, bytes.TrimSpace(doc))
}

// MergeState is the state to write over prev, the document on disk now
// (which another process may have written since this one read it; nil
// when there is none): this sandbox's state, with what prev has that this
// sandbox did not change taken over first (so this sandbox learns it too).
// Transactions: the union, a finished one winning over an unfinished one;
// accounts (portfolio, import, first login): this sandbox's when it changed
// them since it last read or wrote the state, else prev's. It returns nil
// when the result is what prev already says.
func (s *Server) MergeState(prev []byte) ([]byte, error) {
	// A document this sandbox read or wrote last, unchanged since, is
	// not parsed again: it holds nothing this sandbox does not know.
	if len(bytes.TrimSpace(prev)) > 0 && !s.isLastDoc(prev) {
		d, unknown, err := s.parseStateKeys(prev)
		if err != nil {
			return nil, err
		}
		if unknown != "" {
			// Writing would drop it: a newer gatewalk keeps something there.
			return nil, fmt.Errorf("it has the key %s, which this gatewalk does not know (a newer one wrote it): "+
				"it is left as it is and this sandbox's changes are not saved; use the gatewalk that wrote it, "+
				"or `gatewalk sandbox reset` to start the sandbox over", unknown)
		}
		s.takeOver(d)
	}
	cur := s.state()
	out, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	s.markSaved(cur)
	if bytes.Equal(bytes.TrimSpace(prev), out) {
		s.setLastDoc(prev)
		return nil, nil
	}
	s.setLastDoc(out)
	return out, nil
}

// takeOver adopts what d has that this sandbox did not change.
func (s *Server) takeOver(d stateDoc) {
	for _, t := range d.Transactions {
		known, final := s.store.has(t.ID)
		if !known || (!final && t.Status.Final()) {
			s.store.adopt(t.txn())
		}
	}
	if d.ClockOffsetNs > s.off.Load() {
		s.off.Store(d.ClockOffsetNs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, p := range d.Live {
		if s.liveUnchangedLocked(id) {
			s.live[id] = p
			if sn := s.snaps[id]; sn != nil && sn.at.Equal(s.startedAt) {
				delete(s.snaps, id) // made from the portfolio just replaced
			}
		}
	}
	for id, sn := range d.Snapshots {
		if s.snapUnchangedLocked(id) {
			s.snaps[id] = &snapshot{p: sn.Portfolio, at: sn.At}
		}
	}
	for _, id := range d.Connected {
		s.connected[id] = true
	}
}

// liveUnchangedLocked reports whether this sandbox left the account's
// live portfolio as the state said when last read or written: the same,
// or, when the state had none, the demo portfolio made on first use.
func (s *Server) liveUnchangedLocked(id string) bool {
	cur, ok := s.live[id]
	saved, had := s.saved["live:"+id]
	switch {
	case !ok:
		return true
	case had:
		return fingerprint(cur) == saved
	}
	ref, known := s.accounts[id]
	return known && fingerprint(cur) == fingerprint(demoPortfolio(ref.Broker.ID, ref.Account.ID))
}

// snapUnchangedLocked is liveUnchangedLocked for the holdings snapshot:
// one made on first use (as of the sandbox's start) is no import.
func (s *Server) snapUnchangedLocked(id string) bool {
	cur, ok := s.snaps[id]
	saved, had := s.saved["snap:"+id]
	switch {
	case !ok:
		return true
	case had:
		return fingerprint(snapshotState{Portfolio: cur.p, At: cur.at}) == saved
	}
	return cur.at.Equal(s.startedAt)
}

func fingerprint(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// markSaved remembers the accounts as d has them.
func (s *Server) markSaved(d stateDoc) {
	saved := map[string]string{}
	for id, p := range d.Live {
		saved["live:"+id] = fingerprint(p)
	}
	for id, sn := range d.Snapshots {
		saved["snap:"+id] = fingerprint(sn)
	}
	s.mu.Lock()
	s.saved = saved
	s.mu.Unlock()
}

// withSync is the handler Start serves: the sandbox itself, or with
// Config.Sync around each request, the answer held back until the state
// is written (so a client that reads the file next sees what it was told).
func (s *Server) withSync() http.Handler {
	if s.cfg.Sync == nil {
		return s
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.cfg.Sync()
		rec := &heldResponse{header: http.Header{}, status: http.StatusOK}
		s.ServeHTTP(rec, r)
		s.cfg.Sync()
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
	})
}

// heldResponse keeps an answer until it is sent.
type heldResponse struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }
func (h *heldResponse) WriteHeader(code int) {
	if !h.wroteHeader {
		h.status, h.wroteHeader = code, true
	}
}
func (h *heldResponse) Write(b []byte) (int, error) {
	h.wroteHeader = true
	return h.body.Write(b)
}
