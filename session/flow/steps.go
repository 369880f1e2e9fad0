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
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
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
	case SDKRun:
		return j.runIntentNow()
	}
	return gateway.IntentConnect
}

func (r *Runner) describe(j *Journey, k StepKind) (title, why string) {
	if t, w, ok := describeRun(j, k); ok && j.Kind == SDKRun {
		return t, w
	}
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
	r := j.r
	rec := func(x gateway.Exchange) {
		s.Exchanges = append(s.Exchanges, x)
		if r.opt.OnAttempt != nil {
			a := Attempt{Step: s.Kind, N: x.Attempt, Of: r.attempts(x.Method), Reason: attemptReason(x, r.timeout()), Exchange: x}
			a.Retrying = a.Reason != "" && a.N < a.Of && ctx.Err() == nil
			r.opt.OnAttempt(a)
		}
	}
	ctx = gateway.WithRecorder(ctx, rec)
	if j.Kind == SDKRun {
		j.runSDKStep(ctx, s)
		s.Err = j.annotate(s, s.Err)
		return
	}
	switch s.Kind {
	case MintToken:
		if err := j.preflight(); err != nil {
			s.Err = &PreflightError{Err: err}
			return
		}
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
	s.Err = j.annotate(s, s.Err)
}

// createsTransaction reports whether the journey creates a transaction.
func (j *Journey) createsTransaction() bool {
	return j.Step(CreateTransaction) != nil
}

// preflight checks, before anything is sent, what the journey will need
// after its transaction exists, so that a transaction on the Gateway is not
// wasted: the users file (a guest login saves into it), the history file
// (every transaction is recorded there) and the browser bridge's port
// (bound now, when the journey opens a browser).
func (j *Journey) preflight() error {
	r := j.r
	if j.Kind == GuestLogin {
		if err := session.ValidateLabel(j.UserLabel); err != nil {
			return err
		}
		u, err := r.store.User(r.profile.Name, j.UserLabel)
		if err != nil && !errors.Is(err, session.ErrUserNotFound) {
			return err
		}
		// mint_token, next, takes what was read here rather than read the
		// users file again.
		j.mu.Lock()
		j.preRead, j.preUser = true, nil
		if err == nil {
			j.preUser = &u
		}
		j.mu.Unlock()
	}
	if !j.createsTransaction() {
		return nil
	}
	if _, err := r.store.History(r.profile.Name); err != nil {
		return err
	}
	if r.opt.Auto == "" {
		if err := bridge.CheckSDKURL(r.sdkURL); err != nil {
			return err
		}
		if _, err := r.Bridge(); err != nil {
			return err
		}
	}
	return nil
}

// annotate adds what the journey knows to a step's error: a network
// failure becomes an *UnreachableError (with every attempt counted), a key
// rejection names the environment variable that set the key, and an expiry
// carries the transaction's real lifetime.
func (j *Journey) annotate(s *Step, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	r := j.r
	err = unreachable(err, s.Exchanges, r.timeout())
	var un *UnreachableError
	if s.Kind == CreateTransaction && errors.As(err, &un) && un.Reason != "connection refused" &&
		!strings.HasPrefix(un.Reason, "no such host") && !strings.HasPrefix(un.Reason, "name lookup failed") {
		// The request may have reached the Gateway: a refused connection
		// or an unknown host are the only answers that prove it did not.
		un.MayHaveCreated = true
		if len(s.Exchanges) > 0 {
			un.Sent = s.Exchanges[0].Started
		}
	}
	var api *gateway.APIError
	var sdk *gateway.SDKError
	switch {
	case errors.As(err, &api) && api.Kind() == gateway.KindJWT && r.keys.SecretFromEnv:
		err = &KeyOverrideError{Var: session.EnvSecret, Err: err}
	case errors.As(err, &api) && api.Kind() == gateway.KindAPISecret && r.keys.APISecretFromEnv:
		err = &KeyOverrideError{Var: session.EnvAPISecret, Err: err}
	case errors.Is(err, gateway.ErrTokenSignature) && r.keys.SecretFromEnv:
		err = &KeyOverrideError{Var: session.EnvSecret, Err: err}
	}
	expired := errors.Is(err, bridge.ErrJourneyExpired) ||
		(errors.As(err, &sdk) && sdk.Message == "transaction_expired") ||
		(errors.As(err, &api) && api.Kind() == gateway.KindExpired)
	if expired {
		j.mu.Lock()
		txn, created := j.txn, j.txnCreated
		j.mu.Unlock()
		if txn != nil {
			e := &ExpiredError{TransactionID: txn.TransactionID, Err: err}
			if !created.IsZero() && txn.ExpireAt.After(created) {
				e.Lifetime = txn.ExpireAt.Sub(created)
			}
			err = e
		}
	}
	return err
}

// sandboxAccount reports whether id is the smallcaseAuthId of one of the
// sandbox's test accounts on the profile's gateway.
func (r *Runner) sandboxAccount(id string) bool {
	for _, a := range r.TestAccounts() {
		if a.SmallcaseAuthID == id {
			return true
		}
	}
	return false
}

func (j *Journey) mintToken(s *Step) {
	r := j.r
	exp := r.now().Add(gateway.DefaultTokenTTL)
	var tok string
	var err error
	if j.Kind == GuestLogin {
		// A label that already exists is a re-connect: its result must
		// carry the stored id (checked in verify_result).
		j.mu.Lock()
		pre, known := j.preRead, j.preUser
		j.preRead, j.preUser = false, nil
		j.mu.Unlock()
		if !pre {
			if u, uerr := r.store.User(r.profile.Name, j.UserLabel); uerr == nil {
				known = &u
			}
		}
		if known != nil {
			j.setUser(known)
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
		if r.profile.Env == gateway.EnvSandbox && !r.sandboxAccount(u.SmallcaseAuthID) {
			// The sandbox would answer 404 (holdings) or log in with another
			// account (orders): say so before any request.
			s.Err = &NotSandboxAccountError{Profile: r.profile.Name, Label: j.UserLabel, AuthID: u.SmallcaseAuthID}
			return
		}
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
	created := r.now()
	txn, err := r.client.CreateTransaction(ctx, tok, req)
	if err != nil {
		s.Err = err
		return
	}
	s.Transaction = txn
	offset := serverOffset(s.Exchanges, r.now())
	if w := txn.AssumeExpiry(created.Add(offset)); w != "" { // no readable expireAt: never a 0:00 countdown
		s.Warnings = append(s.Warnings, w)
	}
	j.mu.Lock()
	j.txn, j.txnCreated, j.outcome, j.verified = txn, created, nil, nil
	j.serverOffset = offset
	j.mu.Unlock()
	// On this machine's clock, as the countdown shows it (a sandbox's clock
	// may have been moved).
	s.Summary = fmt.Sprintf("%s %s, expires %s", req.Intent, txn.TransactionID, txn.ExpireAt.Add(-offset).Local().Format("15:04:05"))
	herr := r.store.AddHistory(r.profile.Name, session.HistoryEntry{TransactionID: txn.TransactionID, Intent: req.Intent,
		User: j.UserLabel, CreatedAt: r.now(), ExpiresAt: txn.ExpireAt, Status: gateway.StatusInitialized,
		Summary: requestSummary(req)})
	if herr != nil {
		r.opt.Logf("history: %v", herr)
		s.Warnings = append(s.Warnings, fmt.Sprintf("transaction %s is not in the history: %v", txn.TransactionID, herr))
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
				side, qty := string(sec.Type), ":"+strconv.Itoa(sec.Quantity)
				if side == "" {
					side = "side?"
				}
				if sec.Quantity == 0 {
					qty = ":qty?"
				}
				parts = append(parts, side+" "+sec.Ticker+qty)
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
	bj, err := b.NewJourney(bridge.JourneySpec{Gateway: r.profile.Gateway, AuthToken: tok, TransactionID: txn.TransactionID,
		Intent: j.intent(), SDKURL: r.sdkURL, ExpireAt: j.ExpireAt(), Leprechaun: r.profile.Leprechaun, AMO: r.profile.AMO,
		Brokers: r.profile.Brokers, Config: r.profile.SDKConfigJSON(), AwaitVerdict: true})
	if err != nil {
		s.Err = err
		return
	}
	j.mu.Lock()
	j.bj = bj
	j.mu.Unlock()
	s.BrowserURL = bj.URL()
	s.SDKConfig = r.profile.SDKConfigJSON()
	j.open(s, b.Port())
}

// open opens the browser on s.BrowserURL unless --no-browser or no browser
// can open here, and says which on the step.
func (j *Journey) open(s *Step, port int) {
	r := j.r
	url := s.BrowserURL
	var why string
	if r.opt.NoBrowser {
		why = "--no-browser"
	} else if ok, reason := bridge.BrowserAvailable(r.opt.Getenv); !ok {
		why = reason
	} else {
		var op bridge.Opener = r.opt.Opener
		if op == nil {
			op = bridge.NewBrowserOpener()
		}
		if err := op.Open(url); err != nil {
			why = fmt.Sprintf("could not open a browser: %v", err)
		}
	}
	if why == "" {
		s.Opened = true
		s.Summary = "opened " + url
		return
	}
	if why == "--no-browser" {
		s.Summary = "not opened (--no-browser): open this URL yourself: " + url
	} else {
		s.Summary = "not opened, " + why + ": open this URL yourself: " + url
	}
	// The URL is in the summary and beside the note: not again here.
	s.BrowserNote = "Not opened: " + why + ". Open the link in a browser yourself."
	if _, ssh := bridge.OverSSH(r.opt.Getenv); ssh {
		s.BrowserNote += "\n" + sshHint(r.profile, port)
	}
}

// sshHint tells how to reach the browser page from the operator's own
// computer when gatewalk runs over SSH. Only a real Gateway whitelists the
// page's origin; a sandbox port is just a free one.
func sshHint(p session.Profile, port int) string {
	if p.Env != gateway.EnvSandbox {
		return bridge.SSHForwardHint(port)
	}
	return bridge.SandboxSSHForwardHint(port)
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
		// The page that ran the SDK going away ends the wait: its answer
		// can no longer arrive, and the Gateway is asked instead.
		wctx, cancelWait := context.WithCancel(ctx)
		defer cancelWait()
		var pageGone atomic.Bool
		go func() {
			sawResult := false
			forward := func(ev bridge.JourneyEvent) {
				sawResult = sawResult || ev.Kind == bridge.JourneyResult
				j.mu.Lock()
				if ev.Kind == bridge.JourneySDKStarted {
					j.sdkStarted, j.triggered = true, true
				}
				started := j.sdkStarted
				j.mu.Unlock()
				if ev.Kind == bridge.JourneyTabClosed && started {
					pageGone.Store(true)
					cancelWait()
				}
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
		out, err = bj.Wait(wctx)
		if bj.SDKStarted() {
			// Asked of the bridge itself: its sdk_started event may have
			// been dropped from a full channel. A started SDK is never
			// started again by a retry.
			j.mu.Lock()
			j.sdkStarted, j.triggered = true, true
			j.mu.Unlock()
		}
		if err != nil && ctx.Err() == nil && pageGone.Load() {
			err = ErrPageClosedAfterStart
		}
		if err != nil && wctx.Err() != nil {
			// The terminal stopped waiting: the page must not deliver a
			// result nobody reads (it keeps the SDK's answer on screen).
			bj.Abandon()
		}
		close(stop)
		// The bridge emits its result event just after Wait returns; when it
		// is not there yet, announce the result here so readers always see one.
		if sawResult := <-done; !sawResult && err == nil {
			j.emit(bridge.JourneyEvent{Kind: bridge.JourneyResult, Detail: outcomeDetail(out), At: r.now()})
		}
	}
	if err != nil {
		s.Err = err
		if errors.Is(err, bridge.ErrJourneyExpired) {
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
		if v, _ := gateway.VerifyOutcome(out, r.keys.Secret, "", r.now()); v != nil {
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
	// AMO as the browser page would pass it: config.amo from the profile.
	req := gateway.AutoAnswer{Broker: r.opt.AutoBroker, Account: r.opt.AutoAccount, Outcome: r.opt.Auto, AMO: r.profile.AMO}
	var out gateway.SDKOutcome
	var err error
	if r.sb != nil {
		out, err = r.sb.Play(ctx, txn.TransactionID, req)
	} else {
		out, err = driveSandbox(ctx, r.client, txn.TransactionID, req)
	}
	if err == nil {
		j.emit(bridge.JourneyEvent{Kind: bridge.JourneyResult, Detail: "the sandbox driver played " + string(r.opt.Auto) + ": " + outcomeDetail(out), At: r.now()})
	}
	return out, err
}

// outcomeDetail describes how the SDK settled, for a result event.
func outcomeDetail(out gateway.SDKOutcome) string {
	switch {
	case out.Error != nil:
		return "rejected with " + out.Error.Label()
	case out.Result != nil:
		return fmt.Sprintf("resolved %s, broker %s", out.Result.Transaction, out.Result.Broker)
	}
	return "settled"
}

// driveSandbox calls the HTTP driver of a sandbox running in another
// process (POST /_sandbox/transactions/{id}/complete).
func driveSandbox(ctx context.Context, c *gateway.Client, txnID string, req gateway.AutoAnswer) (gateway.SDKOutcome, error) {
	var out gateway.SDKOutcome
	body, _ := json.Marshal(req)
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
	} else if j.Kind == SDKRun {
		// A run with a given connected token expects that token's user.
		expected = j.authID
	}
	j.mu.Unlock()
	if out == nil {
		s.Err = errors.New("no SDK result to verify")
		return
	}
	v, err := gateway.VerifyOutcome(*out, r.keys.Secret, expected, r.now())
	if out.Result != nil {
		j.tellPage(err)
	}
	if v != nil {
		s.Verified = v
		s.Token, s.TokenInfo = v.Result.SmallcaseAuthToken, v.Token
		s.Warnings = append(s.Warnings, v.Warnings...)
	}
	if err != nil {
		var mm *gateway.AuthIDMismatchError
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

// tellPage gives the SDK page the terminal's verdict on the result it
// delivered: the page says "Done" only when it was accepted, and else why
// it was not.
func (j *Journey) tellPage(err error) {
	j.mu.Lock()
	bj := j.bj
	j.mu.Unlock()
	if bj == nil {
		return
	}
	if err == nil {
		bj.SetVerdict(bridge.Verdict{Accepted: true})
		return
	}
	p := Explain(err)
	bj.SetVerdict(bridge.Verdict{Reason: err.Error(), Advice: p.Advice})
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
	// The store keeps the first connection time of a returning user and
	// hands back the record as stored.
	u, err := r.store.UpsertUser(r.profile.Name, u, allow)
	if err != nil {
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

// Where the batches of a step come from.
const (
	SourceSDK          = "the SDK result"
	SourceOrderDetails = "the order details"
)

// fetchOrders fetches the order details. After an order journey they are a
// second opinion: the SDK's result (its orderBatches, or data.batches) is
// what the journey reports, and an order-details call that fails, answers
// no batches or differs only adds a warning saying which source said what.
// The order-details path has a single third-party source (gateway-api.md
// §16.14), so a real Gateway answering differently must not fail an order
// the SDK confirmed.
func (j *Journey) fetchOrders(ctx context.Context, s *Step) {
	r := j.r
	txnID := j.TransactionID()
	od, err := r.client.FetchOrderDetails(ctx, j.connectedToken(), txnID)
	if j.Kind != Order && j.Kind != SDKRun {
		if err != nil {
			s.Err = err
			return
		}
		s.Orders, s.OrdersSource, s.Summary = od, SourceOrderDetails, ordersSummary(od)
		return
	}
	j.mu.Lock()
	var sdk []gateway.OrderBatch
	switch {
	case j.verified != nil:
		sdk = j.verified.Batches
	case j.outcome != nil && j.outcome.Result != nil:
		// No secret verified the result (a run on a profile without one):
		// its batches still say what the SDK reported.
		sdk = gateway.ResultBatches(*j.outcome.Result)
	}
	j.mu.Unlock()
	s.Orders, s.OrdersSource = od, SourceOrderDetails
	switch {
	case err != nil:
		s.Warnings = append(s.Warnings, fmt.Sprintf("the order-details call failed (%v): %s", firstLine(err), sdkSays(sdk)))
		s.Orders = &gateway.OrderDetails{TransactionID: txnID, Status: gateway.StatusCompleted, Batches: sdk}
		s.OrdersSource = SourceSDK
	case len(sdk) > 0 && len(od.Batches) == 0:
		s.Warnings = append(s.Warnings, "the order details answered no batches for "+txnID+": "+sdkSays(sdk))
		s.Orders = &gateway.OrderDetails{TransactionID: txnID, SmallcaseAuthID: od.SmallcaseAuthID, Broker: od.Broker,
			Status: gateway.StatusCompleted, Batches: sdk}
		s.OrdersSource = SourceSDK
	case len(sdk) > 0:
		if d := batchesDiffer(sdk, od.Batches); d != "" {
			s.Warnings = append(s.Warnings, "the order details differ from the SDK result ("+d+"): shown are the SDK's batches")
		}
		s.Orders = &gateway.OrderDetails{TransactionID: txnID, SmallcaseAuthID: od.SmallcaseAuthID, Broker: od.Broker,
			Status: od.Status, Batches: sdk}
		s.OrdersSource = SourceSDK
	}
	if s.Orders.TransactionID == "" {
		s.Orders.TransactionID = txnID
	}
	s.Summary = ordersSummary(s.Orders)
	if s.OrdersSource == SourceSDK {
		s.Summary += " (from the SDK result)"
	}
	status := s.Orders.Status
	if status == "" {
		status = gateway.StatusCompleted
	}
	j.updateHistory(status, 0, "", s.Summary)
}

// firstLine is an error's first line, for a warning.
func firstLine(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// sdkSays is what the journey shows instead of the order details.
func sdkSays(sdk []gateway.OrderBatch) string {
	if len(sdk) == 0 {
		return "the SDK result carried no batches either, so none are shown; check the order in the broker's order book"
	}
	return "shown are the " + plural(len(sdk), "batch", "batches") + " the SDK resolved with"
}

// batchesDiffer says how two lists of batches differ in what an operator
// reads (batch ids, statuses, order counts and statuses), "" when they
// agree.
func batchesDiffer(sdk, od []gateway.OrderBatch) string {
	describe := func(bs []gateway.OrderBatch) string {
		var parts []string
		for _, b := range bs {
			var os []string
			for _, o := range b.Orders {
				os = append(os, o.Tradingsymbol+" "+o.Status)
			}
			parts = append(parts, b.BatchID+" "+b.Status+" ["+strings.Join(os, ", ")+"]")
		}
		return strings.Join(parts, "; ")
	}
	a, b := describe(sdk), describe(od)
	if a == b {
		return ""
	}
	return "SDK: " + a + "; order details: " + b
}

// ordersSummary counts orders by status: "2 orders: 1 COMPLETE, 1 REJECTED".
func ordersSummary(od *gateway.OrderDetails) string {
	if len(od.Batches) == 0 {
		return "no batches: the order details show the orders of COMPLETED transactions only, and only to their user"
	}
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
	return fmt.Sprintf("%d %s in %s: %s", n, noun, plural(len(od.Batches), "batch", "batches"), strings.Join(parts, ", "))
}

func (j *Journey) fetchHoldings(ctx context.Context, s *Step) {
	r := j.r
	h, err := r.client.FetchHoldings(ctx, j.connectedToken(), j.holdings)
	if err != nil {
		var api *gateway.APIError
		if errors.As(err, &api) && api.Status == http.StatusNotFound && api.ErrorType == "user_not_found" && r.profile.Env == gateway.EnvSandbox {
			j.mu.Lock()
			id := j.authID
			j.mu.Unlock()
			err = &NotSandboxAccountError{Profile: r.profile.Name, Label: j.UserLabel, AuthID: id, Err: err}
		}
		s.Err = err
		return
	}
	s.Holdings = h
	j.mu.Lock()
	want := j.authID
	j.mu.Unlock()
	if got := h.AuthID(); got != "" && want != "" && got != want {
		s.Err = &gateway.AuthIDMismatchError{User: j.UserLabel, Expected: want, Got: got}
		return
	}
	s.Summary = fmt.Sprintf("%s holdings from %s: %s, %s", h.Version, h.Broker(), plural(len(h.Equities()), "equity", "equities"),
		plural(len(h.MutualFunds()), "mutual fund", "mutual funds"))
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
	case errors.Is(err, bridge.ErrJourneyExpired):
		j.updateHistory(gateway.StatusExpired, 0, "transaction_expired", "expired before the SDK result")
	case errors.As(err, &api) && api.Kind() == gateway.KindExpired:
		j.updateHistory(gateway.StatusExpired, 0, api.Error(), "")
	case err != nil:
		j.updateHistory(gateway.StatusErrored, 0, err.Error(), "")
	}
}

// serverOffset is how far the server's clock runs ahead of the runner's,
// from the create's answer: a sandbox's X-Sandbox-Time exactly, or the
// Date header when it is off by two seconds or more (its resolution is a
// second). Expiry times the server gives are moved by it onto the
// runner's clock.
func serverOffset(xs []gateway.Exchange, now time.Time) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	x := xs[len(xs)-1]
	if x.ServerTime.IsZero() {
		return 0
	}
	// The server answered between the request's start and now.
	d := x.ServerTime.Sub(now)
	if x.ServerTimePrecise {
		if d > -time.Second && d < time.Second {
			return 0 // the same clock (an in-process sandbox): no drift to correct
		}
		return d
	}
	if d > -2*time.Second && d < 2*time.Second {
		return 0
	}
	return d
}
