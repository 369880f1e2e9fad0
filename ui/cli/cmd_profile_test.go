package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"gatewalk/session"
)

// profileEnv is a config directory and the environment pointing at it.
type profileEnv struct {
	dir string
	env map[string]string
}

func newProfileEnv(t *testing.T) *profileEnv {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cfg")
	return &profileEnv{dir: dir, env: map[string]string{"GATEWALK_CONFIG_DIR": dir}}
}

// run runs gatewalk with stdin and extra environment variables.
func (p *profileEnv) run(t *testing.T, stdin string, extra map[string]string, args ...string) (int, string, string) {
	t.Helper()
	env := map[string]string{}
	for k, v := range p.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	c, out, errb := testCLI(stdin, env)
	code := Main(context.Background(), c, args)
	return code, out.String(), errb.String()
}

const (
	cliSecret    = "jwtSECRET-never-shown-1a2b3c"
	cliAPISecret = "apiSECRET-never-shown-4d5e6f"
	envSecret    = "envJWT-override-never-shown-77"
	envAPISecret = "envAPI-override-never-shown-88"
)

func addStaging(t *testing.T, p *profileEnv, extra ...string) {
	t.Helper()
	args := append([]string{"profile", "add", "staging", "--env", "staging", "--gateway", "acmebroking",
		"--callback-port", "8421", "--leprechaun", "--brokers", "kite,hdfc", "--secrets-stdin"}, extra...)
	if code, out, errb := p.run(t, cliSecret+"\n"+cliAPISecret+"\n", nil, args...); code != 0 {
		t.Fatalf("profile add: exit %d\n%s%s", code, out, errb)
	}
}

func TestProfileCommandsLifecycle(t *testing.T) {
	p := newProfileEnv(t)
	code, out, _ := p.run(t, "", nil, "profile", "list")
	if code != 0 || !strings.Contains(out, "*  sandbox") || !strings.Contains(out, "gatewaydemo") {
		t.Fatalf("list of a fresh directory: %d\n%s", code, out)
	}
	addStaging(t, p)
	st, _, err := session.OpenStore(p.dir)
	if err != nil {
		t.Fatal(err)
	}
	// Each step builds on the profiles the steps before it left.
	checkStagingAdded(t, p, st)
	checkUseAndShowStaging(t, p)
	edited := checkProfileEdit(t, p, st)
	checkRefusedProfileCommands(t, p, st, edited)
	checkRemoveProfileWithUsers(t, p, st)
}

// checkStagingAdded: addStaging stored what it was given, and adding the
// profile again is refused, pointing at profile edit.
func checkStagingAdded(t *testing.T, p *profileEnv, st *session.Store) {
	got, err := st.Profile("staging")
	if err != nil || got.Secret != cliSecret || got.APISecret != cliAPISecret || got.CallbackPort != 8421 ||
		!got.Leprechaun || got.AMO || strings.Join(got.Brokers, ",") != "kite,hdfc" {
		t.Fatalf("stored profile: %+v %v", got, err)
	}
	if code, _, errb := p.run(t, "a\nb\n", nil, "profile", "add", "staging", "--env", "staging", "--gateway", "x",
		"--callback-port", "8421", "--secrets-stdin"); code != exitUsage || !strings.Contains(errb, "profile edit staging") {
		t.Fatalf("adding twice: %d %s", code, errb)
	}
}

// checkUseAndShowStaging makes staging the active profile and shows it.
func checkUseAndShowStaging(t *testing.T, p *profileEnv) {
	if code, out, _ := p.run(t, "", nil, "profile", "use", "staging"); code != 0 || !strings.Contains(out, "staging") {
		t.Fatalf("use: %d %s", code, out)
	}
	if code, out, _ := p.run(t, "", nil, "profile", "show"); code != 0 || !strings.Contains(out, "profile:     staging (active)") ||
		!strings.Contains(out, "http://localhost:8421") || !strings.Contains(out, "https://gatewayapi-stag.smallcase.com (staging preset)") {
		t.Fatalf("show of the active profile: %d\n%s", code, out)
	}
}

// checkProfileEdit: edit changes only what is given, the keys included. It
// returns the profile as the last edit left it.
func checkProfileEdit(t *testing.T, p *profileEnv, st *session.Store) session.Profile {
	if code, _, errb := p.run(t, "", nil, "profile", "edit", "staging", "--amo", "--api-url", "http://127.0.0.1:9000/api"); code != 0 {
		t.Fatalf("edit: %d %s", code, errb)
	}
	got2, _ := st.Profile("staging")
	if !got2.AMO || got2.APIURL != "http://127.0.0.1:9000/api" || got2.Secret != cliSecret || got2.CallbackPort != 8421 ||
		!got2.Leprechaun || got2.Gateway != "acmebroking" || len(got2.Brokers) != 2 {
		t.Fatalf("after edit: %+v", got2)
	}
	if code, _, _ := p.run(t, "new-jwt-secret\nnew-api-secret\n", nil, "profile", "edit", "staging", "--secrets-stdin", "--leprechaun=false"); code != 0 {
		t.Fatal("edit of the keys failed")
	}
	got3, _ := st.Profile("staging")
	if got3.Secret != "new-jwt-secret" || got3.APISecret != "new-api-secret" || got3.Leprechaun || !got3.AMO {
		t.Fatalf("after key edit: %+v", got3)
	}
	return got3
}

