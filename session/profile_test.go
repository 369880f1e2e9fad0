package session

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gatewalk/gateway"
)

func TestBuiltinSandboxProfile(t *testing.T) {
	s := openTestStore(t)
	ps, err := s.Profiles()
	if err != nil {
		t.Fatal(err)
	}
	want := Profile{Name: "sandbox", Env: gateway.EnvSandbox, Gateway: "gatewaydemo",
		Secret: "gatewayDemo_secret", APISecret: "gatewayDemo_secret", Leprechaun: true}
	if len(ps) != 1 || !reflect.DeepEqual(ps[0], want) || !ps[0].Builtin() {
		t.Fatalf("profiles of an empty store: %+v", ps)
	}
	if name, err := s.ActiveName(); err != nil || name != "sandbox" {
		t.Fatalf("active of an empty store: %q %v", name, err)
	}
	if p, err := s.Profile(""); err != nil || p.Name != "sandbox" || p.CallbackPort != 0 || p.APIURL != "" || p.SDKURL != "" {
		t.Fatalf("Profile(\"\"): %+v %v", p, err)
	}
	if err := s.RemoveProfile("sandbox"); err == nil || !strings.Contains(err.Error(), "built-in") {
		t.Fatalf("removing sandbox: %v", err)
	}
	bad := BuiltinProfile()
	bad.Gateway = "other"
	if err := s.SaveProfile(bad); err == nil || !strings.Contains(err.Error(), "built-in") {
		t.Fatalf("replacing sandbox: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), profilesFile)); !os.IsNotExist(err) {
		t.Fatalf("refused changes wrote a file: %v", err)
	}
	if k := BuiltinProfile().Keys(nil); len(k.Missing()) != 0 {
		t.Fatalf("the sandbox profile needs keys: %v", k.Missing())
	}
}

func TestProfileLifecycle(t *testing.T) {
	s := openTestStore(t)
	p := stagingProfile()
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	got, err := s.Profile("staging")
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedAt.IsZero() || !got.CreatedAt.Equal(got.UpdatedAt) {
		t.Errorf("stamps: created %v updated %v", got.CreatedAt, got.UpdatedAt)
	}
	created, updated := got.CreatedAt, got.UpdatedAt
	got.CreatedAt, got.UpdatedAt = p.CreatedAt, p.UpdatedAt
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, p)
	}
	if got.ResolvedAPIURL() != "https://gatewayapi-stag.smallcase.com" || got.ResolvedSDKURL() != gateway.ProductionSDKURL {
		t.Errorf("preset URLs: %s %s", got.ResolvedAPIURL(), got.ResolvedSDKURL())
	}
	if got.CallbackOrigin() != "http://localhost:8421" {
		t.Errorf("origin %q", got.CallbackOrigin())
	}
	if name, _ := s.ActiveName(); name != "sandbox" {
		t.Fatalf("adding a profile made it active: %s", name)
	}
	if err := s.UseProfile("staging"); err != nil {
		t.Fatal(err)
	}
	if name, _ := s.ActiveName(); name != "staging" {
		t.Fatalf("active after use: %s", name)
	}
	if cur, _ := s.Profile(""); cur.Name != "staging" {
		t.Fatalf("Profile(\"\") after use: %s", cur.Name)
	}
	// Editing keeps the creation time and the active choice.
	edited := got
	edited.APIURL = "http://127.0.0.1:9999/api"
	if err := s.SaveProfile(edited); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Profile("staging")
	if !again.CreatedAt.Equal(created) || !again.UpdatedAt.After(updated) || again.ResolvedAPIURL() != "http://127.0.0.1:9999/api" {
		t.Errorf("after edit: %+v", again)
	}
	if err := s.UseProfile("nope"); !errors.Is(err, ErrProfileNotFound) || !strings.Contains(err.Error(), "gatewalk profile list") {
		t.Fatalf("use of a missing profile: %v", err)
	}
	if err := s.SaveUser("staging", User{Label: "alice", SmallcaseAuthID: "5f0321b5f3743c31d95abd35"}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHistory("staging", HistoryEntry{TransactionID: "TRX_1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveProfile("staging"); err != nil {
		t.Fatal(err)
	}
	if name, _ := s.ActiveName(); name != "sandbox" {
		t.Fatalf("active after removing the active profile: %s", name)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), historyFileName("staging"))); !os.IsNotExist(err) {
		t.Errorf("history of a removed profile kept: %v", err)
	}
	// A profile added again under the same name starts with no users.
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if us, err := s.Users("staging"); err != nil || len(us) != 0 {
		t.Fatalf("users of a re-added profile: %v %v", us, err)
	}
	if err := s.RemoveProfile("gone"); !errors.Is(err, ErrProfileNotFound) {
		t.Fatalf("removing a missing profile: %v", err)
	}
}

