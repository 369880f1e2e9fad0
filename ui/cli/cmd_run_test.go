package cli

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatewalk/assets"
	"gatewalk/gateway"
	"gatewalk/session/runbook"
)

// junitDoc is JUnit XML as CI systems read it.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "<?xml ") {
		t.Fatalf("no XML declaration:\n%s", b)
	}
	// Well-formed from start to end, not just a prefix that decodes.
	dec := xml.NewDecoder(strings.NewReader(string(b)))
	for {
		if _, err := dec.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed XML: %v\n%s", err, b)
			}
			break
		}
	}
	var doc junitDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit XML: %v\n%s", err, b)
	}
	return doc
}

// TestRunLeprechaunRegression: the shipped regression runbook runs green
// with --auto on the sandbox and writes JUnit XML with one passing
// testcase per step.
func TestRunLeprechaunRegression(t *testing.T) {
	h := newHeadlessEnv(t)
	junit := filepath.Join(t.TempDir(), "report.xml")
	code, out, errb := h.run(t, "run", "leprechaun-regression", "--auto", "--junit", junit, "--json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	var rep struct {
		OK     bool `json:"ok"`
		Passed int  `json:"passed"`
		Steps  []struct {
			Name    string `json:"name"`
			OK      bool   `json:"ok"`
			Outcome string `json:"outcome"`
			Report  *struct {
				TransactionID string `json:"transactionId"`
			} `json:"report"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	rb, _, err := runbook.Find("leprechaun-regression", assets.Runbooks(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Passed != len(rb.Steps) || len(rep.Steps) != len(rb.Steps) {
		t.Fatalf("report: ok %v, %d passed of %d", rep.OK, rep.Passed, len(rb.Steps))
	}
	// Fresh transactions: no two journeys share one.
	seen := map[string]string{}
	for _, s := range rep.Steps {
		if s.Report == nil || s.Report.TransactionID == "" {
			continue
		}
		if other, dup := seen[s.Report.TransactionID]; dup {
			t.Fatalf("steps %q and %q ran the same transaction", other, s.Name)
		}
		seen[s.Report.TransactionID] = s.Name
	}
	if len(seen) < 20 {
		t.Fatalf("only %d transactions for %d steps", len(seen), len(rb.Steps))
	}
	doc := readJUnit(t, junit)
	if doc.Tests != len(rb.Steps) || doc.Failures != 0 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != len(rb.Steps) {
		t.Fatalf("JUnit: %d tests, %d failures, %d suites", doc.Tests, doc.Failures, len(doc.Suites))
	}
	for i, c := range doc.Suites[0].Cases {
		if c.Name != rb.Steps[i].Name || c.Failure != nil || c.Time == "" {
			t.Fatalf("testcase %d: %+v", i, c)
		}
	}
}

// TestRunSDKSteps: an sdk step runs the transaction the api step before it
// created, with a guest token (a CONNECT saving the user) or the user's
// connected token (an order); without a transaction to run it fails and
// says so.
func TestRunSDKSteps(t *testing.T) {
	h := newHeadlessEnv(t)
	file := writeRunbook(t, t.TempDir(), "rb.json", `{"name":"backend","steps":[
		{"name":"too early","journey":"sdk","guest":true},
		{"name":"create","journey":"api","method":"POST","path":"/gateway/{gateway}/transaction","body":{"intent":"CONNECT"}},
		{"name":"connect","journey":"sdk","guest":true,"user":"bob","broker":"upstox","account":"LEP002"},
		{"name":"create order","journey":"api","user":"bob","method":"POST","path":"/gateway/{gateway}/transaction",
		 "body":{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"INFY","quantity":1,"type":"BUY"}]}}},
		{"name":"order","journey":"sdk","user":"bob","expect":{"batchStatus":"COMPLETED","orderStatus":"COMPLETE"}},
		{"name":"again","journey":"sdk","user":"bob","expect":{"outcome":"failed"}}]}`)
	code, out, errb := h.run(t, "run", file, "--auto")
	if code != exitError || !strings.Contains(errb, `step "too early" failed`) || !strings.Contains(out, "too early: no transaction to run") ||
		!strings.Contains(out, "5 of 6 steps passed, 1 failed") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	u, err := h.store(t).User("sandbox", "bob")
	if err != nil || u.Broker != "upstox-leprechaun" {
		t.Fatalf("the CONNECT run by the SDK did not save bob: %+v %v", u, err)
	}
}

// TestRunDemoRunbook: the shipped demo runs green with --auto on the
// sandbox.
func TestRunDemoRunbook(t *testing.T) {
	h := newHeadlessEnv(t)
	code, out, errb := h.run(t, "run", "demo", "--auto")
	if code != 0 || !strings.Contains(out, "5 of 5 steps passed, 0 failed") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
	// The narration is shown before each step.
	if i, j := strings.Index(errb, "A new user connects a broker account"), strings.Index(errb, "gatewalk guest login"); i < 0 || j < i {
		t.Fatalf("the narration does not come before the step:\n%s", errb)
	}
}

// TestRegressionRunbookCoversEveryScenario: the shipped regression plays
// every sandbox scenario as an order on at least two brokers.
func TestRegressionRunbookCoversEveryScenario(t *testing.T) {
	rb, _, err := runbook.Find("leprechaun-regression", assets.Runbooks(), "")
	if err != nil {
		t.Fatal(err)
	}
	brokerOf := map[string]string{}
	played := map[string]map[gateway.Scenario]bool{}
	for _, s := range rb.Steps {
		switch s.Journey {
		case runbook.JourneyLogin:
			brokerOf[s.User] = s.Broker
		case runbook.JourneyOrder:
			b := brokerOf[s.User]
			if played[b] == nil {
				played[b] = map[gateway.Scenario]bool{}
			}
			played[b][s.AutoScenario()] = true
		}
	}
	if len(played) < 2 {
		t.Fatalf("orders on %d brokers, want 2", len(played))
	}
	for b, got := range played {
		for _, sc := range gateway.Scenarios() {
			if !got[sc] {
				t.Errorf("broker %q: no order plays %s", b, sc)
			}
		}
	}
}

func writeRunbook(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunFailingExpectation: a step whose expectation does not hold makes
// the run exit 1 and name the step; the other steps still run and the
// JUnit report has the failure on that testcase.
func TestRunFailingExpectation(t *testing.T) {
	h := newHeadlessEnv(t)
	dir := t.TempDir()
	file := writeRunbook(t, dir, "rb.json", `{"name":"check","profile":"any","steps":[
		{"name":"connect","journey":"login","user":"bob","broker":"upstox","account":"LEP002"},
		{"name":"closed market","journey":"order","user":"bob","auto":"market_closed",
		 "order":{"type":"SECURITIES","securities":[{"ticker":"INFY","quantity":1,"type":"BUY"}]},"expect":{"outcome":"success"}},
		{"name":"no such stock","journey":"holdings","user":"bob","expect":{"holdingsContain":["ADANIPORTS","NOSUCH"]}},
		{"name":"holdings","journey":"holdings","user":"bob","expect":{"holdingsContain":["ADANIPORTS","LT"]}}]}`)
	junit := filepath.Join(dir, "out.xml")
	code, out, errb := h.run(t, "run", file, "--auto", "--junit", junit)
	if code != exitError {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errb)
	}
	if !strings.Contains(errb, `step "closed market" failed: outcome market_closed, expected success`) || !strings.Contains(errb, "(and 1 more failed step)") {
		t.Fatalf("the error does not name the step:\n%s", errb)
	}
	if !strings.Contains(out, "FAIL  no such stock") || !strings.Contains(out, "no such stock: the holdings do not contain NOSUCH") ||
		!strings.Contains(out, "PASS  holdings") || !strings.Contains(out, "2 of 4 steps passed, 2 failed") {
		t.Fatalf("summary:\n%s", out)
	}
	doc := readJUnit(t, junit)
	cases := doc.Suites[0].Cases
	if doc.Failures != 2 || len(cases) != 4 || cases[0].Failure != nil || cases[1].Failure == nil || cases[3].Failure != nil ||
		!strings.Contains(cases[1].Failure.Message, "market_closed") || !strings.Contains(cases[2].Failure.Text, "NOSUCH") {
		t.Fatalf("JUnit: %+v", doc)
	}
}

// TestRunOrderStatusExpectation: order statuses are checked, not assumed:
// a rejected order fails an expectation of COMPLETE.
func TestRunOrderStatusExpectation(t *testing.T) {
	h := newHeadlessEnv(t)
	file := writeRunbook(t, t.TempDir(), "rb.json", `{"name":"statuses","steps":[
		{"name":"connect","journey":"login","user":"carol","account":"LEP002"},
		{"name":"rejected","journey":"order","user":"carol","auto":"rejected",
		 "order":{"type":"SECURITIES","securities":[{"ticker":"INFY","quantity":1,"type":"BUY"}]},"expect":{"batchStatus":"COMPLETED","orderStatus":"COMPLETE"}}]}`)
	code, out, errb := h.run(t, "run", file, "--auto")
	if code != exitError || !strings.Contains(out, "batch ") || !strings.Contains(out, "is ERROR, expected COMPLETED") || !strings.Contains(out, "is REJECTED, expected COMPLETE") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
}

// TestRunUsage: runbooks that do not parse or do not fit the profile are
// refused before anything runs.
func TestRunUsage(t *testing.T) {
	h := newHeadlessEnv(t)
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown-field.json": `{"name":"x","steps":[{"journey":"login","user":"a","expect":{"outcom":"success"}}]}`,
		"bad-outcome.json":   `{"name":"x","steps":[{"journey":"login","user":"a","expect":{"outcome":"great"}}]}`,
		"bad-journey.json":   `{"name":"x","steps":[{"journey":"sdk-dance","user":"a"}]}`,
		"no-steps.json":      `{"name":"x","steps":[]}`,
		"no-name.json":       `{"steps":[{"journey":"login","user":"a"}]}`,
		"bad-order.json":     `{"name":"x","steps":[{"journey":"order","user":"a","order":{"type":"SECURITIES","securities":[{"ticker":"INFY","quantity":2,"type":"BUY"},{"ticker":"TCS"}]}}]}`,
		"bad-path.json":      `{"name":"x","steps":[{"journey":"api","path":"https://example.com/x"}]}`,
		"dup-names.json":     `{"name":"x","steps":[{"name":"a","journey":"login","user":"a"},{"name":"a","journey":"login","user":"b"}]}`,
		"two-docs.json":      `{"name":"x","steps":[{"journey":"login","user":"a"}]} {}`,
	} {
		p := writeRunbook(t, dir, name, body)
		if code, _, errb := h.run(t, "run", p, "--auto"); code != exitUsage {
			t.Errorf("%s: exit %d\n%s", name, code, errb)
		}
	}
	if code, _, errb := h.run(t, "run", "demo", "--auto", "--junit", filepath.Join(dir, "missing", "j.xml")); code != exitUsage || !strings.Contains(errb, "nothing was run") {
		t.Errorf("--junit in a missing folder: exit %d\n%s", code, errb)
	}
	if code, _, errb := h.run(t, "run", "no-such-runbook"); code != exitUsage || !strings.Contains(errb, "leprechaun-regression") {
		t.Errorf("unknown name: exit %d\n%s", code, errb)
	}
	if code, _, errb := h.run(t, "run", "demo", "--profile", "other"); code != exitUsage || !strings.Contains(errb, `expects profile "sandbox"`) {
		t.Errorf("profile mismatch: exit %d\n%s", code, errb)
	}
	rs := newRecordingServer(t, 200, `{"success":true}`)
	serverProfile(t, h, "stag", gateway.EnvStaging, rs)
	any := writeRunbook(t, dir, "any.json", `{"name":"x","steps":[{"journey":"api","path":"/x"}]}`)
	if code, _, errb := h.run(t, "run", any, "--profile", "stag", "--auto"); code != exitUsage || !strings.Contains(errb, "--auto") {
		t.Errorf("--auto off the sandbox: exit %d\n%s", code, errb)
	}
	if rs.n.Load() != 0 {
		t.Fatalf("%d requests sent by refused runs", rs.n.Load())
	}
}

// TestRunProductionNeedsConfirmation: a runbook with an order on a
// production profile lists it and runs only with yes or --yes.
func TestRunProductionNeedsConfirmation(t *testing.T) {
	h := newHeadlessEnv(t)
	rs := newRecordingServer(t, 200, `{"success":true,"data":{}}`)
	serverProfile(t, h, "live", gateway.EnvProduction, rs)
	file := writeRunbook(t, t.TempDir(), "rb.json", `{"name":"real","steps":[
		{"name":"buy","journey":"order","user":"alice","order":{"type":"SECURITIES","securities":[{"ticker":"INFY","quantity":3,"type":"BUY"}]}},
		{"name":"post","journey":"api","method":"POST","path":"/gateway/{gateway}/transaction","body":{"intent":"CONNECT"}}]}`)
	code, _, errb := h.run(t, "run", file, "--profile", "live")
	if code != exitUsage || !strings.Contains(errb, "BUY INFY × 3") || !strings.Contains(errb, "post: POST") || !strings.Contains(errb, "nothing was sent") {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	for _, answer := range []string{"no\n", "\n", "y\n"} {
		o, e := &syncBuffer{}, &syncBuffer{}
		c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader(answer), stdout: o, stderr: e,
			getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return true }}
		if code := Main(context.Background(), c, []string{"run", file, "--profile", "live"}); code != exitUsage || !strings.Contains(e.String(), "Type yes to confirm") {
			t.Fatalf("answer %q: exit %d\n%s", answer, code, e.String())
		}
	}
	if rs.n.Load() != 0 {
		t.Fatalf("%d requests sent without confirmation", rs.n.Load())
	}
	// yes on a terminal runs it (the order's user is unknown, so only the
	// POST reaches the Gateway).
	o, e := &syncBuffer{}, &syncBuffer{}
	c := &Factory{emulators: sandboxEmulators, stdin: strings.NewReader("yes\n"), stdout: o, stderr: e,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return true }}
	if code := Main(context.Background(), c, []string{"run", file, "--profile", "live"}); code != exitError || rs.n.Load() != 1 {
		t.Fatalf("confirmed: exit %d, %d requests\n%s", code, rs.n.Load(), e.String())
	}
	rs.n.Store(0)
	// Reads only: not asked.
	ro := writeRunbook(t, t.TempDir(), "ro.json", `{"name":"read","steps":[{"name":"get","journey":"api","path":"/v1/{gateway}/engine/user/holdings"}]}`)
	if code, _, errb := h.run(t, "run", ro, "--profile", "live"); code != 0 || rs.n.Load() != 1 {
		t.Fatalf("read-only runbook: exit %d, %d requests\n%s", code, rs.n.Load(), errb)
	}
}

// TestRunListsRunbooks: run without a runbook lists the shipped ones and
// those of the config directory, with the ones that do not parse marked.
func TestRunListsRunbooks(t *testing.T) {
	h := newHeadlessEnv(t)
	dir := runbook.Dir(h.dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeRunbook(t, dir, "mine.json", `{"name":"Mine","description":"my check","steps":[{"journey":"api","path":"/x"}]}`)
	writeRunbook(t, dir, "broken.json", `{"name":`)
	code, out, errb := h.run(t, "run")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	shipped, _ := fs.Glob(assets.Runbooks(), "*.json")
	if len(shipped) < 2 {
		t.Fatalf("shipped runbooks: %v", shipped)
	}
	for _, want := range []string{"demo ", "leprechaun-regression ", "built-in", "mine ", "my check", filepath.Join(dir, "mine.json"), "broken ", "does not parse"} {
		if !strings.Contains(out, want) {
			t.Errorf("the list lacks %q:\n%s", want, out)
		}
	}
	if code, _, errb := h.run(t, "run", "mine"); code != exitError || !strings.Contains(errb, `step "1 api" failed`) {
		t.Fatalf("run by name: exit %d\n%s", code, errb)
	}
}

// TestRunJSONAlwaysOneDocument: --json prints one JSON document on stdout
// when the run fails before it starts too, and the report when a step
// fails.
func TestRunJSONAlwaysOneDocument(t *testing.T) {
	h := newHeadlessEnv(t)
	code, out, _ := h.run(t, "run", "no-such-runbook", "--json")
	var fail jsonFailure
	if code != exitUsage || json.Unmarshal([]byte(out), &fail) != nil || fail.OK || fail.ExitCode != exitUsage || !strings.Contains(fail.Error, "no-such-runbook") {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	file := writeRunbook(t, t.TempDir(), "rb.json", `{"name":"x","steps":[{"name":"nobody","journey":"holdings","user":"nobody"}]}`)
	code, out, _ = h.run(t, "run", file, "--json")
	var rep struct {
		OK    bool `json:"ok"`
		Steps []struct {
			Outcome string `json:"outcome"`
		} `json:"steps"`
	}
	if code != exitError || json.Unmarshal([]byte(out), &rep) != nil || rep.OK || len(rep.Steps) != 1 || rep.Steps[0].Outcome != "failed" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if strings.Count(out, "\n{") > 0 {
		t.Fatalf("more than one JSON document:\n%s", out)
	}
}
