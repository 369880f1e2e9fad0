package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// RawResponse is a partner API answer as received: status, headers and
// body, whatever the endpoint.
type RawResponse struct {
	Status     int
	StatusText string // e.g. "200 OK"
	Proto      string // e.g. "HTTP/1.1"
	Header     http.Header
	Body       []byte
}

func (r *RawResponse) fill(resp *http.Response, body []byte) {
	r.Status, r.StatusText, r.Proto = resp.StatusCode, resp.Status, resp.Proto
	r.Header = resp.Header.Clone()
	r.Body = body
}

// ErrNotAPIPath is returned by Send for a path that is not a path on the
// client's API URL (an absolute URL, a scheme-relative //host, no leading
// slash): the keys go only to the profile's Gateway.
var ErrNotAPIPath = errors.New("not a path on the Gateway: give a path that starts with / (such as /v1/{gateway}/engine/user/holdings); " +
	"the keys are only sent to the profile's API URL")

// Send makes any partner API call with the headers every call carries
// (x-gateway-secret, and x-gateway-authtoken when authToken is set) and
// returns the answer as received. The error is an *APIError, as for the
// typed calls, when the status is not 2xx or the body is not the envelope
// with success:true; the RawResponse is filled whenever an answer came.
// As for every call, only a GET is retried (network errors and 5xx): a
// POST could create a transaction twice.
func (c *Client) Send(ctx context.Context, method, path string, q url.Values, authToken string, body []byte) (*RawResponse, error) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.ContainsAny(path, "?#") {
		return nil, ErrNotAPIPath
	}
	if u, err := url.Parse(path); err != nil || u.Host != "" || u.Scheme != "" {
		return nil, ErrNotAPIPath
	}
	method = strings.ToUpper(method)
	rr := &RawResponse{}
	err := c.do(ctx, method, path, q, authToken, body, rr)
	if rr.Status == 0 {
		return nil, err
	}
	return rr, err
}
