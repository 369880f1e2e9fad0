package cli

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gatewalk/gateway"
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

// TestTokenMintExpOverflow: an --exp that is not positive, not a time, or
// that overflows or ends past year 9999 is a usage error that says which
// (never a token "in the past"), and no token is printed; the last second
// of year 9999 still mints.
func TestTokenMintExpOverflow(t *testing.T) {
	const positive, positiveDuration = "a Unix time must be positive", "a duration must be positive"
	pastYear := "is past year 9999: a Unix time must be at most " + jsonInt(maxExpUnix)
	for _, tc := range []struct {
		exp, want string
	}{
		{"0", `"0": ` + positive},
		{"-5", `"-5": ` + positive},
		{"-10m", `"-10m": ` + positiveDuration},
		{"abc", `"abc": want a Unix time such as 2556124199 or a duration such as 10m`},
		{"9223372036854775807", `"9223372036854775807" ` + pastYear},
		{"99999999999999999999", `"99999999999999999999" overflows: a Unix time must be at most ` + jsonInt(maxExpUnix) + " (the end of year 9999)"},
		{"253402300800", `"253402300800" ` + pastYear},
		{"9999999999h", `"9999999999h" overflows: a duration must be at most ` + time.Duration(math.MaxInt64).String()},
	} {
		for _, asJSON := range []bool{false, true} {
			args := []string{"token", "guest", "--secret-stdin", "--exp", tc.exp}
			if asJSON {
				args = append(args, "--json")
			}
			c, out, errb := testCLI("gatewayDemo_secret", nil)
			code := Main(context.Background(), c, args)
			if code != exitUsage {
				t.Errorf("--exp %s json=%v: exit %d, want %d", tc.exp, asJSON, code, exitUsage)
			}
			if out.Len() != 0 {
				t.Errorf("--exp %s json=%v: a token was printed: %q", tc.exp, asJSON, out)
			}
			if !strings.Contains(errb.String(), "--exp "+tc.want) || strings.Contains(errb.String(), "in the past") {
				t.Errorf("--exp %s json=%v: stderr %q, want --exp %s", tc.exp, asJSON, errb, tc.want)
			}
		}
	}
	// The last second of year 9999 still mints: the token carries it, and
	// --json encodes it.
	c, out, errb := testCLI("gatewayDemo_secret", nil)
	if code := Main(context.Background(), c, []string{"token", "guest", "--secret-stdin", "--exp", "253402300799"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	info, err := gateway.VerifyToken(strings.TrimSpace(out.String()), "gatewayDemo_secret", c.now())
	if err != nil || info.ExpiresAt == nil || !info.ExpiresAt.Equal(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)) {
		t.Fatalf("token %q: %+v, %v", out, info, err)
	}
	c, out, errb = testCLI("gatewayDemo_secret", nil)
	if code := Main(context.Background(), c, []string{"token", "guest", "--secret-stdin", "--exp", "253402300799", "--json"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var got struct{ ExpiresAt string }
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got.ExpiresAt != "9999-12-31T23:59:59Z" {
		t.Fatalf("json %q: %v", out, err)
	}
}
