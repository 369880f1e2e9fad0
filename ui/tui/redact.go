package tui

import "strings"

// redactID hides an identifier (smallcaseAuthId, transactionId) in demo
// mode, keeping enough to tell two apart.
func redactID(id string, demo bool) string {
	if !demo || id == "" {
		return id
	}
	r := []rune(id)
	if len(r) <= 4 {
		return "••••"
	}
	return string(r[:4]) + "••••"
}

// maskAuthID is the home screen's masked smallcaseAuthId: the last four
// characters, which is how the operator tells users apart.
func maskAuthID(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("•", len(id))
	}
	return "••••" + id[len(id)-4:]
}

// redactToken shortens a JWT in demo mode.
func redactToken(tok string, demo bool) string {
	if !demo || tok == "" {
		return tok
	}
	if len(tok) > 10 {
		return tok[:10] + "…(redacted)"
	}
	return "…(redacted)"
}

// scrub replaces every occurrence of the given secrets in s.
func scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[secret removed]")
		}
	}
	return s
}
