package gateway

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signRaw signs a payload given as JSON text, so that numbers keep the
// exact digits a test wants.
func signRaw(t *testing.T, payload string) string {
	t.Helper()
	var m jwt.MapClaims
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return sign(t, jwt.SigningMethodHS256, m, []byte(demoSecret))
}

// TestTimeClaimsOutOfRange: exp, iat and nbf past year 9999 or negative
// are told as such, leave no time.Time that cannot be encoded, and an exp
// past 9999 is not expired while a negative one is.
func TestTimeClaimsOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		payload, claim, note string
		wantErr              error
		expired, notYet      bool
	}{
		{`{"guest":true,"exp":253402300800}`, "exp", "exp 253402300800 is past year 9999", nil, false, false},
		{`{"guest":true,"exp":1e300}`, "exp", "exp 1e300 is past year 9999", nil, false, false},
		{`{"guest":true,"exp":9223372036854775807}`, "exp", "past year 9999", nil, false, false},
		{`{"guest":true,"exp":-1}`, "exp", "exp -1 is negative (before 1970)", ErrTokenExpired, true, false},
		{`{"guest":true,"exp":-1e300}`, "exp", "is negative", ErrTokenExpired, true, false},
		{`{"guest":true,"iat":253402300800}`, "iat", "iat 253402300800 is past year 9999", nil, false, false},
		{`{"guest":true,"iat":-5}`, "iat", "iat -5 is negative", nil, false, false},
		{`{"guest":true,"nbf":-5}`, "nbf", "nbf -5 is negative", nil, false, false},
		{`{"guest":true,"nbf":253402300800}`, "nbf", "nbf 253402300800 is past year 9999", ErrTokenNotYetValid, false, true},
	} {
		t.Run(tc.payload, func(t *testing.T) {
			info, err := VerifyToken(signRaw(t, tc.payload), demoSecret, now)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if errors.Is(err, ErrTokenMalformed) {
				t.Fatalf("called malformed: %v", err)
			}
			if !strings.Contains(info.OutOfRange[tc.claim], tc.note) {
				t.Fatalf("OutOfRange = %v, want %q", info.OutOfRange, tc.note)
			}
			if err != nil && !strings.Contains(err.Error(), tc.note) {
				t.Errorf("error %q does not tell %q", err, tc.note)
			}
			if info.Expired != tc.expired || info.NotYetValid != tc.notYet || !info.SignatureValid {
				t.Errorf("expired %v notYetValid %v signatureValid %v", info.Expired, info.NotYetValid, info.SignatureValid)
			}
			if info.ExpiresAt != nil || info.IssuedAt != nil || info.NotBefore != nil {
				t.Errorf("a time was set: %+v", info)
			}
			if _, err := json.Marshal(info); err != nil {
				t.Errorf("TokenInfo does not encode: %v", err)
			}
		})
	}
	// The last second of year 9999 is still a date.
	info, err := VerifyToken(signRaw(t, `{"guest":true,"exp":253402300799}`), demoSecret, now)
	if err != nil || info.ExpiresAt == nil || info.ExpiresAt.Year() != 9999 || len(info.OutOfRange) != 0 {
		t.Fatalf("exp 253402300799: %+v %v", info, err)
	}
	if _, err := json.Marshal(info); err != nil {
		t.Fatal(err)
	}
}

// TestFutureNotBefore: an nbf ahead of now is "not valid before …", with a
// valid signature, not a malformed token; once passed the token verifies.
func TestFutureNotBefore(t *testing.T) {
	nbf := now.Add(time.Hour)
	tok := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"guest": true, "nbf": nbf.Unix(), "exp": nbf.Add(time.Hour).Unix()}, []byte(demoSecret))
	info, err := VerifyToken(tok, demoSecret, now)
	if !errors.Is(err, ErrTokenNotYetValid) || errors.Is(err, ErrTokenMalformed) {
		t.Fatalf("err = %v, want not valid yet", err)
	}
	if !strings.Contains(err.Error(), "not valid before "+nbf.Format(time.RFC3339)) {
		t.Errorf("err = %q", err)
	}
	if !info.SignatureValid || !info.NotYetValid || info.NotBefore == nil || !info.NotBefore.Equal(nbf) {
		t.Errorf("info = %+v", info)
	}
	if info, err := VerifyToken(tok, demoSecret, nbf); err != nil || info.NotYetValid {
		t.Errorf("at nbf: %+v %v", info, err)
	}
	bad := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"guest": true, "nbf": "later"}, []byte(demoSecret))
	if _, err := VerifyToken(bad, demoSecret, now); !errors.Is(err, ErrTokenMalformed) || !strings.Contains(err.Error(), "nbf is later") {
		t.Errorf("nbf string: %v", err)
	}
	iat := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"guest": true, "iat": "then"}, []byte(demoSecret))
	if info, err := VerifyToken(iat, demoSecret, now); err != nil || len(info.Problems) != 1 {
		t.Errorf("iat string is only a problem to show: %+v %v", info, err)
	}
}
