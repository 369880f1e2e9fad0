package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gatewalk/gateway"
)

// CompleteRequest is how a journey ends: who logs in and which scenario
// plays. Empty Broker and Account mean the account already bound to the
// transaction's smallcaseAuthId, or else the first leprechaun broker's
// first account; an empty Outcome means success.
//
// AMO is the page's config.amo (new scDK({config: {amo: true}})): with it,
// a TRANSACTION on a market closed in its after-market window is placed as
// after-market orders; without it, it rejects market_closed. Market, when
// set, is the market this journey sees instead of the sandbox's (open,
// closed or amo), so one journey can rehearse another market state.
//
// Lines, for a SECURITIES order, are the lines as the user confirmed them
// on the review screen, where quantities and sides may be changed and must
// be chosen where the partner left them out: the same tickers in the same
// order, each with a quantity of 1 or more and BUY or SELL. Without Lines a
// line keeps what the partner sent, and a missing quantity is 1 and a
// missing side BUY (the emulator's choice for unattended journeys).
type CompleteRequest struct {
	Broker  string             `json:"broker"`
	Account string             `json:"account"`
	Outcome gateway.Scenario   `json:"outcome"`
	AMO     bool               `json:"amo,omitempty"`
	Market  MarketMode         `json:"market,omitempty"`
	Lines   []gateway.Security `json:"lines,omitempty"`
}

// reviewedOrder is the orderConfig a journey places: a SECURITIES order's
// lines as the user confirmed them (see CompleteRequest.Lines).
func reviewedOrder(oc *gateway.OrderConfig, lines []gateway.Security) (*gateway.OrderConfig, error) {
	if oc == nil || oc.Type != gateway.OrderSecurities {
		if len(lines) > 0 {
			return nil, fmt.Errorf("%w: lines are taken only by SECURITIES orders", ErrBadRequest)
		}
		return oc, nil
	}
	out := *oc
	out.Securities = make([]gateway.Security, len(oc.Securities))
	if len(lines) > 0 && len(lines) != len(oc.Securities) {
		return nil, fmt.Errorf("%w: lines: the order has %d lines, got %d", ErrBadRequest, len(oc.Securities), len(lines))
	}
	for i, sec := range oc.Securities {
		if len(lines) > 0 {
			l := lines[i]
			switch {
			case l.Ticker != sec.Ticker:
				return nil, fmt.Errorf("%w: lines[%d]: ticker %q, the order has %q there (tickers cannot be changed)", ErrBadRequest, i, l.Ticker, sec.Ticker)
			case l.Quantity < 1:
				return nil, fmt.Errorf("%w: lines[%d] (%s): choose a quantity of 1 or more", ErrBadRequest, i, sec.Ticker)
			case l.Type != gateway.Buy && l.Type != gateway.Sell:
				return nil, fmt.Errorf("%w: lines[%d] (%s): choose BUY or SELL, got %q", ErrBadRequest, i, sec.Ticker, l.Type)
			}
			sec = l
		}
		if sec.Quantity == 0 {
			sec.Quantity = 1
		}
		if sec.Type == "" {
			sec.Type = gateway.Buy
		}
		out.Securities[i] = sec
	}
	return &out, nil
}

// Errors of Complete; match with errors.Is.
var (
	// ErrUnknownTransaction: no such transactionId (or it was purged).
	ErrUnknownTransaction = errors.New("unknown transaction")
	// ErrAlreadyRun: the transaction's journey already ran (or is running).
	ErrAlreadyRun = errors.New("transaction already run")
	// ErrBadRequest: an unknown broker, account or outcome.
	ErrBadRequest = errors.New("invalid request")
)

// Complete runs the rest of a transaction's journey as if a user did it in
// the browser, and returns what the web SDK would resolve or reject with.
// It is the in-process form of POST /_sandbox/transactions/{id}/complete.
// An expired transaction gives a transaction_expired outcome, not an error.
func (s *Server) Complete(ctx context.Context, transactionID string, req CompleteRequest) (gateway.SDKOutcome, error) {
	if err := ctx.Err(); err != nil {
		return gateway.SDKOutcome{}, err
	}
	return s.complete(transactionID, req)
}

