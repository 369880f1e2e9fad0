package present

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/session/runbook"
)

// replayRecords are a finished sandbox order, a failed one and a login in
// the browser on staging.
func replayRecords() []Record {
	sb := session.Profile{Name: "sandbox", Env: gateway.EnvSandbox, Gateway: "gw1"}
	const api = "http://127.0.0.1:9999/base"
	user := &session.User{Label: "alice", SmallcaseAuthID: "0123456789abcdef01234567"}
	order := Record{Kind: flow.Order, Label: "alice", OK: true, Profile: sb, API: api, Auto: gateway.ScenarioSuccess, Steps: []flow.Step{
		{Kind: flow.MintToken, State: flow.Done, User: user},
		{Kind: flow.CreateTransaction, Title: "Create", State: flow.Done, Exchanges: []gateway.Exchange{
			{Method: "POST", URL: api + "/gateway/gw1/transaction", RequestBody: `{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"INFY","quantity":1,"type":"BUY"}]},"notes":"s3cr3t-api-key"}`}}},
		{Kind: flow.AwaitSDK, State: flow.Done},
		{Kind: flow.FetchOrders, Title: "Orders", State: flow.Done, Exchanges: []gateway.Exchange{
			{Method: "GET", URL: api + "/v1/gw1/engine/orders/sst?transactionId=TRX_old"},
			{Method: "GET", URL: api + "/v1/gw1/engine/orders/sst?transactionId=TRX_old", Attempt: 2}}},
	}}
	failed := order
	failed.OK = false
	stag := Record{Kind: flow.GuestLogin, Label: "bob", OK: true, Profile: session.Profile{Name: "stag", Env: gateway.EnvStaging, Gateway: "gw1"}, API: api,
		Steps: []flow.Step{{Kind: flow.CreateTransaction, Title: "Create", State: flow.Done, Exchanges: []gateway.Exchange{
			{Method: "POST", URL: api + "/gateway/gw1/transaction", RequestBody: `{"intent":"CONNECT"}`}}},
			{Kind: flow.AwaitSDK, State: flow.Done}}}
	return []Record{order, failed, stag}
}

func TestCurlScriptExport(t *testing.T) {
	s := CurlScript(replayRecords(), time.Unix(0, 0), "s3cr3t-api-key")
	for _, want := range []string{
		"#!/usr/bin/env bash", `API="${GATEWALK_API_URL:-http://127.0.0.1:9999/base}"`, `GATEWAY="${GATEWALK_GATEWAY:-gw1}"`,
		`call 'Create' POST "/gateway/$GATEWAY/transaction" '0123456789abcdef01234567' '{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"INFY","quantity":1,"type":"BUY"}]},"notes":"[secret removed]"}'`,
		"TXN=$(transaction_id)", `drive 'Answer the SDK step with the sandbox driver (success)' '{"outcome":"success"}'`,
		`call 'Orders' GET "/v1/$GATEWAY/engine/orders/sst?transactionId=$TXN"`,
		"# not replayed: 2. Connected order · alice: did not complete",
		`call 'Create' POST "/gateway/$GATEWAY/transaction" 'guest' '{"intent":"CONNECT"}'`,
		"# note: the SDK step ran in the browser",
		`-H @<(printf 'x-gateway-secret: %s`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the script lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "s3cr3t-api-key") || strings.Contains(s, "TRX_old") || strings.Count(s, "call 'Orders'") != 1 {
		t.Fatalf("a secret, an old transaction or a retried attempt is in the script:\n%s", s)
	}
}

func TestPostmanExport(t *testing.T) {
	b, err := PostmanCollection(replayRecords(), time.Unix(0, 0), "s3cr3t-api-key")
	if err != nil {
		t.Fatal(err)
	}
	var col postmanCollection
	if err := json.Unmarshal(b, &col); err != nil {
		t.Fatal(err)
	}
	if col.Info.Schema != PostmanSchema || len(col.Item) != 2 || len(col.Event) != 1 || col.Event[0].Listen != "prerequest" {
		t.Fatalf("%s", b)
	}
	script := strings.Join(col.Event[0].Script.Exec, "\n")
	for _, want := range []string{"require('crypto-js')", "HmacSHA256", "pm.variables.get('secret')", "x-gateway-authtoken", "smallcaseAuthId: id"} {
		if !strings.Contains(script, want) {
			t.Errorf("the pre-request script lacks %q", want)
		}
	}
	order := col.Item[0].Item
	if len(order) != 3 {
		t.Fatalf("the order folder has %d requests, want 3 (create, driver, details)", len(order))
	}
	create, driver, details := order[0], order[1], order[2]
	if create.Request.URL.Raw != "{{baseUrl}}/gateway/{{gateway}}/transaction" || !hasHeader(create.Request.Header, "x-gateway-secret", "{{apiSecret}}") ||
		!hasHeader(create.Request.Header, tokenHeader, "connected 0123456789abcdef01234567") {
		t.Fatalf("create: %+v", create.Request)
	}
	if !strings.Contains(strings.Join(create.Event[0].Script.Exec, "\n"), "pm.collectionVariables.set('transactionId'") {
		t.Fatalf("the create does not keep the transactionId")
	}
	if driver.Request.URL.Raw != "{{baseUrl}}/_sandbox/transactions/{{transactionId}}/complete" || hasHeader(driver.Request.Header, "x-gateway-secret", "{{apiSecret}}") {
		t.Fatalf("driver: %+v", driver.Request)
	}
	if details.Request.URL.Raw != "{{baseUrl}}/v1/{{gateway}}/engine/orders/sst?transactionId={{transactionId}}" {
		t.Fatalf("details: %s", details.Request.URL.Raw)
	}
	if login := col.Item[1].Item; len(login) != 1 || !hasHeader(login[0].Request.Header, tokenHeader, "guest") || col.Item[1].Description == "" {
		t.Fatalf("the staging login: %+v", col.Item[1])
	}
	if strings.Contains(string(b), "s3cr3t-api-key") || strings.Contains(string(b), "TRX_old") {
		t.Fatalf("a secret or an old transaction is in the collection:\n%s", b)
	}
}

