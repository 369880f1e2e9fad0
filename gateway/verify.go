package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of VerifyOutcome, wrapped: match with errors.Is.
var (
	// ErrNoOutcome: the outcome has neither (or both) of result and error.
	ErrNoOutcome = errors.New("the SDK outcome has neither a result nor an error")
	// ErrNoReturnedToken: the resolved result carries no smallcaseAuthToken.
	ErrNoReturnedToken = errors.New("the SDK result carries no smallcaseAuthToken")
	// ErrGuestReturned: the returned token is a guest token, so no broker
	// account was connected.
	ErrGuestReturned = errors.New("the SDK returned a guest token: no broker account was connected")
	// ErrResultFailed: the SDK resolved, but with success:false.
	ErrResultFailed = errors.New("the SDK resolved with success:false: the journey failed")
)

// VerifiedResult is an SDK result whose returned token was verified with the
// profile's secret.
type VerifiedResult struct {
	Result          SDKResult
	Token           *TokenInfo // the verified, connected smallcaseAuthToken
	SmallcaseAuthID string     // from the token: the user to store
	Broker          string     // the broker the user logged in with
	Batches         []OrderBatch
	// Warnings are what to show about an accepted token, such as a token
	// without an exp (Token.Warnings, copied here).
	Warnings []string
}

// VerifyOutcome checks what the SDK returned before anything is stored.
//
// For a resolved result it verifies the returned smallcaseAuthToken with the
// profile's secret (HS256 signature and expiry), requires a connected token,
// and compares its smallcaseAuthId with expectedAuthID when that is not
// empty. On a mismatch it returns the result together with an
// *AuthIDMismatchError: show it, never store it.
//
// A result that says success:false is a failure: ErrResultFailed, wrapping
// an *SDKError when the result names the error.
//
// For a rejection it returns the *SDKError; when the error's data
// carries a connected token that verifies (and matches expectedAuthID), the
// VerifiedResult is returned with it too, so the user can still be stored.
func VerifyOutcome(o SDKOutcome, secret, expectedAuthID string, now time.Time) (*VerifiedResult, error) {
	switch {
	case o.Result != nil && o.Error != nil:
		return nil, fmt.Errorf("%w: it has both", ErrNoOutcome)
	case o.Error != nil:
		return verifyError(o.Error, secret, expectedAuthID, now)
	case o.Result == nil:
		return nil, ErrNoOutcome
	}
	res := *o.Result
	if fe, failed := res.Failed(); failed {
		if fe.Message == "" && fe.Code == 0 {
			return nil, ErrResultFailed
		}
		return nil, fmt.Errorf("%w: %w", ErrResultFailed, fe)
	}
	info, err := verifyReturnedToken(res.SmallcaseAuthToken, secret, now)
	if err != nil {
		return nil, err
	}
	vr := &VerifiedResult{
		Result:          res,
		Token:           info,
		SmallcaseAuthID: info.SmallcaseAuthID,
		Broker:          res.Broker,
		Batches:         resultBatches(res),
		Warnings:        info.Warnings,
	}
	if expectedAuthID != "" && info.SmallcaseAuthID != expectedAuthID {
		return vr, &AuthIDMismatchError{Expected: expectedAuthID, Got: info.SmallcaseAuthID}
	}
	return vr, nil
}

func verifyError(sdkErr *SDKError, secret, expectedAuthID string, now time.Time) (*VerifiedResult, error) {
	if sdkErr.Data == nil || sdkErr.Data.SmallcaseAuthToken == "" {
		return nil, sdkErr
	}
	info, err := verifyReturnedToken(sdkErr.Data.SmallcaseAuthToken, secret, now)
	if err != nil {
		return nil, sdkErr
	}
	if expectedAuthID != "" && info.SmallcaseAuthID != expectedAuthID {
		return nil, sdkErr
	}
	return &VerifiedResult{
		Result: SDKResult{
			SmallcaseAuthToken: sdkErr.Data.SmallcaseAuthToken,
			Broker:             sdkErr.Data.Broker,
			Signup:             sdkErr.Data.Signup,
		},
		Token:           info,
		SmallcaseAuthID: info.SmallcaseAuthID,
		Broker:          sdkErr.Data.Broker,
		Warnings:        info.Warnings,
	}, sdkErr
}

// NoExpWarning is the warning on a returned token without an exp: it is
// accepted (the signature holds), but it never expires.
const NoExpWarning = "the smallcaseAuthToken the SDK returned has no exp claim: it never expires " +
	"(the Gateway's tokens carry one; check the gateway's token settings)"

// verifyReturnedToken verifies a token the SDK handed back and requires it
// to identify a connected user. A token without an exp is accepted with a
// warning in its Warnings.
func verifyReturnedToken(token, secret string, now time.Time) (*TokenInfo, error) {
	if strings.TrimSpace(token) == "" {
		return nil, ErrNoReturnedToken
	}
	info, err := VerifyToken(token, secret, now)
	if err != nil {
		return nil, fmt.Errorf("the smallcaseAuthToken the SDK returned did not verify with the profile's secret "+
			"(check that the profile's secret belongs to this gateway): %w", err)
	}
	switch info.Kind {
	case TokenConnected:
		if err := ValidateAuthID(info.SmallcaseAuthID); err != nil {
			return nil, fmt.Errorf("the returned token's smallcaseAuthId is not valid: %w", err)
		}
		if _, hasExp := info.Payload["exp"]; !hasExp {
			info.Warnings = append(info.Warnings, NoExpWarning)
		}
		return info, nil
	case TokenGuest:
		return nil, ErrGuestReturned
	default:
		return nil, fmt.Errorf("the returned token identifies no user (payload has neither smallcaseAuthId nor guest): %w",
			ErrTokenMalformed)
	}
}

// ResultBatches finds the order batches of a result as VerifyOutcome does,
// for a result that could not be verified (no secret to check it with).
func ResultBatches(res SDKResult) []OrderBatch { return resultBatches(res) }

// resultBatches finds the order batches of a result: orderBatches (the web
// SDK's key) or data.batches (the mobile SDKs' SuccessData, possibly as a
// JSON string). Data of another shape has no batches: the raw result stays
// in VerifiedResult.Result for display.
func resultBatches(res SDKResult) []OrderBatch {
	if len(res.OrderBatches) > 0 {
		return res.OrderBatches
	}
	data := []byte(strings.TrimSpace(string(res.Data)))
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return nil
		}
		data = []byte(strings.TrimSpace(s))
	}
	if len(data) == 0 || data[0] != '{' {
		return nil
	}
	var holder struct {
		Batches []OrderBatch `json:"batches"`
	}
	if err := json.Unmarshal(data, &holder); err != nil {
		return nil
	}
	return holder.Batches
}

// AuthIDMismatchError reports a result whose smallcaseAuthId is not the one
// the flow was started for. The stored id is never overwritten by it.
type AuthIDMismatchError struct {
	User     string // the local user's label, when known
	Expected string // the stored smallcaseAuthId
	Got      string // the smallcaseAuthId in the result
}

// Error tells both smallcaseAuthIds and that the stored one was kept.
func (e *AuthIDMismatchError) Error() string {
	who := "the user"
	if e.User != "" {
		who = fmt.Sprintf("user %q", e.User)
	}
	return fmt.Sprintf("smallcaseAuthId mismatch: the flow ran for %s (%s) but the result carries %s; "+
		"the stored id was kept. The result belongs to another broker account: check which account was logged in",
		who, e.Expected, e.Got)
}
