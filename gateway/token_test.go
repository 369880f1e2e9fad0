package gateway

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	demoSecret          = "gatewayDemo_secret"
	docGuestToken       = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJndWVzdCI6dHJ1ZSwiZXhwIjoyNTU2MTI0MTk5fQ.PHmNnVVqhtB7sZjo5_VWlOs5p_HQzIr3qaS9CV0kiAo"
	docConnToken        = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzbWFsbGNhc2VBdXRoSWQiOiI1ZjAzMjFiNWYzNzQzYzMxZDk1YWJkMzUiLCJleHAiOjI1NTYxMjQxOTl9.EC6B435Xsw02dDy_LCmHqKmEmJOqhq3f2MuSOjUmxYs"
	docAuthID           = "5f0321b5f3743c31d95abd35"
	docExp        int64 = 2556124199
)

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func TestMintMatchesDocumentedSamples(t *testing.T) {
	g, err := MintGuestToken(demoSecret, time.Unix(docExp, 0))
	if err != nil || g != docGuestToken {
		t.Fatalf("guest token = %q, %v; want the documented sample", g, err)
	}
	c, err := MintConnectedToken(demoSecret, docAuthID, time.Unix(docExp, 0))
	if err != nil || c != docConnToken {
		t.Fatalf("connected token = %q, %v; want the documented sample", c, err)
	}
}

func TestMintRefusesBadInput(t *testing.T) {
	if _, err := MintGuestToken("", now); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("empty secret: %v", err)
	}
	for _, id := range []string{"", "5f0321b5", "5F0321B5F3743C31D95ABD35", "zz0321b5f3743c31d95abd35"} {
		if _, err := MintConnectedToken(demoSecret, id, now); err == nil {
			t.Errorf("auth id %q accepted", id)
		}
	}
}

func TestVerifyClassifies(t *testing.T) {
	for _, tc := range []struct {
		tok  string
		kind TokenKind
		id   string
	}{{docGuestToken, TokenGuest, ""}, {docConnToken, TokenConnected, docAuthID}} {
		info, err := VerifyToken(tc.tok, demoSecret, now)
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		if info.Kind != tc.kind || info.SmallcaseAuthID != tc.id || !info.SignatureChecked || !info.SignatureValid {
			t.Fatalf("info = %+v", info)
		}
		if info.ExpiresAt == nil || info.ExpiresAt.Unix() != docExp || info.ExpiresIn <= 0 || info.Expired {
			t.Fatalf("expiry = %+v", info)
		}
	}
}

func sign(t *testing.T, method jwt.SigningMethod, claims jwt.MapClaims, key any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRejections(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	noneTok := b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64([]byte(`{"guest":true}`)) + "."
	hs384 := sign(t, jwt.SigningMethodHS384, jwt.MapClaims{"guest": true}, []byte(demoSecret))
	expired := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"guest": true, "exp": now.Add(-time.Minute).Unix()}, []byte(demoSecret))
	parts := strings.Split(docGuestToken, ".")
	tamperedPayload := parts[0] + "." + b64([]byte(`{"guest":false,"exp":2556124199}`)) + "." + parts[2]
	sig := []byte(parts[2])
	if sig[5] == 'A' {
		sig[5] = 'B'
	} else {
		sig[5] = 'A'
	}
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)
	for _, tc := range []struct {
		name, tok, secret string
		want              error
	}{
		{"alg none", noneTok, demoSecret, ErrTokenAlgorithm},
		{"HS384", hs384, demoSecret, ErrTokenAlgorithm},
		{"tampered payload", tamperedPayload, demoSecret, ErrTokenSignature},
		{"tampered signature", tamperedSig, demoSecret, ErrTokenSignature},
		{"wrong secret", docGuestToken, "have-a-good-day", ErrTokenSignature},
		{"expired", expired, demoSecret, ErrTokenExpired},
		{"two parts", "abc.def", demoSecret, ErrTokenMalformed},
		{"not base64", "a$.b.c", demoSecret, ErrTokenMalformed},
		{"not json", b64([]byte("hi")) + "." + b64([]byte("{}")) + ".x", demoSecret, ErrTokenMalformed},
		{"no secret", docGuestToken, "", ErrNoSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := VerifyToken(tc.tok, tc.secret, now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if errors.Is(err, ErrTokenSignature) && info.SignatureValid {
				t.Fatal("signature reported valid")
			}
		})
	}
}

