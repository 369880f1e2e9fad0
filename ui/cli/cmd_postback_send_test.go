package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"gatewalk/gateway"
	"gatewalk/session"
)

// runSend runs postback send with env and returns the exit code and
// outputs.
func runSend(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	c, out, errb := testCLI("", env)
	code := Main(t.Context(), c, append([]string{"postback", "send"}, args...))
	return code, out.String(), errb.String()
}

// postbacksOf returns the postbacks recorded next to TRX_known.
func postbacksOf(t *testing.T, st *session.Store) []session.PostbackRecord {
	t.Helper()
	h, err := st.History(session.BuiltinProfileName)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range h {
		if e.TransactionID == "TRX_known" {
			return e.Postbacks
		}
	}
	return nil
}

// postback send against a real `gatewalk listen`: the listener verifies the
// checksum (ok), refuses a wrong one (401) and records a replay as a replay.
// Each answer is sent after its record is on disk, so the store is read
// once send has returned.
func TestPostbackSendToListen(t *testing.T) {
	dir := t.TempDir()
	st := listenStore(t, dir)
	env := map[string]string{"GATEWALK_CONFIG_DIR": dir}
	url, _, _, stop := startListen(t, env)
	defer stop()

	code, out, errb := runSend(t, env, "--to", url+"/hook", "--event", "ORDER_COMPLETED", "--transaction-id", "TRX_known", "--user", "alice")
	if code != 0 || !strings.Contains(out, "-> 200 OK") || !strings.Contains(out, pbAuthID+" (alice)") {
		t.Fatalf("send: exit %d\n%s%s", code, out, errb)
	}
	pbs := postbacksOf(t, st)
	if len(pbs) != 1 || !pbs[0].ChecksumValid || pbs[0].Event != "ORDER_COMPLETED" || pbs[0].Problem != "" {
		t.Fatalf("recorded %+v, want one valid ORDER_COMPLETED", pbs)
	}
	var body gateway.Postback
	if err := json.Unmarshal(pbs[0].Body, &body); err != nil || body.SmallcaseAuthID != pbAuthID || len(body.Fields) == 0 {
		t.Fatalf("body %s: %v", pbs[0].Body, err)
	}

	code, out, errb = runSend(t, env, "--to", url, "--event", "ORDER_COMPLETED", "--transaction-id", "TRX_known", "--user", "alice", "--bad-checksum")
	if code != 0 || !strings.Contains(out, "-> 401") || !strings.Contains(out, "refused the wrong checksum") {
		t.Fatalf("--bad-checksum: exit %d\n%s%s", code, out, errb)
	}
	if pbs = postbacksOf(t, st); len(pbs) != 2 || pbs[1].ChecksumValid {
		t.Fatalf("recorded %+v, want the bad one as invalid", pbs)
	}

	code, out, errb = runSend(t, env, "--to", url, "--event", "ORDER_PLACED", "--transaction-id", "TRX_known", "--replay", "--json")
	if code != 0 {
		t.Fatalf("--replay: exit %d\n%s%s", code, out, errb)
	}
	var res struct {
		OK    bool
		Sends []postbackSendResult
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.OK || len(res.Sends) != 2 || !res.Sends[1].Replay || res.Sends[1].Status != 200 {
		t.Fatalf("--replay --json: %v\n%s", err, out)
	}
	pbs = postbacksOf(t, st)
	if len(pbs) != 4 || !strings.HasPrefix(pbs[3].Problem, "replay of a postback") || pbs[2].Problem != "" {
		t.Fatalf("recorded %+v, want the second ORDER_PLACED recorded as a replay", pbs)
	}
	if strings.Contains(out+errb, session.DemoSecret) {
		t.Fatal("the apiSecret was printed")
	}
}

// --from-history takes the transaction, its user and its event.
func TestPostbackSendFromHistory(t *testing.T) {
	dir := t.TempDir()
	st := listenStore(t, dir)
	if err := st.AddHistory(session.BuiltinProfileName, session.HistoryEntry{TransactionID: "TRX_known", Intent: gateway.IntentHoldingsImport, User: "alice"}); err != nil {
		t.Fatal(err)
	}
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p gateway.Postback
		_ = json.NewDecoder(r.Body).Decode(&p)
		got.Store(p)
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	const key = "partner-api-secret-never-shown-42"
	env := map[string]string{"GATEWALK_CONFIG_DIR": dir, session.EnvAPISecret: key}
	code, out, errb := runSend(t, env, "--to", srv.URL, "--from-history", "1")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	p, _ := got.Load().(gateway.Postback)
	if p.TransactionID != "TRX_known" || p.Event != gateway.EventHoldingsImport || p.SmallcaseAuthID != pbAuthID || !p.Verify(key) {
		t.Fatalf("the handler got %+v", p)
	}
	if !strings.Contains(out, `answer:    {"ok":true}`) || strings.Contains(out+errb, key) {
		t.Fatalf("output:\n%s%s", out, errb)
	}
	if code, _, _ := runSend(t, env, "--to", srv.URL, "--from-history", "9"); code != exitUsage {
		t.Fatalf("--from-history past the history: exit %d", code)
	}
}

// --set changes a field before signing; the checksum covers the new value.
func TestPostbackSendSet(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p gateway.Postback
		_ = json.NewDecoder(r.Body).Decode(&p)
		got.Store(p)
	}))
	defer srv.Close()
	code, out, errb := runSend(t, nil, "--to", srv.URL, "--event", "ORDER_COMPLETED", "--set", "status=ERRORED", "--set", "timestamp=1700000000000")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	p, _ := got.Load().(gateway.Postback)
	if p.Status != gateway.StatusErrored || p.Timestamp != "1700000000000" || !p.Verify(session.DemoSecret) {
		t.Fatalf("the handler got %+v", p)
	}
}