func validScenario(sc gateway.Scenario) bool {
	for _, k := range gateway.Scenarios() {
		if k == sc {
			return true
		}
	}
	return false
}

// claim marks a transaction as being completed. It returns the request
// data, or an outcome when the transaction had expired before it ran.
func (s *Server) claim(id string) (t txn, early *gateway.SDKOutcome, err error) {
	found := s.store.with(id, s.now(), func(x *txn) {
		switch {
		case x.Status == gateway.StatusExpired && x.CompletedAt.IsZero():
			early = sdkFail(x.Err.Code, "transaction_expired", nil)
		case x.running || x.Status.Final():
			err = fmt.Errorf("%w: %s is %s", ErrAlreadyRun, id, x.Status)
		default:
			x.running = true
			if x.Status == gateway.StatusInitialized {
				x.Status = gateway.StatusUsed
			}
			t = *x
		}
	})
	if !found {
		return txn{}, nil, fmt.Errorf("%w: %s", ErrUnknownTransaction, id)
	}
	return t, early, err
}

// release gives up a claim without changing the transaction.
func (s *Server) release(id string) {
	s.store.with(id, s.now(), func(x *txn) { x.running = false })
}

// finish records the end of a journey.
func (s *Server) finish(id string, status gateway.Status, code int, name string, f func(x *txn)) {
	now := s.now()
	s.store.with(id, now, func(x *txn) {
		x.running = false
		x.Status = status
		x.CompletedAt = now
		if code != 0 {
			x.Err = &gateway.TxnError{Value: true, Code: code, Message: name}
		} else {
			x.Err = &gateway.TxnError{}
		}
		if f != nil {
			f(x)
		}
	})
}

func sdkFail(code int, name string, data *gateway.SDKErrorData) *gateway.SDKOutcome {
	return &gateway.SDKOutcome{Error: &gateway.SDKError{Code: code, Message: name, Data: data}}
}

// resolveAccount picks the broker account of a journey.
func (s *Server) resolveAccount(boundID, brokerID, accountID string) (accountRef, error) {
	bound, isBound := s.accounts[boundID]
	var b Broker
	switch {
	case brokerID != "":
		var ok bool
		if b, ok = findBroker(brokerID); !ok {
			var ids []string
			for _, k := range Brokers() {
				if k.Testable() {
					ids = append(ids, k.ID)
				}
			}
			return accountRef{}, fmt.Errorf("%w: unknown broker %q (want one of %s)", ErrBadRequest, brokerID, strings.Join(ids, ", "))
		}
		if !b.Testable() {
			return accountRef{}, fmt.Errorf("%w: %s", ErrBadRequest, b.Note)
		}
	case isBound:
		b = bound.Broker
	default:
		b = Brokers()[0]
	}
	var a Account
	switch {
	case accountID != "":
		var ok bool
		if a, ok = b.account(accountID); !ok {
			var ids []string
			for _, k := range b.Accounts {
				ids = append(ids, k.ID)
			}
			return accountRef{}, fmt.Errorf("%w: broker %s has no test account %q (want one of %s)", ErrBadRequest, b.ID, accountID, strings.Join(ids, ", "))
		}
	case isBound && bound.Broker.ID == b.ID:
		a = bound.Account
	default:
		a = b.Accounts[0]
	}
	return accountRef{b, a}, nil
}

func (s *Server) complete(id string, req CompleteRequest) (gateway.SDKOutcome, error) {
	return s.completeFor(id, req, "")
}

