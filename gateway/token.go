package gateway

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTokenTTL is how long a minted smallcaseAuthToken lives when no
// explicit expiry is asked for. The docs say to generate tokens on the fly
// with a short expiry; fifteen minutes covers a five-minute transaction plus
// the time a user spends in the browser before it starts.
const DefaultTokenTTL = 15 * time.Minute

// TokenKind classifies a smallcaseAuthToken by its payload.
type TokenKind string

// Token kinds.
const (
	TokenGuest     TokenKind = "guest"
	TokenConnected TokenKind = "connected"
	TokenUnknown   TokenKind = "unknown"
)

// Errors returned by VerifyToken. They are wrapped, so match with errors.Is.
var (
	ErrTokenMalformed = errors.New("token is malformed")
	ErrTokenAlgorithm = errors.New("token algorithm is not HS256")
	ErrTokenSignature = errors.New("token signature is invalid (wrong secret or tampered token)")
	ErrTokenExpired   = errors.New("token is expired")
	// ErrTokenNotYetValid: the token's nbf is after now.
	ErrTokenNotYetValid = errors.New("token is not valid yet")
	ErrNoSecret         = errors.New("no secret given")
)

// guestClaims and connectedClaims fix the key order of the serialised
// payload, so that a minted token is byte-identical to the documented
// samples for the same payload and secret.
type guestClaims struct {
	Guest bool  `json:"guest"`
	Exp   int64 `json:"exp"`
}

type connectedClaims struct {
	SmallcaseAuthID string `json:"smallcaseAuthId"`
	Exp             int64  `json:"exp"`
}

// jwt.Claims implementations: only exp is meaningful for minted tokens.
func (c guestClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.Exp, 0)), nil
}
func (guestClaims) GetIssuedAt() (*jwt.NumericDate, error)  { return nil, nil }
func (guestClaims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }
func (guestClaims) GetIssuer() (string, error)              { return "", nil }
func (guestClaims) GetSubject() (string, error)             { return "", nil }
func (guestClaims) GetAudience() (jwt.ClaimStrings, error)  { return nil, nil }
func (c connectedClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.Exp, 0)), nil
}
func (connectedClaims) GetIssuedAt() (*jwt.NumericDate, error)  { return nil, nil }
func (connectedClaims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }
func (connectedClaims) GetIssuer() (string, error)              { return "", nil }
func (connectedClaims) GetSubject() (string, error)             { return "", nil }
func (connectedClaims) GetAudience() (jwt.ClaimStrings, error)  { return nil, nil }

// MintGuestToken signs {"guest":true,"exp":exp} with secret (HS256).
func MintGuestToken(secret string, exp time.Time) (string, error) {
	if secret == "" {
		return "", ErrNoSecret
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, guestClaims{Guest: true, Exp: exp.Unix()}).SignedString([]byte(secret))
}

// MintConnectedToken signs {"smallcaseAuthId":id,"exp":exp} with secret (HS256).
func MintConnectedToken(secret, smallcaseAuthID string, exp time.Time) (string, error) {
	if secret == "" {
		return "", ErrNoSecret
	}
	if err := ValidateAuthID(smallcaseAuthID); err != nil {
		return "", err
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, connectedClaims{SmallcaseAuthID: smallcaseAuthID, Exp: exp.Unix()}).SignedString([]byte(secret))
}

// ValidateAuthID checks that id looks like a smallcaseAuthId: 24 lowercase
// hex characters (a MongoDB ObjectId, as in every documented sample).
func ValidateAuthID(id string) error {
	if len(id) != 24 {
		return fmt.Errorf("smallcaseAuthId %q must be 24 hex characters, got %d characters", id, len(id))
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return fmt.Errorf("smallcaseAuthId %q must be 24 lowercase hex characters", id)
		}
	}
	return nil
}