// A handler that accepts a wrong checksum, or answers non-2xx to a valid
// one, fails the command; a redirect is not followed.
func TestPostbackSendJudgesTheHandler(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/accept", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL, http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", srv.URL + "/accept", "--bad-checksum"}, "accepted a postback whose checksum is wrong"},
		{[]string{"--to", srv.URL + "/fail"}, "answered HTTP 500"},
		{[]string{"--to", srv.URL + "/fail", "--bad-checksum"}, "refuse it with a 4xx"},
		{[]string{"--to", srv.URL + "/moved"}, "redirected"},
		{[]string{"--to", "http://127.0.0.1:1/"}, "not delivered"},
	} {
		code, out, errb := runSend(t, nil, append(tc.args, "--event", "HOLDINGS_IMPORT")...)
		if code != exitError || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want 1 and %q\n%s%s", tc.args, code, tc.want, out, errb)
		}
	}
	if hits.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

func TestPostbackSendUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--event", "ORDER_COMPLETED"},                                    // no --to
		{"--to", "http://example.com/hook", "--event", "ORDER_COMPLETED"}, // plain http off loopback
		{"--to", "ftp://127.0.0.1/", "--event", "ORDER_COMPLETED"},
		{"--to", "http://u:p@127.0.0.1/", "--event", "ORDER_COMPLETED"},
		{"--to", "http://127.0.0.1:9/"},                    // no event
		{"--to", "http://127.0.0.1:9/", "--event", "NOPE"}, // unknown event
		{"--to", "http://127.0.0.1:9/", "--event", "ORDER_COMPLETED", "--user", "nobody"},
		{"--to", "http://127.0.0.1:9/", "--event", "ORDER_COMPLETED", "--transaction-id", `x"y`},
		{"--to", "http://127.0.0.1:9/", "--event", "ORDER_COMPLETED", "--set", "nokey"},
		{"--to", "http://127.0.0.1:9/", "--event", "ORDER_COMPLETED", "--set", "checksum=abc", "--bad-checksum"},
		{"--to", "http://127.0.0.1:9/", "--event", "ORDER_COMPLETED", "--from-history", "1", "--transaction-id", "TRX_1"},
		{"--to", "http://127.0.0.1:9/", "--event", "ORDER_COMPLETED", "gatewayDemo_secret"},
	} {
		code, out, errb := runSend(t, map[string]string{"GATEWALK_CONFIG_DIR": t.TempDir()}, args...)
		if code != exitUsage || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errb)
		}
		if strings.Contains(errb, "gatewayDemo_secret") {
			t.Errorf("%v: echoed an argument: %s", args, errb)
		}
	}
}

