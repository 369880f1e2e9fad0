package present

import (
	"regexp"
	"strings"

	"gatewalk/gateway"
)

// Mask is the one mask gatewalk shows for anything hidden.
const Mask = "••••"

// MaskSecret shows the first four characters of a secret (none of a short
// one) and hides the rest; see gateway.MaskSecret, which the recorded
// exchanges use too.
func MaskSecret(s string) string { return gateway.MaskSecret(s) }

// RedactID hides an identifier in demo mode the one way gatewalk masks
// ids: its last four characters kept to tell two apart, as MaskAuthID does
// ("••••db81"), and a transactionId's TRX_ kept in front ("TRX_••••cdef").
func RedactID(id string, demo bool) string {
	if !demo || id == "" {
		return id
	}
	r := []rune(id)
	if strings.HasPrefix(id, "TRX_") && len(r) > 8 {
		return "TRX_" + Mask + string(r[len(r)-4:])
	}
	if len(r) <= 4 {
		return Mask
	}
	return Mask + string(r[len(r)-4:])
}

// MaskAuthID is a smallcaseAuthId shown by its last four characters, which
// is how an operator tells users apart.
func MaskAuthID(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("•", len(id))
	}
	return Mask + id[len(id)-4:]
}

// RedactToken shortens a JWT in demo mode.
func RedactToken(tok string, demo bool) string {
	if !demo || tok == "" {
		return tok
	}
	if len(tok) > 10 {
		return tok[:10] + "…(redacted)"
	}
	return "…(redacted)"
}

// ShortToken shortens a JWT for logs and reports: enough to tell tokens
// apart, not enough to use one.
func ShortToken(t string) string {
	if len(t) <= 24 {
		return t
	}
	return t[:16] + "…" + t[len(t)-6:]
}

// jwtRe matches a compact JWT.
var jwtRe = regexp.MustCompile(`(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\.[A-Za-z0-9_-]+`)

// CutJWTSignatures keeps every JWT's header and payload in s and drops its
// signature, so that no exported token can be replayed.
func CutJWTSignatures(s string) string {
	return jwtRe.ReplaceAllString(s, "$1.<signature removed>")
}

// Scrub replaces every occurrence of the given secrets in s (those of at
// least four characters; shorter ones would match anything).
func Scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[secret removed]")
		}
	}
	return s
}

// ChecksumLabel is the verdict on a postback's checksum.
func ChecksumLabel(valid bool) string {
	if valid {
		return "checksum valid"
	}
	return "checksum INVALID"
}