// completeFor completes a journey of a page whose scDK was initialised with
// a connected token of sessionAuthID (empty for a guest token): that binds
// the journey to the account as a connected token given when creating the
// transaction does (gateway-api.md §16.8).
func (s *Server) completeFor(id string, req CompleteRequest, sessionAuthID string) (gateway.SDKOutcome, error) {
	sc := req.Outcome
	if sc == "" {
		sc = gateway.ScenarioSuccess
	}
	if !validScenario(sc) {
		// The list of names is left out: one of them contains "expired",
		// which would make APIError.Kind read this as an expiry.
		return gateway.SDKOutcome{}, fmt.Errorf("%w: unknown outcome %q: use a scenario name such as success, partial_fill or user_cancelled (gatewalk sandbox --help lists them all)", ErrBadRequest, req.Outcome)
	}
	switch req.Market {
	case "", MarketOpen, MarketClosed, MarketAMO:
	default:
		return gateway.SDKOutcome{}, fmt.Errorf("%w: market %q: want open, closed or amo, or leave it out for the sandbox's market", ErrBadRequest, req.Market)
	}
	t, early, err := s.claim(id)
	if err != nil {
		return gateway.SDKOutcome{}, err
	}
	if early != nil {
		return *early, nil
	}
	if t.AuthID == "" {
		t.AuthID = sessionAuthID
	}
	ref, err := s.resolveAccount(t.AuthID, req.Broker, req.Account)
	if err != nil {
		s.release(id)
		return gateway.SDKOutcome{}, err
	}
	if _, err := reviewedOrder(t.Req.OrderConfig, req.Lines); err != nil {
		s.release(id)
		return gateway.SDKOutcome{}, err
	}
	req.Outcome = sc
	return s.play(t, ref, req), nil
}

// journeyMarket is the market a journey sees: the override of its request,
// else the sandbox's for the broker at now.
func (s *Server) journeyMarket(override MarketMode, broker string, now time.Time) marketState {
	switch override {
	case MarketOpen:
		return marketState{Mode: override, Open: true}
	case MarketAMO:
		return marketState{Mode: override, AMO: true}
	case MarketClosed:
		return marketState{Mode: override}
	}
	return s.marketOf(broker, now)
}

// play runs a claimed transaction to its end with the logged-in account.
func (s *Server) play(t txn, ref accountRef, req CompleteRequest) gateway.SDKOutcome {
	p := &playback{t: t, ref: ref, req: req, sc: req.Outcome, now: s.now(),
		userID: AuthID(s.cfg.Gateway, ref.Broker.ID, ref.Account.ID)}
	if out := s.refuse(p); out != nil {
		return *out
	}
	return s.fulfil(p)
}

// playback is one journey being played to its end: the claimed
// transaction, the account that logged in, and what the journey gathers.
type playback struct {
	t      txn
	ref    accountRef
	req    CompleteRequest
	sc     gateway.Scenario
	now    time.Time
	userID string

	tok         string // the connected token the journey hands out
	signup      bool
	mkt         marketState
	needsMarket bool // a TRANSACTION that places orders

	res     *gateway.SDKResult
	batches []gateway.OrderBatch
	posts   []gateway.Postback
}

// login records the account that logged in on the transaction.
func (p *playback) login(x *txn) {
	x.Broker, x.Account, x.UserAuthID = p.ref.Broker.ID, p.ref.Account.ID, p.userID
}

// postback queues a postback of the journey, sent once it is recorded:
// fields (an order batch, the holdings) at the top level of the body, as
// in the official SST sample, with the ids, intent, status, the
// emulator's event name and the checksum.
func (p *playback) postback(event string, status gateway.Status, fields any) {
	raw, _ := json.Marshal(fields)
	pb := gateway.Postback{Timestamp: fmt.Sprint(p.now.UnixMilli()), SmallcaseAuthID: p.userID, TransactionID: p.t.ID,
		Intent: p.t.Req.Intent, Event: event, Status: status, Fields: raw}
	if event == gateway.EventMFHoldingsImport {
		pb.SmallcaseAuthID = ""
	}
	p.posts = append(p.posts, pb)
}

// placedView is a batch as it stands when its orders are placed: nothing
// filled yet, the orders and the batch PLACED.
func placedView(b gateway.OrderBatch) gateway.OrderBatch {
	b.Status, b.Filled, b.CompletedDate = "PLACED", 0, ""
	b.Orders = append([]gateway.Order(nil), b.Orders...)
	for i, o := range b.Orders {
		o.Status, o.FilledQuantity, o.AveragePrice, o.StatusMessage = "PLACED", 0, 0, ""
		b.Orders[i] = o
	}
	return b
}

