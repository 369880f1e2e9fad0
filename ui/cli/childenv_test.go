package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gatewalk/session/bridge"
)

// TestBrowserGetsNoSecrets: with the secrets in the environment, the
// commands still read them, but the browser launcher (a fake xdg-open
// that dumps its environment) inherits none of them.
func TestBrowserGetsNoSecrets(t *testing.T) {
	needTool(t, "sh", "the fake browser launcher is a shell script")
	values := map[string]string{}
	for i, k := range secretEnv {
		v := "secret-value-" + string(rune('a'+i)) + "-0123456789"
		values[k] = v
		t.Setenv(k, v)
	}
	getenv := secretsOutOfEnvironment()
	for k, v := range values {
		if got := getenv(k); got != v {
			t.Fatalf("getenv(%s) = %q after the scrub", k, got)
		}
	}
	dir := t.TempDir()
	dump := filepath.Join(dir, "env")
	script := "#!/bin/sh\nenv > " + dump + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+"/bin"+string(os.PathListSeparator)+"/usr/bin")
	t.Setenv("DISPLAY", ":0")
	if err := bridge.NewBrowserOpener().Open("http://localhost:1/"); err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(env), "DISPLAY=:0") {
		t.Fatalf("the fake browser's environment was not dumped:\n%s", env)
	}
	for k, v := range values {
		if strings.Contains(string(env), k+"=") || strings.Contains(string(env), v) {
			t.Errorf("the browser inherited %s", k)
		}
	}
}

// TestNewFactoryTakesTheSecretsOutOfTheEnvironment: the Factory of the real
// process takes every secret variable out of the process environment (so
// that no child process inherits it) and still answers each one through
// its getenv; a variable that is no secret stays where it was.
func TestNewFactoryTakesTheSecretsOutOfTheEnvironment(t *testing.T) {
	secrets := map[string]string{
		"GATEWALK_SECRET":             "secret-value-a-0123456789",
		"GATEWALK_API_SECRET":         "secret-value-b-0123456789",
		"GATEWALK_SANDBOX_SECRET":     "secret-value-c-0123456789",
		"GATEWALK_SANDBOX_API_SECRET": "secret-value-d-0123456789",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	t.Setenv("GATEWALK_PROFILE", "kept")
	c := NewFactory("test")
	for k, v := range secrets {
		if got, ok := os.LookupEnv(k); ok {
			t.Errorf("%s is still in the process environment (%q)", k, got)
		}
		if got := c.getenv(k); got != v {
			t.Errorf("the factory's getenv(%s) = %q, want %q", k, got, v)
		}
	}
	if got, ok := os.LookupEnv("GATEWALK_PROFILE"); !ok || got != "kept" {
		t.Errorf("GATEWALK_PROFILE, no secret, was taken out: %q, %v", got, ok)
	}
	if got := c.getenv("GATEWALK_PROFILE"); got != "kept" {
		t.Errorf("the factory's getenv(GATEWALK_PROFILE) = %q", got)
	}
}
