package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"gatewalk/session"
)

const (
	krCLISecret    = "krSECRET-kept-in-the-keyring-11"
	krCLIAPISecret = "krAPI-kept-in-the-keyring-22"
)

// busEnv is a getenv under which OSKeyring finds a session bus, so the
// library's keyring (its mock in these tests) is asked.
func busEnv(k string) string {
	if k == "DBUS_SESSION_BUS_ADDRESS" {
		return "unix:path=/nonexistent/bus"
	}
	return ""
}

// runKeyring runs gatewalk with the go-keyring library's keyring (call
// keyring.MockInit or MockInitWithError first) in the config dir of p.
func (p *profileEnv) runKeyring(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	c, out, errb := testCLI(stdin, p.env)
	c.keyring = session.OSKeyring(busEnv)
	code := Main(t.Context(), c, args)
	return code, out.String(), errb.String()
}

func (p *profileEnv) profilesJSON(t *testing.T) string {
	t.Helper()
	path := filepath.Join(p.dir, "profiles.json")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("profiles.json is %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	return string(b)
}

const krKeys = krCLISecret + "\n" + krCLIAPISecret + "\n"

// With the mock keyring: profile add stores no key in profiles.json,
// profile show says "keyring", and journeys sign and authenticate with the
// keys read back (the embedded sandbox plays the gateway with those keys, so
// keys that were not read would be refused).
func TestProfileKeysInTheKeyring(t *testing.T) {
	keyring.MockInit()
	p := newProfileEnv(t)
	code, out, errb := p.runKeyring(t, krKeys, "profile", "add", "kr", "--env", "sandbox", "--gateway", "gatewaydemo", "--secrets-stdin")
	if code != 0 || errb != "" || !strings.Contains(out, "Keys: in the OS keyring") {
		t.Fatalf("add: exit %d\n%s%s", code, out, errb)
	}
	if text := p.profilesJSON(t); strings.Contains(text, krCLISecret) || strings.Contains(text, krCLIAPISecret) || !strings.Contains(text, `"secretStore": "keyring"`) {
		t.Fatalf("profiles.json:\n%s", text)
	}
	code, out, _ = p.runKeyring(t, "", "profile", "show", "kr")
	if code != 0 || strings.Count(out, "stored in the OS keyring") != 2 || strings.Contains(out, krCLISecret) {
		t.Fatalf("show: exit %d\n%s", code, out)
	}
	code, out, _ = p.runKeyring(t, "", "profile", "show", "kr", "--json")
	var v profileView
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.SecretLocation != "keyring" || v.APISecretLocation != "keyring" || v.Secret != "krSE••••" {
		t.Fatalf("show --json: exit %d %v\n%s", code, err, out)
	}
	code, out, _ = p.runKeyring(t, "", "profile", "list")
	var krRow, sandboxRow []string
	for _, l := range strings.Split(out, "\n") {
		switch f := strings.Fields(l); {
		case len(f) > 1 && f[0] == "kr":
			krRow = f
		case len(f) > 1 && f[1] == "sandbox":
			sandboxRow = f
		}
	}
	if code != 0 || len(krRow) == 0 || krRow[len(krRow)-1] != "keyring" || len(sandboxRow) == 0 || sandboxRow[len(sandboxRow)-1] != "built-in" {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	code, out, errb = p.runKeyring(t, "", "login", "--profile", "kr", "--user", "alice", "--auto", "success")
	if code != 0 {
		t.Fatalf("login with keys from the keyring: exit %d\n%s%s", code, out, errb)
	}
	// The same journey without the keyring's keys is refused: the test
	// above could fail.
	keyring.MockInit()
	code, _, errb = p.runKeyring(t, "", "login", "--profile", "kr", "--user", "bob", "--auto", "success", "--auto-account", "LEP002")
	if code == 0 || !strings.Contains(errb, "has no secret or apiSecret") {
		t.Fatalf("login without the keys: exit %d\n%s", code, errb)
	}
}

// When no keyring answers, the keys go to profiles.json (0600) with one
// warning line naming it; --insecure-storage does that on purpose, without
// a warning.
func TestProfileKeysFallBackToTheFile(t *testing.T) {
	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	p := newProfileEnv(t)
	code, out, errb := p.runKeyring(t, krKeys, "profile", "add", "staging", "--env", "staging", "--gateway", "acme", "--callback-port", "8421", "--secrets-stdin")
	if code != 0 {
		t.Fatalf("add: exit %d\n%s%s", code, out, errb)
	}
	lines := strings.Split(strings.TrimSpace(errb), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "gatewalk: warning:") || !strings.Contains(lines[0], filepath.Join(p.dir, "profiles.json")) {
		t.Fatalf("want one warning line naming the file, got %q", errb)
	}
	if strings.Contains(errb+out, krCLISecret) {
		t.Fatal("a key was printed")
	}
	if text := p.profilesJSON(t); !strings.Contains(text, krCLISecret) || !strings.Contains(text, `"secretStore": "file"`) {
		t.Fatalf("profiles.json:\n%s", text)
	}
	code, out, _ = p.runKeyring(t, "", "profile", "show", "staging", "--json")
	var v profileView
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.SecretLocation != "file" {
		t.Fatalf("show --json: %v\n%s", err, out)
	}

	keyring.MockInit()
	code, out, errb = p.runKeyring(t, krKeys, "profile", "add", "insecure", "--env", "staging", "--gateway", "acme", "--callback-port", "8422", "--secrets-stdin", "--insecure-storage")
	if code != 0 || errb != "" || !strings.Contains(out, "(mode 0600, not encrypted)") {
		t.Fatalf("--insecure-storage: exit %d\n%s%s", code, out, errb)
	}
	if _, err := keyring.Get(session.KeyringService, "insecure:secret"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("--insecure-storage wrote the keyring: %v", err)
	}
	// migrate-secrets moves both file-stored profiles.
	code, out, errb = p.runKeyring(t, "", "profile", "migrate-secrets")
	if code != 0 || strings.Count(out, "Moved 2 key(s)") != 2 {
		t.Fatalf("migrate-secrets: exit %d\n%s%s", code, out, errb)
	}
	if text := p.profilesJSON(t); strings.Contains(text, krCLISecret) {
		t.Fatalf("profiles.json after the migration:\n%s", text)
	}
	if code, out, _ = p.runKeyring(t, "", "profile", "show", "insecure"); !strings.Contains(out, "stored in the OS keyring") {
		t.Fatalf("show after the migration: exit %d\n%s", code, out)
	}
	// edit --insecure-storage brings them back to the file.
	if code, out, errb = p.runKeyring(t, "", "profile", "edit", "insecure", "--insecure-storage"); code != 0 || !strings.Contains(out, "not encrypted") {
		t.Fatalf("edit --insecure-storage: exit %d\n%s%s", code, out, errb)
	}
	if text := p.profilesJSON(t); !strings.Contains(text, krCLISecret) {
		t.Fatalf("profiles.json:\n%s", text)
	}
	// --insecure-storage=false takes them to the keyring again.
	if code, out, errb = p.runKeyring(t, "", "profile", "edit", "insecure", "--insecure-storage=false"); code != 0 || !strings.Contains(out, "Keys: in the OS keyring") {
		t.Fatalf("edit --insecure-storage=false: exit %d\n%s%s", code, out, errb)
	}
	if text := p.profilesJSON(t); strings.Contains(text, krCLISecret) {
		t.Fatalf("profiles.json:\n%s", text)
	}
}

func TestMigrateSecretsWithoutAKeyring(t *testing.T) {
	keyring.MockInitWithError(errors.New("no secret service"))
	p := newProfileEnv(t)
	addStaging(t, p) // no keyring in testCLI: the file
	code, out, errb := p.runKeyring(t, "", "profile", "migrate-secrets", "staging")
	if code != exitError || !strings.Contains(errb, "nothing was moved") || out != "" {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	if !strings.Contains(p.profilesJSON(t), cliSecret) {
		t.Fatal("the keys left the file")
	}
	if code, _, _ := p.runKeyring(t, "", "profile", "migrate-secrets", "nosuch"); code != exitUsage {
		t.Fatalf("unknown profile: exit %d", code)
	}
}

// The real binary on a machine without a D-Bus session bus (CI, this
// headless box): the keys go to the file at once, with one warning line per
// command however many keys and profiles it reads.
func TestRealBinaryWithoutSessionBus(t *testing.T) {
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(fmt.Sprintf("/run/user/%d/%s", os.Getuid(), f)); err == nil {
			t.Skip("this machine has a session bus: the test would write to its real keyring")
		}
	}
	bin := gatewalkBinary(t)
	dir := filepath.Join(t.TempDir(), "cfg")
	run := func(stdin string, args ...string) (string, string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"GATEWALK_CONFIG_DIR=" + dir, "HOME=" + t.TempDir(), "PATH=/usr/bin:/bin"}
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	for i, name := range []string{"one", "two"} {
		out, errb, err := run(krKeys, "profile", "add", name, "--env", "staging", "--gateway", "acme", "--callback-port", fmt.Sprint(8421+i), "--secrets-stdin")
		if err != nil || strings.Count(errb, "warning:") != 1 || !strings.Contains(errb, "D-Bus") {
			t.Fatalf("add %s: %v\n%s%s", name, err, out, errb)
		}
	}
	out, errb, err := run("", "profile", "list")
	if err != nil || errb != "" || !strings.Contains(out, "two") {
		t.Fatalf("list: %v\n%s%s", err, out, errb)
	}
}

// A keyring that stops answering: show says the keys are there, unread,
// and warns once.
func TestProfileShowWithAKeyringThatDoesNotAnswer(t *testing.T) {
	keyring.MockInit()
	p := newProfileEnv(t)
	if code, out, errb := p.runKeyring(t, krKeys, "profile", "add", "kr", "--env", "staging", "--gateway", "acme", "--callback-port", "8421", "--secrets-stdin"); code != 0 {
		t.Fatalf("add: exit %d\n%s%s", code, out, errb)
	}
	keyring.MockInitWithError(errors.New("locked collection"))
	code, out, errb := p.runKeyring(t, "", "profile", "show", "kr")
	if code != 0 || strings.Count(out, "not read: it did not answer") != 2 || strings.Count(errb, "warning:") != 1 || !strings.Contains(errb, session.EnvSecret) {
		t.Fatalf("show: exit %d\n%s%s", code, out, errb)
	}
	if code, out, errb = p.runKeyring(t, "", "profile", "list"); code != 0 || strings.Count(errb, "warning:") != 1 {
		t.Fatalf("list: exit %d\n%s%s", code, out, errb)
	}
}