// TokenInfo is what inspecting a token tells: its parts, its kind, its times
// and whether the signature was checked and held.
type TokenInfo struct {
	Header map[string]any `json:"header"`
	// RawHeader and RawPayload are the decoded JSON as sent, key order kept.
	RawHeader       string         `json:"-"`
	RawPayload      string         `json:"-"`
	Payload         map[string]any `json:"payload"`
	Kind            TokenKind      `json:"kind"`
	SmallcaseAuthID string         `json:"smallcaseAuthId,omitempty"`
	// ExpiresAt, IssuedAt and NotBefore are nil when the claim is missing,
	// not a number, or a number no calendar date carries (negative, or past
	// year 9999): OutOfRange says which.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	IssuedAt  *time.Time `json:"issuedAt,omitempty"`
	NotBefore *time.Time `json:"notBefore,omitempty"`
	// ExpiresIn is the time left at inspection (negative once expired); zero
	// when the token has no exp or its exp is out of range.
	ExpiresIn time.Duration `json:"expiresIn,omitempty"`
	// Expired: exp is not after the inspection time (a negative exp is).
	Expired bool `json:"expired"`
	// NotYetValid: nbf is after the inspection time.
	NotYetValid      bool `json:"notYetValid,omitempty"`
	SignatureChecked bool `json:"signatureChecked"`
	SignatureValid   bool `json:"signatureValid"`
	// Problems lists claims that are present but malformed.
	Problems []string `json:"problems,omitempty"`
	// OutOfRange describes, by claim name (exp, iat, nbf), the time claims
	// that are numbers but before 1970 or past year 9999, as in
	// "exp 253402300800 is past year 9999".
	OutOfRange map[string]string `json:"outOfRange,omitempty"`
	// Warnings are things to show that do not make the token invalid, such
	// as a token the SDK returned without an exp (see VerifyOutcome).
	Warnings []string `json:"warnings,omitempty"`

	// badTime: exp or nbf is present but not a number, which the Gateway
	// rejects (a bad iat is only a problem to show).
	badTime bool
}

// InspectToken decodes a token without checking its signature. The result
// says SignatureChecked=false. Only a token that cannot be decoded at all is
// an error.
func InspectToken(token string, now time.Time) (*TokenInfo, error) {
	token = strings.TrimSpace(token)
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: want three dot-separated parts, got %d", ErrTokenMalformed, len(parts))
	}
	info := &TokenInfo{}
	var err error
	if info.RawHeader, err = decodeSegment(parts[0], &info.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrTokenMalformed, err)
	}
	if info.RawPayload, err = decodeSegment(parts[1], &info.Payload); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrTokenMalformed, err)
	}
	info.classify(now)
	return info, nil
}

func decodeSegment(seg string, into *map[string]any) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return "", fmt.Errorf("not base64url: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return "", errors.New("not a JSON object")
	}
	*into = m
	return string(raw), nil
}

func (ti *TokenInfo) classify(now time.Time) {
	ti.Kind = TokenUnknown
	id, hasID := ti.Payload["smallcaseAuthId"].(string)
	guest, _ := ti.Payload["guest"].(bool)
	switch {
	case hasID && id != "" && !guest:
		ti.Kind = TokenConnected
		ti.SmallcaseAuthID = id
	case guest && !hasID:
		ti.Kind = TokenGuest
	}
	if t, ok := ti.timeClaim("exp", "the Gateway rejects it"); ok {
		ti.ExpiresAt = t
		if t != nil {
			ti.ExpiresIn = t.Sub(now)
			ti.Expired = !now.Before(*t)
		} else {
			ti.Expired = ti.negative("exp")
		}
	}
	if t, ok := ti.timeClaim("nbf", "the Gateway rejects it"); ok {
		ti.NotBefore = t
		if t != nil {
			ti.NotYetValid = now.Before(*t)
		} else {
			ti.NotYetValid = !ti.negative("nbf")
		}
	}
	if _, present := ti.Payload["exp"]; present && ti.ExpiresAt == nil && ti.OutOfRange["exp"] == "" {
		ti.badTime = true
	}
	if _, present := ti.Payload["nbf"]; present && ti.NotBefore == nil && ti.OutOfRange["nbf"] == "" {
		ti.badTime = true
	}
	if t, ok := ti.timeClaim("iat", ""); ok {
		ti.IssuedAt = t
	}
}

// maxClaimSeconds is 9999-12-31T23:59:59Z, the last second a time in RFC
// 3339 (and time.Time's JSON) can carry.
const maxClaimSeconds = 253402300799