func TestCheckPostbackTarget(t *testing.T) {
	for raw, ok := range map[string]bool{
		"http://127.0.0.1:8787/p": true, "http://localhost:3000/": true, "http://[::1]:80/": true, "http://127.1.2.3/": true,
		"https://partner.example/hook": true, "http://partner.example/hook": false, "http://10.0.0.1/": false,
		"http://localhost.evil.example/": false, "127.0.0.1:8787": false,
	} {
		_, err := checkPostbackTarget(raw, false)
		if (err == nil) != ok {
			t.Errorf("%s: err %v, want ok=%v", raw, err, ok)
		}
	}
	if _, err := checkPostbackTarget("http://partner.example/hook", true); err != nil {
		t.Errorf("--allow-insecure: %v", err)
	}
}

// What the handler answers is cut to 2 KiB and made terminal-safe; a
// checksum given with --set is sent as given.
func TestPostbackSendAnswerAndGivenChecksum(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p gateway.Postback
		_ = json.NewDecoder(r.Body).Decode(&p)
		got.Store(p)
		w.Write([]byte("\x1b[2Jcleared " + strings.Repeat("x", 10<<10)))
	}))
	defer srv.Close()
	code, out, errb := runSend(t, nil, "--to", srv.URL, "--event", "ORDER_COMPLETED", "--set", "checksum=abc")
	if code != 0 || strings.Contains(out, "\x1b") || !strings.Contains(out, "cleared") {
		t.Fatalf("exit %d\n%q%s", code, out, errb)
	}
	if p, _ := got.Load().(gateway.Postback); p.Checksum != "abc" {
		t.Fatalf("checksum %q, want the one given", p.Checksum)
	}
	code, out, _ = runSend(t, nil, "--to", srv.URL, "--event", "ORDER_COMPLETED", "--json")
	var res struct{ Sends []postbackSendResult }
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res.Sends) != 1 || len(res.Sends[0].Answer) != maxAnswer {
		t.Fatalf("exit %d %v: answer of %d bytes", code, err, len(res.Sends[0].Answer))
	}
}

