package present_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// sandboxLogin runs a guest login on the embedded sandbox, answered by its
// driver, and returns the finished journey.
func sandboxLogin(t *testing.T) *flow.Journey {
	t.Helper()
	st, _, err := session.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := flow.Setup(context.Background(), st, flow.Options{Auto: gateway.ScenarioSuccess, NoBrowser: true,
		Getenv: func(string) string { return "" },
		Emulators: flow.Emulators{New: func(c gateway.EmulatorConfig) flow.Emulator { return sandbox.Embedded(c) },
			TestAccounts: sandbox.TestAccounts}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	j := r.GuestLogin("alice")
	if f := j.Run(context.Background(), nil); f != nil {
		t.Fatalf("step %s failed: %v", f.Kind, f.Err)
	}
	return j
}

func TestReportOfACompletedJourney(t *testing.T) {
	j := sandboxLogin(t)
	rep := present.JourneyReport(j)
	if !rep.OK || rep.SmallcaseAuthID == "" || rep.SmallcaseAuthID != j.AuthID() || rep.TransactionID == "" || rep.Start == nil || len(rep.Steps) != len(j.Snapshot()) {
		t.Fatalf("report %+v", rep)
	}
}

func TestReportMasksSecrets(t *testing.T) {
	j := sandboxLogin(t)
	b, err := json.Marshal(present.JourneyReport(j))
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	if strings.Contains(out, session.DemoSecret) {
		t.Fatal("the report holds the secret in full")
	}
	if tok := j.Step(flow.MintToken).Token; strings.Contains(out, tok) {
		t.Fatal("the report holds a full JWT")
	}
	var rep struct {
		Steps []struct {
			Name       string `json:"name"`
			DurationMs *float64
			Request    *struct {
				Headers map[string]string `json:"headers"`
			} `json:"request"`
			Response *struct {
				Status int `json:"status"`
			} `json:"response"`
			Result json.RawMessage `json:"result"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	ct := rep.Steps[1]
	if ct.Name != "create_transaction" || ct.Request == nil || ct.Response == nil || ct.Response.Status != 200 {
		t.Fatalf("create_transaction report %+v", ct)
	}
	if got := ct.Request.Headers[gateway.HeaderSecret]; got != gateway.MaskSecret(session.DemoSecret) {
		t.Fatalf("x-gateway-secret in the report is %q", got)
	}
}
