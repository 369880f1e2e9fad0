package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

// withTitles fills each step's title and why line for the journey's kind.
func (r *Runner) withTitles(j *Journey) *Journey {
	for _, s := range j.Steps {
		s.Title, s.Why = r.describe(j, s.Kind)
	}
	return j
}

func (j *Journey) intent() gateway.Intent {
	switch j.Kind {
	case Order:
		return gateway.IntentTransaction
	case HoldingsImport:
		return gateway.IntentHoldingsImport
	}
	return gateway.IntentConnect
}

func (r *Runner) describe(j *Journey, k StepKind) (title, why string) {
	switch k {
	case MintToken:
		if j.Kind == GuestLogin {
			return "Mint a guest token", "Guest JWT: a user who has not linked a broker yet is identified by {guest:true}, signed (HS256) with your secret on your backend, with a short expiry"
		}
		return "Mint a connected token", "Connected JWT: a returning user is identified by {smallcaseAuthId}, so the Gateway asks for the broker account they linked before"
	case CreateTransaction:
		why := "Your backend creates the transaction with the apiSecret (x-gateway-secret) and the JWT; the transactionId lives 5 minutes and runs once"
		switch j.Kind {
		case Order:
			why = "The order is fixed on your backend in the transaction's orderConfig, so the browser cannot change what is bought or sold"
		case HoldingsImport:
			why = "HOLDINGS_IMPORT asks the broker for the user's holdings; version v2 adds ISINs and positions, mfHoldings adds mutual funds"
		}
		if j.Kind == Order {
			return "Create a TRANSACTION (the order)", why
		}
		return "Create a " + string(j.intent()) + " transaction", why
	case OpenBrowser:
		return "Open the browser", "Transactions run only in the web SDK, in a browser, on an origin smallcase has whitelisted (a localhost port for development)"
	case AwaitSDK:
		return "Wait for the SDK result", "triggerTransaction's promise settles when the user finishes at the broker, or rejects with an error code; the transaction expires after 5 minutes"
	case VerifyResult:
		return "Verify the returned token", "Never trust the browser: check the returned smallcaseAuthToken's signature with your secret, and that its smallcaseAuthId is the user's"
	case SaveUser:
		return "Save the user", "Save the smallcaseAuthId with your user's record, and never the same id for two users: that would mean they share one broker account"
	case FetchOrders:
		return "Fetch the order details", "Order details come from your backend (GET /v1/{gateway}/engine/orders/sst), not from the browser: that is the record to trust"
	case FetchHoldings:
		return "Fetch the holdings", "Your backend fetches holdings with the user's connected JWT (GET /v1/{gateway}/engine/user/holdings)"
	case AwaitPostback:
		return "Wait for the postback", "The Gateway also POSTs the outcome to your postback URL with a checksum made with your apiSecret: the server-side confirmation"
	}
	return string(k), ""
}

// run executes one step into s (a private copy committed by Next).
func (j *Journey) run(ctx context.Context, s *Step) {
	rec := func(x gateway.Exchange) { s.Exchanges = append(s.Exchanges, x) }
	ctx = gateway.WithRecorder(ctx, rec)
	switch s.Kind {
	case MintToken:
		j.mintToken(s)
	case CreateTransaction:
		j.createTransaction(ctx, s)
	case OpenBrowser:
		j.openBrowser(s)
	case AwaitSDK:
		j.awaitSDK(ctx, s)
	case VerifyResult:
		j.verifyResult(s)
	case SaveUser:
		j.saveUser(s)
	case FetchOrders:
		j.fetchOrders(ctx, s)
	case FetchHoldings:
		j.fetchHoldings(ctx, s)
	case AwaitPostback:
		j.awaitPostback(ctx, s)
	default:
		s.Err = fmt.Errorf("unknown step %q", s.Kind)
	}
}