// orderPostbacks queues the SST postbacks of the journey's batches: one
// per batch and event, the batch's status at the top level. An
// after-market batch is placed, not completed, until the market opens.
func (p *playback) orderPostbacks() {
	for _, b := range p.batches {
		p.postback(gateway.EventOrderPlaced, gateway.Status("PLACED"), placedView(b))
		if b.Variety != "amo" {
			p.postback(gateway.EventOrderCompleted, gateway.Status(b.Status), b)
		}
	}
}

// scenarioRejects are the scenarios that end a journey after the login
// with an SDK error that carries the token.
var scenarioRejects = map[gateway.Scenario]struct {
	status gateway.Status
	code   int
	name   string
}{
	gateway.ScenarioUserCancelled: {gateway.StatusCancelled, 1012, "user_cancelled"},
	gateway.ScenarioConsentDenied: {gateway.StatusErrored, 1003, "consent_denied"},
	gateway.ScenarioExpired:       {gateway.StatusExpired, 1005, "transaction_expired"},
}

// refuse ends the journey with an SDK error when it cannot succeed: another
// account than the bound one, no token, a rejecting scenario or a closed
// market. It returns nil when the journey goes on, with p's token, signup
// and market filled in.
func (s *Server) refuse(p *playback) *gateway.SDKOutcome {
	t := p.t
	if (t.AuthID != "" && t.AuthID != p.userID) || p.sc == gateway.ScenarioUserMismatch {
		s.finish(t.ID, gateway.StatusErrored, 1001, "user_mismatch", nil)
		return sdkFail(1001, "user_mismatch", nil)
	}
	if !p.now.Before(t.ExpireAt) {
		// The user took longer than the transaction lives.
		p.sc = gateway.ScenarioExpired
	}
	tok, err := gateway.MintConnectedToken(s.cfg.Secret, p.userID, p.now.Add(gateway.DefaultTokenTTL))
	if err != nil {
		s.finish(t.ID, gateway.StatusErrored, 2000, "internal_error", nil)
		return sdkFail(2000, "internal_error", nil)
	}
	p.tok = tok
	s.mu.Lock()
	p.signup = t.AuthID == "" && !s.connected[p.userID]
	s.mu.Unlock()
	data := &gateway.SDKErrorData{SmallcaseAuthToken: tok, Broker: p.ref.Broker.ID, Signup: p.signup}

	if r, ok := scenarioRejects[p.sc]; ok {
		s.finish(t.ID, r.status, r.code, r.name, p.login)
		return sdkFail(r.code, r.name, data)
	}
	// The SDK proceeds when the market is open, or closed in its AMO window
	// with AMO enabled by the page; else market_closed. The market_closed
	// scenario rejects whatever the market.
	p.mkt = s.journeyMarket(p.req.Market, p.ref.Broker.ID, p.now)
	oc := t.Req.OrderConfig
	p.needsMarket = t.Req.Intent == gateway.IntentTransaction && oc != nil && oc.Type != gateway.OrderReconciliation
	if p.needsMarket && (p.sc == gateway.ScenarioMarketClosed || !(p.mkt.Open || (p.mkt.AMO && p.req.AMO))) {
		s.finish(t.ID, gateway.StatusErrored, 4004, "market_closed", p.login)
		return sdkFail(4004, "market_closed", data)
	}
	return nil
}

// fulfil plays the intent of a journey that goes on, records its success
// and sends its postbacks.
func (s *Server) fulfil(p *playback) gateway.SDKOutcome {
	t := p.t
	p.res = &gateway.SDKResult{
		Success: true, Transaction: string(t.Req.Intent), SmallcaseAuthToken: p.tok, Broker: p.ref.Broker.ID,
		TransactionID: t.ID, Signup: p.signup, Notes: t.Req.Notes,
	}
	s.mu.Lock()
	s.connected[p.userID] = true
	s.playIntent(p, s.livePortfolio(p.userID, p.ref))
	s.mu.Unlock()
	if t.Req.Intent == gateway.IntentCancelAMO {
		iscid := t.Req.OrderConfig.Iscid
		n := s.store.cancelAMO(p.userID, iscid, t.ID)
		p.res.Data = mustJSON(map[string]any{"iscid": iscid, "cancelled": true, "cancelledOrders": n})
	}

	p.orderPostbacks()
	out := gateway.SDKOutcome{Result: p.res}
	s.finish(t.ID, gateway.StatusCompleted, 0, "", func(x *txn) {
		p.login(x)
		x.Batches = p.batches
		x.Outcome = &out
	})
	for _, pb := range p.posts {
		s.post.send(pb)
	}
	return out
}