func hasHeader(hs []postmanHeader, k, v string) bool {
	for _, h := range hs {
		if h.Key == k && h.Value == v {
			return true
		}
	}
	return false
}

func TestSessionRunbook(t *testing.T) {
	recs := replayRecords()
	// The failed order ended with market_closed; a stopped one is left out.
	recs[1].Steps = append(append([]flow.Step(nil), recs[1].Steps[:2]...), flow.Step{Kind: flow.AwaitSDK, State: flow.Failed, Err: &gateway.SDKError{Code: 4004, Message: "market_closed"}})
	recs = append(recs, Record{Kind: flow.HoldingsImport, Label: "alice", OK: false, Profile: recs[0].Profile,
		Steps: []flow.Step{{Kind: flow.AwaitSDK, State: flow.Failed, Err: context.Canceled}}})
	rb, err := SessionRunbook(recs, time.Unix(0, 0).UTC())
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Steps) != 3 || rb.Profile != runbook.AnyProfile {
		t.Fatalf("%+v", rb)
	}
	if s := rb.Steps[1]; s.Journey != runbook.JourneyOrder || s.Expect.Outcome != "market_closed" || s.Order == nil || s.Auto != "success" {
		t.Fatalf("the failed order: %+v", s)
	}
	// What is saved parses back.
	b, _ := json.Marshal(rb)
	if _, err := runbook.Parse(b); err != nil {
		t.Fatalf("the saved runbook does not parse: %v\n%s", err, b)
	}
}

// TestCurlScriptQuotesTheSessionDefaults: the API URL and gateway name
// are the script's defaults exactly, whatever characters they hold.
func TestCurlScriptQuotesTheSessionDefaults(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed: the script's defaults are checked by bash")
	}
	recs := replayRecords()
	odd := "http://127.0.0.1:1/a}b$HOME`id`\"c\\d"
	recs[0].API = odd
	s := CurlScript(recs, time.Unix(0, 0))
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "API=") || strings.HasPrefix(l, "GATEWAY=") {
			lines = append(lines, l)
		}
	}
	out, err := exec.Command(bash, "-c", strings.Join(lines, "\n")+"\nprintf '%s|%s' \"$API\" \"$GATEWAY\"").Output()
	if err != nil || string(out) != odd+"|gw1" {
		t.Fatalf("bash read %q (%v), want %q", out, err, odd+"|gw1")
	}
}

// TestJUnitKeepsXMLValid: step names and failures with control characters
// or markup still make a document XML parsers read.
func TestJUnitKeepsXMLValid(t *testing.T) {
	rep := RunReport{Runbook: "a <b> & \x01c", Steps: []RunStepReport{
		{Name: "step \x1b[31m\"x\"", Journey: "api", OK: false, Outcome: "failed", Failures: []string{"line1 \x00\nline2 ]]>"}},
		{Name: "ok", Journey: "login", OK: true}}, Failed: 1, Passed: 1}
	b, err := JUnit(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	c := doc.Suites[0].Cases
	if len(c) != 2 || c[0].Name != "step [31m\"x\"" || c[0].Failure == nil || c[0].Failure.Message != "line1 " || c[1].Failure != nil {
		t.Fatalf("%+v", doc)
	}
}

// TestAPICallExport: a runbook's api step is replayed as sent, with the
// token of its user (or a guest token); a POST …/transaction keeps its
// transactionId, an id in the step's own query stays as written.
func TestAPICallExport(t *testing.T) {
	sb := session.Profile{Name: "sandbox", Env: gateway.EnvSandbox, Gateway: "gw1"}
	const api = "http://127.0.0.1:9999"
	recs := []Record{
		{Kind: KindAPICall, OK: true, Profile: sb, API: api, Steps: []flow.Step{{Kind: StepAPICall, Title: "funds", State: flow.Done,
			User:      &session.User{Label: "alice", SmallcaseAuthID: "0123456789abcdef01234567"},
			Exchanges: []gateway.Exchange{{Method: "POST", URL: api + "/gateway/gw1/transaction", RequestBody: `{"intent":"FETCH_FUNDS"}`}}}}, Label: "alice"},
		{Kind: KindAPICall, OK: true, Profile: sb, API: api, Steps: []flow.Step{{Kind: StepAPICall, Title: "details", State: flow.Done,
			Exchanges: []gateway.Exchange{{Method: "GET", URL: api + "/v1/gw1/engine/orders/sst?transactionId=TRX_given"}}}}},
		{Kind: KindAPICall, OK: false, Profile: sb, API: api, Steps: []flow.Step{{Kind: StepAPICall, Title: "refused", State: flow.Failed}}},
	}
	s := CurlScript(recs, time.Unix(0, 0))
	mustHave := []string{
		`call 'funds' POST "/gateway/$GATEWAY/transaction" '0123456789abcdef01234567' '{"intent":"FETCH_FUNDS"}'` + "\nTXN=$(transaction_id)",
		`call 'details' GET "/v1/$GATEWAY/engine/orders/sst?transactionId=TRX_given" 'guest'`,
		"# not replayed: 3. API call · guest: did not complete",
	}
	for _, want := range mustHave {
		if !strings.Contains(s, want) {
			t.Errorf("the script lacks %q:\n%s", want, s)
		}
	}
}