func (j *Journey) mintToken(s *Step) {
	r := j.r
	exp := r.now().Add(gateway.DefaultTokenTTL)
	var tok string
	var err error
	if j.Kind == GuestLogin {
		// A label that already exists is a re-connect: its result must
		// carry the stored id (checked in verify_result).
		if u, uerr := r.store.User(r.profile.Name, j.UserLabel); uerr == nil {
			j.setUser(&u)
		}
		tok, err = gateway.MintGuestToken(r.keys.Secret, exp)
	} else {
		u, uerr := r.store.User(r.profile.Name, j.UserLabel)
		if errors.Is(uerr, session.ErrUserNotFound) {
			s.Err = &UnknownUserError{Profile: r.profile.Name, Label: j.UserLabel, Err: uerr}
			return
		}
		if uerr != nil {
			s.Err = uerr
			return
		}
		j.setUser(&u)
		s.User = &u
		tok, err = gateway.MintConnectedToken(r.keys.Secret, u.SmallcaseAuthID, exp)
	}
	if err != nil {
		s.Err = err
		return
	}
	info, _ := gateway.InspectToken(tok, r.now())
	s.Token, s.TokenInfo = tok, info
	j.mu.Lock()
	j.token = tok
	j.mu.Unlock()
	if j.Kind == GuestLogin {
		s.Summary = "guest token {guest:true}, expires " + exp.Format("15:04:05")
	} else {
		s.Summary = "connected token for " + s.User.SmallcaseAuthID + ", expires " + exp.Format("15:04:05")
	}
}

func (j *Journey) setUser(u *session.User) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.user = u
	if u != nil {
		j.authID = u.SmallcaseAuthID
	}
}

func (j *Journey) request() gateway.TransactionRequest {
	req := gateway.TransactionRequest{Intent: j.intent()}
	switch j.Kind {
	case Order:
		oc := *j.order
		req.OrderConfig = &oc
	case HoldingsImport:
		if j.holdings.V2 {
			req.Version = "v2"
		}
		if j.holdings.MFHoldings {
			req.AssetConfig = &gateway.AssetConfig{MFHoldings: true}
		}
	}
	return req
}

func (j *Journey) createTransaction(ctx context.Context, s *Step) {
	r := j.r
	j.mu.Lock()
	tok := j.token
	j.closeBridgeJourneyLocked()
	j.mu.Unlock()
	req := j.request()
	txn, err := r.client.CreateTransaction(ctx, tok, req)
	if err != nil {
		s.Err = err
		return
	}
	s.Transaction = txn
	j.mu.Lock()
	j.txn, j.outcome, j.verified = txn, nil, nil
	j.mu.Unlock()
	s.Summary = fmt.Sprintf("%s %s, expires %s", req.Intent, txn.TransactionID, txn.ExpireAt.Local().Format("15:04:05"))
	herr := r.store.AddHistory(r.profile.Name, session.HistoryEntry{TransactionID: txn.TransactionID, Intent: req.Intent,
		User: j.UserLabel, CreatedAt: r.now(), ExpiresAt: txn.ExpireAt, Status: gateway.StatusInitialized,
		Summary: requestSummary(req)})
	if herr != nil {
		r.opt.Logf("history: %v", herr)
	} else {
		j.mu.Lock()
		j.historyOK = true
		j.mu.Unlock()
	}
}

func requestSummary(req gateway.TransactionRequest) string {
	switch req.Intent {
	case gateway.IntentTransaction:
		oc := req.OrderConfig
		if oc.Type == gateway.OrderSecurities {
			var parts []string
			for _, sec := range oc.Securities {
				parts = append(parts, fmt.Sprintf("%s %s:%d", sec.Type, sec.Ticker, sec.Quantity))
			}
			return strings.Join(parts, ", ")
		}
		id := oc.Scid
		if id == "" {
			id = oc.Iscid
		}
		return strings.TrimSpace(string(oc.Type) + " " + id)
	case gateway.IntentHoldingsImport:
		s := "holdings " + req.Version
		if req.Version == "" {
			s = "holdings v1"
		}
		if req.AssetConfig != nil && req.AssetConfig.MFHoldings {
			s += " with mutual funds"
		}
		return s
	}
	return "connect a broker account"
}