// playIntent does what the journey's intent does on the account's live
// portfolio (s.mu held). CANCEL_AMO is played by fulfil, outside s.mu.
func (s *Server) playIntent(p *playback, live *portfolio) {
	switch p.t.Req.Intent {
	case gateway.IntentTransaction:
		s.playOrders(p, live)
	case gateway.IntentFetchFunds:
		f := round2(live.Funds)
		p.res.Fund = &f
	case gateway.IntentHoldingsImport:
		s.playHoldingsImport(p)
	case gateway.IntentMFHoldingsImport:
		sn := s.importHoldings(p.userID, p.ref, p.now, p.t.Req.Notes)
		p.postback(gateway.EventMFHoldingsImport, gateway.StatusCompleted, mfBlock(sn))
	case gateway.IntentAuthoriseHoldings:
		p.res.Data = mustJSON(map[string]any{"authorised": true})
	case gateway.IntentSIPSetup:
		playSIPSetup(p)
	case gateway.IntentIMRSetup:
		p.res.Data = mustJSON(map[string]any{"iscid": p.t.Req.OrderConfig.Iscid, "imrActive": true})
	}
}

// playOrders places a TRANSACTION's orders (s.mu held); one that needs no
// market, a reconciliation, places none.
func (s *Server) playOrders(p *playback, live *portfolio) {
	if p.needsMarket {
		amo := !p.mkt.Open
		oc, err := reviewedOrder(p.t.Req.OrderConfig, p.req.Lines)
		if err != nil {
			oc, _ = reviewedOrder(p.t.Req.OrderConfig, nil)
		}
		sc := p.sc
		if p.ref.Account.Special == SpecialOrderFailure {
			// The special account fails every order, whatever the
			// scenario, as smallcase's order-failure leprechaun token does.
			sc = gateway.ScenarioRejected
		}
		lowFunds := p.ref.Account.Special == SpecialLowFunds
		b := s.execute(p.t, planOrders(oc), sc, lowFunds, amo, live, p.now)
		p.batches = []gateway.OrderBatch{b}
	} else {
		p.batches = []gateway.OrderBatch{}
	}
	p.res.OrderBatches = p.batches
}

// playHoldingsImport snapshots the portfolio and posts it back in the
// version asked for (s.mu held).
func (s *Server) playHoldingsImport(p *playback) {
	t := p.t
	sn := s.importHoldings(p.userID, p.ref, p.now, p.t.Req.Notes)
	mf := t.Req.AssetConfig != nil && bool(t.Req.AssetConfig.MFHoldings)
	p.res.Data = mustJSON(map[string]any{"securities": len(sn.p.Positions), "mutualFunds": len(sn.p.Folios), "snapshotDate": stamp(p.now)})
	if t.Req.Version == "v2" {
		p.postback(gateway.EventHoldingsImport, gateway.StatusCompleted, holdingsV2(p.userID, p.ref.Broker.ID, sn, mf))
	} else {
		p.postback(gateway.EventHoldingsImport, gateway.StatusCompleted, holdingsV1(p.userID, p.ref.Broker.ID, sn, mf))
	}
}

