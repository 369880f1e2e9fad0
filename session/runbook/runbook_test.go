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
		{`{"name":"x","steps":[{"journey":"login","user":"a","expect":{"orderStatus":"COMPLETE"}}]}`, "for order steps"},
		{`{"name":"x","steps":[{"journey":"login","user":"a","expect":{"holdingsContain":["TCS"]}}]}`, "for holdings steps"},
		{`{"name":"x","steps":[{"journey":"api","path":"/x","expect":{"status":42}}]}`, "HTTP status"},
		{`{"name":"x","steps":[{"journey":"order","user":"a"}]}`, "needs user and order"},
		{`{"name":"x","steps":[{"journey":"login","user":"bad label!"}]}`, "user:"},
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
