package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"gatewalk/gateway"
)

// SampleRequest says which postback SamplePostback builds.
type SampleRequest struct {
	// Event is the postback's event (gateway.EventOrderCompleted, ...).
	Event string
	// TransactionID and SmallcaseAuthID replace the sandbox's own ids
	// wherever the body carries them; empty keeps the sandbox's.
	TransactionID, SmallcaseAuthID string
	// Clock is the sandbox's time source (the body's timestamp); nil means
	// the wall clock.
	Clock func() time.Time
}

// sampleJourneys is the journey that ends in each event: the intent and
// the request the sandbox is given.
var sampleJourneys = map[string]string{
	gateway.EventOrderPlaced:      `{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"TCS","quantity":1,"type":"BUY"},{"ticker":"INFY","quantity":2,"type":"BUY"}]}}`,
	gateway.EventOrderCompleted:   `{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"TCS","quantity":1,"type":"BUY"},{"ticker":"INFY","quantity":2,"type":"BUY"}]}}`,
	gateway.EventHoldingsImport:   `{"intent":"HOLDINGS_IMPORT"}`,
	gateway.EventMFHoldingsImport: `{"intent":"MF_HOLDINGS_IMPORT"}`,
}

// SampleEvents lists the events SamplePostback builds.
func SampleEvents() []string {
	return []string{gateway.EventOrderPlaced, gateway.EventOrderCompleted, gateway.EventHoldingsImport,
		gateway.EventMFHoldingsImport, gateway.EventPendingAction}
}

// SamplePostback returns the body of a postback of req.Event as the
// sandbox sends it: a journey that ends in that event is played on a fresh
// in-process sandbox (account kite-leprechaun LEP001, scenario success) and
// the body it POSTs is caught before it leaves the process. So the body has
// whatever shape the sandbox's postbacks have. Its checksum is the sandbox's
// (demo apiSecret, the sandbox's ids): sign it again after any change.
//
// PENDING_ACTION has no journey in the sandbox; its body is the sandbox's
// postback of a TRANSACTION with status ACTION_REQUIRED and the pending
// action as data (an emulator choice: the Gateway's shape is not public).
func SamplePostback(ctx context.Context, req SampleRequest) ([]byte, error) {
	if req.Event == gateway.EventPendingAction {
		return samplePendingAction(req), nil
	}
	create, ok := sampleJourneys[req.Event]
	if !ok {
		return nil, fmt.Errorf("unknown event %q (want %s)", req.Event, strings.Join(SampleEvents(), ", "))
	}
	bodies := make(chan []byte, 4)
	s := New(Config{Clock: req.Clock, PostbackURL: "http://postback.sample.invalid/", PostbackAttempts: 1,
		PostbackClient: &http.Client{Transport: catchPostbacks(bodies)}})
	id, err := s.createSample(create)
	if err != nil {
		s.Close()
		return nil, err
	}
	defer s.Close()
	out, err := s.Complete(ctx, id, CompleteRequest{Outcome: gateway.ScenarioSuccess})
	if err != nil {
		return nil, err
	}
	if out.Error != nil {
		return nil, fmt.Errorf("the sample journey failed: %s", out.Error.Message)
	}
	// The journey's postbacks are on their way (each in its own
	// goroutine); the one of the event asked for is kept.
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the sandbox sent no %s postback: %w", req.Event, ctx.Err())
		case b := <-bodies:
			var pb struct {
				Event, TransactionID, SmallcaseAuthID string
			}
			if json.Unmarshal(b, &pb) == nil && pb.Event == req.Event {
				return replaceIDs(b, pb.TransactionID, pb.SmallcaseAuthID, req), nil
			}
		}
	}
}

// samplePendingAction builds PENDING_ACTION with the journeys' postback
// builder.
func samplePendingAction(req SampleRequest) []byte {
	clock := req.Clock
	if clock == nil {
		clock = time.Now
	}
	ref := accountRef{Broker: Brokers()[0], Account: Brokers()[0].Accounts[0]}
	p := &playback{t: txn{ID: req.TransactionID, Req: gateway.TransactionRequest{Intent: gateway.IntentTransaction}},
		ref: ref, now: clock(), userID: req.SmallcaseAuthID}
	if p.t.ID == "" {
		p.t.ID = "TRX_" + strings.Repeat("0", 32)
	}
	if p.userID == "" {
		p.userID = AuthID(DefaultGateway, ref.Broker.ID, ref.Account.ID)
	}
	p.postback(gateway.EventPendingAction, gateway.StatusActionRequired,
		map[string]any{"pendingActions": []map[string]any{{"type": "REBALANCE", "iscid": "ISCID_SAMPLE", "scid": "SCMO_0001"}}})
	b, _ := json.Marshal(p.posts[0])
	return b
}

// createSample creates a transaction through the partner API, as a
// partner's backend does, with a guest token.
func (s *Server) createSample(body string) (string, error) {
	tok, err := gateway.MintGuestToken(s.cfg.Secret, s.now().Add(time.Minute))
	if err != nil {
		return "", err
	}
	r := httptest.NewRequest(http.MethodPost, "/gateway/"+s.cfg.Gateway+"/transaction", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("x-gateway-secret", s.cfg.APISecret)
	r.Header.Set("x-gateway-authtoken", tok)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var env struct {
		Success bool
		Errors  []string
		Data    gateway.TransactionCreated
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || !env.Success {
		return "", fmt.Errorf("the sandbox refused the sample transaction: %s", w.Body.String())
	}
	return env.Data.TransactionID, nil
}

// catchPostbacks is a transport that keeps each postback body and answers
// 200, so nothing leaves the process.
func catchPostbacks(bodies chan<- []byte) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		select {
		case bodies <- b:
		default:
			return nil, errors.New("too many postbacks")
		}
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(nil)), Header: http.Header{}, Request: r}, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// replaceIDs puts the requested ids in place of the sandbox's. Both are
// plain tokens (hex, TRX_ and hex), so a byte replacement cannot break the
// JSON; callers check the ids they pass.
func replaceIDs(b []byte, txnID, authID string, req SampleRequest) []byte {
	if req.TransactionID != "" && txnID != "" {
		b = bytes.ReplaceAll(b, []byte(txnID), []byte(req.TransactionID))
	}
	if req.SmallcaseAuthID != "" && authID != "" {
		b = bytes.ReplaceAll(b, []byte(authID), []byte(req.SmallcaseAuthID))
	}
	return b
}
