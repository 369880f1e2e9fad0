package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestProfileSDKConfig: --sdk-config sets the config the SDK page gives
// new scDK, profile show prints it (and the default built from amo and
// leprechaun), a value that is not a JSON object is a usage error naming
// the flag, and --sdk-config "" restores the default.
func TestProfileSDKConfig(t *testing.T) {
	p := newProfileEnv(t)
	addStaging(t, p)
	code, out, _ := p.run(t, "", nil, "profile", "show", "staging")
	if code != 0 || !strings.Contains(out, `SDK config:  {"amo":false,"isLeprechaun":true,"leprechaunEnabled":true} (built from AMO and leprechaun`) {
		t.Fatalf("show, default: exit %d\n%s", code, out)
	}
	code, _, errb := p.run(t, "", nil, "profile", "edit", "staging", "--sdk-config", `[1,2]`)
	if code != exitUsage || !strings.Contains(errb, "--sdk-config") || !strings.Contains(errb, "JSON object") {
		t.Fatalf("a list: exit %d\n%s", code, errb)
	}
	if code, _, errb := p.run(t, "", nil, "profile", "edit", "staging", "--sdk-config", ` {"amo": true, "isLeprechaun": true} `); code != 0 {
		t.Fatalf("edit: exit %d\n%s", code, errb)
	}
	code, out, _ = p.run(t, "", nil, "profile", "show", "staging", "--json")
	var v struct {
		SDKConfig    json.RawMessage `json:"sdkConfig"`
		SDKConfigSet bool            `json:"sdkConfigSet"`
	}
	var compact bytes.Buffer
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || json.Compact(&compact, v.SDKConfig) != nil ||
		compact.String() != `{"amo":true,"isLeprechaun":true}` || !v.SDKConfigSet {
		t.Fatalf("show --json after edit: exit %d\n%s", code, out)
	}
	if code, _, _ := p.run(t, "", nil, "profile", "edit", "staging", "--sdk-config", ""); code != 0 {
		t.Fatal("--sdk-config \"\" refused")
	}
	if _, out, _ := p.run(t, "", nil, "profile", "show", "staging"); !strings.Contains(out, "built from AMO and leprechaun") {
		t.Fatalf("--sdk-config \"\" did not restore the default:\n%s", out)
	}

}
