package postback_test

import (
	"context"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
	"gatewalk/session/postback"
)

// TestOrderJourneyEndsOnTheCompletedPostback runs the flow runner on the
// embedded sandbox with a real receiver as its postback waiter: the order
// journey ends only once both the SDK result and the ORDER_COMPLETED
// postback arrived, and the history holds the postbacks next to the order.
func TestOrderJourneyEndsOnTheCompletedPostback(t *testing.T) {
	st, _, err := session.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Profile("")
	if err != nil {
		t.Fatal(err)
	}
	rcv := postback.NewReceiver(postback.Config{Store: st})
	url, err := rcv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	r, err := flow.Setup(context.Background(), st, flow.Options{Emulators: testEmulators, Auto: gateway.ScenarioSuccess, Postbacks: rcv, SandboxPostbackURL: url,
		Getenv: func(string) string { return "" }, PostbackTimeout: 20 * time.Second,
		Opener: bridge.OpenerFunc(func(u string) error { t.Errorf("a browser was opened at %s", u); return nil })})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rcv.SetProfile(r.Profile().Name, r.Keys().APISecret)
	if rcv.Profile() != p.Name {
		t.Fatalf("profile %q, want %q", rcv.Profile(), p.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, j := range []*flow.Journey{
		r.GuestLogin("alice"),
		r.Order("alice", gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}}),
		r.HoldingsImport("alice", gateway.HoldingsOptions{V2: true}),
	} {
		if f := j.Run(ctx, nil); f != nil {
			t.Fatalf("%s: step %s failed: %v", j.Kind, f.Kind, f.Err)
		}
		if j.Kind == flow.GuestLogin {
			continue
		}
		s := j.Step(flow.AwaitPostback)
		if s == nil || s.State != flow.Done || s.Postback == nil || !s.Postback.ChecksumValid {
			t.Fatalf("%s: await_postback %+v", j.Kind, s)
		}
		h, err := st.History(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, e := range h {
			if e.TransactionID == j.TransactionID() {
				found = len(e.Postbacks) > 0
			}
		}
		if !found {
			t.Fatalf("%s: no postback next to %s in the history", j.Kind, j.TransactionID())
		}
	}
}