// checkRefusedProfileCommands: wrong profile commands are usage errors
// that leave the staging profile as it was before them.
func checkRefusedProfileCommands(t *testing.T, p *profileEnv, st *session.Store, before session.Profile) {
	for _, bad := range [][]string{
		{"profile", "edit", "staging"},                           // nothing to change
		{"profile", "edit", "staging", "--callback-port", "80"},  // out of range
		{"profile", "edit", "staging", "--env", "prod"},          // unknown env
		{"profile", "edit", "staging", "--api-url", "not a url"}, // bad URL
		{"profile", "edit", "sandbox", "--amo"},                  // built-in
		{"profile", "edit", "nope", "--amo"},                     // missing
		{"profile", "use", "nope"},                               // missing
		{"profile", "show", "nope"},                              // missing
		{"profile", "remove", "sandbox"},                         // built-in
		{"profile", "show", "staging", "--profile", "sandbox"},   // named twice
		{"profile", "add", "x", "--env", "staging", "--gateway"}, // flag without value
		{"profile", "add", "Bad Name", "--env", "sandbox", "--gateway", "g"},
		{"profile", "frob"},
	} {
		if code, _, errb := p.run(t, "", nil, bad...); code != exitUsage || errb == "" {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", bad, code, errb)
		}
	}
	after, _ := st.Profile("staging")
	if after.UpdatedAt != before.UpdatedAt {
		t.Fatal("a refused edit changed the profile")
	}
}

// checkRemoveProfileWithUsers: remove is refused while the profile has
// users, unless --yes; removing the active profile makes sandbox active.
func checkRemoveProfileWithUsers(t *testing.T, p *profileEnv, st *session.Store) {
	if err := st.SaveUser("staging", session.User{Label: "alice", SmallcaseAuthID: "5f0321b5f3743c31d95abd35"}, false); err != nil {
		t.Fatal(err)
	}
	if code, _, errb := p.run(t, "", nil, "profile", "remove", "staging"); code != exitUsage || !strings.Contains(errb, "--yes") {
		t.Fatalf("remove with users: %d %s", code, errb)
	}
	if code, out, _ := p.run(t, "", nil, "profile", "remove", "staging", "--yes"); code != 0 || !strings.Contains(out, "1 local user") {
		t.Fatalf("remove --yes: %d %s", code, out)
	}
	if name, _ := st.ActiveName(); name != "sandbox" {
		t.Fatalf("active after removing it: %s", name)
	}
}

func TestProfileSelectionFlagAndEnvironment(t *testing.T) {
	p := newProfileEnv(t)
	addStaging(t, p)
	env := map[string]string{"GATEWALK_PROFILE": "staging"}
	if _, out, _ := p.run(t, "", env, "profile", "show"); !strings.Contains(out, "profile:     staging (in use for this run; the active profile is sandbox)\n") {
		t.Fatalf("GATEWALK_PROFILE not honoured:\n%s", out)
	}
	if _, out, _ := p.run(t, "", env, "profile", "show", "--profile", "sandbox"); !strings.Contains(out, "profile:     sandbox") {
		t.Fatalf("--profile does not win over GATEWALK_PROFILE:\n%s", out)
	}
	if _, out, _ := p.run(t, "", env, "profile", "list"); !strings.Contains(out, ">  staging") || !strings.Contains(out, `This run uses "staging"`) {
		t.Fatalf("list does not mark the profile in use:\n%s", out)
	}
	if code, _, errb := p.run(t, "", map[string]string{"GATEWALK_PROFILE": "ghost"}, "users", "list"); code != exitUsage || !strings.Contains(errb, "ghost") {
		t.Fatalf("unknown GATEWALK_PROFILE: %d %s", code, errb)
	}
	if code, _, errb := p.run(t, "", env, "profile", "use", "sandbox"); code != 0 || !strings.Contains(errb, "GATEWALK_PROFILE=staging still takes precedence") {
		t.Fatalf("use while GATEWALK_PROFILE is set: %d %q", code, errb)
	}
}

