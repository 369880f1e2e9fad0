package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJourneyExports: a finished order exports as a curl script and a
// Postman collection of its calls; an order that did not complete is
// listed as not replayed.
func TestJourneyExports(t *testing.T) {
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success"); code != 0 {
		t.Fatalf("login: %d\n%s", code, errb)
	}
	dir := t.TempDir()
	script, col := filepath.Join(dir, "o.sh"), filepath.Join(dir, "o.json")
	if code, _, errb := h.run(t, "order", "--user", "alice", "--buy", "INFY:1", "--auto", "success", "--export-curl", script, "--export-postman", col); code != 0 {
		t.Fatalf("order: %d\n%s", code, errb)
	}
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`call 'Create a TRANSACTION (the order)' POST "/gateway/$GATEWAY/transaction"`, `"ticker":"INFY"`, "drive ", `engine/orders/sst?transactionId=$TXN`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the script lacks %q:\n%s", want, b)
		}
	}
	var c struct {
		Item []struct {
			Item []struct{ Name string } `json:"item"`
		} `json:"item"`
	}
	cb, err := os.ReadFile(col)
	if err != nil || json.Unmarshal(cb, &c) != nil || len(c.Item) != 1 || len(c.Item[0].Item) != 3 {
		t.Fatalf("collection (%v): %s", err, cb)
	}
	// A folder that does not exist is refused before anything is sent.
	if code, _, errb := h.run(t, "order", "--user", "alice", "--buy", "INFY:1", "--auto", "success", "--export-curl", filepath.Join(dir, "no", "o.sh")); code != exitUsage || !strings.Contains(errb, "nothing was run") {
		t.Fatalf("missing folder: exit %d\n%s", code, errb)
	}
	// market_closed: the journey did not complete.
	if code, _, _ := h.run(t, "order", "--user", "alice", "--buy", "INFY:1", "--auto", "market_closed", "--export-curl", script); code != exitSDK {
		t.Fatalf("market_closed: exit %d", code)
	}
	b, _ = os.ReadFile(script)
	if !strings.Contains(string(b), "# not replayed: 1. Connected order · alice: did not complete") || strings.Contains(string(b), "\ncall ") {
		t.Fatalf("a failed order was exported:\n%s", b)
	}
}