// timeClaim reads the NumericDate claim name. ok is false when the claim
// is missing or not a number (a problem is recorded, ending with
// rejected when that is not ""). A number out of range gives ok with a nil
// time and a note in OutOfRange.
func (ti *TokenInfo) timeClaim(name, rejected string) (*time.Time, bool) {
	v, present := ti.Payload[name]
	if !present {
		return nil, false
	}
	n, isNum := v.(json.Number)
	if !isNum {
		p := fmt.Sprintf("%s is %v, not a number of seconds", name, v)
		if rejected != "" {
			p += ": " + rejected
		}
		ti.Problems = append(ti.Problems, p)
		return nil, false
	}
	// ParseFloat saturates to ±Inf (with an error) past float64's range:
	// the sign is all that is needed then.
	f, _ := strconv.ParseFloat(n.String(), 64)
	switch {
	case f > maxClaimSeconds:
		ti.outOfRange(name, fmt.Sprintf("%s %s is past year 9999", name, n))
		return nil, true
	case f < 0:
		ti.outOfRange(name, fmt.Sprintf("%s %s is negative (before 1970)", name, n))
		return nil, true
	}
	t := time.Unix(int64(f), 0).UTC()
	return &t, true
}

func (ti *TokenInfo) outOfRange(name, note string) {
	if ti.OutOfRange == nil {
		ti.OutOfRange = map[string]string{}
	}
	ti.OutOfRange[name] = note
}

// negative says whether the out-of-range claim name is before 1970.
func (ti *TokenInfo) negative(name string) bool {
	return strings.HasSuffix(ti.OutOfRange[name], "(before 1970)")
}

// claimWhen is how an error names the instant of claim name: RFC 3339, or
// the out-of-range note.
func (ti *TokenInfo) claimWhen(name string, t *time.Time) string {
	if t != nil {
		return t.Format(time.RFC3339)
	}
	return ti.OutOfRange[name]
}

// VerifyToken decodes token and checks it as the Gateway would: HS256 only
// (alg "none" and every other algorithm are refused), signature made with
// secret, not expired at now. The returned TokenInfo is filled whenever the
// token could be decoded, even when the error is not nil, so callers can
// show what was wrong.
func VerifyToken(token, secret string, now time.Time) (*TokenInfo, error) {
	info, err := InspectToken(token, now)
	if err != nil {
		return nil, err
	}
	if secret == "" {
		return info, ErrNoSecret
	}
	if alg, _ := info.Header["alg"].(string); alg != jwt.SigningMethodHS256.Alg() {
		return info, fmt.Errorf("%w: header says %q", ErrTokenAlgorithm, alg)
	}
	info.SignatureChecked = true
	// The times are checked here, from what InspectToken read, rather than
	// by the jwt package: it cannot represent a claim past year 9999 or far
	// before 1970, and it calls a future nbf a malformed token.
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithoutClaimsValidation(),
		jwt.WithJSONNumber(),
	)
	_, perr := parser.Parse(strings.TrimSpace(token), func(*jwt.Token) (any, error) { return []byte(secret), nil })
	switch {
	case errors.Is(perr, jwt.ErrTokenSignatureInvalid):
		return info, ErrTokenSignature
	case perr != nil:
		if len(info.Problems) > 0 {
			return info, fmt.Errorf("%w: %s", ErrTokenMalformed, strings.Join(info.Problems, "; "))
		}
		return info, fmt.Errorf("%w: the signature is not base64url or a claim has the wrong type", ErrTokenMalformed)
	case info.badTime:
		return info, fmt.Errorf("%w: %s", ErrTokenMalformed, strings.Join(info.Problems, "; "))
	}
	info.SignatureValid = true
	switch {
	case info.Expired:
		return info, fmt.Errorf("%w at %s", ErrTokenExpired, info.claimWhen("exp", info.ExpiresAt))
	case info.NotYetValid:
		return info, fmt.Errorf("%w: not valid before %s (nbf)", ErrTokenNotYetValid, info.claimWhen("nbf", info.NotBefore))
	}
	return info, nil
}
