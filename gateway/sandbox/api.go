package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"gatewalk/gateway"
)

// caller is who a partner API request speaks for.
type caller struct {
	guest  bool
	authID string // smallcaseAuthId of a connected token
}

// checkGateway answers unknown gateway names with 404 "invalid gateway".
func (s *Server) checkGateway(r *http.Request) *apiErr {
	if gw := r.PathValue("gw"); gw != s.cfg.Gateway {
		return fail(http.StatusNotFound, etInvalidGateway, gateway.ErrStrInvalidGateway,
			fmt.Sprintf("gateway %q is not served here: this sandbox serves %q", gw, s.cfg.Gateway))
	}
	return nil
}

// authenticate checks the gateway name, then x-gateway-secret, then the
// x-gateway-authtoken JWT, in that order.
func (s *Server) authenticate(r *http.Request) (caller, *apiErr) {
	if e := s.checkGateway(r); e != nil {
		return caller{}, e
	}
	sec := r.Header.Get(gateway.HeaderSecret)
	if sec == "" {
		return caller{}, fail(http.StatusUnauthorized, etInvalidSecret, gateway.ErrStrInvalidSecret,
			"the x-gateway-secret header is missing: send the gateway's apiSecret in it")
	}
	if subtle.ConstantTimeCompare([]byte(sec), []byte(s.cfg.APISecret)) != 1 {
		return caller{}, fail(http.StatusUnauthorized, etInvalidSecret, gateway.ErrStrInvalidSecret)
	}
	return s.verifyToken(r.Header.Get(gateway.HeaderAuthToken))
}

// verifyToken checks a smallcaseAuthToken with the gateway secret and the
// sandbox clock.
func (s *Server) verifyToken(tok string) (caller, *apiErr) {
	if tok == "" {
		return caller{}, fail(http.StatusUnauthorized, etInvalidJWT, gateway.ErrStrInvalidJWT,
			"the x-gateway-authtoken header is missing: send a smallcaseAuthToken signed with the gateway secret")
	}
	now := s.now()
	if c, ok := s.tokens.get(tok, now); ok {
		return c, nil
	}
	info, err := gateway.VerifyToken(tok, s.cfg.Secret, now)
	if err != nil {
		why := "the token is malformed"
		switch {
		case errors.Is(err, gateway.ErrTokenSignature):
			why = "the signature does not match this gateway's secret"
		case errors.Is(err, gateway.ErrTokenExpired):
			why = "the token expired at " + info.ExpiresAt.UTC().Format(time.RFC3339)
		case errors.Is(err, gateway.ErrTokenAlgorithm):
			why = "only HS256 tokens are accepted"
		}
		return caller{}, fail(http.StatusUnauthorized, etInvalidJWT, gateway.ErrStrInvalidJWT, why)
	}
	var c caller
	switch info.Kind {
	case gateway.TokenGuest:
		c = caller{guest: true}
	case gateway.TokenConnected:
		if gateway.ValidateAuthID(info.SmallcaseAuthID) != nil {
			return caller{}, fail(http.StatusUnauthorized, etInvalidJWT, gateway.ErrStrInvalidJWT,
				"smallcaseAuthId in the token is not 24 lowercase hex characters")
		}
		c = caller{authID: info.SmallcaseAuthID}
	}
	if info.Kind == gateway.TokenGuest || info.Kind == gateway.TokenConnected {
		s.tokens.put(tok, c, info.ExpiresAt)
		return c, nil
	}
	return caller{}, fail(http.StatusUnauthorized, etInvalidJWT, gateway.ErrStrInvalidJWT,
		`the payload identifies no user: want {"smallcaseAuthId":"<24 hex>"} or the documented first-time-user payload`)
}

// handleCreateTransaction is POST /gateway/{gw}/transaction.
func (s *Server) handleCreateTransaction(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.writeErr(w, methodNotAllowed("POST"))
		return
	}
	c, e := s.authenticate(r)
	if e != nil {
		s.writeErr(w, e)
		return
	}
	var req gateway.TransactionRequest
	body, e := decodeBody(w, r, &req, false)
	if e != nil {
		s.writeErr(w, e)
		return
	}
	if e := presentZeroQuantity(body); e != nil {
		s.writeErr(w, e)
		return
	}
	if err := req.Validate(); err != nil {
		et := etValidation
		var ve *gateway.ValidationError
		if errors.As(err, &ve) && ve.Field == "intent" && req.Intent != "" {
			et = "unknown_intent"
		}
		s.writeErr(w, fail(http.StatusBadRequest, et, err.Error()))
		return
	}
	if c.guest && needsConnectedUser(req) {
		s.writeErr(w, fail(http.StatusForbidden, etGuestToken, gateway.ErrStrGuestToken,
			fmt.Sprintf("%s must be created with a connected user auth token: mint one for the user's smallcaseAuthId", describeRequest(req))))
		return
	}
	now := s.now()
	t := &txn{
		Req:       req,
		CreatedAt: now.UTC(),
		ExpireAt:  now.Add(s.cfg.TxnTTL).UTC().Truncate(time.Millisecond),
		AuthID:    c.authID,
		Status:    gateway.StatusInitialized,
	}
	s.store.create(t)
	s.writeData(w, http.StatusOK, gateway.TransactionCreated{TransactionID: t.ID, ExpireAt: t.ExpireAt})
}