func TestProfileAddTakesKeysOnlyFromStdinOrPrompt(t *testing.T) {
	p := newProfileEnv(t)
	base := []string{"profile", "add", "prod", "--env", "production", "--gateway", "acmebroking", "--callback-port", "8500"}
	// No keys: a usage error that shows how to pipe them; nothing saved.
	code, _, errb := p.run(t, "", nil, base...)
	if code != exitUsage || !strings.Contains(errb, "--secrets-stdin") || !strings.Contains(errb, "never taken as arguments") ||
		!strings.Contains(errb, "not a terminal") {
		t.Fatalf("no keys: %d %s", code, errb)
	}
	// A key as an argument is refused.
	if code, out, errb := p.run(t, "", nil, append(base[:3:3], cliSecret, "--env", "production", "--gateway", "g", "--callback-port", "8500")...); code != exitUsage ||
		strings.Contains(out+errb, cliSecret) || !strings.Contains(errb, "never taken as arguments") {
		t.Fatalf("secret as an argument: %d %s", code, errb)
	}
	// One line only.
	if code, _, errb := p.run(t, cliSecret+"\n", nil, append(base, "--secrets-stdin")...); code != exitUsage || !strings.Contains(errb, "two lines") {
		t.Fatalf("one line: %d %s", code, errb)
	}
	// Validation happens before the keys are read.
	if code, _, errb := p.run(t, "", nil, "profile", "add", "prod", "--env", "production", "--gateway", "acmebroking"); code != exitUsage ||
		!strings.Contains(errb, "--callback-port") || !strings.Contains(errb, "whitelist") {
		t.Fatalf("missing port: %d %s", code, errb)
	}
	st, _, _ := session.OpenStore(p.dir)
	if ps, _ := st.Profiles(); len(ps) != 1 {
		t.Fatalf("a refused add saved something: %+v", ps)
	}
	// On a terminal the keys are asked for.
	c, out, errb2 := testCLI(cliSecret+"\n"+cliAPISecret+"\n", p.env)
	c.stdinIsTerminal = func() bool { return true }
	if code := Main(context.Background(), c, base); code != 0 {
		t.Fatalf("prompted add: %d %s", code, errb2)
	}
	if !strings.Contains(errb2.String(), "secret (signs smallcaseAuthTokens): ") || !strings.Contains(errb2.String(), "apiSecret (x-gateway-secret): ") {
		t.Fatalf("no prompts: %q", errb2)
	}
	if got, _ := st.Profile("prod"); got.Secret != cliSecret || got.APISecret != cliAPISecret {
		t.Fatalf("prompted keys: %+v", got)
	}
	if strings.Contains(out.String()+errb2.String(), cliSecret) {
		t.Fatal("prompt echoed a key")
	}
	// A sandbox-environment profile needs no keys.
	if code, _, errb := p.run(t, "", nil, "profile", "add", "sb2", "--env", "sandbox", "--gateway", "gatewaydemo"); code != 0 {
		t.Fatalf("sandbox env without keys: %d %s", code, errb)
	}
	if got, _ := st.Profile("sb2"); got.Secret != session.DemoSecret || got.CallbackPort != 0 {
		t.Fatalf("sandbox env profile: %+v", got)
	}
}

func TestNoSecretInProfileOutput(t *testing.T) {
	p := newProfileEnv(t)
	var all strings.Builder
	collect := func(code int, out, errb string) {
		all.WriteString(out)
		all.WriteString(errb)
	}
	collect(p.run(t, cliSecret+"\n"+cliAPISecret+"\n", nil, "profile", "add", "staging", "--env", "staging", "--gateway", "acmebroking",
		"--callback-port", "8421", "--secrets-stdin", "--use"))
	collect(p.run(t, cliSecret+"\n"+cliAPISecret+"\n", nil, "profile", "add", "bad", "--env", "staging", "--gateway", "acmebroking",
		"--callback-port", "1", "--secrets-stdin"))
	collect(p.run(t, cliSecret+"\n"+cliAPISecret+"\n", nil, "profile", "edit", "staging", "--secrets-stdin"))
	if runtime.GOOS != "windows" {
		// Repair warnings are output too.
		os.Chmod(filepath.Join(p.dir, "profiles.json"), 0o644)
		os.Chmod(p.dir, 0o755)
	}
	overrides := map[string]string{"GATEWALK_SECRET": envSecret, "GATEWALK_API_SECRET": envAPISecret}
	for _, env := range []map[string]string{nil, overrides} {
		for _, args := range [][]string{
			{"profile", "list"}, {"profile", "list", "--json"},
			{"profile", "show"}, {"profile", "show", "--json"},
			{"profile", "show", "staging"}, {"profile", "show", "sandbox", "--json"},
			{"users", "list"}, {"users", "list", "--json"},
		} {
			code, out, errb := p.run(t, "", env, args...)
			if code != 0 {
				t.Fatalf("%v: exit %d %s", args, code, errb)
			}
			collect(code, out, errb)
			if strings.HasSuffix(args[len(args)-1], "json") && !json.Valid([]byte(out)) {
				t.Errorf("%v: not JSON: %s", args, out)
			}
		}
	}
	text := all.String()
	if runtime.GOOS != "windows" && !strings.Contains(text, "gatewalk: warning:") {
		t.Fatal("the permission repair printed no warning: the test did not cover warnings")
	}
	for _, secret := range []string{cliSecret, cliAPISecret, envSecret, envAPISecret, session.DemoSecret} {
		if strings.Contains(text, secret) {
			t.Errorf("output holds the secret %q", secret)
		}
		if !strings.Contains(text, secret[:4]+"••••") {
			t.Errorf("output never shows %q masked", secret)
		}
	}
	if !strings.Contains(text, "from $GATEWALK_SECRET") {
		t.Error("show does not say the secret comes from the environment")
	}
}

