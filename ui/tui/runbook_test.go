package tui

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/session/runbook"
	"gatewalk/ui/present"
)

// testRunbook has a login, an order expected to meet a closed market, a
// holdings check that fails and an api call.
const testRunbook = `{"name":"Guided demo","profile":"any","steps":[
 {"name":"connect","journey":"login","user":"alice","narration":"First the user connects a broker account.","auto":"success","broker":"upstox","account":"LEP002"},
 {"name":"closed market","journey":"order","user":"alice","auto":"market_closed","narration":"Now the market is closed.",
  "order":{"type":"SECURITIES","securities":[{"ticker":"INFY","quantity":1,"type":"BUY"}]},"expect":{"outcome":"market_closed"}},
 {"name":"holdings","journey":"holdings","user":"alice","narration":"The holdings list INFY.","expect":{"holdingsContain":["INFY"]}},
 {"name":"funds","journey":"api","method":"POST","path":"/gateway/{gateway}/transaction","body":{"intent":"FETCH_FUNDS"},"user":"alice"}]}`

func runbookHarness(t *testing.T, w, h int, cfg Config) *harness {
	t.Helper()
	hs := harnessFor(t, newFakeStore(), newFakeRunner())
	cfg.Clipboard, cfg.ExportDir = hs.clip, t.TempDir()
	cfg.Connect = func(context.Context, ConnectOptions) (Runner, error) { return hs.runner, nil }
	if cfg.Runbooks == nil {
		cfg.Runbooks = fstest.MapFS{"guided.json": {Data: []byte(testRunbook)}, "broken.json": {Data: []byte(`{"name":`)}}
	}
	hs.start(cfg, w, h)
	return hs
}

// TestPresenterStepsThroughARunbook: R lists the runbooks, enter opens the
// presenter, each step's narration is shown before it runs, enter runs it
// (a journey on its screen, esc comes back), and each result is checked.
func TestPresenterStepsThroughARunbook(t *testing.T) {
	hs := runbookHarness(t, 100, 40, Config{RunbookDir: "/cfg/runbooks"})
	hs.runner.holdings = &gateway.Holdings{Version: "v1", V1: &gateway.HoldingsV1{}}
	hs.runner.call = func(method, path, label string) flow.CallResult {
		return flow.CallResult{Response: &gateway.RawResponse{Status: 200, Body: []byte(`{"success":true,"data":{}}`)}}
	}
	hs.key("b")
	v := plain(hs.view())
	mustContain(t, v, "Runbooks", "guided", "4 steps · Guided demo", "broken", "does not parse", "/cfg/runbooks")
	// broken sorts first: down to guided.
	hs.key("down", "enter")
	p, ok := hs.m.active().(*presenterView)
	if !ok {
		t.Fatalf("the presenter did not open: %T", hs.m.active())
	}
	mustContain(t, plain(hs.view()), "Runbook: Guided demo", "Next: step 1 of 4, connect", "First the user connects a broker account.")
	if len(hs.runner.started) != 0 {
		t.Fatal("a step ran before enter")
	}

	hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(guestSteps...).on(flow.CreateTransaction, created))
	hs.key("enter")
	if len(hs.runner.started) != 1 || hs.runner.started[0] != "guest:alice" || hs.m.active() != screen(hs.m.flow) {
		t.Fatalf("step 1 did not open its journey: %v %T", hs.runner.started, hs.m.active())
	}
	mustContain(t, flat(plain(hs.view())), "esc returns to the runbook")
	hs.key("esc")
	if hs.m.active() != screen(p) {
		t.Fatalf("esc did not come back to the presenter: %T", hs.m.active())
	}
	mustContain(t, plain(hs.view()), "✓  1 connect  success", "Next: step 2 of 4, closed market", "Now the market is closed.")
	if strings.Contains(plain(hs.view()), "esc returns to the runbook") {
		t.Fatal("back on the runbook, the status still says esc returns to it")
	}

	hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(orderSteps...).on(flow.CreateTransaction, created).on(flow.AwaitSDK, sdkError(4004, "market_closed")))
	hs.key("enter")
	if len(hs.runner.orders) != 1 || hs.runner.orders[0].Securities[0].Ticker != "INFY" {
		t.Fatalf("the order step sent %+v", hs.runner.orders)
	}
	hs.key("esc")
	mustContain(t, plain(hs.view()), "✓  2 closed market  market_closed", "The holdings list INFY.")

	hs.key("enter")
	mustContain(t, plain(hs.view()), "✗  3 holdings  success", "the holdings do not contain INFY")

	hs.key("enter")
	if len(hs.runner.calls) != 1 || hs.runner.calls[0] != "POST /gateway/gatewaydemo/transaction" {
		t.Fatalf("api calls %v", hs.runner.calls)
	}
	mustContain(t, plain(hs.view()), "✓  4 funds  success", "Done: 3 of 4 steps passed (1 failed)")
	// Nothing more to run.
	hs.key("enter")
	if len(hs.runner.calls) != 1 || len(hs.runner.started) != 2 {
		t.Fatal("enter after the last step ran something")
	}
}

