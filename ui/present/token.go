package present

import (
	"errors"
	"time"

	"gatewalk/gateway"
)

// Tone tells a face how to colour a fact: plain, good, a warning, bad, or
// a live countdown.
type Tone int

// Tones.
const (
	TonePlain Tone = iota
	ToneGood
	ToneWarn
	ToneBad
	ToneLive
)

// Fact is one line of a summary: a label, the words, how they should look,
// and an optional note in a subtler voice.
type Fact struct {
	Label, Text string
	Tone        Tone
	Note        string
}

// TimeFormat is how summaries print an instant.
const TimeFormat = "2006-01-02 15:04:05 UTC"

// TokenKind describes a token's kind: guest, connected (with its
// smallcaseAuthId, redacted in demo mode) or unknown.
func TokenKind(info *gateway.TokenInfo, demo bool) Fact {
	switch info.Kind {
	case gateway.TokenGuest:
		return Fact{Label: "kind", Text: "guest", Note: "a user who has not connected a broker yet"}
	case gateway.TokenConnected:
		return Fact{Label: "kind", Text: "connected", Note: "smallcaseAuthId " + RedactID(SafeLine(info.SmallcaseAuthID), demo)}
	}
	return Fact{Label: "kind", Text: "unknown", Tone: ToneBad, Note: "neither {guest:true} nor {smallcaseAuthId}: the Gateway will refuse it"}
}

// TokenExpiry says when a token expires and how long is left, or how long
// ago it expired, or that it has no exp claim, or that its exp is no date
// (negative, or past year 9999).
func TokenExpiry(info *gateway.TokenInfo, now time.Time) Fact {
	if info.ExpiresAt == nil {
		if note := info.OutOfRange["exp"]; note != "" {
			if info.Expired {
				return Fact{Label: "expires", Text: SafeLine(note), Tone: ToneBad, Note: "already expired: the Gateway rejects it"}
			}
			return Fact{Label: "expires", Text: SafeLine(note), Tone: ToneWarn, Note: "no calendar date: the token never expires in practice"}
		}
		return Fact{Label: "expires", Text: "no exp claim", Tone: ToneWarn, Note: "the Gateway expects one; the docs advise a short expiry"}
	}
	at := info.ExpiresAt.UTC().Format(TimeFormat)
	if left := info.ExpiresAt.Sub(now); left > 0 {
		return Fact{Label: "expires", Text: at, Tone: ToneLive, Note: "in " + HumanDuration(left)}
	}
	return Fact{Label: "expires", Text: at, Tone: ToneBad, Note: "expired " + HumanDuration(now.Sub(*info.ExpiresAt)) + " ago"}
}

// TokenIssued says when a token was issued, or that its iat is no date;
// ok is false without an iat.
func TokenIssued(info *gateway.TokenInfo, now time.Time) (f Fact, ok bool) {
	if info.IssuedAt == nil {
		if note := info.OutOfRange["iat"]; note != "" {
			return Fact{Label: "issued", Text: SafeLine(note), Tone: ToneWarn}, true
		}
		return Fact{}, false
	}
	return Fact{Label: "issued", Text: info.IssuedAt.UTC().Format(TimeFormat), Note: HumanDuration(now.Sub(*info.IssuedAt)) + " ago"}, true
}

// TokenNotBefore says from when a token is valid: "not valid before …"
// while its nbf is ahead; ok is false without an nbf.
func TokenNotBefore(info *gateway.TokenInfo, now time.Time) (f Fact, ok bool) {
	const label = "nbf"
	if info.NotBefore == nil {
		note := info.OutOfRange["nbf"]
		switch {
		case note == "":
			return Fact{}, false
		case info.NotYetValid:
			return Fact{Label: label, Text: SafeLine(note), Tone: ToneBad, Note: "not valid yet: the Gateway rejects it"}, true
		}
		return Fact{Label: label, Text: SafeLine(note), Tone: ToneWarn}, true
	}
	at := info.NotBefore.UTC().Format(TimeFormat)
	if info.NotYetValid {
		return Fact{Label: label, Text: "not valid before " + at, Tone: ToneBad, Note: "in " + HumanDuration(info.NotBefore.Sub(now))}, true
	}
	return Fact{Label: label, Text: at, Note: HumanDuration(now.Sub(*info.NotBefore)) + " ago"}, true
}

// TokenSignature is the verdict on a token's signature: checked says
// whether there was a secret to check it with, whose names where it came
// from ("this profile's secret", "the given secret").
func TokenSignature(info *gateway.TokenInfo, verr error, checked bool, whose string) Fact {
	switch {
	case !checked:
		return Fact{Label: "signature", Text: "not checked", Tone: ToneWarn, Note: "no secret to check it with"}
	case errors.Is(verr, gateway.ErrTokenExpired) || (info.SignatureValid && info.Expired):
		return Fact{Label: "signature", Text: "valid", Tone: ToneWarn, Note: "HS256, signed with " + whose + ", but the token is expired"}
	case errors.Is(verr, gateway.ErrTokenNotYetValid) || (info.SignatureValid && info.NotYetValid):
		return Fact{Label: "signature", Text: "valid", Tone: ToneWarn, Note: "HS256, signed with " + whose + ", but the token is not valid yet"}
	case info.SignatureValid:
		return Fact{Label: "signature", Text: "valid", Tone: ToneGood, Note: "HS256, signed with " + whose}
	case errors.Is(verr, gateway.ErrTokenAlgorithm):
		return Fact{Label: "signature", Text: "refused", Tone: ToneBad, Note: SafeLine(verr.Error())}
	}
	return Fact{Label: "signature", Text: "INVALID", Tone: ToneBad, Note: "signed with another secret, or tampered"}
}

// TokenFacts is the summary of a decoded token both faces show: kind,
// expiry, issue time and start of validity (when there are ones) and
// signature.
func TokenFacts(info *gateway.TokenInfo, verr error, now time.Time, demo, checked bool, whose string) []Fact {
	facts := []Fact{TokenKind(info, demo), TokenExpiry(info, now)}
	if f, ok := TokenIssued(info, now); ok {
		facts = append(facts, f)
	}
	if f, ok := TokenNotBefore(info, now); ok {
		facts = append(facts, f)
	}
	return append(facts, TokenSignature(info, verr, checked, whose))
}