// Two smallcaseAuthIds for the users tests.
const usersIDA, usersIDB = "5f0321b5f3743c31d95abd35", "631fad01d9fe7ba34b6c0a3a"

func TestUsersCommands(t *testing.T) {
	p := newProfileEnv(t)
	// Each step builds on the users the steps before it left.
	checkUsersAdd(t, p)
	checkUsersListAndShow(t, p)
	checkUsersRemove(t, p)
	checkUsersProfileFlag(t, p)
	for _, bad := range [][]string{
		{"users"}, {"users", "show"}, {"users", "add", "x"}, {"users", "add", "x", "--auth-id", "nothex"},
		{"users", "list", "extra"}, {"users", "show", "a", "b"}, {"users", "list", "--profile", "ghost"},
	} {
		if code, _, errb := p.run(t, "", nil, bad...); code != exitUsage || errb == "" {
			t.Errorf("%v: exit %d %q", bad, code, errb)
		}
	}
}

// checkUsersAdd: on an empty list, alice is added; bob with her id only
// with --allow-duplicate; alice is never given another id.
func checkUsersAdd(t *testing.T, p *profileEnv) {
	if code, out, _ := p.run(t, "", nil, "users", "list"); code != 0 || !strings.Contains(out, "no local users") {
		t.Fatalf("empty list: %d %s", code, out)
	}
	if code, _, errb := p.run(t, "", nil, "users", "add", "alice", "--auth-id", usersIDA, "--broker", "kite", "--leprechaun"); code != 0 {
		t.Fatalf("add: %d %s", code, errb)
	}
	code, _, errb := p.run(t, "", nil, "users", "add", "bob", "--auth-id", usersIDA)
	if code != exitUsage || !strings.Contains(errb, "same broker account") || !strings.Contains(errb, "--allow-duplicate") || !strings.Contains(errb, `"alice"`) {
		t.Fatalf("duplicate: %d %s", code, errb)
	}
	if code, _, errb := p.run(t, "", nil, "users", "add", "bob", "--auth-id", usersIDA, "--allow-duplicate"); code != 0 {
		t.Fatalf("confirmed duplicate: %d %s", code, errb)
	}
	if code, _, errb := p.run(t, "", nil, "users", "add", "alice", "--auth-id", usersIDB); code != exitUsage || !strings.Contains(errb, "never overwrites") {
		t.Fatalf("other id for alice: %d %s", code, errb)
	}
}

// checkUsersListAndShow: list and show, as text and JSON, mark the id alice
// and bob share.
func checkUsersListAndShow(t *testing.T, p *profileEnv) {
	code, out, _ := p.run(t, "", nil, "users", "list")
	if code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, usersIDA+" (!)") || !strings.Contains(out, "kite") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	code, out, _ = p.run(t, "", nil, "users", "list", "--json")
	var views []userView
	if err := json.Unmarshal([]byte(out), &views); code != 0 || err != nil || len(views) != 2 || views[0].Label != "alice" ||
		views[0].SmallcaseAuthID != usersIDA || !views[0].Leprechaun || len(views[0].SharedWith) != 1 {
		t.Fatalf("list --json: %d %v\n%s", code, err, out)
	}
	if code, out, _ := p.run(t, "", nil, "users", "show", "alice"); code != 0 || !strings.Contains(out, "smallcaseAuthId: "+usersIDA) || !strings.Contains(out, "same id as:      bob") {
		t.Fatalf("show: %d\n%s", code, out)
	}
	if code, out, _ := p.run(t, "", nil, "users", "show", "alice", "--json"); code != 0 || !json.Valid([]byte(out)) {
		t.Fatalf("show --json: %d %s", code, out)
	}
	if code, _, errb := p.run(t, "", nil, "users", "show", "carol"); code != exitUsage || !strings.Contains(errb, "gatewalk users list") {
		t.Fatalf("show missing: %d %s", code, errb)
	}
}

// checkUsersRemove removes bob, once.
func checkUsersRemove(t *testing.T, p *profileEnv) {
	if code, out, _ := p.run(t, "", nil, "users", "remove", "bob"); code != 0 || !strings.Contains(out, "Removed user bob") {
		t.Fatalf("remove: %d %s", code, out)
	}
	if code, _, _ := p.run(t, "", nil, "users", "remove", "bob"); code != exitUsage {
		t.Fatalf("remove twice: %d", code)
	}
}

