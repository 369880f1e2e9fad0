package flow

import (
	"context"
	"errors"
	"net/url"

	"gatewalk/gateway"
	"gatewalk/session"
)

// CallResult is what one partner API call made with Runner.Call gave.
type CallResult struct {
	// Response is the answer as received; nil when none came.
	Response *gateway.RawResponse
	// Exchanges are the HTTP attempts, secrets masked.
	Exchanges []gateway.Exchange
	// Token is the JWT the call carried.
	Token string
	// Err is a *gateway.APIError when the Gateway refused the call (the
	// Response is then set too), an *UnknownUserError for a label the
	// profile does not have, or a network error.
	Err error
}

// Call sends one request to the profile's Gateway with the headers every
// journey sends: x-gateway-secret and a freshly minted x-gateway-authtoken,
// a guest token when label is "", else a connected token for the local
// user's smallcaseAuthId. path is a path on the API URL (see
// gateway.Client.Send); only a GET is retried.
func (r *Runner) Call(ctx context.Context, method, path string, q url.Values, label string, body []byte) CallResult {
	exp := r.now().Add(gateway.DefaultTokenTTL)
	var tok string
	var err error
	if label == "" {
		tok, err = gateway.MintGuestToken(r.keys.Secret, exp)
	} else {
		var u session.User
		u, err = r.store.User(r.profile.Name, label)
		if errors.Is(err, session.ErrUserNotFound) {
			err = &UnknownUserError{Profile: r.profile.Name, Label: label, Err: err}
		}
		if err == nil {
			tok, err = gateway.MintConnectedToken(r.keys.Secret, u.SmallcaseAuthID, exp)
		}
	}
	if err != nil {
		return CallResult{Err: err}
	}
	res := CallResult{Token: tok}
	rctx := gateway.WithRecorder(ctx, func(x gateway.Exchange) { res.Exchanges = append(res.Exchanges, x) })
	res.Response, res.Err = r.client.Send(rctx, method, path, q, tok, body)
	return res
}
