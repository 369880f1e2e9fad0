// Package gateway speaks the smallcase Gateway contract: smallcaseAuthToken
// JWTs (mint, verify, inspect), the partner API client with its wire types,
// environments, postback checksums, and the web SDK's results and error
// codes. Package gateway/sandbox emulates the Gateway on loopback.
//
// Sources for the contract and how sure each part is are listed in the
// README ("Contract notes").
package gateway

// Error strings the Gateway (and the sandbox) put in errors[]. "Invalid JWT"
// and "invalid gateway" are the strings the SDKs match on; the others are
// the sandbox's wording, chosen so that APIError.Kind classifies them.
const (
	ErrStrInvalidJWT     = "Invalid JWT"
	ErrStrInvalidGateway = "invalid gateway"
	ErrStrInvalidSecret  = "Invalid x-gateway-secret"
	ErrStrGuestToken     = "guest token not allowed: this call needs a connected user's smallcaseAuthToken"
)