func TestInspectWithoutSecret(t *testing.T) {
	info, err := InspectToken(docConnToken, now)
	if err != nil {
		t.Fatal(err)
	}
	if info.SignatureChecked || info.SignatureValid || info.Kind != TokenConnected {
		t.Fatalf("info = %+v", info)
	}
	iatTok := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"guest": true, "iat": 1654321000}, []byte(demoSecret))
	info, err = InspectToken(iatTok, now)
	if err != nil || info.IssuedAt == nil || info.IssuedAt.Unix() != 1654321000 || info.ExpiresAt != nil {
		t.Fatalf("iat token: %+v %v", info, err)
	}
	unk := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x"}, []byte(demoSecret))
	if info, _ := InspectToken(unk, now); info.Kind != TokenUnknown {
		t.Fatalf("kind = %s", info.Kind)
	}
	both := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"guest": true, "smallcaseAuthId": docAuthID}, []byte(demoSecret))
	if info, _ := InspectToken(both, now); info.Kind != TokenUnknown {
		t.Fatalf("guest+id kind = %s", info.Kind)
	}
}

func FuzzVerifyToken(f *testing.F) {
	f.Add(docGuestToken, demoSecret)
	f.Add(docConnToken, "x")
	f.Add("a.b.c", "")
	f.Add("eyJhbGciOiJub25lIn0.e30.", demoSecret)
	f.Fuzz(func(t *testing.T, tok, secret string) {
		info, err := VerifyToken(tok, secret, now)
		if err == nil {
			if info == nil || !info.SignatureValid || !info.SignatureChecked {
				t.Fatalf("accepted without a valid signature: %+v", info)
			}
			if alg, _ := info.Header["alg"].(string); alg != "HS256" {
				t.Fatalf("accepted alg %q", alg)
			}
		}
		if _, err := InspectToken(tok, now); err == nil && len(strings.Split(strings.TrimSpace(tok), ".")) != 3 {
			t.Fatal("inspect accepted a token without three parts")
		}
	})
}

func TestMalformedClaimsExplained(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	hdr := b64([]byte(`{"alg":"HS256","typ":"JWT"}`))
	strExp := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"guest": true, "exp": "soon"}, []byte(demoSecret))
	info, err := VerifyToken(strExp, demoSecret, now)
	if !errors.Is(err, ErrTokenMalformed) || !strings.Contains(err.Error(), "exp is soon") || len(info.Problems) != 1 {
		t.Fatalf("exp string: %v %+v", err, info)
	}
	for _, payload := range []string{`[1,2]`, `null`, `nope`} {
		_, err := InspectToken(hdr+"."+b64([]byte(payload))+".sig", now)
		if !errors.Is(err, ErrTokenMalformed) || strings.Contains(err.Error(), "Go value") || strings.Contains(err.Error(), "invalid character") {
			t.Errorf("payload %s: %v", payload, err)
		}
	}
	badSig := hdr + "." + b64([]byte(`{"guest":true}`)) + ".***"
	if _, err := VerifyToken(badSig, demoSecret, now); !errors.Is(err, ErrTokenMalformed) || strings.Count(err.Error(), "malformed") != 1 {
		t.Errorf("bad signature encoding: %v", err)
	}
}

func TestMaskSecret(t *testing.T) {
	for in, want := range map[string]string{"": "", "abcde": "••••", "abcdefghijk": "••••", "gatewayDemo_secret": "gate••••"} {
		if got := MaskSecret(in); got != want {
			t.Errorf("MaskSecret(%q) = %q, want %q", in, got, want)
		}
	}
}
