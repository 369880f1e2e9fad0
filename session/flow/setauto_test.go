package flow

import (
	"errors"
	"testing"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

// TestSetAutoKeepsTheSandbox switches the auto-answer on, to another
// account and off on one runner: the in-process sandbox (and what it
// knows) stays, each journey answers as set when it was created.
func TestSetAutoKeepsTheSandbox(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{})
	sb, api := r.Sandbox(), r.Client().BaseURL
	if err := r.SetAuto(gateway.ScenarioSuccess, 0, "", ""); err != nil {
		t.Fatal(err)
	}
	mustRun(t, r.GuestLogin("alice"))
	if err := r.SetAuto(gateway.ScenarioSuccess, 0, "upstox-leprechaun", "LEP002"); err != nil {
		t.Fatal(err)
	}
	bob := r.GuestLogin("bob")
	// A journey keeps the settings it was created with.
	if err := r.SetAuto("", 0, "", ""); err != nil {
		t.Fatal(err)
	}
	mustRun(t, bob)
	if r.Sandbox() != sb || r.Client().BaseURL != api {
		t.Fatal("SetAuto replaced the sandbox")
	}
	alice, err := st.User(r.Profile().Name, "alice")
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.User(r.Profile().Name, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if alice.SmallcaseAuthID != defaultAuthID() {
		t.Fatalf("alice = %s, want the default account's id", alice.SmallcaseAuthID)
	}
	if want := sandbox.AuthID(r.Profile().Gateway, "upstox-leprechaun", "LEP002"); b.SmallcaseAuthID != want {
		t.Fatalf("bob = %s, want the id of upstox LEP002 (%s)", b.SmallcaseAuthID, want)
	}
	if o := r.Options(); o.Auto != "" || o.AutoBroker != "" || o.AutoAccount != "" {
		t.Fatalf("after SetAuto off, options %+v", o)
	}
	// The order of alice runs on the same sandbox, which knows her.
	if err := r.SetAuto(gateway.ScenarioSuccess, 0, "", ""); err != nil {
		t.Fatal(err)
	}
	mustRun(t, r.Order("alice", gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "INFY", Quantity: 1, Type: gateway.Buy}}}))
}

func TestSetAutoRefusals(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{})
	if err := r.SetAuto("no_such_outcome", 0, "", ""); err == nil {
		t.Fatal("an unknown scenario was accepted")
	}
	if r.Options().Auto != "" {
		t.Fatal("a refused SetAuto changed the settings")
	}
	p := session.Profile{Name: "staging", Env: gateway.EnvStaging, Gateway: "acme", Secret: "s3cr3t-value-long", APISecret: "ap1-secret-value-long", CallbackPort: 8421}
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	sr := setup(t, st, Options{ProfileName: "staging"})
	var ans *AutoNotSandboxError
	if err := sr.SetAuto(gateway.ScenarioSuccess, 0, "", ""); !errors.As(err, &ans) {
		t.Fatalf("SetAuto off the sandbox: %v", err)
	}
}
