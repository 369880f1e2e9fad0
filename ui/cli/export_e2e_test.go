package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gatewalk/gateway/sandbox"
)

// startSandboxProcess runs `gatewalk sandbox` on a free loopback port and
// returns its API URL, read from its banner; the process is stopped at the
// end of the test.
func startSandboxProcess(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "sandbox", "--addr", "127.0.0.1:0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GATEWALK_CONFIG_DIR=" + t.TempDir()}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "API base URL"); ok {
			url := strings.TrimSpace(rest)
			// Keep reading so the sandbox never blocks on a full pipe.
			go func() {
				for sc.Scan() {
				}
			}()
			return url
		}
	}
	t.Fatalf("gatewalk sandbox printed no API base URL (%v)", sc.Err())
	return ""
}

// exportRunbook is a sandbox session of every journey and an api call: a
// login as upstox LEP002 (the driver's answer carries the account), a
// holdings view, an order, a v2 import with mutual funds, a FETCH_FUNDS
// created over the API, an order created over the API and run by the SDK
// alone, and a refused guest call (not replayed).
const exportRunbook = `{"name":"export check","profile":"any","steps":[
 {"name":"connect","journey":"login","user":"alice","broker":"upstox","account":"LEP002"},
 {"name":"holdings","journey":"holdings","user":"alice"},
 {"name":"buy","journey":"order","user":"alice","order":{"type":"SECURITIES","securities":[{"ticker":"INFY","quantity":1,"type":"BUY"}]}},
 {"name":"import","journey":"holdings","user":"alice","import":true,"v2":true,"mf":true,"expect":{"holdingsContain":["INFY"]}},
 {"name":"funds","journey":"api","user":"alice","method":"POST","path":"/gateway/{gateway}/transaction","body":{"intent":"FETCH_FUNDS"}},
 {"name":"backend order","journey":"api","user":"alice","method":"POST","path":"/gateway/{gateway}/transaction",
  "body":{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"TCS","quantity":1,"type":"BUY"}]}}},
 {"name":"the SDK runs it","journey":"sdk","user":"alice","expect":{"batchStatus":"COMPLETED"}},
 {"name":"guest refused","journey":"api","method":"GET","path":"/v1/{gateway}/engine/user/holdings","expect":{"outcome":"keys_rejected"}}]}`

// exportCalls is how many calls the exports of exportRunbook replay: login
// (create, driver), holdings, order (create, driver, details), import
// (create, driver, holdings), funds, the backend order (create) and its
// SDK run (driver, details).
const exportCalls = 13

