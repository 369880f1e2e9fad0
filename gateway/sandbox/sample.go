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
// in-process sandbox (account kite-leprechaun LEP001, scenario success; for
// PENDING_ACTION, the sandbox's pending-action postback of that account) and
// the body it POSTs is caught before it leaves the process. So the body has
// whatever shape the sandbox's postbacks have. Its checksum is the sandbox's
// (demo apiSecret, the sandbox's ids): sign it again after any change.
func SamplePostback(ctx context.Context, req SampleRequest) ([]byte, error) {
	create, ok := sampleJourneys[req.Event]
	if !ok && req.Event != gateway.EventPendingAction {
		return nil, fmt.Errorf("unknown event %q (want %s)", req.Event, strings.Join(SampleEvents(), ", "))
	}
	bodies := make(chan []byte, 4)
	s := New(Config{Clock: req.Clock, PostbackURL: "http://postback.sample.invalid/", PostbackAttempts: 1,
		PostbackClient: &http.Client{Transport: catchPostbacks(bodies)}})
	defer s.Close()
	if err := s.playSample(ctx, req.Event, create); err != nil {
		return nil, err
	}
	// The postbacks are on their way (each in its own goroutine); the one
	// of the event asked for is kept.
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the sandbox sent no %s postback: %w", req.Event, ctx.Err())
		case b := <-bodies:
			var pb gateway.Postback
			if json.Unmarshal(b, &pb) == nil && pb.Kind() == req.Event {
				return replaceIDs(b, pb.TransactionID, pb.SmallcaseAuthID, req), nil
			}
		}
	}
}

// playSample has the sandbox send the postbacks of event: a journey
// created from the request create, or the pending-action postback.
func (s *Server) playSample(ctx context.Context, event, create string) error {
	if event == gateway.EventPendingAction {
		_, err := s.PendingAction(PendingActionRequest{SmallcaseAuthID: AuthID(s.cfg.Gateway, "kite-leprechaun", "LEP001"),
			Iscid: "ISCID_SAMPLE_0001", Scid: "SCMO_0001"})
		return err
	}
	id, err := s.createSample(create)
	if err != nil {
		return err
	}
	out, err := s.Complete(ctx, id, CompleteRequest{Outcome: gateway.ScenarioSuccess})
	if err != nil {
		return err
	}
	if out.Error != nil {
		return fmt.Errorf("the sample journey failed: %s", out.Error.Message)
	}
	return nil
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
