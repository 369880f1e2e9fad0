package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway/sandbox"
	"gatewalk/session/flow"
)

func TestDemoHeadlessJSON(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	h := newHeadlessEnv(t)
	code, out, errb := h.run(t, "demo", "--headless", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	var rep DemoReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001")
	if !rep.OK || !rep.SameSmallcaseAuthID || rep.SmallcaseAuthID != want || len(rep.Journeys) != 3 {
		t.Fatalf("report ok=%v same=%v id=%s journeys=%d", rep.OK, rep.SameSmallcaseAuthID, rep.SmallcaseAuthID, len(rep.Journeys))
	}
	kinds := []flow.Kind{flow.GuestLogin, flow.Order, flow.HoldingsImport}
	for i, j := range rep.Journeys {
		if j.Kind != kinds[i] || !j.OK || j.SmallcaseAuthID != want {
			t.Errorf("journey %d: kind %s ok %v id %s", i, j.Kind, j.OK, j.SmallcaseAuthID)
		}
	}
	var orders int
	for _, s := range rep.Journeys[1].Steps {
		if s.Name == flow.FetchOrders {
			b, _ := json.Marshal(s.Result)
			orders = strings.Count(string(b), `"tradingsymbol"`)
		}
	}
	if orders != 2 {
		t.Errorf("the order has %d orders, want 2", orders)
	}
	left, _ := os.ReadDir(tmp)
	if len(left) != 0 {
		t.Errorf("the temporary config was not removed: %v", left)
	}
	if entries, _ := os.ReadDir(h.dir); len(entries) != 0 {
		t.Errorf("the demo wrote into the operator's config directory: %v", entries)
	}
}

func TestDemoHeadlessText(t *testing.T) {
	h := newHeadlessEnv(t)
	code, out, errb := h.run(t, "demo", "--headless")
	if code != 0 || !strings.Contains(out, "all three journeys succeeded") || !strings.Contains(out, "in all three journeys") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
}

// BenchmarkDemoJourney runs `gatewalk demo --headless --json` in-process:
// a fresh sandbox, a temporary config, three journeys.
func BenchmarkDemoJourney(b *testing.B) {
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(string) string { return "" }, now: time.Now, stdinIsTerminal: func() bool { return false }}
	ctx := context.Background()
	for b.Loop() {
		if code := Main(ctx, c, []string{"demo", "--headless", "--json"}); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
