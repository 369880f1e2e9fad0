package present

import (
	"encoding/json"
	"time"

	"gatewalk/gateway"
	"gatewalk/session/flow"
)

// Report is a journey as a JSON document: every step with its timing, the
// requests it sent (secrets masked, tokens shortened), what came back, and
// its result or error.
type Report struct {
	Kind            flow.Kind    `json:"kind"`
	Profile         string       `json:"profile"`
	Environment     string       `json:"environment"`
	Gateway         string       `json:"gateway"`
	User            string       `json:"user"`
	SmallcaseAuthID string       `json:"smallcaseAuthId,omitempty"`
	Broker          string       `json:"broker,omitempty"`
	TransactionID   string       `json:"transactionId,omitempty"`
	OK              bool         `json:"ok"`
	Start           *time.Time   `json:"start,omitempty"`
	DurationMs      float64      `json:"durationMs"`
	Steps           []StepReport `json:"steps"`
	Error           *ErrorReport `json:"error,omitempty"`
	// Resolution is what the Gateway said became of the transaction when
	// the journey ended without a clear answer (set by the headless driver).
	Resolution *flow.Resolution `json:"resolution,omitempty"`
}

// StepReport is one step of a Report.
type StepReport struct {
	Name       flow.StepKind    `json:"name"`
	Title      string           `json:"title"`
	State      flow.StepState   `json:"state"`
	Start      *time.Time       `json:"start,omitempty"`
	DurationMs float64          `json:"durationMs"`
	Request    *RequestSummary  `json:"request,omitempty"`
	Response   *ResponseSummary `json:"response,omitempty"`
	Attempts   int              `json:"attempts,omitempty"`
	Summary    string           `json:"summary,omitempty"`
	Warnings   []string         `json:"warnings,omitempty"`
	Result     any              `json:"result,omitempty"`
	Error      *ErrorReport     `json:"error,omitempty"`
}

// RequestSummary is an HTTP request with the apiSecret masked and the JWT
// shortened.
type RequestSummary struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// ResponseSummary is the status of a response and the start of its body.
type ResponseSummary struct {
	Status int    `json:"status,omitempty"`
	Bytes  int    `json:"bytes"`
	Body   string `json:"body,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ErrorReport is a step's error with its explanation.
type ErrorReport struct {
	Message string `json:"message"`
	flow.Problem
}

// maxBodyPreview bounds the response body kept in a report; the parsed
// result is in the step's result.
const maxBodyPreview = 512

// Report builds the journey's report.
// JourneyReport is j as a Report.
func JourneyReport(j *flow.Journey) Report {
	steps := j.Snapshot()
	f := j.Facts()
	rep := Report{Kind: f.Kind, Profile: f.Profile.Name, Environment: string(f.Profile.Env), Gateway: f.Profile.Gateway,
		User: f.User, SmallcaseAuthID: f.SmallcaseAuthID, Broker: f.Broker, TransactionID: f.TransactionID}
	started := f.Started
	if !started.IsZero() {
		rep.Start = &started
	}
	rep.OK = true
	var end time.Time
	for i := range steps {
		s := &steps[i]
		sr := StepReport{Name: s.Kind, Title: s.Title, State: s.State, Summary: s.Summary, Warnings: s.Warnings,
			DurationMs: ms(s.Duration), Result: stepResult(s)}
		if !s.Started.IsZero() {
			st := s.Started
			sr.Start = &st
			if e := st.Add(s.Duration); e.After(end) {
				end = e
			}
		}
		if n := len(s.Exchanges); n > 0 {
			x := s.Exchanges[n-1]
			sr.Request, sr.Response = summarize(x)
			if n > 1 {
				sr.Attempts = n
			}
		}
		if s.Err != nil {
			sr.Error = &ErrorReport{Message: s.Err.Error(), Problem: flow.Explain(s.Err)}
			rep.OK = false
			if rep.Error == nil {
				rep.Error = sr.Error
			}
		}
		if s.State != flow.Done && s.State != flow.Skipped {
			rep.OK = false
		}
		rep.Steps = append(rep.Steps, sr)
	}
	if !started.IsZero() && !end.IsZero() {
		rep.DurationMs = ms(end.Sub(started))
	}
	return rep
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func summarize(x gateway.Exchange) (*RequestSummary, *ResponseSummary) {
	req := &RequestSummary{Method: x.Method, URL: x.URL, Headers: map[string]string{}}
	for k, v := range x.RequestHeaders {
		switch k {
		case gateway.HeaderAuthToken:
			v = ShortToken(v)
		}
		req.Headers[k] = v
	}
	if x.RequestBody != "" && json.Valid([]byte(x.RequestBody)) {
		req.Body = json.RawMessage(x.RequestBody)
	}
	resp := &ResponseSummary{Status: x.Status, Bytes: len(x.ResponseBody), Error: x.Error}
	body := x.ResponseBody
	if len(body) > maxBodyPreview {
		body = body[:maxBodyPreview] + "…"
	}
	resp.Body = body
	return req, resp
}

// stepResult is the JSON result of a step, tokens shortened.
func stepResult(s *flow.Step) any {
	switch s.Kind {
	case flow.MintToken:
		if s.TokenInfo == nil {
			return nil
		}
		return map[string]any{"token": ShortToken(s.Token), "kind": s.TokenInfo.Kind, "payload": s.TokenInfo.Payload, "expiresAt": s.TokenInfo.ExpiresAt}
	case flow.CreateTransaction:
		if s.Transaction != nil {
			return s.Transaction
		}
	case flow.OpenBrowser:
		if s.BrowserURL != "" {
			out := map[string]any{"url": s.BrowserURL, "opened": s.Opened, "note": s.BrowserNote}
			if json.Valid([]byte(s.SDKConfig)) {
				out["sdkConfig"] = json.RawMessage(s.SDKConfig)
			}
			return out
		}
	case flow.AwaitSDK:
		if s.Outcome != nil {
			o := *s.Outcome
			if o.Result != nil {
				res := *o.Result
				res.SmallcaseAuthToken = ShortToken(res.SmallcaseAuthToken)
				o.Result = &res
			}
			if o.Error != nil && o.Error.Data != nil {
				e := *o.Error
				d := *e.Data
				d.SmallcaseAuthToken = ShortToken(d.SmallcaseAuthToken)
				e.Data = &d
				o.Error = &e
			}
			return o
		}
	case flow.VerifyResult:
		if v := s.Verified; v != nil {
			out := map[string]any{"smallcaseAuthId": v.SmallcaseAuthID, "broker": v.Broker, "token": ShortToken(v.Result.SmallcaseAuthToken)}
			if v.Token != nil {
				out["tokenKind"] = v.Token.Kind
				out["signatureValid"] = v.Token.SignatureValid
				out["expiresAt"] = v.Token.ExpiresAt
			}
			return out
		}
	case flow.SaveUser:
		if s.User != nil {
			return s.User
		}
	case flow.FetchOrders:
		if s.Orders != nil {
			return s.Orders
		}
	case flow.FetchHoldings:
		if s.Holdings != nil {
			return s.Holdings
		}
	case flow.AwaitPostback:
		if s.Postback != nil {
			return s.Postback
		}
	}
	return nil
}