func TestSaveProfileValidation(t *testing.T) {
	for _, tc := range []struct {
		field  string
		change func(*Profile)
		hint   string
	}{
		{"name", func(p *Profile) { p.Name = "Staging" }, "lower-case"},
		{"name", func(p *Profile) { p.Name = "" }, "profile name"},
		{"name", func(p *Profile) { p.Name = "a/b" }, "profile name"},
		{"env", func(p *Profile) { p.Env = "prod" }, "development, production, sandbox, staging"},
		{"gateway", func(p *Profile) { p.Gateway = "Acme Broking" }, "lower-case"},
		{"gateway", func(p *Profile) { p.Gateway = "" }, "gateway name"},
		{"callbackPort", func(p *Profile) { p.CallbackPort = 0 }, "whitelist http://localhost:PORT"},
		{"callbackPort", func(p *Profile) { p.CallbackPort = 80 }, "1024-65535"},
		{"callbackPort", func(p *Profile) { p.CallbackPort = 70000 }, "1024-65535"},
		{"apiUrl", func(p *Profile) { p.APIURL = "gatewayapi.smallcase.com" }, "http(s) URL"},
		{"sdkUrl", func(p *Profile) { p.SDKURL = "ftp://x/scdk.js" }, "http(s) URL"},
		{"sdkUrl", func(p *Profile) { p.SDKURL = "http://%zz" }, "http(s) URL"},
		{"secret", func(p *Profile) { p.APISecret = "" }, "apiSecret"},
		{"brokers", func(p *Profile) { p.Brokers = []string{"ki te"} }, "broker name"},
	} {
		t.Run(tc.field+"/"+tc.hint, func(t *testing.T) {
			s := openTestStore(t)
			p := stagingProfile()
			tc.change(&p)
			err := s.SaveProfile(p)
			var ve *gateway.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || !strings.Contains(err.Error(), tc.hint) {
				t.Fatalf("SaveProfile: %v, want a %s error mentioning %q", err, tc.field, tc.hint)
			}
			if ps, _ := s.Profiles(); len(ps) != 1 {
				t.Fatalf("an invalid profile was saved: %v", ps)
			}
		})
	}
	// A sandbox-environment profile needs neither keys nor a fixed port.
	s := openTestStore(t)
	if err := s.SaveProfile(Profile{Name: "sandbox-b", Env: gateway.EnvSandbox, Gateway: "gatewaydemo"}); err != nil {
		t.Fatalf("sandbox env profile: %v", err)
	}
	p := stagingProfile()
	p.Brokers = []string{" Kite", "kite", "", "hdfc"}
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Profile(p.Name); !reflect.DeepEqual(got.Brokers, []string{"kite", "hdfc"}) {
		t.Errorf("brokers not normalised: %q", got.Brokers)
	}
}