// presentZeroQuantity refuses a securities line whose quantity is given
// as 0: a missing quantity is the user's to choose, a zero one is wrong.
// (gateway.Security reads both as 0.)
func presentZeroQuantity(body []byte) *apiErr {
	var v struct {
		OrderConfig *struct {
			Securities []struct {
				Quantity *int `json:"quantity"`
			} `json:"securities"`
		} `json:"orderConfig"`
	}
	if json.Unmarshal(body, &v) != nil || v.OrderConfig == nil {
		return nil
	}
	for i, sec := range v.OrderConfig.Securities {
		if sec.Quantity != nil && *sec.Quantity == 0 {
			return fail(http.StatusBadRequest, etValidation,
				fmt.Sprintf("orderConfig.securities[%d].quantity: must be 1 or more, got 0 (leave it out to let the user choose)", i))
		}
	}
	return nil
}

// needsConnectedUser reports whether a request acts on an existing
// investment, which the docs say "must be connected user auth token":
// SIP_SETUP, IMR_SETUP and every iscid order type. (The docs say nothing of
// CANCEL_AMO, so it is left alone.)
func needsConnectedUser(req gateway.TransactionRequest) bool {
	switch req.Intent {
	case gateway.IntentSIPSetup, gateway.IntentIMRSetup:
		return true
	case gateway.IntentTransaction:
		return req.OrderConfig != nil && req.OrderConfig.Iscid != ""
	}
	return false
}

// describeRequest names a request in an error: its intent, and the order
// type of a TRANSACTION.
func describeRequest(req gateway.TransactionRequest) string {
	if req.Intent == gateway.IntentTransaction && req.OrderConfig != nil {
		return string(req.OrderConfig.Type) + " orders"
	}
	return string(req.Intent) + " transactions"
}

// connectedCaller authenticates a call that needs a connected user.
func (s *Server) connectedCaller(w http.ResponseWriter, r *http.Request) (caller, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.writeErr(w, methodNotAllowed("GET"))
		return caller{}, false
	}
	c, e := s.authenticate(r)
	if e != nil {
		s.writeErr(w, e)
		return caller{}, false
	}
	if c.guest {
		s.writeErr(w, fail(http.StatusForbidden, etGuestToken, gateway.ErrStrGuestToken))
		return caller{}, false
	}
	return c, true
}