// TestPresenterAutoAnswerPerStep: with the auto-answer on, each step's SDK
// step is answered as the step says, as its account; the operator's choice
// is back after.
func TestPresenterAutoAnswerPerStep(t *testing.T) {
	rb, err := runbook.Parse([]byte(testRunbook))
	if err != nil {
		t.Fatal(err)
	}
	hs := runbookHarness(t, 100, 40, Config{Runbook: rb, RunbookSource: "guided.json", Auto: true})
	if _, ok := hs.m.active().(*presenterView); !ok {
		t.Fatalf("--runbook did not open the presenter: %T", hs.m.active())
	}
	hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(guestSteps...), newFakeJourney(orderSteps...).on(flow.AwaitSDK, sdkError(4004, "market_closed")))
	before := len(hs.runner.autoSets)
	hs.key("enter", "esc", "enter", "esc")
	sets := hs.runner.autoSets[before:]
	want := []AutoAnswer{{Scenario: gateway.ScenarioSuccess, Broker: "upstox-leprechaun", Account: "LEP002"}, {Scenario: gateway.ScenarioSuccess},
		{Scenario: gateway.ScenarioMarketClosed}, {Scenario: gateway.ScenarioSuccess}}
	if len(sets) != len(want) {
		t.Fatalf("auto-answers %+v, want %+v", sets, want)
	}
	for i := range want {
		if sets[i] != want[i] {
			t.Fatalf("auto-answer %d: %+v, want %+v", i, sets[i], want[i])
		}
	}
	mustContain(t, plain(hs.view()), "✓  2 closed market  market_closed")
}

// TestPresenterRefuses: a runbook for another profile does not run; on a
// production profile an order step is not run from a runbook.
func TestPresenterRefuses(t *testing.T) {
	other := strings.Replace(testRunbook, `"profile":"any"`, `"profile":"staging"`, 1)
	rb, _ := runbook.Parse([]byte(other))
	hs := runbookHarness(t, 100, 40, Config{Runbook: rb})
	hs.key("enter")
	if len(hs.runner.started) != 0 {
		t.Fatal("a step of a runbook for another profile ran")
	}
	mustContain(t, plain(hs.view()), "the runbook expects profile staging")

	rb, _ = runbook.Parse([]byte(testRunbook))
	hs = runbookHarness(t, 100, 40, Config{Runbook: rb})
	hs.runner.profile = session.Profile{Name: "live", Env: gateway.EnvProduction, Gateway: "acme"}
	hs.m.profile = hs.runner.profile
	hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(guestSteps...))
	hs.key("enter", "esc", "enter")
	if len(hs.runner.orders) != 0 {
		t.Fatal("a runbook placed a real order")
	}
	mustContain(t, flat(plain(hs.view())), "is production: real orders are placed from the order screen")
}

// TestSaveSessionAsRunbook: W saves the session's journeys as a runbook
// that parses and replays them.
func TestSaveSessionAsRunbook(t *testing.T) {
	hs := newHarness(t, 100, 40)
	hs.key("W")
	mustContain(t, plain(hs.view()), "not saved as a runbook: no journey to save")
	hs.startGuest("alice", newFakeJourney(guestSteps...).on(flow.CreateTransaction, created))
	hs.key("esc", "W")
	if len(hs.store.runbooks) != 1 {
		t.Fatalf("%d runbooks saved", len(hs.store.runbooks))
	}
	for name, data := range hs.store.runbooks {
		rb, err := runbook.Parse(data)
		if err != nil {
			t.Fatalf("%s does not parse: %v\n%s", name, err, data)
		}
		if len(rb.Steps) != 1 || rb.Steps[0].Journey != runbook.JourneyLogin || rb.Steps[0].User != "alice" || rb.Profile != "sandbox" {
			t.Fatalf("%+v", rb)
		}
	}
	mustContain(t, plain(hs.view()), "session saved as the runbook")
}

// TestExportReplay: E writes the session's finished journeys as a curl
// script (executable by its owner) and a Postman collection, without keys.
func TestExportReplay(t *testing.T) {
	hs := newHarness(t, 100, 40)
	hs.startGuest("alice", newFakeJourney(guestSteps...).on(flow.CreateTransaction, created))
	hs.key("esc", "E")
	entries, _ := os.ReadDir(hs.m.cfg.ExportDir)
	if len(entries) != 2 {
		t.Fatalf("export dir holds %v", entries)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(hs.m.cfg.ExportDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), testSecret) || strings.Contains(string(b), testAPISecret) {
			t.Fatalf("%s holds a key", e.Name())
		}
		fi, _ := e.Info()
		switch {
		case strings.HasSuffix(e.Name(), ".sh"):
			mustContain(t, string(b), `call 'Step create_transaction' POST "/gateway/$GATEWAY/transaction" 'guest' '{"intent":"CONNECT"}'`)
			if fi.Mode().Perm() != 0o700 {
				t.Fatalf("script mode %v", fi.Mode())
			}
		case strings.HasSuffix(e.Name(), ".postman_collection.json"):
			mustContain(t, string(b), present.PostmanSchema, "{{apiSecret}}")
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("collection mode %v", fi.Mode())
			}
		default:
			t.Fatalf("unexpected export %s", e.Name())
		}
	}
	mustContain(t, flat(plain(hs.view())), "Postman collection")
}