// Ids that come from the files are checked before they go into the body.
func TestPostbackSendChecksIdsFromTheFiles(t *testing.T) {
	dir := t.TempDir()
	st := listenStore(t, dir)
	if err := st.AddHistory(session.BuiltinProfileName, session.HistoryEntry{TransactionID: `TRX_a","x":"y`, Intent: gateway.IntentTransaction}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GATEWALK_CONFIG_DIR": dir}
	if code, out, errb := runSend(t, env, "--to", "http://127.0.0.1:9/", "--from-history", "1"); code != exitError || !strings.Contains(errb, "not a plain id") {
		t.Fatalf("history id: exit %d\n%s%s", code, out, errb)
	}
	users := `{"version":1,"profiles":{"sandbox":[{"label":"eve","smallcaseAuthId":"5f03\",\"x\":\"y"}]}}`
	if err := os.WriteFile(filepath.Join(dir, "users.json"), []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errb := runSend(t, env, "--to", "http://127.0.0.1:9/", "--event", "ORDER_COMPLETED", "--user", "eve"); code != exitError || !strings.Contains(errb, `user "eve"`) {
		t.Fatalf("user id: exit %d\n%s%s", code, out, errb)
	}
	for _, args := range [][]string{{"--from-history", "-1"}, {"--timeout", "0s"}} {
		if code, _, errb := runSend(t, env, append([]string{"--to", "http://127.0.0.1:9/", "--event", "ORDER_COMPLETED"}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d %s", args, code, errb)
		}
	}
}

// TestPostbackSendOnProductionIsConfirmed: a postback signed with a
// production apiSecret goes only with --yes (no terminal here), never as a
// replay; a replay answered other than 2xx fails the send.
func TestPostbackSendOnProductionIsConfirmed(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	dir := t.TempDir()
	env := map[string]string{"GATEWALK_CONFIG_DIR": dir}
	c, _, errb := testCLI("live-secret-123456\nlive-api-secret-654321\n", env)
	if code := Main(t.Context(), c, []string{"profile", "add", "live", "--env", "production", "--gateway", "acmegw",
		"--callback-port", "8421", "--secrets-stdin", "--insecure-storage"}); code != 0 {
		t.Fatalf("profile add: %s", errb)
	}
	code, _, errOut := runSend(t, env, "--profile", "live", "--to", srv.URL, "--event", "HOLDINGS_IMPORT")
	if code != exitUsage || !strings.Contains(errOut, "PRODUCTION") || !strings.Contains(errOut, "needs --yes") || hits.Load() != 0 {
		t.Fatalf("without --yes: exit %d, %d sent\n%s", code, hits.Load(), errOut)
	}
	code, _, errOut = runSend(t, env, "--profile", "live", "--to", srv.URL, "--event", "HOLDINGS_IMPORT", "--replay", "--yes")
	if code != exitUsage || !strings.Contains(errOut, "--replay") || hits.Load() != 0 {
		t.Fatalf("--replay on production: exit %d, %d sent\n%s", code, hits.Load(), errOut)
	}
	if code, out, errOut := runSend(t, env, "--profile", "live", "--to", srv.URL, "--event", "HOLDINGS_IMPORT", "--yes"); code != 0 || hits.Load() != 1 {
		t.Fatalf("with --yes: exit %d, %d sent\n%s%s", code, hits.Load(), out, errOut)
	}
	if strings.Contains(errOut, "live-api-secret-654321") {
		t.Fatal("the apiSecret was printed")
	}
	// On the sandbox a replay answered 500 fails the send.
	var n atomic.Int32
	second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			http.Error(w, "boom", 500)
		}
	}))
	defer second.Close()
	code, out, _ := runSend(t, nil, "--to", second.URL, "--event", "HOLDINGS_IMPORT", "--replay")
	if code != exitError || !strings.Contains(out, "the replay was not answered 2xx") {
		t.Fatalf("a replay answered 500: exit %d\n%s", code, out)
	}
}

// TestPostbackSendExplainsAnUnknownTransaction: a gatewalk listener's 404
// "unknown transaction" is explained: a made-up transactionId says so and
// names --from-history and --accept-unknown; a given one names the
// listener's profile. A 404 of another handler is not taken for it.
func TestPostbackSendExplainsAnUnknownTransaction(t *testing.T) {
	dir := t.TempDir()
	listenStore(t, dir)
	env := map[string]string{"GATEWALK_CONFIG_DIR": dir}
	url, _, _, stop := startListen(t, env)
	defer stop()
	code, out, errb := runSend(t, env, "--to", url, "--event", "ORDER_COMPLETED", "--user", "alice")
	if code != exitError || !strings.Contains(out, "(made up: no --transaction-id or --from-history)") ||
		!strings.Contains(out, "result:    the gatewalk listener answered HTTP 404") ||
		!strings.Contains(out, "--from-history 1") || !strings.Contains(out, "--accept-unknown") {
		t.Fatalf("made up: exit %d\n%s%s", code, out, errb)
	}
	code, out, errb = runSend(t, env, "--to", url, "--event", "ORDER_COMPLETED", "--transaction-id", "TRX_elsewhere")
	if code != exitError || strings.Contains(out, "made up") || !strings.Contains(out, "gatewalk listen --profile NAME") {
		t.Fatalf("given id: exit %d\n%s%s", code, out, errb)
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }))
	defer other.Close()
	code, out, _ = runSend(t, env, "--to", other.URL, "--event", "ORDER_COMPLETED")
	if code != exitError || strings.Contains(out, "gatewalk listener") || !strings.Contains(out, "answered HTTP 404: the Gateway would retry it") {
		t.Fatalf("another handler's 404: exit %d\n%s", code, out)
	}
}