// handleHoldings is GET /v1/{gw}/engine/user/holdings.
func (s *Server) handleHoldings(w http.ResponseWriter, r *http.Request) {
	c, ok := s.connectedCaller(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	version := q.Get("version")
	if version != "" && version != "v1" && version != "v2" {
		s.writeErr(w, fail(http.StatusBadRequest, etValidation, fmt.Sprintf("version: must be v1 or v2, got %q", version)))
		return
	}
	mf := false
	switch q.Get("mfHoldings") {
	case "", "false":
	case "true":
		mf = true
	default:
		s.writeErr(w, fail(http.StatusBadRequest, etValidation, fmt.Sprintf("mfHoldings: must be true or false, got %q", q.Get("mfHoldings"))))
		return
	}
	ref, known := s.accounts[c.authID]
	if !known {
		s.writeErr(w, fail(http.StatusNotFound, "user_not_found",
			fmt.Sprintf("no broker account is connected with smallcaseAuthId %s in this sandbox: run a CONNECT transaction and use the smallcaseAuthId it returns", c.authID)))
		return
	}
	snap := s.snapshotOf(c.authID, ref)
	if version == "v2" {
		s.writeData(w, http.StatusOK, holdingsV2(c.authID, ref.Broker.ID, snap, mf))
		return
	}
	s.writeData(w, http.StatusOK, holdingsV1(c.authID, ref.Broker.ID, snap, mf))
}

var txnIDRe = regexp.MustCompile(`^TRX_[0-9a-f]{32}$`)

// maxLookupIDs bounds the ids one order-details call may name.
const maxLookupIDs = 50

// handleOrderDetails is GET /v1/{gw}/engine/orders/sst, as the docs
// describe it (gateway-api.md §16.9): the batches of the transactions named
// by transactionId, batchId or iscid (each may list several ids, comma
// separated). Guest tokens may look up by transactionId and batchId. Only
// COMPLETED transactions show batches, and only the caller's own when the
// token is a connected one; an unknown id, another user's transaction or one
// not completed yet is no error, it answers success with no batches. When
// exactly one transaction matched, its id, owner, broker and status come
// with the batches (the emulator's choice: the docs show no response).
func (s *Server) handleOrderDetails(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.writeErr(w, methodNotAllowed("GET"))
		return
	}
	c, e := s.authenticate(r)
	if e != nil {
		s.writeErr(w, e)
		return
	}
	q := r.URL.Query()
	ids, batchIDs, iscids := splitIDs(q["transactionId"]), splitIDs(q["batchId"]), splitIDs(q["iscid"])
	switch {
	case len(ids)+len(batchIDs)+len(iscids) == 0:
		s.writeErr(w, fail(http.StatusBadRequest, etValidation, "transactionId, batchId or iscid: give at least one of the query parameters"))
		return
	case len(ids)+len(batchIDs)+len(iscids) > maxLookupIDs:
		s.writeErr(w, fail(http.StatusBadRequest, etValidation, fmt.Sprintf("at most %d ids in one call", maxLookupIDs)))
		return
	case c.guest && len(iscids) > 0:
		s.writeErr(w, fail(http.StatusForbidden, etGuestToken, gateway.ErrStrGuestToken,
			"iscid: an investment belongs to a user, look it up with that user's connected token"))
		return
	}
	visible := func(t *txn) bool {
		owner := t.UserAuthID
		if owner == "" {
			owner = t.AuthID
		}
		return t.Req.Intent == gateway.IntentTransaction && t.Status == gateway.StatusCompleted &&
			(c.guest || owner == c.authID)
	}
	var matched []*txn
	seen := map[string]bool{}
	add := func(t *txn) {
		if !seen[t.ID] && visible(t) {
			seen[t.ID] = true
			cp := *t
			cp.Batches = append([]gateway.OrderBatch{}, t.Batches...)
			matched = append(matched, &cp)
		}
	}
	now := s.now()
	for _, id := range ids {
		if txnIDRe.MatchString(id) {
			s.store.with(id, now, add)
		}
	}
	if len(batchIDs) > 0 || len(iscids) > 0 {
		s.store.each(func(t *txn) bool {
			if len(iscids) > 0 && t.Req.OrderConfig != nil && slices.Contains(iscids, t.Req.OrderConfig.Iscid) {
				add(t)
			}
			for _, b := range t.Batches {
				if slices.Contains(batchIDs, b.BatchID) {
					add(t)
				}
			}
			return true
		})
	}
	out := gateway.OrderDetails{Batches: []gateway.OrderBatch{}}
	for _, t := range matched {
		for _, b := range t.Batches {
			if len(batchIDs) > 0 && len(ids) == 0 && len(iscids) == 0 && !slices.Contains(batchIDs, b.BatchID) {
				continue
			}
			out.Batches = append(out.Batches, b)
		}
	}
	if len(matched) == 1 {
		t := matched[0]
		out.TransactionID, out.SmallcaseAuthID, out.Broker, out.Status = t.ID, t.UserAuthID, t.Broker, t.Status
	}
	s.writeData(w, http.StatusOK, out)
}

// splitIDs reads the ids of a query parameter given once or more, each
// time one id or several separated by commas.
func splitIDs(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

// tokenCache remembers tokens whose signature was verified, so a client that
// reuses a token does not pay for HMAC and JSON decoding on every call. The
// expiry is still checked on each use; the cache is bounded and starts over
// when full.
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]cachedToken
}

type cachedToken struct {
	c   caller
	exp *time.Time
}

const tokenCacheSize = 4096

func (tc *tokenCache) get(tok string, now time.Time) (caller, bool) {
	tc.mu.RLock()
	ct, ok := tc.m[tok]
	tc.mu.RUnlock()
	if !ok || (ct.exp != nil && !now.Before(*ct.exp)) {
		return caller{}, false
	}
	return ct.c, true
}

func (tc *tokenCache) put(tok string, c caller, exp *time.Time) {
	tc.mu.Lock()
	if tc.m == nil || len(tc.m) >= tokenCacheSize {
		tc.m = make(map[string]cachedToken, 64)
	}
	tc.m[tok] = cachedToken{c, exp}
	tc.mu.Unlock()
}
