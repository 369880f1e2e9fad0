package flow

import (
	"os"
	"testing"

	"gatewalk/gateway"
)

// TestBuiltinSandboxStateOutlivesTheRunner: a second runner on the same
// config directory knows the first one's transaction; an ephemeral one
// writes nothing.
func TestBuiltinSandboxStateOutlivesTheRunner(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	if !r.KeepsSandboxState() {
		t.Fatal("the built-in sandbox keeps no state")
	}
	j := r.GuestLogin("alice")
	mustRun(t, j)
	id := j.TransactionID()
	j.Close()
	r.Close()

	r2 := setup(t, st, Options{Auto: gateway.ScenarioSuccess})
	if _, ok := testSandbox(r2).Transaction(id); !ok {
		t.Fatalf("a new runner does not know %s", id)
	}

	st2 := newStore(t)
	r3 := setup(t, st2, Options{Auto: gateway.ScenarioSuccess, EphemeralSandbox: true})
	mustRun(t, r3.GuestLogin("bob"))
	r3.Close()
	if _, err := os.Stat(st2.SandboxStatePath()); !os.IsNotExist(err) {
		t.Fatalf("an ephemeral sandbox wrote its state: %v", err)
	}
	if r3.KeepsSandboxState() {
		t.Fatal("an ephemeral sandbox says it keeps its state")
	}
}