func TestKeysEnvironmentOverrides(t *testing.T) {
	s := openTestStore(t)
	p := stagingProfile()
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	stored, _ := s.Profile(p.Name)
	for _, tc := range []struct {
		env               map[string]string
		secret, apiSecret string
		fromEnv           [2]bool
	}{
		{nil, p.Secret, p.APISecret, [2]bool{}},
		{map[string]string{"GATEWALK_SECRET": "env-jwt"}, "env-jwt", p.APISecret, [2]bool{true, false}},
		{map[string]string{"GATEWALK_API_SECRET": "env-api"}, p.Secret, "env-api", [2]bool{false, true}},
		{map[string]string{"GATEWALK_SECRET": "env-jwt", "GATEWALK_API_SECRET": "env-api"}, "env-jwt", "env-api", [2]bool{true, true}},
	} {
		t.Setenv("GATEWALK_SECRET", tc.env["GATEWALK_SECRET"])
		t.Setenv("GATEWALK_API_SECRET", tc.env["GATEWALK_API_SECRET"])
		k := stored.Keys(os.Getenv)
		if k.Secret != tc.secret || k.APISecret != tc.apiSecret || k.SecretFromEnv != tc.fromEnv[0] || k.APISecretFromEnv != tc.fromEnv[1] {
			t.Errorf("env %v: keys %+v", tc.env, k)
		}
	}
	// Overrides are for the run only: the stored keys are unchanged.
	if again, _ := s.Profile(p.Name); again.Secret != p.Secret || again.APISecret != p.APISecret {
		t.Fatal("an override reached the file")
	}
	// A sandbox-environment profile without keys gets the override too.
	if k := (Profile{Env: gateway.EnvSandbox}).Keys(func(string) string { return "" }); !reflect.DeepEqual(k.Missing(), []string{"secret", "apiSecret"}) {
		t.Errorf("missing: %v", k.Missing())
	}
}

func TestRedactedMasksSecrets(t *testing.T) {
	p := stagingProfile()
	r := p.Redacted()
	if r.Secret != "stag••••" || r.APISecret != "stag••••" {
		t.Fatalf("redacted: %q %q", r.Secret, r.APISecret)
	}
	if p.Secret == r.Secret {
		t.Fatal("Redacted changed the original")
	}
}

func TestAddProfileRefusesAnExistingName(t *testing.T) {
	s := openTestStore(t)
	p := stagingProfile()
	if err := s.AddProfile(p); err != nil {
		t.Fatal(err)
	}
	p2 := p
	p2.Gateway = "other"
	if err := s.AddProfile(p2); !errors.Is(err, ErrProfileExists) || !strings.Contains(err.Error(), "gatewalk profile edit staging") {
		t.Fatalf("adding twice: %v", err)
	}
	if got, _ := s.Profile("staging"); got.Gateway != p.Gateway {
		t.Fatalf("refused add changed the profile: %+v", got)
	}
	if err := s.AddProfile(BuiltinProfile()); err == nil {
		t.Fatal("added the built-in name")
	}
}

// TestInvalidProfilesFileIsRefusedOnLoad: a profiles.json that parses but
// holds what SaveProfile would never write is reported with the file, the
// profile and the field, and left as it is.
func TestInvalidProfilesFileIsRefusedOnLoad(t *testing.T) {
	const good = `{"name":"stg","env":"staging","gateway":"acme","secret":"s3cr3t","apiSecret":"api-s3cr3t","callbackPort":8421}`
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"bad env", `{"version":1,"profiles":[` + strings.Replace(good, `"staging"`, `"bogus"`, 1) + `]}`,
			[]string{`profile "stg"`, "field env", `"bogus" is not an environment`}},
		{"port out of range", `{"version":1,"profiles":[` + strings.Replace(good, "8421", "99999", 1) + `]}`,
			[]string{`profile "stg"`, "field callbackPort", "99999 is out of range"}},
		{"no port for staging", `{"version":1,"profiles":[` + strings.Replace(good, `,"callbackPort":8421`, "", 1) + `]}`,
			[]string{`profile "stg"`, "field callbackPort", "is required"}},
		{"bad api url", `{"version":1,"profiles":[` + strings.Replace(good, `"callbackPort"`, `"apiUrl":"ftp://x","callbackPort"`, 1) + `]}`,
			[]string{`profile "stg"`, "field apiUrl"}},
		{"duplicate name", `{"version":1,"profiles":[` + good + `,` + good + `]}`,
			[]string{`profile "stg" appears twice`, "entries 1 and 2", "field name"}},
		{"active missing", `{"version":1,"active":"ghost","profiles":[` + good + `]}`,
			[]string{"field active", `"ghost" is not a profile`}},
		{"built-in name stored", `{"version":1,"profiles":[` + strings.Replace(good, `"stg"`, `"sandbox"`, 1) + `]}`,
			[]string{`profile "sandbox"`, "built-in"}},
		{"bad name", `{"version":1,"profiles":[` + strings.Replace(good, `"stg"`, `"Stg Env"`, 1) + `]}`,
			[]string{`profile "Stg Env"`, "field name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestStore(t)
			path := filepath.Join(s.Dir(), profilesFile)
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			calls := map[string]func() error{
				"Profiles":    func() error { _, err := s.Profiles(); return err },
				"Profile":     func() error { _, err := s.Profile("stg"); return err },
				"ActiveName":  func() error { _, err := s.ActiveName(); return err },
				"UseProfile":  func() error { return s.UseProfile("sandbox") },
				"SaveProfile": func() error { return s.SaveProfile(stagingProfile()) },
			}
			for name, call := range calls {
				err := call()
				var ce *CorruptFileError
				if !errors.As(err, &ce) || !ce.Invalid {
					t.Fatalf("%s: %v, want an invalid-file error", name, err)
				}
				msg := err.Error()
				for _, w := range append([]string{path + " is not valid", "has not changed it", "correct that field",
					"mv " + path + " " + path + ".broken"}, tc.want...) {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: error lacks %q:\n%s", name, w, msg)
					}
				}
				if strings.Contains(msg, "s3cr3t") {
					t.Errorf("%s: error shows a key: %s", name, msg)
				}
			}
			if b, _ := os.ReadFile(path); string(b) != tc.body {
				t.Errorf("the file was rewritten: %s", b)
			}
		})
	}
}

