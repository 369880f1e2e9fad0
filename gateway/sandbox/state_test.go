package sandbox_test

import (
	"context"
	"strings"
	"testing"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

func randomIDs(c *sandbox.Config) { c.Rand = nil }

// TestStateCarriesOverAndMerges: one sandbox's state runs in another; the
// first, merging the second's state, learns what the second finished and
// keeps what it made itself.
func TestStateCarriesOverAndMerges(t *testing.T) {
	e1, e2 := newEnv(t, randomIDs), newEnv(t, randomIDs)
	tok := e1.connected("kite-leprechaun", "LEP001")
	order := gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "GOLDBEES", Quantity: 7, Type: gateway.Buy}}}}
	id := e1.create(tok, order)
	st, err := e1.s.ExportState()
	if err != nil {
		t.Fatal(err)
	}
	if err := e2.s.ImportState(st); err != nil {
		t.Fatal(err)
	}
	if o := e2.outcome(id, sandbox.CompleteRequest{}); o.Result == nil {
		t.Fatalf("the carried-over transaction did not run: %+v", o.Error)
	}
	mine := e1.create(tok, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	theirs, _ := e2.s.ExportState()
	merged, err := e1.s.MergeState(theirs)
	if err != nil || merged == nil {
		t.Fatalf("merge: %v", err)
	}
	if v, ok := e1.s.Transaction(id); !ok || v.Status != gateway.StatusCompleted || len(v.Batches) == 0 {
		t.Fatalf("after the merge the first sandbox says %+v", v)
	}
	if !strings.Contains(string(merged), id) || !strings.Contains(string(merged), mine) {
		t.Fatal("the merged state lost a transaction")
	}
	// The order moved the account in the second sandbox; the first, which
	// did not touch it, takes that over.
	h, err := e1.client.FetchHoldings(context.Background(), tok, gateway.HoldingsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := equity(h, "GOLDBEES"); !ok {
		t.Fatalf("holdings after the merge lack the order: %+v", h.Equities())
	}
	// Nothing new: nothing to write (once the state settled: a finished
	// transaction is kept compact, without its request body).
	if settled, _ := e1.s.MergeState(merged); settled != nil {
		merged = settled
	}
	if again, err := e1.s.MergeState(merged); err != nil || again != nil {
		t.Fatalf("a second merge of the same state: %d bytes, %v", len(again), err)
	}
}

// TestStateRefused: what does not parse, or is another gateway's, is
// refused by import and merge alike.
func TestStateRefused(t *testing.T) {
	e := newEnv(t, nil)
	other := newEnv(t, func(c *sandbox.Config) { c.Gateway = "acme" })
	foreign, _ := other.s.ExportState()
	for name, data := range map[string]string{
		"garbage":         "nope",
		"no version":      `{"gateway":"gatewaydemo"}`,
		"newer":           `{"version":99,"gateway":"gatewaydemo"}`,
		"bad id":          `{"version":1,"gateway":"gatewaydemo","transactions":[{"id":"TRX_x"}]}`,
		"empty account":   `{"version":1,"gateway":"gatewaydemo","live":{"abc":null}}`,
		"another gateway": string(foreign),
	} {
		if err := e.s.ImportState([]byte(data)); err == nil {
			t.Errorf("%s: imported", name)
		}
		if out, err := e.s.MergeState([]byte(data)); err == nil || out != nil {
			t.Errorf("%s: merged", name)
		}
	}
}

// TestMergeKeepsAnotherProcessOrder: a sandbox that only looked at an
// account (its demo portfolio made on first use) takes over the order
// another process placed on it, and its holdings show it.
func TestMergeKeepsAnotherProcessOrder(t *testing.T) {
	e1, e2 := newEnv(t, randomIDs), newEnv(t, randomIDs)
	tok := e1.connected("kite-leprechaun", "LEP002")
	if _, err := e1.client.FetchHoldings(context.Background(), tok, gateway.HoldingsOptions{}); err != nil {
		t.Fatal(err)
	}
	st, _ := e1.s.ExportState()
	if err := e2.s.ImportState(st); err != nil {
		t.Fatal(err)
	}
	id := e2.create(tok, gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &gateway.OrderConfig{
		Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "GOLDBEES", Quantity: 3, Type: gateway.Buy}}}})
	if o := e2.outcome(id, sandbox.CompleteRequest{}); o.Result == nil {
		t.Fatalf("order: %+v", o.Error)
	}
	theirs, _ := e2.s.ExportState()
	if _, err := e1.s.MergeState(theirs); err != nil {
		t.Fatal(err)
	}
	h, err := e1.client.FetchHoldings(context.Background(), tok, gateway.HoldingsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := equity(h, "GOLDBEES"); !ok {
		t.Fatal("the other process's order was lost in the merge")
	}
	merged, _ := e1.s.ExportState()
	if !strings.Contains(string(merged), "GOLDBEES") {
		t.Fatal("the merged state lacks the order")
	}
}

// TestStateWithAnUnknownKeyIsNotOverwritten: a state a newer gatewalk wrote
// with a key this one does not know (at the top or in a transaction) is
// imported for what this one knows, but a merge refuses to write over it,
// naming the key, rather than drop it.
func TestStateWithAnUnknownKeyIsNotOverwritten(t *testing.T) {
	for name, data := range map[string]string{
		"top":         `{"version":1,"gateway":"gatewaydemo","futureTop":{"a":1}}`,
		"transaction": `{"version":1,"gateway":"gatewaydemo","transactions":[{"id":"TRX_0123456789abcdef0123456789abcdef","status":"INITIALIZED","futureTxn":true}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			// As the journeys and `gatewalk sandbox` do: import, then merge
			// into the same file with the same sandbox.
			e := newEnv(t, nil)
			if err := e.s.ImportState([]byte(data)); err != nil {
				t.Fatalf("import: %v", err)
			}
			out, err := e.s.MergeState([]byte(data))
			if err == nil || out != nil || !strings.Contains(err.Error(), "future") || !strings.Contains(err.Error(), "sandbox reset") {
				t.Fatalf("merge over an unknown key: %d bytes, %v; want a refusal naming it and the way out", len(out), err)
			}
			other := newEnv(t, nil)
			if out, err := other.s.MergeState([]byte(data)); err == nil || out != nil {
				t.Fatalf("merge by another sandbox: %d bytes, %v", len(out), err)
			}
		})
	}
}
