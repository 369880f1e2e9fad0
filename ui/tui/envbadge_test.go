package tui

import (
	"strings"
	"testing"

	"gatewalk/gateway"
	"gatewalk/session"
)

// TestEnvBadgeNeverHidesTheEnvironment: leprechaun mode is shown beside
// the environment, never instead of it.
func TestEnvBadgeNeverHidesTheEnvironment(t *testing.T) {
	st := NewStyles(true)
	for _, tc := range []struct {
		p    session.Profile
		want []string
	}{
		{session.Profile{Env: gateway.EnvStaging, Leprechaun: true}, []string{"STAGING", "LEPRECHAUN"}},
		{session.Profile{Env: gateway.EnvProduction, Leprechaun: true}, []string{"PRODUCTION", "LEPRECHAUN"}},
		{session.Profile{Env: gateway.EnvProduction}, []string{"PRODUCTION"}},
		{session.Profile{Env: gateway.EnvSandbox, Leprechaun: true}, []string{"SANDBOX"}},
	} {
		got := plain(envBadge(st, tc.p))
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s (leprechaun %v): badge %q lacks %s", tc.p.Env, tc.p.Leprechaun, got, w)
			}
		}
	}
}

// TestBackFromHoldingsGoesHome: esc on the holdings table a finished
// import opened goes to the home screen, not back through the journey.
func TestBackFromHoldingsGoesHome(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.store.users["sandbox"] = []session.User{{Label: "alice", SmallcaseAuthID: testAuthID}}
	hs.pump(loadUsersCmd(hs.store, "sandbox"))
	hs.runner.holdings = &gateway.Holdings{Version: "v1", V1: &gateway.HoldingsV1{}}
	hs.key("h")
	if _, ok := hs.m.active().(*holdingsView); !ok {
		t.Fatalf("h opened %T", hs.m.active())
	}
	hs.m.push(newImportForm(hs.m.st, &hs.m.km, "alice")) // a screen between home and the table
	hs.m.push(newHoldingsView(hs.m.st, &hs.m.km, "alice", hs.runner.holdings))
	hs.key("esc")
	if hs.m.active() != screen(hs.m.home) {
		t.Fatalf("esc from the holdings table went to %T, want home", hs.m.active())
	}
}
