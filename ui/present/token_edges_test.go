package present

import (
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
)

// TestTokenFactsTimeEdges: the shared summary tells an exp, iat or nbf
// that is no date as such, and a future nbf as "not valid before".
func TestTokenFactsTimeEdges(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	nbf := now.Add(3 * time.Hour)
	joined := func(info *gateway.TokenInfo, verr error) string {
		var b strings.Builder
		for _, f := range TokenFacts(info, verr, now, false, true, "the secret") {
			b.WriteString(f.Label + ": " + f.Text + " (" + f.Note + ")\n")
		}
		return b.String()
	}
	for _, tc := range []struct {
		name string
		info gateway.TokenInfo
		verr error
		want []string
	}{
		{"exp past 9999", gateway.TokenInfo{Kind: gateway.TokenGuest, SignatureValid: true,
			OutOfRange: map[string]string{"exp": "exp 253402300800 is past year 9999"}},
			nil, []string{"expires: exp 253402300800 is past year 9999", "never expires"}},
		{"exp negative", gateway.TokenInfo{Kind: gateway.TokenGuest, SignatureValid: true, Expired: true,
			OutOfRange: map[string]string{"exp": "exp -1 is negative (before 1970)"}},
			gateway.ErrTokenExpired, []string{"exp -1 is negative (before 1970) (already expired", "but the token is expired"}},
		{"iat past 9999", gateway.TokenInfo{Kind: gateway.TokenGuest, SignatureValid: true, OutOfRange: map[string]string{"iat": "iat 253402300800 is past year 9999"}},
			nil, []string{"issued: iat 253402300800 is past year 9999"}},
		{"nbf future", gateway.TokenInfo{Kind: gateway.TokenGuest, SignatureValid: true, NotBefore: &nbf, NotYetValid: true},
			gateway.ErrTokenNotYetValid, []string{"not valid before 2026-11-21 15:00:00 UTC (in 3h00m)", "but the token is not valid yet"}},
		{"nbf past 9999", gateway.TokenInfo{Kind: gateway.TokenGuest, SignatureValid: true, NotYetValid: true, OutOfRange: map[string]string{"nbf": "nbf 253402300800 is past year 9999"}},
			gateway.ErrTokenNotYetValid, []string{"nbf 253402300800 is past year 9999 (not valid yet", "but the token is not valid yet"}},
	} {
		got := joined(&tc.info, tc.verr)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: lacks %q:\n%s", tc.name, w, got)
			}
		}
		if strings.Contains(got, "INVALID") || strings.Contains(got, "no exp claim") && tc.info.OutOfRange["exp"] != "" {
			t.Errorf("%s: misleading summary:\n%s", tc.name, got)
		}
	}
}