// TestPresenterSaysWhoAnswers: the presenter tells whether the sandbox or
// the browser answers the SDK steps, and follows the auto-answer turned
// off on a profile that is not the sandbox.
func TestPresenterSaysWhoAnswers(t *testing.T) {
	rb, _ := runbook.Parse([]byte(testRunbook))
	hs := runbookHarness(t, 100, 40, Config{Runbook: rb, Auto: true})
	mustContain(t, plain(hs.view()), "SDK steps: the sandbox answers each as the step says")
	staging := harnessFor(t, newFakeStore(), newFakeRunner())
	staging.runner.profile = staging.store.profiles[1]
	staging.start(Config{Runbook: rb, Auto: true, ExportDir: t.TempDir(), Clipboard: staging.clip,
		Connect: func(context.Context, ConnectOptions) (Runner, error) { return staging.runner, nil }}, 100, 40)
	mustContain(t, flat(plain(staging.view())), "SDK steps: in the browser")
}

// TestPresenterWindowKeepsTheNextStepInSight: a runbook longer than the
// screen shows a window of its steps around the next one, and the next
// step's narration always.
func TestPresenterWindowKeepsTheNextStepInSight(t *testing.T) {
	var steps []string
	for i := 1; i <= 30; i++ {
		steps = append(steps, `{"name":"step`+strconv.Itoa(i)+`","journey":"api","path":"/x","narration":"narration of `+strconv.Itoa(i)+`"}`)
	}
	rb, err := runbook.Parse([]byte(`{"name":"long","steps":[` + strings.Join(steps, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	hs := runbookHarness(t, 80, 24, Config{Runbook: rb})
	hs.runner.call = func(method, path, label string) flow.CallResult {
		return flow.CallResult{Response: &gateway.RawResponse{Status: 200, Body: []byte(`{"success":true}`)}}
	}
	v := plain(hs.view())
	mustContain(t, v, "›  1 step1", "more below", "narration of 1", "enter runs it")
	if strings.Contains(v, "more above") || strings.Contains(v, "step30") {
		t.Fatalf("the first screen:\n%s", v)
	}
	for range 20 {
		hs.key("enter")
	}
	v = plain(hs.view())
	mustContain(t, v, "› 21 step21", "✓ 20 step20", "more above", "more below", "narration of 21", "enter runs it")
	if n := strings.Count(v, "\n"); n > 24 {
		t.Fatalf("%d lines at 80x24:\n%s", n, v)
	}
	for range 10 {
		hs.key("enter")
	}
	v = plain(hs.view())
	mustContain(t, v, "✓ 30 step30", "Done: 30 of 30 steps passed", "more above")
	if strings.Contains(v, "more below") {
		t.Fatalf("the last screen:\n%s", v)
	}
}

// TestPresenterSDKStep: an sdk step runs the transaction the api step
// before it created (the SDK step alone), and without one it is not run.
func TestPresenterSDKStep(t *testing.T) {
	rb, err := runbook.Parse([]byte(`{"name":"backend","steps":[
		{"name":"too early","journey":"sdk","guest":true},
		{"name":"create","journey":"api","method":"POST","path":"/gateway/{gateway}/transaction","body":{"intent":"CONNECT"}},
		{"name":"run it","journey":"sdk","guest":true,"user":"alice"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	hs := runbookHarness(t, 100, 40, Config{Runbook: rb})
	hs.runner.call = func(method, path, label string) flow.CallResult {
		return flow.CallResult{Response: &gateway.RawResponse{Status: 200, Body: []byte(`{"success":true,"data":{"transactionId":"TRX_abc123"}}`)}}
	}
	hs.key("enter")
	mustContain(t, flat(plain(hs.view())), "no transaction to run")
	hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(flow.MintToken, flow.AwaitSDK))
	hs.key("enter", "enter")
	if len(hs.runner.runs) != 1 || hs.runner.runs[0] != (flow.RunSpec{TransactionID: "TRX_abc123", Label: "alice", Guest: true}) {
		t.Fatalf("runs %+v", hs.runner.runs)
	}
	hs.key("esc")
	mustContain(t, plain(hs.view()), "✓  3 run it  success", "Done: 2 of 3 steps passed (1 failed)")

	// On production an sdk step may place real orders: not from a runbook.
	hs = runbookHarness(t, 100, 40, Config{Runbook: rb})
	hs.runner.profile = session.Profile{Name: "live", Env: gateway.EnvProduction, Gateway: "acme"}
	hs.m.profile = hs.runner.profile
	hs.key("enter")
	if len(hs.runner.runs) != 0 {
		t.Fatal("an sdk step ran on production")
	}
	mustContain(t, flat(plain(hs.view())), "is production")
}