// checkUsersProfileFlag: --profile on each users command.
func checkUsersProfileFlag(t *testing.T, p *profileEnv) {
	addStaging(t, p)
	if code, out, _ := p.run(t, "", nil, "users", "list", "--profile", "staging"); code != 0 || !strings.Contains(out, "no local users") {
		t.Fatalf("list --profile: %d %s", code, out)
	}
	if code, _, _ := p.run(t, "", nil, "users", "add", "alice", "--auth-id", usersIDA, "--profile", "staging"); code != 0 {
		t.Fatal("add --profile")
	}
	if code, _, _ := p.run(t, "", nil, "users", "show", "alice", "--profile", "staging"); code != 0 {
		t.Fatal("show --profile")
	}
	if code, _, _ := p.run(t, "", nil, "users", "remove", "alice", "--profile", "staging"); code != 0 {
		t.Fatal("remove --profile")
	}
}

func TestCorruptProfilesFileCLI(t *testing.T) {
	p := newProfileEnv(t)
	addStaging(t, p)
	path := filepath.Join(p.dir, "profiles.json")
	broken := []byte(`{"version":1,"profiles":[{"name":"staging","secret":"` + cliSecret)
	if err := os.WriteFile(path, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"profile", "list"}, {"profile", "use", "sandbox"}, {"profile", "edit", "staging", "--amo"}} {
		code, out, errb := p.run(t, "", nil, args...)
		if code != exitError || !strings.Contains(errb, path) || !strings.Contains(errb, "mv "+path) || strings.Contains(out+errb, cliSecret) {
			t.Fatalf("%v on a corrupt file: %d\n%s%s", args, code, out, errb)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != string(broken) {
		t.Fatal("the corrupt file was changed")
	}
	os.Rename(path, path+".broken")
	if code, out, _ := p.run(t, "", nil, "profile", "list"); code != 0 || !strings.Contains(out, "sandbox") {
		t.Fatalf("after moving it aside: %d %s", code, out)
	}
}

func TestProfileAndUsersHelp(t *testing.T) {
	p := newProfileEnv(t)
	for _, args := range [][]string{
		{"profile", "-h"}, {"profile", "list", "-h"}, {"profile", "show", "--help"}, {"profile", "add", "-h"},
		{"profile", "edit", "-h"}, {"profile", "use", "-h"}, {"profile", "remove", "-h"},
		{"users", "-h"}, {"users", "list", "-h"}, {"users", "show", "-h"}, {"users", "add", "-h"}, {"users", "remove", "-h"},
	} {
		// Requested help goes to stdout (the parents' own lists may still use stderr).
		code, out, errb := p.run(t, "", nil, args...)
		if code != 0 || !strings.Contains(out+errb, "Usage: gatewalk "+args[0]) {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errb)
		}
		if len(args) > 2 && !strings.Contains(out, "Usage: gatewalk "+args[0]) {
			t.Errorf("%v: the help is not on stdout", args)
		}
	}
	if _, err := os.Stat(p.dir); !os.IsNotExist(err) {
		t.Error("help created the config directory")
	}
}

