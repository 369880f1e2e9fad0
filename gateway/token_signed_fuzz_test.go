package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// signHS256 signs payload, as given, with secret under an HS256 header.
func signHS256(payload, secret string) string {
	b64 := base64.RawURLEncoding.EncodeToString
	signing := b64([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + b64([]byte(payload))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + b64(mac.Sum(nil))
}

// numericClaim is claim name of payload as a number, when it is one.
func numericClaim(payload, name string) (float64, bool) {
	dec := json.NewDecoder(bytes.NewReader([]byte(payload)))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return 0, false
	}
	n, ok := m[name].(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil && !math.IsInf(f, 0)
}

// FuzzVerifySignedClaims: tokens correctly signed over any payload. The
// fuzzer cannot forge a signature, so FuzzVerifyToken rarely reaches the
// claim checks; here every token is signed, and the verdict must follow
// the claims: an exp at or before now, or an nbf after it, is never
// accepted; an accepted token's claims are a JSON object; the same token
// with another secret is never accepted.
func FuzzVerifySignedClaims(f *testing.F) {
	f.Add(`{"guest":true,"exp":2556124199}`, demoSecret)
	f.Add(`{"guest":true,"exp":1}`, demoSecret)                                 // expired
	f.Add(`{"guest":true,"exp":-5}`, demoSecret)                                // negative: expired
	f.Add(`{"guest":true,"exp":253402300800}`, demoSecret)                      // past year 9999
	f.Add(`{"guest":true,"exp":2556124199,"nbf":2556124000}`, demoSecret)       // not valid yet
	f.Add(`{"smallcaseAuthId":"5f0321b5f3743c31d95abd35"}`, demoSecret)         // no exp
	f.Add(`{"guest":true,"exp":"soon"}`, "k")                                   // exp not a number
	f.Add(`{"guest":true,"exp":1e400}`, "k")                                    // beyond float64
	f.Add(`[1,2]`, "k")                                                         // not an object
	f.Add(`{"guest":true,"exp":2556124199,"nbf":-1,"iat":99999999999999}`, "k") // odd but valid
	f.Fuzz(func(t *testing.T, payload, secret string) {
		if secret == "" {
			return
		}
		tok := signHS256(payload, secret)
		info, err := VerifyToken(tok, secret, now)
		if err == nil {
			dec := json.NewDecoder(bytes.NewReader([]byte(payload)))
			dec.UseNumber() // 1e400 is a number, if not a float64
			var obj map[string]any
			if dec.Decode(&obj) != nil || obj == nil {
				t.Fatalf("accepted claims that are not a JSON object: %q", payload)
			}
			if !info.SignatureValid || info.Expired || info.NotYetValid {
				t.Fatalf("accepted with %+v", info)
			}
		}
		if exp, ok := numericClaim(payload, "exp"); ok && exp <= float64(now.Unix()) && err == nil {
			t.Fatalf("accepted exp %v at %v", exp, now.Unix())
		}
		if nbf, ok := numericClaim(payload, "nbf"); ok && nbf > float64(now.Unix()+1) && nbf < 253402300800 && err == nil {
			t.Fatalf("accepted nbf %v at %v", nbf, now.Unix())
		}
		if _, werr := VerifyToken(tok, secret+"x", now); werr == nil {
			t.Fatalf("accepted with another secret: %q", payload)
		} else if err == nil && !errors.Is(werr, ErrTokenSignature) {
			t.Fatalf("a token valid with its secret, checked with another: %v, want ErrTokenSignature", werr)
		}
	})
}