func (j *Journey) openBrowser(s *Step) {
	r := j.r
	if r.opt.Auto != "" {
		s.State = Skipped
		s.Summary = fmt.Sprintf("auto %s: the sandbox driver completes the SDK step, no browser", r.opt.Auto)
		return
	}
	b, err := r.Bridge()
	if err != nil {
		s.Err = err
		return
	}
	j.mu.Lock()
	tok, txn := j.token, j.txn
	j.mu.Unlock()
	if txn == nil {
		s.Err = errors.New("no transaction: create one first")
		return
	}
	bj, err := b.NewJourney(session.JourneySpec{Gateway: r.profile.Gateway, AuthToken: tok, TransactionID: txn.TransactionID,
		Intent: j.intent(), SDKURL: r.sdkURL, ExpireAt: txn.ExpireAt, Leprechaun: r.profile.Leprechaun, AMO: r.profile.AMO,
		Brokers: r.profile.Brokers})
	if err != nil {
		s.Err = err
		return
	}
	j.mu.Lock()
	j.bj = bj
	j.mu.Unlock()
	s.BrowserURL = bj.URL()
	var op session.Opener = r.opt.Opener
	if op == nil && !r.opt.NoBrowser {
		op = session.NewBrowserOpener()
	}
	opened, note := session.OpenJourneyURL(op, s.BrowserURL, b.Port(), r.opt.NoBrowser, r.opt.Getenv)
	s.Opened = opened
	if !opened {
		s.BrowserNote = note
	}
	if s.Opened {
		s.Summary = "opened " + s.BrowserURL
	} else {
		s.Summary = "open " + s.BrowserURL
	}
}

func (j *Journey) awaitSDK(ctx context.Context, s *Step) {
	r := j.r
	j.mu.Lock()
	txn, bj := j.txn, j.bj
	j.mu.Unlock()
	if txn == nil {
		s.Err = errors.New("no transaction: create one first")
		return
	}
	var out gateway.SDKOutcome
	var err error
	if r.opt.Auto != "" {
		out, err = j.autoComplete(ctx, txn)
	} else {
		if bj == nil {
			s.Err = errors.New("no browser page: run open_browser first")
			return
		}
		stop := make(chan struct{})
		done := make(chan bool)
		go func() {
			sawResult := false
			forward := func(ev session.JourneyEvent) {
				sawResult = sawResult || ev.Kind == session.JourneyResult
				j.emit(ev)
			}
			defer func() { done <- sawResult }()
			for {
				select {
				case ev, ok := <-bj.Events():
					if !ok {
						return
					}
					forward(ev)
				case <-stop:
					// Hand on what the page reported before the result.
					for {
						select {
						case ev, ok := <-bj.Events():
							if !ok {
								return
							}
							forward(ev)
						default:
							return
						}
					}
				}
			}
		}()
		out, err = bj.Wait(ctx)
		close(stop)
		// The bridge emits its result event just after Wait returns; when it
		// is not there yet, announce the result here so readers always see one.
		if sawResult := <-done; !sawResult && err == nil {
			j.emit(session.JourneyEvent{Kind: session.JourneyResult, Detail: outcomeDetail(out), At: r.now()})
		}
	}
	if err != nil {
		s.Err = err
		if errors.Is(err, session.ErrJourneyExpired) {
			j.updateHistory(gateway.StatusExpired, 0, "transaction_expired", "expired before the SDK result")
		}
		return
	}
	s.Outcome = &out
	j.mu.Lock()
	j.outcome = &out
	j.mu.Unlock()
	if out.Error != nil {
		s.Err = out.Error
		// An error may still carry the connected token of a user who logged in.
		if v, _ := session.VerifyOutcome(out, r.keys.Secret, "", r.now()); v != nil {
			s.Verified = v
			s.Summary = fmt.Sprintf("the user had logged in: the error carries a valid connected token for smallcaseAuthId %s (%s)", v.SmallcaseAuthID, v.Broker)
		}
		return
	}
	if out.Result == nil {
		s.Err = errors.New("the SDK settled with neither a result nor an error")
		return
	}
	s.Summary = fmt.Sprintf("%s succeeded with %s", out.Result.Transaction, out.Result.Broker)
}

// autoComplete has the sandbox driver play the SDK step with Options.Auto.
func (j *Journey) autoComplete(ctx context.Context, txn *gateway.TransactionCreated) (gateway.SDKOutcome, error) {
	r := j.r
	if r.opt.AutoDelay > 0 {
		t := time.NewTimer(r.opt.AutoDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return gateway.SDKOutcome{}, ctx.Err()
		case <-t.C:
		}
	}
	req := sandbox.CompleteRequest{Broker: r.opt.AutoBroker, Account: r.opt.AutoAccount, Outcome: r.opt.Auto}
	var out gateway.SDKOutcome
	var err error
	if r.sb != nil {
		out, err = r.sb.Complete(ctx, txn.TransactionID, req)
	} else {
		out, err = driveSandbox(ctx, r.client, txn.TransactionID, req)
	}
	if err == nil {
		j.emit(session.JourneyEvent{Kind: session.JourneyResult, Detail: "the sandbox driver played " + string(r.opt.Auto) + ": " + outcomeDetail(out), At: r.now()})
	}
	return out, err
}

