package gateway

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
	ErrNoSecret       = errors.New("no secret given")
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
	ExpiresAt       *time.Time     `json:"expiresAt,omitempty"`
	IssuedAt        *time.Time     `json:"issuedAt,omitempty"`
	// ExpiresIn is the time left at inspection (negative once expired); zero
	// when the token has no exp.
	ExpiresIn        time.Duration `json:"expiresIn,omitempty"`
	Expired          bool          `json:"expired"`
	SignatureChecked bool          `json:"signatureChecked"`
	SignatureValid   bool          `json:"signatureValid"`
	// Problems lists claims that are present but malformed.
	Problems []string `json:"problems,omitempty"`
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
	if t, ok := numericTime(ti.Payload["exp"]); ok {
		ti.ExpiresAt = &t
		ti.ExpiresIn = t.Sub(now)
		ti.Expired = !now.Before(t)
	} else if v, present := ti.Payload["exp"]; present {
		ti.Problems = append(ti.Problems, fmt.Sprintf("exp is %v, not a number of seconds: the Gateway rejects it", v))
	}
	if t, ok := numericTime(ti.Payload["iat"]); ok {
		ti.IssuedAt = &t
	} else if v, present := ti.Payload["iat"]; present {
		ti.Problems = append(ti.Problems, fmt.Sprintf("iat is %v, not a number of seconds", v))
	}
}

func numericTime(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
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
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithJSONNumber(),
	)
	_, perr := parser.Parse(strings.TrimSpace(token), func(*jwt.Token) (any, error) { return []byte(secret), nil })
	switch {
	case perr == nil:
		info.SignatureValid = true
		return info, nil
	case errors.Is(perr, jwt.ErrTokenSignatureInvalid):
		return info, ErrTokenSignature
	case errors.Is(perr, jwt.ErrTokenExpired):
		info.SignatureValid = true
		return info, fmt.Errorf("%w at %s", ErrTokenExpired, info.ExpiresAt.Format(time.RFC3339))
	default:
		if len(info.Problems) > 0 {
			return info, fmt.Errorf("%w: %s", ErrTokenMalformed, strings.Join(info.Problems, "; "))
		}
		return info, fmt.Errorf("%w: the signature is not base64url or a claim has the wrong type", ErrTokenMalformed)
	}
}