// promptTerminal builds gatewalk and runs cmdline (a sh command line in
// which BIN and CFG stand for the binary and a fresh config directory) in a
// real terminal (tmux). It returns the config directory, a tmux command and
// a wait for text on the screen.
func promptTerminal(t *testing.T, cmdline string) (cfg string, tm func(args ...string) string, waitFor func(string) string) {
	t.Helper()
	tmux := needTool(t, "tmux", "the key prompt is tested in a real terminal (apt-get install tmux)")
	bin := gatewalkBinary(t)
	cfg = filepath.Join(t.TempDir(), "cfg")
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tm = func(args ...string) string {
		out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	cmdline = strings.NewReplacer("BIN", bin, "CFG", cfg).Replace(cmdline)
	tm("new-session", "-d", "-x", "200", "-y", "20", "sh", "-c", cmdline)
	t.Cleanup(func() { exec.Command(tmux, "-S", sock, "kill-server").Run() })
	waitFor = func(s string) string {
		var screen string
		for range 400 {
			screen = tm("capture-pane", "-p")
			if strings.Contains(screen, s) {
				return screen
			}
			time.Sleep(25 * time.Millisecond)
		}
		t.Fatalf("%q never appeared:\n%s", s, screen)
		return ""
	}
	return cfg, tm, waitFor
}

// TestProfileAddMaskedPromptInATerminal runs gatewalk in a real terminal
// (tmux) and types the keys at the prompt: they must not appear on screen.
func TestProfileAddMaskedPromptInATerminal(t *testing.T) {
	cfg, tm, waitFor := promptTerminal(t, "env GATEWALK_CONFIG_DIR=CFG BIN"+
		" profile add prod --env production --gateway acmebroking --callback-port 8500; echo EXIT=$?; sleep 30")
	waitFor("secret (signs smallcaseAuthTokens):")
	tm("send-keys", "-l", cliSecret)
	tm("send-keys", "Enter")
	waitFor("apiSecret (x-gateway-secret):")
	tm("send-keys", "-l", cliAPISecret)
	tm("send-keys", "Enter")
	screen := waitFor("EXIT=")
	if !strings.Contains(screen, "EXIT=0") || !strings.Contains(screen, "Added profile prod") {
		t.Fatalf("prompted add failed:\n%s", screen)
	}
	if strings.Contains(screen, cliSecret) || strings.Contains(screen, cliAPISecret) {
		t.Fatalf("a key was echoed:\n%s", screen)
	}
	st, _, err := session.OpenStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := st.Profile("prod"); err != nil || p.Secret != cliSecret || p.APISecret != cliAPISecret {
		t.Fatalf("stored: %+v %v", p, err)
	}
}

// TestMisplacedSecretsAreNeverEchoed: a secret given as an argument by
// mistake is refused without being repeated, whatever the command.
func TestMisplacedSecretsAreNeverEchoed(t *testing.T) {
	const leaked = "my-very-secret-value-123"
	p := newProfileEnv(t)
	for _, args := range [][]string{
		{"sandbox", leaked},
		{"listen", leaked},
		{"listen", "--addr", "127.0.0.1:0", leaked, "second"},
		{"users", "add", "bob", leaked, "--auth-id", "5f0321b5f3743c31d95abd35"},
		{"users", "list", leaked},
		{"users", "show", "bob", leaked},
		{"users", leaked},
		{"postback", "verify", leaked},
		{"postback", "verify", "-", leaked},
		{"postback", leaked},
		{"profile", leaked},
		{"profile", "list", leaked},
		{"profile", "use", "staging", leaked},
	} {
		code, out, errb := p.run(t, "", nil, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errb)
		}
		if strings.Contains(out+errb, leaked) {
			t.Errorf("%v: the argument is echoed:\n%s%s", args, out, errb)
		}
		if !strings.Contains(errb, "not shown") {
			t.Errorf("%v: the error does not say the argument is not shown:\n%s", args, errb)
		}
	}
}

// TestGatewalkProfileVariable: a $GATEWALK_PROFILE that names no profile
// does not stop the commands that manage profiles, and the errors it causes
// name the variable.
func TestGatewalkProfileVariable(t *testing.T) {
	p := newProfileEnv(t)
	bad := map[string]string{"GATEWALK_PROFILE": "nosuch"}
	code, out, errb := p.run(t, "", bad, "profile", "list")
	if code != 0 || !strings.Contains(out, "*  sandbox") || !strings.Contains(errb, "$GATEWALK_PROFILE") || !strings.Contains(errb, `"nosuch"`) {
		t.Fatalf("profile list with a wrong $GATEWALK_PROFILE: exit %d\n%s%s", code, out, errb)
	}
	if code, out, errb := p.run(t, cliSecret+"\n"+cliAPISecret+"\n", bad, "profile", "add", "staging", "--env", "staging",
		"--gateway", "acmebroking", "--callback-port", "8421", "--secrets-stdin"); code != 0 {
		t.Fatalf("profile add: exit %d\n%s%s", code, out, errb)
	}
	if code, _, errb := p.run(t, "", bad, "profile", "use", "staging"); code != 0 {
		t.Fatalf("profile use: exit %d\n%s", code, errb)
	}
	for _, args := range [][]string{{"profile", "show"}, {"users", "list"}, {"postback", "verify", "-"}, {"listen", "--addr", "127.0.0.1:0"}} {
		code, _, errb := p.run(t, `{"timestamp":"1"}`, bad, args...)
		if code != exitUsage || !strings.Contains(errb, "$GATEWALK_PROFILE is \"nosuch\"") || !strings.Contains(errb, "staging") {
			t.Errorf("%v: exit %d, want 2 naming the variable and the profiles:\n%s", args, code, errb)
		}
	}
	// --profile wins over the variable.
	if code, out, errb := p.run(t, "", bad, "profile", "show", "--profile", "staging"); code != 0 || !strings.Contains(out, "profile:     staging") {
		t.Errorf("show --profile with a wrong variable: exit %d\n%s%s", code, out, errb)
	}
	if code, out, errb := p.run(t, "", bad, "profile", "remove", "staging"); code != 0 || !strings.Contains(out, "Removed profile staging") {
		t.Errorf("profile remove: exit %d\n%s%s", code, out, errb)
	}
}

