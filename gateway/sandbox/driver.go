package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"gatewalk/gateway"
)

// handleDriverComplete is POST /_sandbox/transactions/{id}/complete: it
// finishes a journey without a browser and answers 200 with the
// gateway.SDKOutcome the web SDK would have settled with.
func (s *Server) handleDriverComplete(w http.ResponseWriter, r *http.Request) {
	var req CompleteRequest
	if !s.readDriverPost(w, r, &req, true) {
		return
	}
	out, err := s.complete(r.PathValue("id"), req)
	if err != nil {
		s.writeErr(w, driverErr(err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// readDriverPost reads the JSON body of a driver POST into v (an empty
// body allowed when optional); it answers a refusal itself and then
// returns false.
func (s *Server) readDriverPost(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	if r.Method != http.MethodPost {
		s.writeErr(w, methodNotAllowed("POST"))
		return false
	}
	if e := driverJSONOnly(r); e != nil {
		s.writeErr(w, e)
		return false
	}
	if _, e := decodeBody(w, r, v, optional); e != nil {
		s.writeErr(w, e)
		return false
	}
	return true
}

func driverErr(err error) *apiErr {
	switch {
	case errors.Is(err, ErrUnknownTransaction):
		return fail(http.StatusNotFound, etNotFound, err.Error())
	case errors.Is(err, ErrAlreadyRun):
		return fail(http.StatusConflict, etConflict, err.Error()+": a transaction runs once; create a fresh one")
	case errors.Is(err, ErrBadRequest):
		return fail(http.StatusBadRequest, etValidation, err.Error())
	}
	return fail(http.StatusInternalServerError, etInternal, err.Error())
}

// TransactionView is the sandbox's view of a transaction
// (GET /_sandbox/transactions/{id}; sandbox only).
type TransactionView struct {
	TransactionID   string            `json:"transactionId"`
	Intent          gateway.Intent    `json:"intent"`
	Status          gateway.Status    `json:"status"`
	Error           *gateway.TxnError `json:"error"`
	CreatedAt       time.Time         `json:"createdAt"`
	ExpireAt        time.Time         `json:"expireAt"`
	Expired         bool              `json:"expired"`
	SmallcaseAuthID string            `json:"smallcaseAuthId,omitempty"`
	// BoundAuthID is the smallcaseAuthId of the connected token the
	// transaction was created with: only that account may run it.
	BoundAuthID string                     `json:"boundSmallcaseAuthId,omitempty"`
	Broker      string                     `json:"broker,omitempty"`
	Account     string                     `json:"account,omitempty"`
	Request     gateway.TransactionRequest `json:"request"`
	Batches     []gateway.OrderBatch       `json:"batches"`
	Outcome     *gateway.SDKOutcome        `json:"outcome,omitempty"`
}

// Transaction returns the current view of a transaction.
func (s *Server) Transaction(id string) (TransactionView, bool) {
	var v TransactionView
	ok := s.store.with(id, s.now(), func(t *txn) {
		v = TransactionView{TransactionID: t.ID, Intent: t.Req.Intent, Status: t.Status, CreatedAt: t.CreatedAt.UTC(),
			ExpireAt: t.ExpireAt, Expired: t.Status == gateway.StatusExpired, SmallcaseAuthID: t.UserAuthID, BoundAuthID: t.AuthID,
			Broker: t.Broker, Account: t.Account, Request: t.Req, Batches: append([]gateway.OrderBatch{}, t.Batches...), Outcome: t.Outcome}
		v.Error = &gateway.TxnError{}
		if t.Err != nil {
			*v.Error = *t.Err
		}
	})
	return v, ok
}

func (s *Server) handleDriverStatus(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		s.writeErr(w, methodNotAllowed("GET"))
		return
	}
	v, ok := s.Transaction(r.PathValue("id"))
	if !ok {
		s.writeErr(w, fail(http.StatusNotFound, etNotFound, fmt.Sprintf("%v: %s", ErrUnknownTransaction, r.PathValue("id"))))
		return
	}
	s.writeData(w, http.StatusOK, v)
}

// clockRequest is the body of POST /_sandbox/clock.
type clockRequest struct {
	Advance string `json:"advance"`
}

func (s *Server) handleClock(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		if e := driverJSONOnly(r); e != nil {
			s.writeErr(w, e)
			return
		}
		var req clockRequest
		if e := readJSON(w, r, &req); e != nil {
			s.writeErr(w, e)
			return
		}
		d, err := time.ParseDuration(req.Advance)
		if err != nil || d <= 0 {
			s.writeErr(w, fail(http.StatusBadRequest, etValidation, fmt.Sprintf("advance: want a positive duration such as \"6m\" or \"1h30m\", got %q", req.Advance)))
			return
		}
		s.Advance(d)
	default:
		s.writeErr(w, methodNotAllowed("GET", "POST"))
		return
	}
	now := s.now()
	s.writeData(w, http.StatusOK, map[string]any{"now": now.UTC().Format(time.RFC3339Nano), "offset": time.Duration(s.off.Load()).String(), "market": s.market(now)})
}

func (s *Server) handleBrokers(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		s.writeErr(w, methodNotAllowed("GET"))
		return
	}
	type acct struct {
		Account
		SmallcaseAuthID string `json:"smallcaseAuthId"`
	}
	type brk struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Accounts []acct `json:"accounts"`
	}
	var out []brk
	for _, b := range Brokers() {
		x := brk{ID: b.ID, Name: b.Name}
		for _, a := range b.Accounts {
			x.Accounts = append(x.Accounts, acct{a, AuthID(s.cfg.Gateway, b.ID, a.ID)})
		}
		out = append(out, x)
	}
	s.writeData(w, http.StatusOK, out)
}