// TestExportsRunAgainstSandbox: a sandbox session (exportRunbook, with
// --auto) exported as a curl script runs under bash, and exported as a
// Postman collection runs green in newman, both against a separate
// `gatewalk sandbox` process, with fresh tokens and transactions. The
// exports hold no key and no token.
func TestExportsRunAgainstSandbox(t *testing.T) {
	bash := needTool(t, "bash", "the exported curl script runs under bash")
	needTool(t, "curl", "the exported curl script calls curl")
	newman := needTool(t, "newman", "the exported Postman collection runs in newman (.ci/run installs it with npm)")
	bin := gatewalkBinary(t)
	h := newHeadlessEnv(t)
	dir := t.TempDir()
	script, collection := filepath.Join(dir, "session.sh"), filepath.Join(dir, "session.postman_collection.json")
	rb := filepath.Join(dir, "export.json")
	if err := os.WriteFile(rb, []byte(exportRunbook), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errb := h.run(t, "run", rb, "--auto", "--export-curl", script, "--export-postman", collection)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errb)
	}
	for _, f := range []string{script, collection} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), sandbox.DefaultSecret) || strings.Contains(string(b), sandbox.DefaultAPISecret) || strings.Contains(string(b), "eyJ") {
			t.Fatalf("%s holds a key or a token:\n%s", f, b)
		}
	}
	api := startSandboxProcess(t, bin)

	// The curl script under bash.
	cmd := exec.Command(bash, script)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GATEWALK=" + bin, "GATEWALK_CONFIG_DIR=" + filepath.Join(dir, "cfg"),
		"GATEWALK_SECRET=" + sandbox.DefaultSecret, "GATEWALK_API_SECRET=" + sandbox.DefaultAPISecret, "GATEWALK_API_URL=" + api}
	var sout, serr syncBuffer
	cmd.Stdout, cmd.Stderr = &sout, &serr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bash %s: %v\nstdout: %s\nstderr: %s", script, err, sout.String(), serr.String())
	}
	if n := strings.Count(serr.String(), "ok: "); n != exportCalls || !strings.Contains(serr.String(), "all calls succeeded") {
		t.Fatalf("%d calls succeeded, want %d:\n%s", n, exportCalls, serr.String())
	}
	// A wrong apiSecret stops the script at the first call.
	bad := exec.Command(bash, script)
	bad.Dir = dir
	bad.Env = append(append([]string(nil), cmd.Env[:len(cmd.Env)-2]...), "GATEWALK_API_SECRET=wrong-api-secret", "GATEWALK_API_URL="+api)
	if outb, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(outb), "FAILED: Create a CONNECT transaction") {
		t.Fatalf("the script passed with a wrong apiSecret (%v):\n%s", err, outb)
	}

	// The collection in newman, keys in an environment file.
	runNewman := func(secret, apiSecret string) (report newmanReport, output string, err error) {
		env := filepath.Join(dir, "env.json")
		envDoc := map[string]any{"name": "gatewalk sandbox", "values": []map[string]any{
			{"key": "secret", "value": secret, "type": "secret", "enabled": true},
			{"key": "apiSecret", "value": apiSecret, "type": "secret", "enabled": true}}}
		b, _ := json.Marshal(envDoc)
		if err := os.WriteFile(env, b, 0o600); err != nil {
			t.Fatal(err)
		}
		jsonOut := filepath.Join(dir, "newman.json")
		_ = os.Remove(jsonOut)
		nc := exec.Command(newman, "run", collection, "-e", env, "--env-var", "baseUrl="+api,
			"--reporters", "cli,json", "--reporter-json-export", jsonOut, "--color", "off")
		nc.Dir = dir
		nc.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
		o, err := nc.CombinedOutput()
		if rb, rerr := os.ReadFile(jsonOut); rerr == nil {
			_ = json.Unmarshal(rb, &report)
		}
		return report, string(o), err
	}
	rep, output, err := runNewman(sandbox.DefaultSecret, sandbox.DefaultAPISecret)
	if err != nil {
		t.Fatalf("newman: %v\n%s", err, output)
	}
	st := rep.Run.Stats
	if st.Requests.Total != exportCalls || st.Requests.Failed != 0 || st.Assertions.Total < exportCalls || st.Assertions.Failed != 0 || len(rep.Run.Failures) != 0 {
		t.Fatalf("newman stats %+v, failures %d\n%s", st, len(rep.Run.Failures), output)
	}
	// The collection's tests can fail: a wrong apiSecret fails them, and so
	// does a wrong secret (the pre-request script's JWTs are checked).
	for _, keys := range [][2]string{{sandbox.DefaultSecret, "wrong-api-secret"}, {"wrong-secret", sandbox.DefaultAPISecret}} {
		rep, output, err = runNewman(keys[0], keys[1])
		if err == nil || rep.Run.Stats.Assertions.Failed == 0 || !strings.Contains(output, "401") {
			t.Fatalf("newman passed with a wrong key (%v):\n%s", err, output)
		}
	}
}

// newmanReport is the part of newman's JSON report the test reads.
type newmanReport struct {
	Run struct {
		Stats struct {
			Requests   struct{ Total, Failed int }
			Assertions struct{ Total, Failed int }
		}
		Failures []json.RawMessage
	}
}