// TestInvalidProfilesFileCLI: a profiles.json with values gatewalk cannot
// use fails every command that reads it, naming the file, the profile and
// the field, instead of failing later with a misleading message.
func TestInvalidProfilesFileCLI(t *testing.T) {
	p := newProfileEnv(t)
	addStaging(t, p)
	path := filepath.Join(p.dir, "profiles.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(b), `"callbackPort": 8421`, `"callbackPort": 99999`, 1)
	if broken == string(b) {
		t.Fatalf("no callbackPort in %s", b)
	}
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"profile", "list"}, {"profile", "show", "staging"}, {"users", "list", "--profile", "staging"}} {
		code, out, errb := p.run(t, "", nil, args...)
		if code != exitError || out != "" {
			t.Errorf("%v: exit %d, want 1 and nothing listed\n%s", args, code, out)
		}
		for _, want := range []string{path, `profile "staging"`, "callbackPort", "99999 is out of range", "mv " + path} {
			if !strings.Contains(errb, want) {
				t.Errorf("%v: error lacks %q:\n%s", args, want, errb)
			}
		}
		if strings.Contains(errb, cliSecret) || strings.Contains(errb, cliAPISecret) {
			t.Errorf("%v: a key is printed", args)
		}
	}
	if after, _ := os.ReadFile(path); string(after) != broken {
		t.Error("the file was rewritten")
	}
}

// TestSecretsPromptNeedsATerminal: --secrets-prompt with standard input
// that is not a terminal (/dev/null is a character device, not a terminal)
// says so and points at --secrets-stdin.
func TestSecretsPromptNeedsATerminal(t *testing.T) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	p := newProfileEnv(t)
	addStaging(t, p)
	c, out, errb := testCLI("", p.env)
	c.stdin = devnull
	// The cli's own check would say yes to a character device.
	c.stdinIsTerminal = func() bool { return true }
	code := Main(context.Background(), c, []string{"profile", "edit", "staging", "--secrets-prompt"})
	if code != exitUsage || !strings.Contains(errb.String(), "--secrets-prompt needs a terminal") ||
		!strings.Contains(errb.String(), "--secrets-stdin") {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
}

// TestSecretsStdinIsChecked: --secrets-stdin takes exactly two keys; a third
// line, or spaces around a key, are refused and nothing is saved; CRLF line
// ends and trailing blank lines are fine.
func TestSecretsStdinIsChecked(t *testing.T) {
	p := newProfileEnv(t)
	addStaging(t, p)
	for _, tc := range []struct {
		name, stdin string
		ok          bool
		want        string
	}{
		{"third line", "s1-secret\ns2-apisecret\nthird-line-value\n", false, "a third would be ignored"},
		{"spaces", "  spaced-secret  \ns2-apisecret\n", false, "line 1 (the secret) starts or ends with spaces or tabs"},
		{"tab", "s1-secret\ns2-apisecret\t\n", false, "line 2 (the apiSecret) starts or ends with spaces or tabs"},
		{"one line", "s1-secret\n", false, "the apiSecret is missing"},
		{"empty first", "\ns2-apisecret\n", false, "line 1 (the secret) is empty"},
		{"nothing", "", false, "standard input is empty"},
		{"crlf and blank lines", "crlf-secret\r\ncrlf-apisecret\r\n\r\n\n", true, ""},
		{"no final newline", "last-secret\nlast-apisecret", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errb := p.run(t, tc.stdin, nil, "profile", "edit", "staging", "--secrets-stdin")
			st, _, err := session.OpenStore(p.dir)
			if err != nil {
				t.Fatal(err)
			}
			got, err := st.Profile("staging")
			if err != nil {
				t.Fatal(err)
			}
			if !tc.ok {
				if code != exitUsage || !strings.Contains(errb, tc.want) {
					t.Fatalf("exit %d, want 2 saying %q:\n%s%s", code, tc.want, out, errb)
				}
				for _, line := range strings.Split(tc.stdin, "\n") {
					if k := strings.TrimSpace(line); len(k) > 4 && strings.Contains(out+errb, k) {
						t.Errorf("a key is echoed: %s", errb)
					}
				}
				return
			}
			want := strings.Split(strings.ReplaceAll(tc.stdin, "\r", ""), "\n")
			if code != 0 || got.Secret != want[0] || got.APISecret != want[1] {
				t.Fatalf("exit %d, stored %q %q\n%s", code, got.Secret, got.APISecret, errb)
			}
		})
	}
}

