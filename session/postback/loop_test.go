package postback

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

// loop is the in-process sandbox posting to a real receiver, both on
// loopback, with a real store.
type loop struct {
	st     *session.Store
	r      *Receiver
	sb     *sandbox.Server
	client *gateway.Client
	token  string
	broker sandbox.Broker
}

func newLoop(t *testing.T, cfg Config) *loop {
	t.Helper()
	st := newStore(t)
	cfg.Store = st
	r, url := startReceiver(t, cfg)
	sb := sandbox.New(sandbox.Config{PostbackURL: url + "postbacks", PostbackBackoff: 10 * time.Millisecond,
		PostbackAttempts: 4, Market: sandbox.MarketOpen})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	b := sandbox.Brokers()[0]
	authID := sandbox.AuthID(sb.Gateway(), b.ID, b.Accounts[0].ID)
	tok, err := gateway.MintConnectedToken(session.DemoSecret, authID, time.Now().Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return &loop{st: st, r: r, sb: sb, token: tok, broker: b,
		client: &gateway.Client{BaseURL: base, Gateway: sb.Gateway(), APISecret: session.DemoSecret}}
}

// run creates a transaction, records it in the history as the flow runner
// does, and completes it in the sandbox as a user would.
func (l *loop) run(t *testing.T, ctx context.Context, req gateway.TransactionRequest) string {
	t.Helper()
	tx, err := l.client.CreateTransaction(ctx, l.token, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.st.AddHistory(testProfile, session.HistoryEntry{TransactionID: tx.TransactionID, Intent: req.Intent, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	out, err := l.sb.Complete(ctx, tx.TransactionID, sandbox.CompleteRequest{Broker: l.broker.ID, Account: l.broker.Accounts[0].ID, Outcome: gateway.ScenarioSuccess})
	if err != nil || out.Error != nil {
		t.Fatalf("complete: %v %+v", err, out.Error)
	}
	return tx.TransactionID
}

func (l *loop) waitFor(t *testing.T, ctx context.Context, txn, event string) session.PostbackRecord {
	t.Helper()
	rec, err := l.r.Wait(ctx, txn, event)
	if err != nil {
		t.Fatalf("%s for %s: %v (counts %v)", event, txn, err, l.r.Counts())
	}
	if !rec.ChecksumValid || rec.Problem != "" {
		t.Fatalf("%s: %+v", event, rec)
	}
	var p gateway.Postback
	if err := json.Unmarshal(rec.Body, &p); err != nil || p.TransactionID != txn || p.Event != event {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	return rec
}

func TestSandboxToListenerOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := newLoop(t, Config{})
	txn := l.run(t, ctx, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "INFY", Quantity: 2, Type: gateway.Buy}}}})
	l.waitFor(t, ctx, txn, gateway.EventOrderPlaced)
	done := l.waitFor(t, ctx, txn, gateway.EventOrderCompleted)
	if done.Status != string(gateway.StatusCompleted) {
		t.Errorf("ORDER_COMPLETED status %q", done.Status)
	}
	recs := knownPostbacks(t, l.st, txn)
	if len(recs) != 2 {
		t.Fatalf("%d postbacks next to %s, want ORDER_PLACED and ORDER_COMPLETED", len(recs), txn)
	}
	for range 2 {
		if ev := nextEvent(t, l.r); ev.Outcome != OutcomeAccepted || !ev.Matched {
			t.Fatalf("event %+v", ev)
		}
	}
}

func TestSandboxToListenerHoldingsImports(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := newLoop(t, Config{})
	txn := l.run(t, ctx, gateway.TransactionRequest{Intent: gateway.IntentHoldingsImport, Version: "v2", AssetConfig: &gateway.AssetConfig{MFHoldings: true}})
	rec := l.waitFor(t, ctx, txn, gateway.EventHoldingsImport)
	var p gateway.Postback
	if err := json.Unmarshal(rec.Body, &p); err != nil || !strings.Contains(string(p.Fields), `"securities"`) || p.SmallcaseAuthID == "" {
		t.Fatalf("holdings postback %s: %v", rec.Body, err)
	}
	// Mutual-fund imports are signed over the transactionId.
	mf := l.run(t, ctx, gateway.TransactionRequest{Intent: gateway.IntentMFHoldingsImport, AssetConfig: &gateway.AssetConfig{FromDate: "2024-01-01"}})
	rec = l.waitFor(t, ctx, mf, gateway.EventMFHoldingsImport)
	if err := json.Unmarshal(rec.Body, &p); err != nil || p.SmallcaseAuthID != "" {
		t.Fatalf("MF postback %s: %v", rec.Body, err)
	}
}

func TestSandboxRetriesAfterListener500(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := newLoop(t, Config{FailFirst: 1})
	txn := l.run(t, ctx, gateway.TransactionRequest{Intent: gateway.IntentHoldingsImport})
	l.waitFor(t, ctx, txn, gateway.EventHoldingsImport)
	if a, b := nextEvent(t, l.r), nextEvent(t, l.r); a.Outcome != OutcomeFailedOnTest || b.Outcome != OutcomeAccepted {
		t.Fatalf("outcomes %s then %s, want one 500 then the retry accepted", a.Outcome, b.Outcome)
	}
	recs := knownPostbacks(t, l.st, txn)
	if len(recs) != 2 || recs[0].Problem == "" || recs[1].Problem != "" {
		t.Fatalf("records %+v, want the failed attempt and the accepted retry", recs)
	}
}
