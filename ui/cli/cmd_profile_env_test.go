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