// TestProfileInUseAndRemovingTheActiveOne: show reports which profile this
// run uses, not the one shown; removing the active profile says the
// built-in sandbox takes over.
func TestProfileInUseAndRemovingTheActiveOne(t *testing.T) {
	p := newProfileEnv(t)
	addStaging(t, p)
	inUse := func(extra map[string]string, args ...string) bool {
		t.Helper()
		code, out, errb := p.run(t, "", extra, append([]string{"profile", "show", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("show %v: exit %d %s", args, code, errb)
		}
		var v struct {
			InUse bool `json:"inUse"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		return v.InUse
	}
	if inUse(nil, "staging") {
		t.Error("staging reported in use while sandbox is active")
	}
	if !inUse(nil, "sandbox") || !inUse(nil) {
		t.Error("the active sandbox is not reported in use")
	}
	if !inUse(map[string]string{"GATEWALK_PROFILE": "staging"}, "staging") || inUse(map[string]string{"GATEWALK_PROFILE": "staging"}, "sandbox") {
		t.Error("$GATEWALK_PROFILE does not decide which profile is in use")
	}
	if code, out, _ := p.run(t, "", map[string]string{"GATEWALK_PROFILE": "staging"}, "profile", "show", "staging"); code != 0 ||
		!strings.Contains(out, "in use for this run; the active profile is sandbox") {
		t.Errorf("show does not say staging is in use for this run:\n%s", out)
	}
	if code, _, errb := p.run(t, "", nil, "profile", "use", "staging"); code != 0 {
		t.Fatal(errb)
	}
	code, out, errb := p.run(t, "", nil, "profile", "remove", "staging")
	if code != 0 || !strings.Contains(out, "It was the active profile: the built-in sandbox profile is active now") {
		t.Fatalf("remove of the active profile: exit %d\n%s%s", code, out, errb)
	}
	addStaging(t, p)
	if code, out, _ := p.run(t, "", nil, "profile", "remove", "staging"); code != 0 || strings.Contains(out, "active") {
		t.Errorf("remove of an inactive profile speaks of the active one:\n%s", out)
	}
}

// TestUnknownBrokersWarn: broker ids outside the known list are kept with a
// warning, known ones (with or without -leprechaun) pass silently.
func TestUnknownBrokersWarn(t *testing.T) {
	p := newProfileEnv(t)
	code, _, errb := p.run(t, "", nil, "profile", "add", "lab", "--env", "sandbox", "--gateway", "gatewaydemo",
		"--brokers", "kite,foo,hdfc-leprechaun,bar-leprechaun")
	if code != 0 || !strings.Contains(errb, `"foo", "bar-leprechaun" are not broker ids gatewalk knows`) || strings.Contains(errb, `"kite"`) {
		t.Fatalf("profile add --brokers: exit %d\n%s", code, errb)
	}
	st, _, _ := session.OpenStore(p.dir)
	if got, _ := st.Profile("lab"); strings.Join(got.Brokers, ",") != "kite,foo,hdfc-leprechaun,bar-leprechaun" {
		t.Errorf("brokers stored %q", got.Brokers)
	}
	if code, _, errb := p.run(t, "", nil, "profile", "edit", "lab", "--brokers", "groww,upstox-leprechaun"); code != 0 || strings.Contains(errb, "warning") {
		t.Errorf("known brokers warned: exit %d %s", code, errb)
	}
	code, out, errb := p.run(t, "", nil, "users", "add", "bob", "--auth-id", "5f0321b5f3743c31d95abd35", "--broker", "nosuchbroker")
	if code != 0 || !strings.Contains(errb, `--broker: "nosuchbroker" is not a broker id`) || !strings.Contains(out, "Saved user bob") {
		t.Errorf("users add --broker nosuchbroker: exit %d\n%s%s", code, out, errb)
	}
}

// TestUserLabelRule: labels follow one documented rule.
func TestUserLabelRule(t *testing.T) {
	p := newProfileEnv(t)
	for label, ok := range map[string]bool{"Bad Label!": false, "a b": false, "alice@acme.in": true, "Bob.Kite_2": true} {
		code, _, errb := p.run(t, "", nil, "users", "add", label, "--auth-id", "5f0321b5f3743c31d95abd3"+fmt.Sprint(len(label)%10), "--allow-duplicate")
		if ok != (code == 0) {
			t.Errorf("users add %q: exit %d %s", label, code, errb)
		}
		if !ok && !strings.Contains(errb, "letters, digits, '-', '_', '.' or '@'") {
			t.Errorf("users add %q: the rule is not said: %s", label, errb)
		}
	}
}

// TestCtrlCAtTheMaskedPrompt: Ctrl-C at the key prompt ends the command
// (exit 130) with nothing saved and the terminal's echo back on.
func TestCtrlCAtTheMaskedPrompt(t *testing.T) {
	// trap : keeps the shell alive through the Ctrl-C (its child still gets
	// the default disposition) so it can report what the command left.
	cfg, tm, waitFor := promptTerminal(t, "trap : INT; env GATEWALK_CONFIG_DIR=CFG BIN"+
		" profile add prod --env production --gateway acmebroking --callback-port 8500; echo EXIT=$?; stty -a | grep -o ' -*echo ' | head -1 | sed 's/^/ECHO=/'; sleep 30")
	waitFor("secret (signs smallcaseAuthTokens):")
	tm("send-keys", "C-c")
	screen := waitFor("ECHO=")
	if !strings.Contains(screen, "EXIT=130") || !strings.Contains(screen, "nothing was saved") {
		t.Fatalf("Ctrl-C at the prompt:\n%s", screen)
	}
	if !strings.Contains(screen, "ECHO= echo") || strings.Contains(screen, "ECHO= -echo") {
		t.Fatalf("the terminal's echo was left off:\n%s", screen)
	}
	if st, _, err := session.OpenStore(cfg); err == nil {
		if _, err := st.Profile("prod"); err == nil {
			t.Fatal("the profile was saved")
		}
	}
}