// playSIPSetup answers a SIP_SETUP with the SIP it sets up.
func playSIPSetup(p *playback) {
	oc := p.t.Req.OrderConfig
	amt := oc.Amount
	if amt == 0 {
		amt = 5000
	}
	p.res.Data = mustJSON(map[string]any{"sipAction": "create", "sipActive": true, "amount": amt, "frequency": "monthly",
		"iscid": oc.Iscid, "scid": oc.Scid, "scheduledDate": p.now.AddDate(0, 1, 0).UTC().Format("2006-01-02"), "sipType": "amount"})
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// plannedOrder is one order a transaction will place.
type plannedOrder struct {
	Ticker string       `json:"ticker"`
	Name   string       `json:"name"`
	Side   gateway.Side `json:"type"`
	Qty    int          `json:"quantity"`
	Price  float64      `json:"price"`
}

// planOrders turns an orderConfig into orders. A smallcase order (scid or
// iscid) buys or sells a deterministic basket of five stocks named after
// the id; amount, when given, sizes the basket.
func planOrders(oc *gateway.OrderConfig) []plannedOrder {
	if oc == nil {
		return nil
	}
	var out []plannedOrder
	if oc.Type == gateway.OrderSecurities {
		for _, sec := range oc.Securities {
			in := lookupInstrument(sec.Ticker)
			out = append(out, plannedOrder{Ticker: sec.Ticker, Name: in.Name, Side: sec.Type, Qty: sec.Quantity, Price: in.Price})
		}
		return out
	}
	if oc.Type == gateway.OrderReconciliation {
		return nil
	}
	key := oc.Scid
	if key == "" {
		key = oc.Iscid
	}
	side := gateway.Buy
	if oc.Type == gateway.OrderExit {
		side = gateway.Sell
	}
	r := &seedRand{key: []byte("smallcase\x00" + key)}
	picked := map[int]bool{}
	for len(out) < 5 {
		i := int(r.next() % uint32(len(instruments)))
		if picked[i] {
			continue
		}
		picked[i] = true
		in := instruments[i]
		q := 1 + int(r.next()%5)
		if in.Price < 500 {
			q *= 5
		}
		if oc.Amount > 0 {
			q = int(math.Max(1, math.Floor(oc.Amount/5/in.Price)))
		}
		out = append(out, plannedOrder{Ticker: in.Ticker, Name: in.Name, Side: side, Qty: q, Price: in.Price})
	}
	return out
}

func batchLabel(oc *gateway.OrderConfig, orders []plannedOrder) string {
	switch oc.Type {
	case gateway.OrderSecurities:
		buys, sells := 0, 0
		for _, o := range orders {
			if o.Side == gateway.Buy {
				buys++
			} else {
				sells++
			}
		}
		switch {
		case sells == 0:
			return "BUY"
		case buys == 0:
			return "PARTIALEXIT"
		}
		return "MANAGE"
	case gateway.OrderExit:
		return "SELLALL"
	}
	return string(oc.Type)
}

// partlyFilled says which orders partial_fill fills in part: every other
// order that can be (an order of one share cannot be partly filled). The
// map holds every order that can be; when it is empty, none could, and the
// orders fill in full and say why.
func partlyFilled(plan []plannedOrder, sc gateway.Scenario) map[int]bool {
	partly := map[int]bool{}
	if sc != gateway.ScenarioPartialFill {
		return partly
	}
	n := 0
	for i, o := range plan {
		if o.Qty > 1 {
			partly[i] = n%2 == 0
			n++
		}
	}
	return partly
}

// rejectReason is why the broker rejects an order ("" when it does not):
// the low-funds account's BUYs, the scenario's, funds, or holdings.
func rejectReason(o plannedOrder, sc gateway.Scenario, lowFunds bool, cost, funds float64, held int) string {
	switch {
	case o.Side == gateway.Buy && (lowFunds || sc == gateway.ScenarioInsufficientFunds):
		return fmt.Sprintf("Insufficient funds. Required margin is %.2f but available margin is %.2f", cost, round2(math.Min(funds, cost/4)))
	case sc == gateway.ScenarioRejected:
		return "RMS: order rejected by the broker's risk checks"
	case o.Side == gateway.Buy && cost > funds:
		return fmt.Sprintf("Insufficient funds. Required margin is %.2f but available margin is %.2f", cost, round2(funds))
	case o.Side == gateway.Sell && o.Qty > held:
		return fmt.Sprintf("Insufficient holdings: %d %s held, %d to sell", held, o.Ticker, o.Qty)
	}
	return ""
}

// execute places a batch on the account's live portfolio (s.mu held).
// lowFunds rejects every BUY for funds, whatever the account's balance (a
// SELL before it raises the funds but does not change that), as smallcase's
// low-funds leprechaun token does.
func (s *Server) execute(t txn, plan []plannedOrder, sc gateway.Scenario, lowFunds, amo bool, p *portfolio, now time.Time) gateway.OrderBatch {
	b := gateway.OrderBatch{
		BatchID: s.newHex(12), TransactionID: t.ID, Variety: "regular", Label: batchLabel(t.Req.OrderConfig, plan),
		Orders: []gateway.Order{}, Unplaced: []gateway.Order{},
	}
	if amo {
		b.Variety = "amo"
	}
	complete, partial, rejected := 0, 0, 0
	partly := partlyFilled(plan, sc)
	for i, o := range plan {
		// An order trades on the exchange the account holds the stock on;
		// a new holding starts on NSE.
		ord := gateway.Order{OrderType: "MARKET", Product: "CNC", Exchange: exNSE, Quantity: o.Qty,
			Tradingsymbol: o.Ticker, TransactionType: string(o.Side)}
		cost := float64(o.Qty) * o.Price
		held := 0
		if ps := p.Positions[o.Ticker]; ps != nil {
			held = ps.Quantity
			ord.Exchange = ps.Exchange
		}
		if reject := rejectReason(o, sc, lowFunds, cost, p.Funds, held); reject != "" {
			ord.Status, ord.StatusMessage = "REJECTED", reject
			rejected++
			b.Orders = append(b.Orders, ord)
			continue
		}
		ord.ExchangeOrderID = exchangeOrderID(b.BatchID, i)
		if amo {
			ord.Status = "PLACED"
			ord.StatusMessage = "after-market order: queued until the market opens"
			b.Orders = append(b.Orders, ord)
			continue
		}
		fill := o.Qty
		ord.Status = "COMPLETE"
		if partly[i] {
			fill = o.Qty / 2
			ord.Status = "PARTIAL"
			ord.StatusMessage = fmt.Sprintf("partially filled: %d of %d; the rest was cancelled", fill, o.Qty)
			partial++
		} else {
			complete++
			if sc == gateway.ScenarioPartialFill && len(partly) == 0 {
				ord.StatusMessage = "partial_fill: every order is of 1 share, which cannot be partly filled: filled in full"
			}
		}
		ord.FilledQuantity = fill
		if fill > 0 {
			ord.AveragePrice = o.Price
		}
		amt := round2(float64(fill) * o.Price)
		if o.Side == gateway.Buy {
			b.BuyAmount = round2(b.BuyAmount + amt)
			p.Funds -= amt
			ps := p.Positions[o.Ticker]
			if ps == nil {
				ps = &position{Ticker: o.Ticker, Exchange: exNSE}
				p.Positions[o.Ticker] = ps
			}
			if fill > 0 {
				ps.AvgPrice = round2((ps.AvgPrice*float64(ps.Quantity) + amt) / float64(ps.Quantity+fill))
				ps.Quantity += fill
			}
			if ps.Quantity == 0 {
				delete(p.Positions, o.Ticker)
			}
		} else {
			b.SellAmount = round2(b.SellAmount + amt)
			p.Funds += amt
			if ps := p.Positions[o.Ticker]; ps != nil {
				ps.Quantity -= fill
				if ps.Quantity <= 0 {
					delete(p.Positions, o.Ticker)
				}
			}
		}
		b.Orders = append(b.Orders, ord)
	}
	b.Quantity = len(plan)
	b.Filled = complete
	switch {
	case amo && rejected < len(plan):
		b.Status = "PLACED"
	case len(plan) == 0 || complete == len(plan):
		b.Status = "COMPLETED"
	case rejected == len(plan):
		b.Status = "ERROR"
	default:
		b.Status = "PARTIALLYFILLED"
	}
	if !amo {
		b.CompletedDate = stamp(now)
	}
	return b
}

// exchangeOrderID is a 16-digit exchange order number.
func exchangeOrderID(batchID string, i int) string {
	r := &seedRand{key: []byte(batchID + strconv.Itoa(i))}
	return "1100000" + fmt.Sprintf("%09d", r.next()%1000000000)
}
