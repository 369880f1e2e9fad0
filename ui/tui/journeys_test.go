package tui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"gatewalk/session"
	"gatewalk/session/flow"
)

// TestJourneysAgainstSandbox runs the three journeys through the real
// program loop, the real flow runner and the in-process sandbox, whose
// driver answers the SDK step (flow.Options.Auto): guest login, then an
// order and a holdings import for the user it connected.
func TestJourneysAgainstSandbox(t *testing.T) {
	store, _, err := session.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }
	connect := FlowConnector(store, flow.Options{Emulators: testEmulators, Getenv: noEnv, NoBrowser: true, AutoDelay: 20 * time.Millisecond})
	m := New(Config{Store: store, Connect: connect, Auto: true, Now: time.Now(), ExportDir: t.TempDir(), Clipboard: &fakeClip{}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	t.Cleanup(func() { _ = m.Close() })

	wait := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(what)) },
			teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	keys := func(ks ...string) {
		for _, k := range ks {
			tm.Send(keyMsg(k))
		}
	}

	wait("none yet: press c")
	keys("c")
	wait("label ›")
	keys("enter")
	wait("Connected. Next: o places an order")

	keys("o")
	wait("New order")
	tm.Type("TCS")
	keys("tab")
	tm.Type("1")
	keys("ctrl+n")
	tm.Type("INFY")
	keys("tab")
	tm.Type("3")
	keys("enter")
	wait("Review the order")
	keys("enter")
	wait("Connected order · user1  done")

	keys("esc", "i")
	wait("Import holdings")
	keys("enter")
	wait("Holdings import · user1  done")
	keys("h")
	wait("Mutual funds (")

	keys("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if len(final.records) != 3 {
		t.Fatalf("%d journeys recorded, want 3", len(final.records))
	}
	for _, r := range final.records {
		if !r.ok {
			t.Fatalf("%s did not complete: %+v", r.kind, r.steps)
		}
	}
	us, err := store.Users("sandbox")
	if err != nil || len(us) != 1 || us[0].Label != "user1" {
		t.Fatalf("users = %+v, %v", us, err)
	}
	// The order and the import ran for the id the guest login saved.
	id := us[0].SmallcaseAuthID
	for _, r := range final.records[1:] {
		for _, s := range r.steps {
			if s.Kind == flow.VerifyResult && (s.Summary == "" || !bytes.Contains([]byte(s.Summary), []byte(id))) {
				t.Fatalf("%s verified %q, want smallcaseAuthId %s", r.kind, s.Summary, id)
			}
		}
	}
	var orders, equities int
	for _, s := range final.records[1].steps {
		if s.Orders != nil {
			for _, b := range s.Orders.Batches {
				orders += len(b.Orders)
			}
		}
	}
	for _, s := range final.records[2].steps {
		if s.Holdings != nil {
			equities = len(s.Holdings.Equities())
		}
	}
	if orders != 2 || equities == 0 {
		t.Fatalf("orders %d (want 2), equities %d", orders, equities)
	}
	hv, ok := final.active().(*holdingsView)
	if !ok || len(hv.rows[tabEquities]) != equities {
		t.Fatalf("holdings view: %T", final.active())
	}
	var _ tea.Model = final
	_ = context.Background
}

// TestJourneyFailureAgainstSandbox plays a failing scenario end to end:
// the sandbox answers user_cancelled, the panel explains it and r runs a
// fresh transaction.
func TestJourneyFailureAgainstSandbox(t *testing.T) {
	store, _, err := session.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := flow.Setup(context.Background(), store, flow.Options{Emulators: testEmulators, Getenv: func(string) string { return "" }, Auto: "user_cancelled", AutoDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m := New(Config{Store: store, Now: time.Now(), Connect: func(context.Context, ConnectOptions) (Runner, error) { return FlowRunner(r), nil }})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	t.Cleanup(func() { _ = m.Close() })
	wait := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(what)) },
			teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	wait("none yet")
	tm.Send(keyMsg("c"))
	wait("label ›")
	tm.Send(keyMsg("enter"))
	wait("fresh transaction, from") // the failure panel
	tm.Send(keyMsg("r"))
	// q asks first while the transaction is live; y confirms.
	tm.Send(keyMsg("q"))
	tm.Send(keyMsg("y"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if len(final.records) < 2 {
		t.Fatalf("%d attempts recorded, want the failed one and the retry", len(final.records))
	}
	for _, r := range final.records {
		if r.ok {
			t.Fatalf("a cancelled journey was recorded as completed: %+v", r)
		}
	}
	if !strings.Contains(final.records[0].end, "user_cancelled") {
		t.Fatalf("first attempt ended %q", final.records[0].end)
	}
}
