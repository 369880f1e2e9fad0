package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// edgeToken signs payload (JSON text, numbers kept as written) with the
// demo secret.
func edgeToken(t *testing.T, payload string) string {
	t.Helper()
	var m jwt.MapClaims
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, m).SignedString([]byte("gatewayDemo_secret"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTokenInspectTimeEdges: exp/iat/nbf past year 9999 or negative are
// told as such, in text and in --json (which always encodes); a future
// nbf says "not valid before", never "malformed".
func TestTokenInspectTimeEdges(t *testing.T) {
	env := map[string]string{"GATEWALK_SECRET": "gatewayDemo_secret"}
	nbf := time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC) // an hour after testCLI's clock
	for _, tc := range []struct {
		name, payload string
		code          int
		want          []string
	}{
		{"exp past 9999", `{"guest":true,"exp":253402300800}`, 0, []string{"exp 253402300800 is past year 9999"}},
		{"exp negative", `{"guest":true,"exp":-1}`, exitRejected, []string{"exp -1 is negative (before 1970)", "expired"}},
		{"iat past 9999", `{"guest":true,"exp":2556124199,"iat":253402300800}`, 0, []string{"iat 253402300800 is past year 9999"}},
		{"nbf negative", `{"guest":true,"exp":2556124199,"nbf":-7}`, 0, []string{"nbf -7 is negative"}},
		{"nbf future", `{"guest":true,"exp":2556124199,"nbf":` + jsonInt(nbf.Unix()) + `}`, exitRejected,
			[]string{"not valid before 2026-11-21"}},
	} {
		tok := edgeToken(t, tc.payload)
		for _, asJSON := range []bool{false, true} {
			args := []string{"token", "inspect", tok}
			if asJSON {
				args = append(args, "--json")
			}
			c, out, errb := testCLI("", env)
			code := Main(context.Background(), c, args)
			if code != tc.code {
				t.Errorf("%s json=%v: exit %d, want %d: %s%s", tc.name, asJSON, code, tc.code, out, errb)
			}
			for _, w := range tc.want {
				// A bad fact is upper-cased in text.
				if !strings.Contains(strings.ToLower(out.String()), strings.ToLower(w)) {
					t.Errorf("%s json=%v: output lacks %q: %s%s", tc.name, asJSON, w, out, errb)
				}
			}
			if strings.Contains(out.String()+errb.String(), "malformed") {
				t.Errorf("%s json=%v: called malformed: %s%s", tc.name, asJSON, out, errb)
			}
			if asJSON && !json.Valid(out.Bytes()) {
				t.Errorf("%s: --json printed no JSON: %q %s", tc.name, out, errb)
			}
		}
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestTokenMintExpOverflow: an --exp that overflows, or ends past year
// 9999, is a usage error, not a token "in the past".
func TestTokenMintExpOverflow(t *testing.T) {
	for _, exp := range []string{"9223372036854775807", "99999999999999999999", "253402300800", "9999999999h"} {
		c, out, errb := testCLI("gatewayDemo_secret", nil)
		code := Main(context.Background(), c, []string{"token", "guest", "--secret-stdin", "--exp", exp, "--json"})
		if code != exitUsage || out.Len() != 0 {
			t.Errorf("--exp %s: exit %d, want 2; out %q", exp, code, out)
		}
		if strings.Contains(errb.String(), "in the past") || !strings.Contains(errb.String(), "--exp") {
			t.Errorf("--exp %s: stderr %q", exp, errb)
		}
	}
	// The last second of year 9999 still mints, and --json encodes it.
	c, out, errb := testCLI("gatewayDemo_secret", nil)
	if code := Main(context.Background(), c, []string{"token", "guest", "--secret-stdin", "--exp", "253402300799", "--json"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var got struct{ ExpiresAt string }
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got.ExpiresAt != "9999-12-31T23:59:59Z" {
		t.Fatalf("json %q: %v", out, err)
	}
}
