package runbook

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"gatewalk/gateway"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
)

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"name":"x","steps":[{"journey":"login","user":"a","expect":{"outcom":"x"}}]}`, "unknown field"},
		{`{"name":"x","steps":[{"journey":"login"}]}`, "needs user"},
		{`{"name":"x","steps":[{"journey":"login","user":"a","auto":"nope"}]}`, "unknown sandbox outcome"},
		{`{"name":"x","steps":[{"journey":"api","path":"/x","auto":"success"}]}`, "an api step has none"},
		{`{"name":"x","steps":[{"journey":"api","path":"/x?a=1"}]}`, "query goes in query"},
		{`{"name":"x","steps":[{"journey":"api","path":"/x","method":"TRACE"}]}`, "want GET"},
		{`{"name":"x","steps":[{"journey":"holdings","user":"a","auto":"success"}]}`, "add \"import\""},
		{`{"name":"x","steps":[{"journey":"login","user":"a","expect":{"orderStatus":"COMPLETE"}}]}`, "for order and sdk steps"},
		{`{"name":"x","steps":[{"journey":"login","user":"a","expect":{"holdingsContain":["TCS"]}}]}`, "for holdings steps"},
		{`{"name":"x","steps":[{"journey":"api","path":"/x","expect":{"status":42}}]}`, "HTTP status"},
		{`{"name":"x","steps":[{"journey":"order","user":"a"}]}`, "needs user and order"},
		{`{"name":"x","steps":[{"journey":"login","user":"bad label!"}]}`, "user:"},
		{`{"name":"x","steps":[{"journey":"sdk"}]}`, "needs user"},
		{`{"name":"x","steps":[{"journey":"sdk","guest":true,"transactionId":"TRX 1"}]}`, "transactionId"},
		{`{"name":"x","steps":[{"journey":"login","user":"a","guest":true}]}`, "for sdk steps"},
	} {
		_, err := Parse([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.body, err, tc.want)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	rb, err := Parse([]byte(`{"name":"x","steps":[{"journey":"api","path":"/x","method":"post"},{"journey":"login","user":"a"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if rb.Steps[0].Name != "1 api" || rb.Steps[0].Method != "POST" || rb.Steps[1].Expect.WantOutcome() != OutcomeSuccess || rb.Steps[1].AutoScenario() != gateway.ScenarioSuccess {
		t.Fatalf("%+v", rb.Steps)
	}
}

func TestErrorOutcome(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, OutcomeSuccess},
		{&gateway.SDKError{Code: 4004, Message: "market_closed"}, "market_closed"},
		{fmt.Errorf("wrapped: %w", &gateway.SDKError{Code: 1005, Message: "transaction_expired"}), OutcomeExpired},
		{&gateway.AuthIDMismatchError{}, "user_mismatch"},
		{fmt.Errorf("x: %w", bridge.ErrJourneyExpired), OutcomeExpired},
		{&gateway.APIError{Status: 401, Errors: []string{"Invalid JWT"}}, OutcomeKeysRejected},
		{&gateway.APIError{Status: 400, Errors: []string{"intent: bad"}}, OutcomeFailed},
		{gateway.ErrTokenSignature, OutcomeKeysRejected},
		{errors.New("network"), OutcomeFailed},
	} {
		if got := ErrorOutcome(tc.err); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestListAndFind(t *testing.T) {
	shipped := fstest.MapFS{"demo.json": {Data: []byte(`{"name":"Demo","steps":[{"journey":"api","path":"/x"}]}`)}}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "demo.json"), []byte(`{"name":"Mine","steps":[{"journey":"api","path":"/y"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`[]`), 0o600); err != nil {
		t.Fatal(err)
	}
	es, err := List(shipped, dir)
	if err != nil || len(es) != 3 || es[0].Name != "bad" || es[0].Err == nil || es[1].Source != BuiltIn || es[2].Source == BuiltIn {
		t.Fatalf("%v %+v", err, es)
	}
	// The config directory's file of the same name wins.
	rb, src, err := Find("demo", shipped, dir)
	if err != nil || rb.Name != "Mine" || src != filepath.Join(dir, "demo.json") {
		t.Fatalf("%v %v %s", rb, err, src)
	}
	var nf *NotFoundError
	if _, _, err := Find("nope", shipped, dir); !errors.As(err, &nf) {
		t.Fatalf("%v", err)
	}
}

func TestCheckCall(t *testing.T) {
	ok := &gateway.RawResponse{Status: 200, Body: []byte(`{"success":true}`)}
	refused := &gateway.RawResponse{Status: 401, Body: []byte(`{"success":false}`)}
	for _, tc := range []struct {
		expect   Expect
		res      flow.CallResult
		outcome  string
		failures int
	}{
		{Expect{}, flow.CallResult{Response: ok}, OutcomeSuccess, 0},
		{Expect{Status: 201}, flow.CallResult{Response: ok}, OutcomeSuccess, 1},
		{Expect{}, flow.CallResult{Response: &gateway.RawResponse{Status: 200, Body: []byte(`{"success":false}`)}}, OutcomeFailed, 1},
		{Expect{Outcome: OutcomeKeysRejected, Status: 401}, flow.CallResult{Response: refused, Err: &gateway.APIError{Status: 401, Errors: []string{"Invalid JWT"}}}, OutcomeKeysRejected, 0},
		{Expect{}, flow.CallResult{Response: refused, Err: &gateway.APIError{Status: 401, Errors: []string{"Invalid JWT"}}}, OutcomeKeysRejected, 1},
		{Expect{Outcome: OutcomeFailed}, flow.CallResult{Err: errors.New("connection refused")}, OutcomeFailed, 0},
		{Expect{}, flow.CallResult{Err: errors.New("connection refused")}, OutcomeFailed, 1},
		{Expect{Outcome: OutcomeFailed, Status: 502}, flow.CallResult{Err: errors.New("connection refused")}, OutcomeFailed, 1},
	} {
		s := Step{Journey: JourneyAPI, Path: "/x", Expect: tc.expect}
		outcome, failures := s.CheckCall(tc.res)
		if outcome != tc.outcome || len(failures) != tc.failures {
			t.Errorf("%+v: %s %v, want %s and %d failures", tc.expect, outcome, failures, tc.outcome, tc.failures)
		}
	}
}

func TestCheckSteps(t *testing.T) {
	od := &gateway.OrderDetails{Batches: []gateway.OrderBatch{{BatchID: "b", Status: "COMPLETED", Orders: []gateway.Order{{Tradingsymbol: "INFY", Status: "COMPLETE"}, {Tradingsymbol: "TCS", Status: "REJECTED"}}}}}
	done := []flow.Step{{Kind: flow.MintToken, State: flow.Done}, {Kind: flow.OpenBrowser, State: flow.Skipped}, {Kind: flow.FetchOrders, State: flow.Done, Orders: od}}
	s := Step{Journey: JourneyOrder, Expect: Expect{BatchStatus: "completed", OrderStatus: "COMPLETE"}}
	if o, f := s.CheckSteps(done); o != OutcomeSuccess || len(f) != 1 || !strings.Contains(f[0], "TCS is REJECTED") {
		t.Fatalf("%s %v", o, f)
	}
	running := []flow.Step{{Kind: flow.MintToken, State: flow.Done}, {Kind: flow.AwaitSDK, State: flow.Running}}
	if o, f := (&Step{Journey: JourneyLogin}).CheckSteps(running); o != OutcomeFailed || len(f) != 1 || !strings.Contains(f[0], "did not finish") {
		t.Fatalf("unfinished: %s %v", o, f)
	}
	failed := []flow.Step{{Kind: flow.AwaitSDK, State: flow.Failed, Err: &gateway.SDKError{Code: 1010, Message: "user_cancelled"}}}
	if o, f := (&Step{Journey: JourneyLogin, Expect: Expect{Outcome: "user_cancelled"}}).CheckSteps(failed); o != "user_cancelled" || len(f) != 0 {
		t.Fatalf("expected failure: %s %v", o, f)
	}
}
