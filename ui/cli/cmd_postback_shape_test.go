package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

// TestSandboxPostbackVerifies: the SST postback the sandbox sends has the
// official sample's top-level keys and passes `gatewalk postback verify`;
// the official sample's shape without the sandbox's own event field
// verifies too and is read as an order-completed postback.
func TestSandboxPostbackVerifies(t *testing.T) {
	bodies := make(chan []byte, 8)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	defer recv.Close()
	sb := sandbox.New(sandbox.Config{PostbackURL: recv.URL})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := &gateway.Client{BaseURL: base, Gateway: sandbox.DefaultGateway, APISecret: sandbox.DefaultAPISecret}
	ctx := context.Background()
	tok, _ := gateway.MintConnectedToken(sandbox.DefaultSecret, sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001"), time.Now().Add(time.Hour))
	tx, err := c.CreateTransaction(ctx, tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Complete(ctx, tx.TransactionID, sandbox.CompleteRequest{}); err != nil {
		t.Fatal(err)
	}
	var completed []byte
	for completed == nil {
		select {
		case b := <-bodies:
			if strings.Contains(string(b), `"event":"ORDER_COMPLETED"`) {
				completed = b
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no ORDER_COMPLETED postback")
		}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(completed, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"batchId", "buyAmount", "sellAmount", "quantity", "filled", "status", "variety", "completedDate", "orders", "checksum"} {
		if top[k] == nil {
			t.Errorf("no top-level %q in %s", k, completed)
		}
	}
	h := newHeadlessEnv(t)
	verify := func(body string) (int, string) {
		t.Helper()
		var out, errb syncBuffer
		f := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(body), stdout: &out, stderr: &errb,
			getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false }}
		code := Main(ctx, f, []string{"postback", "verify", "-"})
		return code, out.String() + errb.String()
	}
	if code, out := verify(string(completed)); code != exitOK || !strings.Contains(out, "VALID") || !strings.Contains(out, "ORDER_COMPLETED") {
		t.Fatalf("postback verify of the sandbox's postback: exit %d\n%s", code, out)
	}
	delete(top, "event")
	sample, _ := json.Marshal(top)
	if code, out := verify(string(sample)); code != exitOK || !strings.Contains(out, "ORDER_COMPLETED") {
		t.Fatalf("postback verify of the sample shape without event: exit %d\n%s", code, out)
	}
	var p gateway.Postback
	if err := json.Unmarshal(sample, &p); err != nil || p.Kind() != gateway.EventOrderCompleted {
		t.Fatalf("kind %q (%v)", p.Kind(), err)
	}
	again, _ := json.Marshal(p)
	var back map[string]json.RawMessage
	if err := json.Unmarshal(again, &back); err != nil || len(back) != len(top) || back["batchId"] == nil {
		t.Errorf("a read postback does not write back its top-level fields: %s", again)
	}
}
