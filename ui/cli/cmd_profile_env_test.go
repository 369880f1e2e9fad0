package cli

import (
	"context"
	"strings"
	"testing"

	"gatewalk/gateway"
	"gatewalk/session"
)

// TestProfileListShowsEnvironmentAndLeprechaun: a staging profile in
// leprechaun mode lists both.
func TestProfileListShowsEnvironmentAndLeprechaun(t *testing.T) {
	dir := t.TempDir()
	st, _, err := session.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveProfile(session.Profile{Name: "stag", Env: gateway.EnvStaging, Gateway: "acmegw", Secret: "stagingsecretvalue",
		APISecret: "stagingapisecretvalue", CallbackPort: 8421, Leprechaun: true}); err != nil {
		t.Fatal(err)
	}
	c, out, errb := testCLI("", map[string]string{"GATEWALK_CONFIG_DIR": dir})
	if code := Main(context.Background(), c, []string{"profile", "list"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if !strings.Contains(out.String(), "staging · leprechaun") {
		t.Fatalf("profile list:\n%s", out)
	}
}

// TestHelpWritesFlagsWithTwoDashes: -h lists flags as --flag, as the
// README and the error messages write them.
func TestHelpWritesFlagsWithTwoDashes(t *testing.T) {
	c, out, _ := testCLI("", nil)
	if code := Main(context.Background(), c, []string{"order", "-h"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "\n  --buy value") || strings.Contains(out.String(), "\n  -buy") {
		t.Fatalf("order -h:\n%s", out)
	}
}

// TestTokenInspectNamesTheProfilesSecret: a token checked with a
// profile's secret says whose secret it was.
func TestTokenInspectNamesTheProfilesSecret(t *testing.T) {
	c, out, errb := testCLI("", nil)
	if code := Main(context.Background(), c, []string{"token", "inspect", docGuestToken}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if !strings.Contains(out.String(), "signed with profile sandbox's secret") {
		t.Fatalf("token inspect:\n%s", out)
	}
}

// TestProfileEditEmptyBrokersClears: --brokers "" clears the list.
func TestProfileEditEmptyBrokersClears(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"GATEWALK_CONFIG_DIR": dir}
	c, _, errb := testCLI("abcdefghijklmnop\nqrstuvwxyzabcdef\n", env)
	if code := Main(context.Background(), c, []string{"profile", "add", "st", "--env", "staging", "--gateway", "acmegw",
		"--callback-port", "8421", "--brokers", "kite,upstox", "--secrets-stdin"}); code != 0 {
		t.Fatalf("add: %d %s", code, errb)
	}
	c, _, errb = testCLI("", env)
	if code := Main(context.Background(), c, []string{"profile", "edit", "st", "--brokers", ""}); code != 0 {
		t.Fatalf("edit --brokers \"\": %d %s", code, errb)
	}
	st, _, err := session.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := st.Profile("st"); err != nil || len(p.Brokers) != 0 {
		t.Fatalf("brokers after --brokers \"\": %v %v", p.Brokers, err)
	}
}