// outcomeDetail describes how the SDK settled, for a result event.
func outcomeDetail(out gateway.SDKOutcome) string {
	switch {
	case out.Error != nil:
		return fmt.Sprintf("rejected with %s (%d)", out.Error.Message, out.Error.Code)
	case out.Result != nil:
		return fmt.Sprintf("resolved %s, broker %s", out.Result.Transaction, out.Result.Broker)
	}
	return "settled"
}

// driveSandbox calls the HTTP driver of a sandbox running in another
// process (POST /_sandbox/transactions/{id}/complete).
func driveSandbox(ctx context.Context, c *gateway.Client, txnID string, req sandbox.CompleteRequest) (gateway.SDKOutcome, error) {
	var out gateway.SDKOutcome
	body, _ := json.Marshal(map[string]string{"broker": req.Broker, "account": req.Account, "outcome": string(req.Outcome)})
	u := strings.TrimRight(c.BaseURL, "/") + "/_sandbox/transactions/" + url.PathEscape(txnID) + "/complete"
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return out, fmt.Errorf("sandbox driver: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var env gateway.Envelope
		_ = json.Unmarshal(raw, &env)
		return out, &gateway.APIError{Method: http.MethodPost, Path: hreq.URL.Path, Status: resp.StatusCode, Errors: env.Errors, ErrorType: env.ErrorType}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("sandbox driver: the answer does not parse: %w", err)
	}
	return out, nil
}

func (j *Journey) verifyResult(s *Step) {
	r := j.r
	j.mu.Lock()
	out := j.outcome
	expected := ""
	if j.user != nil {
		expected = j.user.SmallcaseAuthID
	}
	j.mu.Unlock()
	if out == nil {
		s.Err = errors.New("no SDK result to verify")
		return
	}
	v, err := session.VerifyOutcome(*out, r.keys.Secret, expected, r.now())
	if v != nil {
		s.Verified = v
		s.Token, s.TokenInfo = v.Result.SmallcaseAuthToken, v.Token
	}
	if err != nil {
		var mm *session.AuthIDMismatchError
		if errors.As(err, &mm) && mm.User == "" {
			mm.User = j.UserLabel
		}
		s.Err = err
		return
	}
	j.mu.Lock()
	j.verified = v
	j.authID = v.SmallcaseAuthID
	j.broker = v.Broker
	j.mu.Unlock()
	s.Summary = fmt.Sprintf("token valid (HS256, your secret), smallcaseAuthId %s, broker %s", v.SmallcaseAuthID, v.Broker)
	if j.Kind == GuestLogin || j.Kind == HoldingsImport {
		j.updateHistory(gateway.StatusCompleted, 0, "", "")
	}
	if j.Kind != GuestLogin {
		if err := r.store.TouchUser(r.profile.Name, j.UserLabel, r.now()); err != nil {
			r.opt.Logf("touch user: %v", err)
		}
	}
}

func (j *Journey) saveUser(s *Step) {
	r := j.r
	j.mu.Lock()
	v, allow := j.verified, j.allowDup
	j.mu.Unlock()
	if v == nil {
		s.Err = errors.New("no verified result to save")
		return
	}
	now := r.now()
	u := session.User{Label: j.UserLabel, SmallcaseAuthID: v.SmallcaseAuthID, Broker: v.Broker,
		Leprechaun: r.profile.Leprechaun || strings.Contains(v.Broker, "leprechaun"), ConnectedAt: now, LastUsedAt: now}
	if err := r.store.SaveUser(r.profile.Name, u, allow); err != nil {
		s.Err = err
		return
	}
	s.User = &u
	s.Summary = fmt.Sprintf("saved %q: smallcaseAuthId %s, broker %s", u.Label, u.SmallcaseAuthID, u.Broker)
}

func (j *Journey) connectedToken() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.token
}

func (j *Journey) fetchOrders(ctx context.Context, s *Step) {
	r := j.r
	txnID := j.TransactionID()
	od, err := r.client.FetchOrderDetails(ctx, j.connectedToken(), txnID)
	if err != nil {
		s.Err = err
		return
	}
	s.Orders = od
	s.Summary = ordersSummary(od)
	if j.Kind == Order {
		status := od.Status
		if status == "" {
			status = gateway.StatusCompleted
		}
		j.updateHistory(status, 0, "", s.Summary)
	}
}