// driverJSONOnly refuses driver POSTs that are not application/json. A web
// page can send a cross-site text/plain POST without a preflight; a JSON
// one needs a preflight the driver never answers, so no page a browser
// happens to have open can finish journeys or move the clock.
func driverJSONOnly(r *http.Request) *apiErr {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return fail(http.StatusUnsupportedMediaType, etBadRequest, "the sandbox driver takes only Content-Type: application/json")
	}
	return nil
}

// PendingActionRequest asks the sandbox to post a "pending action on an
// invested smallcase" postback (POST /_sandbox/postbacks/pending-action).
type PendingActionRequest struct {
	SmallcaseAuthID string `json:"smallcaseAuthId"`
	Iscid           string `json:"iscid"`
	Scid            string `json:"scid,omitempty"`
	// Action is what is pending: REBALANCE (the default), SIP or
	// another word the partner's handler should cope with.
	Action string `json:"action,omitempty"`
}

// PendingAction sends a pending-action postback for an investment of a
// connected account and returns it as sent. The docs name the event but not
// its body: {iscid, scid, action, description} is the emulator's own.
func (s *Server) PendingAction(req PendingActionRequest) (gateway.Postback, error) {
	if _, ok := s.accounts[req.SmallcaseAuthID]; !ok {
		return gateway.Postback{}, fmt.Errorf("%w: smallcaseAuthId %q is not a test account of this sandbox", ErrBadRequest, req.SmallcaseAuthID)
	}
	if req.Iscid == "" {
		return gateway.Postback{}, fmt.Errorf("%w: iscid: the investment with a pending action is required", ErrBadRequest)
	}
	if req.Action == "" {
		req.Action = "REBALANCE"
	}
	fields := map[string]string{"iscid": req.Iscid, "action": req.Action,
		"description": "A " + strings.ToLower(req.Action) + " update is pending on this smallcase"}
	if req.Scid != "" {
		fields["scid"] = req.Scid
	}
	raw, _ := json.Marshal(fields)
	pb := gateway.Postback{Timestamp: fmt.Sprint(s.now().UnixMilli()), SmallcaseAuthID: req.SmallcaseAuthID,
		Event: gateway.EventPendingAction, Fields: raw}
	pb.Sign(s.cfg.APISecret)
	s.post.send(pb)
	return pb, nil
}

// handlePendingAction is POST /_sandbox/postbacks/pending-action.
func (s *Server) handlePendingAction(w http.ResponseWriter, r *http.Request) {
	var req PendingActionRequest
	if !s.readDriverPost(w, r, &req, false) {
		return
	}
	pb, err := s.PendingAction(req)
	if err != nil {
		s.writeErr(w, driverErr(err))
		return
	}
	s.writeData(w, http.StatusOK, map[string]any{"postback": pb, "sent": s.cfg.PostbackURL != ""})
}

// handleMarket is GET and POST /_sandbox/market: the market of each broker,
// and a change of it ({"market": "closed,kite=open"}, as --market reads it).
func (s *Server) handleMarket(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		if e := driverJSONOnly(r); e != nil {
			s.writeErr(w, e)
			return
		}
		var req struct {
			Market string `json:"market"`
		}
		if e := readJSON(w, r, &req); e != nil {
			s.writeErr(w, e)
			return
		}
		m, err := ParseMarkets(req.Market)
		if err != nil || strings.TrimSpace(req.Market) == "" {
			msg := "market: give a mode for every broker (open, closed, amo, auto) and/or broker=mode pairs, e.g. \"closed,kite=open\""
			if err != nil {
				msg = err.Error()
			}
			s.writeErr(w, fail(http.StatusBadRequest, etValidation, msg))
			return
		}
		s.SetMarkets(m)
	default:
		s.writeErr(w, methodNotAllowed("GET, POST"))
		return
	}
	now := s.now()
	s.writeData(w, http.StatusOK, map[string]any{"market": s.Markets().String(), "default": s.market(now), "brokers": s.brokerMarkets(now)})
}
