package present

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"gatewalk/gateway"
	"gatewalk/session/flow"
)

// replayCall is one HTTP call of a replayed journey, with what varies
// from run to run made a variable: the API URL, the gateway name, the
// token (minted for each run) and the transactionId (captured from the
// create).
type replayCall struct {
	Title  string
	Method string
	// Segments is the path, each segment a literal or a variable
	// (varGateway, varTransaction).
	Segments []string
	Query    [][2]string // in order; a value may be varTransaction
	Body     string
	// Token is "" (none), tokenGuest or a smallcaseAuthId (connected).
	Token string
	// CapturesTransaction: the answer's data.transactionId is kept.
	CapturesTransaction bool
	// Driver: the sandbox driver's call that answers the SDK step; its
	// answer must carry a result.
	Driver bool
}

// Placeholders in replayCall segments, query values and bodies.
const (
	varGateway     = "\x00gateway"
	varTransaction = "\x00transactionId"
	tokenGuest     = "guest"
)

// KindAPICall is the Record of a runbook's api step: one step of kind
// StepAPICall with the call's exchanges; its User is the user whose
// connected token it sent (nil for a guest token).
const (
	KindAPICall flow.Kind     = "api_call"
	StepAPICall flow.StepKind = "api_call"
)

// replayJourney is one finished journey as a list of calls.
type replayJourney struct {
	Title string
	Calls []replayCall
	// Note says why a step could not be replayed (the browser step
	// off the sandbox).
	Notes []string
}

// replayPlan turns the session's finished journeys into calls; it also
// says which records were left out and why.
func replayPlan(recs []Record) (js []replayJourney, skipped []string) {
	for i, r := range recs {
		label := r.Label
		if label == "" {
			label = "guest"
		}
		title := fmt.Sprintf("%d. %s · %s", i+1, replayTitle(r.Kind), label)
		switch {
		case !r.OK:
			skipped = append(skipped, title+": did not complete")
			continue
		case r.Kind == flow.OrderDetailsView:
			skipped = append(skipped, title+": reads a past transaction, which a replay does not have")
			continue
		}
		js = append(js, replayOf(r, title))
	}
	return js, skipped
}

func replayOf(r Record, title string) replayJourney {
	rj := replayJourney{Title: title}
	authID := recordAuthID(r)
	token := authID
	if r.Kind == flow.GuestLogin || r.Kind == KindAPICall && authID == "" {
		token = tokenGuest
	}
	for _, s := range r.Steps {
		if s.State != flow.Done {
			continue
		}
		switch s.Kind {
		case flow.CreateTransaction, flow.FetchOrders, flow.FetchHoldings, StepAPICall:
			if len(s.Exchanges) == 0 {
				continue
			}
			c := callOf(r, s.Exchanges[len(s.Exchanges)-1])
			c.Title, c.Token = s.Title, token
			c.CapturesTransaction = s.Kind == flow.CreateTransaction ||
				s.Kind == StepAPICall && c.Method == "POST" && len(c.Segments) > 0 && c.Segments[len(c.Segments)-1] == "transaction"
			rj.Calls = append(rj.Calls, c)
		case flow.AwaitSDK:
			if r.Profile.Env != gateway.EnvSandbox || r.Auto == "" {
				rj.Notes = append(rj.Notes, "the SDK step ran in the browser: open the web SDK with the transactionId (gatewalk's page, or your app) before the next call")
				continue
			}
			rj.Calls = append(rj.Calls, driverCall(r))
		}
	}
	return rj
}

// recordAuthID is the smallcaseAuthId the journey ran for.
func recordAuthID(r Record) string {
	for _, s := range r.Steps {
		if s.User != nil && s.User.SmallcaseAuthID != "" {
			return s.User.SmallcaseAuthID
		}
		if s.Verified != nil && s.Verified.SmallcaseAuthID != "" {
			return s.Verified.SmallcaseAuthID
		}
	}
	return ""
}

// callOf makes a call of a recorded exchange: the path relative to the
// API URL, the gateway's segment and the transactionId variables.
func callOf(r Record, x gateway.Exchange) replayCall {
	c := replayCall{Method: x.Method, Body: x.RequestBody}
	u, err := url.Parse(x.URL)
	if err != nil {
		return c
	}
	path := u.Path
	if base, err := url.Parse(r.API); err == nil {
		path = strings.TrimPrefix(path, strings.TrimRight(base.Path, "/"))
	}
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if seg == r.Profile.Gateway {
			seg = varGateway
		}
		c.Segments = append(c.Segments, seg)
	}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		if k == "transactionId" && r.Kind != KindAPICall {
			// A journey's own transaction; an api step's id is its own.
			v = varTransaction
		}
		c.Query = append(c.Query, [2]string{k, v})
	}
	return c
}

// driverCall is the sandbox driver's answer to the SDK step, as the
// journey had it.
func driverCall(r Record) replayCall {
	body := map[string]any{"outcome": string(r.Auto)}
	if r.AutoBroker != "" {
		body["broker"] = r.AutoBroker
	}
	if r.AutoAccount != "" {
		body["account"] = r.AutoAccount
	}
	if r.Profile.AMO {
		body["amo"] = true
	}
	b, _ := json.Marshal(body)
	return replayCall{Title: "Answer the SDK step with the sandbox driver (" + string(r.Auto) + ")", Method: "POST",
		Segments: []string{"_sandbox", "transactions", varTransaction, "complete"}, Body: string(b), Driver: true}
}

// sessionGateway and sessionAPI are the gateway name and API URL of the
// first replayed journey, the script's defaults.
func sessionDefaults(recs []Record) (gw, api string) {
	for _, r := range recs {
		if r.OK {
			return r.Profile.Gateway, r.API
		}
	}
	return "", ""
}

// replayTitle names a journey in an export.
func replayTitle(k flow.Kind) string {
	switch k {
	case flow.HoldingsView:
		return "Holdings"
	case flow.OrderDetailsView:
		return "Order details"
	case KindAPICall:
		return "API call"
	}
	return JourneyTitle(k)
}