// TestStoredProfileWithoutKeysLoads: keys may come from the environment, so
// a profile stored without them is valid on load; commands that need them
// say they are missing.
func TestStoredProfileWithoutKeysLoads(t *testing.T) {
	s := openTestStore(t)
	body := `{"version":1,"active":"stg","profiles":[{"name":"stg","env":"staging","gateway":"acme","callbackPort":8421}]}`
	if err := os.WriteFile(filepath.Join(s.Dir(), profilesFile), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := s.Profile("")
	if err != nil || p.Name != "stg" {
		t.Fatalf("Profile: %+v %v", p, err)
	}
	if m := p.Keys(nil).Missing(); len(m) != 2 {
		t.Errorf("missing keys %v", m)
	}
}

func TestUnknownBrokers(t *testing.T) {
	got := UnknownBrokers([]string{"kite", "KITE-leprechaun", "hdfcpbg", "nosuchbroker", "foo-leprechaun", "groww", "angelbroking", "motilal-leprechaun"})
	if strings.Join(got, ",") != "nosuchbroker,foo-leprechaun" {
		t.Errorf("UnknownBrokers = %q", got)
	}
	if got := UnknownBrokers(nil); got != nil {
		t.Errorf("UnknownBrokers(nil) = %q", got)
	}
}

// TestUpdateProfileKeepsAChangeMadeMeanwhile: an edit applies its change to
// the profile as stored under the lock, so what another store (another
// process) saved since it was read is kept.
func TestUpdateProfileKeepsAChangeMadeMeanwhile(t *testing.T) {
	a := openTestStore(t)
	b, _, err := OpenStore(a.Dir())
	if err != nil {
		t.Fatal(err)
	}
	p := Profile{Name: "stg", Env: gateway.EnvStaging, Gateway: "acme", Secret: "secret-value-0001", APISecret: "api-secret-value-0001", CallbackPort: 8421}
	if err := a.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	// b changes the keys while a's edit (of the port) is being prepared.
	q, _ := b.Profile("stg")
	q.Secret, q.APISecret = "secret-value-0002", "api-secret-value-0002"
	if err := b.SaveProfile(q); err != nil {
		t.Fatal(err)
	}
	got, err := a.UpdateProfile("stg", func(p *Profile) error { p.CallbackPort = 8422; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got.CallbackPort != 8422 || got.Secret != "secret-value-0002" || got.APISecret != "api-secret-value-0002" {
		t.Fatalf("after the edit: %+v", got.Redacted())
	}
	if _, err := a.UpdateProfile("stg", func(p *Profile) error { p.CallbackPort = 80; return nil }); err == nil {
		t.Fatal("an invalid edit was saved")
	}
	if p, _ := a.Profile("stg"); p.CallbackPort != 8422 {
		t.Fatalf("a refused edit changed the profile: port %d", p.CallbackPort)
	}
	if _, err := a.UpdateProfile("nosuch", func(*Profile) error { return nil }); !errors.Is(err, ErrProfileNotFound) {
		t.Fatalf("unknown profile: %v", err)
	}
}

func TestRemoveProfileCheckedRefusesUsersUnderTheLock(t *testing.T) {
	s := openTestStore(t)
	p := Profile{Name: "stg", Env: gateway.EnvStaging, Gateway: "acme", Secret: "secret-value-0001", APISecret: "api-secret-value-0001", CallbackPort: 8421}
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveUser("stg", User{Label: "alice", SmallcaseAuthID: "5f0321b5f3743c31d95abd35"}, false); err != nil {
		t.Fatal(err)
	}
	var has *ProfileHasUsersError
	if _, err := s.RemoveProfileChecked("stg", false); !errors.As(err, &has) || has.Users != 1 {
		t.Fatalf("remove without allowing users: %v", err)
	}
	if _, err := s.Profile("stg"); err != nil {
		t.Fatalf("the refused removal removed the profile: %v", err)
	}
	if n, err := s.RemoveProfileChecked("stg", true); err != nil || n != 1 {
		t.Fatalf("remove with users allowed: %d %v", n, err)
	}
}

func TestResolveProfileName(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == ProfileEnv {
				return v
			}
			return ""
		}
	}
	cases := []struct {
		flag, env string
		want      string
		src       ProfileSource
	}{
		{"staging", "prod", "staging", FromFlag},
		{"", "prod", "prod", FromEnv},
		{"", "", "", FromActive},
	}
	for _, tc := range cases {
		if got, src := ResolveProfileName(tc.flag, env(tc.env)); got != tc.want || src != tc.src {
			t.Errorf("ResolveProfileName(%q, env %q) = %q, %v; want %q, %v", tc.flag, tc.env, got, src, tc.want, tc.src)
		}
	}
	st, _, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, src, err := st.ResolveProfile("", env("nowhere")); !errors.Is(err, ErrProfileNotFound) || src != FromEnv {
		t.Fatalf("unknown $%s: %v, %v", ProfileEnv, src, err)
	}
	if p, src, err := st.ResolveProfile("", nil); err != nil || !p.Builtin() || src != FromActive {
		t.Fatalf("active: %+v %v %v", p, src, err)
	}
}

// TestSDKConfig: the config the page gives new scDK is the profile's own
// when set, else amo and, in leprechaun mode, both flags integrators send.
func TestSDKConfig(t *testing.T) {
	p := Profile{AMO: true, Leprechaun: true}
	if got := p.SDKConfigJSON(); got != `{"amo":true,"isLeprechaun":true,"leprechaunEnabled":true}` {
		t.Errorf("default with leprechaun: %s", got)
	}
	if got := (Profile{}).SDKConfigJSON(); got != `{"amo":false}` {
		t.Errorf("default without: %s", got)
	}
	p.SDKConfig = `{"isLeprechaun":true}`
	if got := p.SDKConfigJSON(); got != `{"isLeprechaun":true}` {
		t.Errorf("set: %s", got)
	}
	for _, bad := range []string{`[1]`, `true`, `{"a":`, `null`, "{\"x\":\"" + strings.Repeat("y", 5000) + "\"}"} {
		if _, err := ParseSDKConfig(bad); err == nil {
			t.Errorf("%.20q accepted", bad)
		}
		q := BuiltinProfile()
		q.SDKConfig = bad
		if err := q.Validate(); err == nil {
			t.Errorf("a profile with sdkConfig %.20q validates", bad)
		}
	}
	if c, err := ParseSDKConfig(` { "amo" : true } `); err != nil || c != `{"amo":true}` {
		t.Errorf("compacted: %q %v", c, err)
	}
}
