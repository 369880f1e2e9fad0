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