// ordersSummary counts orders by status: "2 orders: 1 COMPLETE, 1 REJECTED".
func ordersSummary(od *gateway.OrderDetails) string {
	counts := map[string]int{}
	var order []string
	n := 0
	for _, b := range od.Batches {
		for _, o := range b.Orders {
			if counts[o.Status] == 0 {
				order = append(order, o.Status)
			}
			counts[o.Status]++
			n++
		}
		for range b.Unplaced {
			if counts["UNPLACED"] == 0 {
				order = append(order, "UNPLACED")
			}
			counts["UNPLACED"]++
			n++
		}
	}
	var parts []string
	for _, st := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
	}
	noun := "orders"
	if n == 1 {
		noun = "order"
	}
	return fmt.Sprintf("%d %s in %d batch(es): %s", n, noun, len(od.Batches), strings.Join(parts, ", "))
}

func (j *Journey) fetchHoldings(ctx context.Context, s *Step) {
	r := j.r
	h, err := r.client.FetchHoldings(ctx, j.connectedToken(), j.holdings)
	if err != nil {
		s.Err = err
		return
	}
	s.Holdings = h
	j.mu.Lock()
	want := j.authID
	j.mu.Unlock()
	if got := h.AuthID(); got != "" && want != "" && got != want {
		s.Err = &session.AuthIDMismatchError{User: j.UserLabel, Expected: want, Got: got}
		return
	}
	s.Summary = fmt.Sprintf("%s holdings from %s: %d equities, %d mutual funds", h.Version, h.Broker(), len(h.Equities()), len(h.MutualFunds()))
	if j.Kind == HoldingsImport {
		j.updateHistory(gateway.StatusCompleted, 0, "", s.Summary)
	}
}

func (j *Journey) awaitPostback(ctx context.Context, s *Step) {
	r := j.r
	event := gateway.EventOrderCompleted
	if j.Kind == HoldingsImport {
		event = gateway.EventHoldingsImport
	}
	ctx, cancel := context.WithTimeout(ctx, r.opt.PostbackTimeout)
	defer cancel()
	rec, err := r.opt.Postbacks.Wait(ctx, j.TransactionID(), event)
	if err != nil {
		s.Err = fmt.Errorf("no %s postback within %v: %w (check the postback URL and that gatewalk listen runs)", event, r.opt.PostbackTimeout, err)
		return
	}
	s.Postback = &rec
	valid := "checksum valid"
	if !rec.ChecksumValid {
		valid = "CHECKSUM INVALID"
	}
	s.Summary = fmt.Sprintf("%s postback, status %s, %s", rec.Event, rec.Status, valid)
	if !rec.ChecksumValid {
		s.Err = fmt.Errorf("%s postback for %s has an invalid checksum: %s", rec.Event, j.TransactionID(), rec.Problem)
	}
}

// updateHistory records the transaction's final state in the profile's
// history; failures are logged, never fatal.
func (j *Journey) updateHistory(status gateway.Status, code int, message, summary string) {
	r := j.r
	j.mu.Lock()
	ok := j.historyOK
	txn := j.txn
	j.mu.Unlock()
	if !ok || txn == nil {
		return
	}
	err := r.store.UpdateHistory(r.profile.Name, txn.TransactionID, func(e *session.HistoryEntry) {
		e.Status = status
		e.ErrorCode = code
		e.ErrorMessage = message
		if summary != "" {
			e.Summary = summary
		}
	})
	if err != nil {
		r.opt.Logf("history: %v", err)
	}
}

// finishHistory records a failed step's error on the live transaction.
func (j *Journey) finishHistory(err error) {
	var sdk *gateway.SDKError
	var api *gateway.APIError
	switch {
	case errors.As(err, &sdk):
		status := gateway.StatusErrored
		switch sdk.Message {
		case "transaction_expired":
			status = gateway.StatusExpired
		case "user_cancelled", "consent_denied", "no_broker":
			status = gateway.StatusCancelled
		}
		j.updateHistory(status, sdk.Code, sdk.Message, "")
	case errors.Is(err, session.ErrJourneyExpired):
		j.updateHistory(gateway.StatusExpired, 0, "transaction_expired", "expired before the SDK result")
	case errors.As(err, &api) && api.Kind() == gateway.KindExpired:
		j.updateHistory(gateway.StatusExpired, 0, api.Error(), "")
	case err != nil:
		j.updateHistory(gateway.StatusErrored, 0, err.Error(), "")
	}
}
