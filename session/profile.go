package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gatewalk/gateway"
)

// The built-in sandbox profile. Its keys are those of smallcase's public demo
// gateway, published in the docs; they are not confidential.
const (
	BuiltinProfileName = "sandbox"
	DemoGateway        = "gatewaydemo"
	DemoSecret         = "gatewayDemo_secret"
)

// Environment variables that override a profile's keys for one run.
const (
	EnvSecret    = "GATEWALK_SECRET"
	EnvAPISecret = "GATEWALK_API_SECRET"
)

// ErrProfileNotFound is wrapped by errors about a profile that does not exist.
var ErrProfileNotFound = errors.New("no such profile")

// Profile is one Gateway the operator integrates with: where it is, its
// keys, and how the browser page reaches the web SDK.
type Profile struct {
	Name    string              `json:"name"`
	Env     gateway.Environment `json:"env"`
	Gateway string              `json:"gateway"`
	// Secret signs smallcaseAuthTokens (HS256); APISecret is sent as
	// x-gateway-secret. Use Keys to honour the environment overrides.
	Secret    string `json:"secret,omitempty"`
	APISecret string `json:"apiSecret,omitempty"`
	// SecretStore is where the secrets are kept: SecretsInKeyring (the
	// file then holds none), SecretsInFile, or "" (the file; profiles saved
	// before the keyring). Given to SaveProfile, it asks for a place: ""
	// means the keyring when the process has one.
	SecretStore SecretStore `json:"secretStore,omitempty"`
	// APIURL and SDKURL override the environment's preset when set; see
	// ResolvedAPIURL and ResolvedSDKURL.
	APIURL string `json:"apiUrl,omitempty"`
	SDKURL string `json:"sdkUrl,omitempty"`
	// CallbackPort is the localhost port of the browser page. The Gateway
	// runs the web SDK only on whitelisted origins, so real environments need
	// a fixed, whitelisted port; 0 (sandbox only) means any free port.
	CallbackPort int      `json:"callbackPort,omitempty"`
	Leprechaun   bool     `json:"leprechaun,omitempty"`
	AMO          bool     `json:"amo,omitempty"`
	Brokers      []string `json:"brokers,omitempty"`
	// SDKConfig, when set, is the config given to new scDK({config}) as a
	// JSON object, as it is sent; empty means the one SDKConfigJSON builds
	// from AMO and Leprechaun.
	SDKConfig string `json:"sdkConfig,omitempty"`
	// CreatedAt and UpdatedAt are stamped by SaveProfile.
	CreatedAt time.Time `json:"createdAt,omitzero"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// BuiltinProfile returns the built-in sandbox profile: the embedded sandbox,
// the public demo gateway and its keys, any free callback port, leprechaun.
// Its URLs are empty: the embedded sandbox fills them in when it listens.
func BuiltinProfile() Profile {
	return Profile{
		Name: BuiltinProfileName, Env: gateway.EnvSandbox, Gateway: DemoGateway,
		Secret: DemoSecret, APISecret: DemoSecret, Leprechaun: true,
	}
}

// Builtin reports whether p is the built-in sandbox profile.
func (p Profile) Builtin() bool { return p.Name == BuiltinProfileName }

// Keys are a profile's secrets for one run, after environment overrides.
type Keys struct {
	Secret    string
	APISecret string
	// SecretFromEnv and APISecretFromEnv report an override by
	// GATEWALK_SECRET or GATEWALK_API_SECRET.
	SecretFromEnv    bool
	APISecretFromEnv bool
}

// Missing names the keys that are empty ("secret", "apiSecret").
func (k Keys) Missing() []string {
	var m []string
	if k.Secret == "" {
		m = append(m, "secret")
	}
	if k.APISecret == "" {
		m = append(m, "apiSecret")
	}
	return m
}

// Keys returns p's secrets with GATEWALK_SECRET and GATEWALK_API_SECRET
// (read through getenv; nil means no overrides) taking precedence.
func (p Profile) Keys(getenv func(string) string) Keys {
	k := Keys{Secret: p.Secret, APISecret: p.APISecret}
	if getenv != nil {
		if v := getenv(EnvSecret); v != "" {
			k.Secret, k.SecretFromEnv = v, true
		}
		if v := getenv(EnvAPISecret); v != "" {
			k.APISecret, k.APISecretFromEnv = v, true
		}
	}
	return k
}

// Redacted returns a copy of p whose secrets are masked (first four
// characters), for display.
func (p Profile) Redacted() Profile {
	p.Secret = gateway.MaskSecret(p.Secret)
	p.APISecret = gateway.MaskSecret(p.APISecret)
	p.Brokers = slices.Clone(p.Brokers)
	return p
}

// ResolvedAPIURL is the API base URL: the override, else the environment's
// preset ("" for the sandbox until it listens).
func (p Profile) ResolvedAPIURL() string {
	if p.APIURL != "" {
		return p.APIURL
	}
	pr, _ := gateway.PresetFor(p.Env)
	return pr.APIURL
}

// ResolvedSDKURL is the web SDK script URL: the override, else the preset.
func (p Profile) ResolvedSDKURL() string {
	if p.SDKURL != "" {
		return p.SDKURL
	}
	pr, _ := gateway.PresetFor(p.Env)
	return pr.SDKURL
}

// CallbackOrigin is the origin of the browser page, such as
// http://localhost:8080, or "" when any free port will do.
func (p Profile) CallbackOrigin() string {
	if p.CallbackPort == 0 {
		return ""
	}
	return fmt.Sprintf("http://localhost:%d", p.CallbackPort)
}

var (
	profileNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	brokerNameRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
)

// Validate checks p as SaveProfile does. It returns a *gateway.ValidationError
// whose Field is the JSON name of the field.
// SDKConfigJSON is the config the SDK page gives new scDK({config}): the
// profile's SDKConfig when set, else {"amo": AMO} plus, with leprechaun
// mode, both flags integrators are seen sending for it on web
// ("isLeprechaun" and "leprechaunEnabled": the web SDK documents none).
func (p Profile) SDKConfigJSON() string {
	if c := strings.TrimSpace(p.SDKConfig); c != "" {
		return c
	}
	c := map[string]bool{"amo": p.AMO}
	if p.Leprechaun {
		c["isLeprechaun"], c["leprechaunEnabled"] = true, true
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// ParseSDKConfig checks an SDK config: a JSON object, at most 4 KiB. It
// returns it compacted.
func ParseSDKConfig(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 4096 {
		return "", fmt.Errorf("is %d bytes, at most 4096", len(s))
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil || v == nil {
		return "", fmt.Errorf("%q is not a JSON object such as {\"amo\":true,\"isLeprechaun\":true}", s)
	}
	b, _ := json.Marshal(v)
	return string(b), nil
}

func (p Profile) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &gateway.ValidationError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if !profileNameRe.MatchString(p.Name) {
		return bad("name", "%q is not a profile name: use 1-40 lower-case letters, digits, - or _, starting with a letter or digit (e.g. staging, prod-keys)", p.Name)
	}
	if _, err := gateway.PresetFor(p.Env); err != nil {
		return bad("env", "%q is not an environment: want one of %s", p.Env, strings.Join(gateway.EnvironmentNames(), ", "))
	}
	if err := gateway.ValidateGatewayName(p.Gateway); err != nil {
		return bad("gateway", "%v; it is the name smallcase gave your gateway", err)
	}
	if p.Env != gateway.EnvSandbox {
		if p.CallbackPort == 0 {
			return bad("callbackPort", "is required for %s: the Gateway runs the web SDK only on origins it has whitelisted, "+
				"so pick a port from 1024 to 65535 and ask smallcase to whitelist http://localhost:PORT for gateway %q", p.Env, p.Gateway)
		}
		if p.Secret == "" || p.APISecret == "" {
			return bad("secret", "%s needs both the secret and the apiSecret smallcase issued for gateway %q", p.Env, p.Gateway)
		}
	}
	if p.CallbackPort != 0 && (p.CallbackPort < 1024 || p.CallbackPort > 65535) {
		return bad("callbackPort", "%d is out of range: want 1024-65535 (the port smallcase whitelisted as http://localhost:PORT)", p.CallbackPort)
	}
	for _, f := range []struct{ field, val string }{{"apiUrl", p.APIURL}, {"sdkUrl", p.SDKURL}} {
		if f.val == "" {
			continue
		}
		u, err := url.Parse(f.val)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad(f.field, "%q is not an http(s) URL such as https://gatewayapi.smallcase.com", f.val)
		}
	}
	if p.SDKConfig != "" {
		if _, err := ParseSDKConfig(p.SDKConfig); err != nil {
			return bad("sdkConfig", "%v", err)
		}
	}
	switch p.SecretStore {
	case "", SecretsInFile, SecretsInKeyring:
	default:
		return bad("secretStore", "%q is not where keys are kept: want %q or %q", p.SecretStore, SecretsInKeyring, SecretsInFile)
	}
	for _, b := range p.Brokers {
		if !brokerNameRe.MatchString(b) {
			return bad("brokers", "%q is not a broker name: use the lower-case broker ids (e.g. kite, hdfc, kite-leprechaun)", b)
		}
	}
	return nil
}

// knownBrokers are the broker ids the Gateway is known to use.
var knownBrokers = []string{"aliceblue", "angelbroking", "axis", "dhan", "edel", "edelweiss", "fisdom", "fivepaisa",
	"fundzbazar", "groww", "hdfc", "hdfcpbg", "icici", "iifl", "kite", "kotak", "motilal", "trustline", "upstox"}

// KnownBrokers returns a copy of the broker ids the Gateway is known to
// use, in alphabetical order. The Gateway publishes no authoritative list,
// so an id outside it is worth a warning, not a refusal. Each may carry the
// LeprechaunSuffix.
func KnownBrokers() []string { return slices.Clone(knownBrokers) }

// LeprechaunSuffix marks a broker id as its leprechaun (test) variant.
const LeprechaunSuffix = "-leprechaun"

// UnknownBrokers returns the ids of brokers that are not KnownBrokers (with or
// without LeprechaunSuffix), in order.
func UnknownBrokers(ids []string) []string {
	var out []string
	for _, id := range ids {
		base := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(id)), LeprechaunSuffix)
		if base != "" && !slices.Contains(knownBrokers, base) {
			out = append(out, id)
		}
	}
	return out
}

// profilesDoc is profiles.json, the only file that holds secrets.
type profilesDoc struct {
	Version  int       `json:"version"`
	Active   string    `json:"active,omitempty"`
	Profiles []Profile `json:"profiles"`

	// extra and profileExtra are the keys of the file (and of each profile
	// object, by profile name) that this gatewalk does not know; the next
	// save writes them back as they were.
	extra        map[string]json.RawMessage
	profileExtra map[string]map[string]json.RawMessage
}

// rememberUnknown keeps the unknown keys of the file b and of its profiles.
func (d *profilesDoc) rememberUnknown(b []byte) {
	d.extra = unknownKeys(b, reflect.TypeFor[profilesDoc]())
	d.profileExtra = nil
	var raw struct {
		Profiles []json.RawMessage `json:"profiles"`
	}
	if json.Unmarshal(b, &raw) != nil {
		return
	}
	for i, pb := range raw.Profiles {
		if i >= len(d.Profiles) {
			break
		}
		if x := unknownKeys(pb, reflect.TypeFor[Profile]()); x != nil {
			if d.profileExtra == nil {
				d.profileExtra = map[string]map[string]json.RawMessage{}
			}
			d.profileExtra[d.Profiles[i].Name] = x
		}
	}
}

// MarshalJSON writes the document with the unknown keys it was read with.
func (d profilesDoc) MarshalJSON() ([]byte, error) {
	type plain profilesDoc // without this method
	b, err := json.Marshal(plain(d))
	if err != nil || (len(d.extra) == 0 && len(d.profileExtra) == 0) {
		return b, err
	}
	if len(d.profileExtra) > 0 {
		ps := make([]json.RawMessage, len(d.Profiles))
		for i, p := range d.Profiles {
			pb, err := json.Marshal(p)
			if err != nil {
				return nil, err
			}
			if ps[i], err = withUnknown(pb, d.profileExtra[p.Name]); err != nil {
				return nil, err
			}
		}
		pb, err := json.Marshal(ps)
		if err != nil {
			return nil, err
		}
		if b, err = replaceKey(b, "profiles", pb); err != nil {
			return nil, err
		}
	}
	return withUnknown(b, d.extra)
}

const (
	profilesLoses = "the profiles you added and their keys (the built-in sandbox profile is always there; " +
		"local users and history are in other files and stay)"
	profilesRecovers = "every command works again with the built-in sandbox profile (`gatewalk profile list` shows the profiles)"
)

// loadProfiles reads profiles.json and checks it as SaveProfile would have
// written it. A file that does not hold up is reported, never rewritten.
func (s *Store) loadProfiles() (profilesDoc, error) {
	var d profilesDoc
	exists, cached, fi, err := s.load(profilesFile, profilesLoses, profilesRecovers, &d)
	if err != nil || !exists || cached {
		return d, err
	}
	if err := d.validate(); err != nil {
		return d, &CorruptFileError{Path: filepath.Join(s.dir, profilesFile), Err: err,
			Loses: profilesLoses, Recovers: profilesRecovers, Invalid: true}
	}
	s.keepDoc(profilesFile, fi, d.snapshot())
	return d, nil
}

// snapshot is a deep copy of the document.
func (d profilesDoc) snapshot() any {
	c := d
	c.Profiles = slices.Clone(d.Profiles)
	for i := range c.Profiles {
		c.Profiles[i].Brokers = slices.Clone(c.Profiles[i].Brokers)
	}
	c.extra = maps.Clone(d.extra)
	c.profileExtra = maps.Clone(d.profileExtra)
	return c
}

func (d *profilesDoc) schemaVersion() int { return d.Version }

// restore sets the document to a deep copy of a snapshot.
func (d *profilesDoc) restore(doc any) { *d = doc.(profilesDoc).snapshot().(profilesDoc) }

// validate checks a profiles.json read from disk: every profile valid (keys
// may be missing: they can come from the environment, and commands that need
// them say so), names unique and not the built-in one, active a profile.
func (d profilesDoc) validate() error {
	seen := map[string]int{}
	for i, p := range d.Profiles {
		where := fmt.Sprintf("profile %q (entry %d of \"profiles\")", p.Name, i+1)
		if p.Name == BuiltinProfileName {
			return fmt.Errorf("%s: field name: %q is the built-in profile, which is not stored; rename this entry "+
				"(e.g. sandbox-2) or delete it", where, BuiltinProfileName)
		}
		probe := p
		if probe.Secret == "" {
			probe.Secret = "unset"
		}
		if probe.APISecret == "" {
			probe.APISecret = "unset"
		}
		if err := probe.Validate(); err != nil {
			var ve *gateway.ValidationError
			if errors.As(err, &ve) {
				return fmt.Errorf("%s: field %s: %s", where, ve.Field, ve.Problem)
			}
			return fmt.Errorf("%s: %w", where, err)
		}
		if j, dup := seen[p.Name]; dup {
			return fmt.Errorf("profile %q appears twice (entries %d and %d of \"profiles\"): field name: rename one or delete it",
				p.Name, j+1, i+1)
		}
		seen[p.Name] = i
	}
	if _, ok := seen[d.Active]; d.Active != "" && d.Active != BuiltinProfileName && !ok {
		return fmt.Errorf("field active: %q is not a profile in the file: set it to one of the names under \"profiles\", "+
			"or to \"sandbox\"", d.Active)
	}
	return nil
}

func (s *Store) saveProfiles(d profilesDoc) error {
	d.Version = SchemaVersion
	sort.Slice(d.Profiles, func(i, j int) bool { return d.Profiles[i].Name < d.Profiles[j].Name })
	return s.save(profilesFile, &d)
}

func (d profilesDoc) find(name string) (Profile, bool) {
	if name == BuiltinProfileName {
		return BuiltinProfile(), true
	}
	for _, p := range d.Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

func (d profilesDoc) activeName() string {
	if _, ok := d.find(d.Active); ok && d.Active != "" {
		return d.Active
	}
	return BuiltinProfileName
}

func notFoundProfile(name string) error {
	return fmt.Errorf("%w %q: `gatewalk profile list` shows the profiles, `gatewalk profile add` adds one", ErrProfileNotFound, name)
}

// Profiles lists the built-in sandbox profile first, then the others by name.
func (s *Store) Profiles() ([]Profile, error) {
	d, err := s.loadProfiles()
	if err != nil {
		return nil, err
	}
	out := []Profile{BuiltinProfile()}
	for _, p := range d.Profiles {
		if p.Name != BuiltinProfileName {
			_ = s.readSecrets(&p) // unreadable keys stay empty, with a warning
			out = append(out, p)
		}
	}
	sort.SliceStable(out[1:], func(i, j int) bool { return out[1+i].Name < out[1+j].Name })
	return out, nil
}

// Profile returns the named profile; "" means the active one.
func (s *Store) Profile(name string) (Profile, error) {
	d, err := s.loadProfiles()
	if err != nil {
		return Profile{}, err
	}
	if name == "" {
		name = d.activeName()
	}
	p, ok := d.find(name)
	if !ok {
		return Profile{}, notFoundProfile(name)
	}
	_ = s.readSecrets(&p) // unreadable keys stay empty, with a warning
	return p, nil
}

// ActiveName is the active profile's name: the one chosen with UseProfile,
// or the built-in sandbox when none is (or the chosen one was removed).
func (s *Store) ActiveName() (string, error) {
	d, err := s.loadProfiles()
	if err != nil {
		return "", err
	}
	return d.activeName(), nil
}

// SaveProfile validates p and adds it, or replaces the profile of that name.
// The built-in sandbox profile cannot be replaced.
func (s *Store) SaveProfile(p Profile) error { return s.putProfile(p, false) }

// AddProfile is SaveProfile for a new profile: a name already in use is
// refused with an error wrapping ErrProfileExists.
func (s *Store) AddProfile(p Profile) error { return s.putProfile(p, true) }

// ErrProfileExists is wrapped by AddProfile's error for a name in use.
var ErrProfileExists = errors.New("profile exists")

func (s *Store) putProfile(p Profile, onlyNew bool) error {
	if p.Builtin() {
		return &gateway.ValidationError{Field: "name", Problem: fmt.Sprintf("%q is the built-in profile and cannot be changed: "+
			"add a profile of another name with --env sandbox", BuiltinProfileName)}
	}
	p.Brokers = normaliseBrokers(p.Brokers)
	if err := p.Validate(); err != nil {
		return err
	}
	return s.change(func() error {
		d, err := s.loadProfiles()
		if err != nil {
			return err
		}
		now := s.now().UTC()
		p.UpdatedAt = now
		i := slices.IndexFunc(d.Profiles, func(q Profile) bool { return q.Name == p.Name })
		if i >= 0 && onlyNew {
			return fmt.Errorf("%w: %q is already a profile; `gatewalk profile edit %s` changes it", ErrProfileExists, p.Name, p.Name)
		}
		if i >= 0 {
			if p.CreatedAt.IsZero() {
				p.CreatedAt = d.Profiles[i].CreatedAt
			}
			old := d.Profiles[i]
			if s.readSecrets(&old) != nil && old.SecretStore == SecretsInKeyring && p.Secret == "" && p.APISecret == "" {
				d.Profiles[i] = p // the keys stay in the keyring that did not answer
				d.Profiles[i].SecretStore = SecretsInKeyring
			} else {
				d.Profiles[i] = s.placeSecrets(p, &old)
			}
		} else {
			if p.CreatedAt.IsZero() {
				p.CreatedAt = now
			}
			d.Profiles = append(d.Profiles, s.placeSecrets(p, nil))
		}
		return s.saveProfiles(d)
	})
}

// UpdateProfile changes the stored profile name with edit, under the
// store's lock, and returns it as saved: what another process saved in the
// meantime is kept unless edit changes it. The edited profile is validated
// as SaveProfile does; an error from edit or validation saves nothing.
func (s *Store) UpdateProfile(name string, edit func(*Profile) error) (Profile, error) {
	if name == BuiltinProfileName {
		return Profile{}, &gateway.ValidationError{Field: "name", Problem: fmt.Sprintf("%q is the built-in profile and cannot be changed", BuiltinProfileName)}
	}
	var out Profile
	err := s.change(func() error {
		d, err := s.loadProfiles()
		if err != nil {
			return err
		}
		i := slices.IndexFunc(d.Profiles, func(q Profile) bool { return q.Name == name })
		if i < 0 {
			return notFoundProfile(name)
		}
		old := d.Profiles[i]
		readErr := s.readSecrets(&old)
		p := old
		p.Brokers = slices.Clone(p.Brokers)
		if err := edit(&p); err != nil {
			return err
		}
		if p.Name != name {
			return &gateway.ValidationError{Field: "name", Problem: "cannot be changed by an edit"}
		}
		p.Brokers = normaliseBrokers(p.Brokers)
		kept := readErr != nil && p.Secret == "" && p.APISecret == ""
		switch {
		case readErr != nil && !kept && (p.Secret == "" || p.APISecret == ""):
			return fmt.Errorf("profile %q: its keys are in the OS keyring, which did not answer (%w): give both keys, or try again", name, readErr)
		case kept:
			// The keys stay in the keyring that did not answer; the rest is
			// checked as a file read from disk is.
			probe := p
			probe.Secret, probe.APISecret = "unset", "unset"
			if err := probe.Validate(); err != nil {
				return err
			}
		default:
			if err := p.Validate(); err != nil {
				return err
			}
		}
		p.UpdatedAt = s.now().UTC()
		stored := p
		if kept {
			stored.SecretStore = SecretsInKeyring
		} else {
			stored = s.placeSecrets(p, &old)
		}
		d.Profiles[i] = stored
		if err := s.saveProfiles(d); err != nil {
			return err
		}
		p.SecretStore = stored.SecretStore
		out = p
		return nil
	})
	return out, err
}

func normaliseBrokers(in []string) []string {
	var out []string
	for _, b := range in {
		b = strings.ToLower(strings.TrimSpace(b))
		if b != "" && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

// UseProfile makes name the active profile.
func (s *Store) UseProfile(name string) error {
	return s.change(func() error {
		d, err := s.loadProfiles()
		if err != nil {
			return err
		}
		if _, ok := d.find(name); !ok {
			return notFoundProfile(name)
		}
		if name == BuiltinProfileName {
			name = ""
		}
		if d.Active == name {
			return nil
		}
		d.Active = name
		return s.saveProfiles(d)
	})
}

// RemoveProfile deletes a profile with its keys, its local users and its
// history. If it was active, the built-in sandbox becomes active. The
// built-in sandbox profile cannot be removed.
func (s *Store) RemoveProfile(name string) error {
	_, err := s.RemoveProfileChecked(name, true)
	return err
}

// ProfileHasUsersError refuses to remove a profile that has local users
// when the caller did not allow it.
type ProfileHasUsersError struct {
	Name  string
	Users int
}

// Error says how many users would be forgotten.
func (e *ProfileHasUsersError) Error() string {
	return fmt.Sprintf("profile %q has %d local user(s) whose smallcaseAuthIds would be forgotten", e.Name, e.Users)
}

// RemoveProfileChecked is RemoveProfile that, unless allowUsers, refuses
// with *ProfileHasUsersError when the profile has local users; the check and
// the removal happen under one lock. It returns how many users went with it.
func (s *Store) RemoveProfileChecked(name string, allowUsers bool) (removedUsers int, err error) {
	if name == BuiltinProfileName {
		return 0, fmt.Errorf("%q is the built-in profile and cannot be removed", BuiltinProfileName)
	}
	return removedUsers, s.change(func() error {
		d, err := s.loadProfiles()
		if err != nil {
			return err
		}
		i := slices.IndexFunc(d.Profiles, func(q Profile) bool { return q.Name == name })
		if i < 0 {
			return notFoundProfile(name)
		}
		// Read users and history first: if either file is corrupt, nothing is removed.
		if err := s.checkHistoryReadable(name); err != nil {
			return err
		}
		u, err := s.loadUsers()
		if err != nil {
			return err
		}
		if n := len(u.Profiles[name]); n > 0 && !allowUsers {
			return &ProfileHasUsersError{Name: name, Users: n}
		}
		removedUsers = len(u.Profiles[name])
		if _, ok := u.Profiles[name]; ok {
			delete(u.Profiles, name)
			if err := s.saveUsers(u); err != nil {
				return err
			}
		}
		if err := s.remove(historyFileName(name)); err != nil {
			return err
		}
		inKeyring := d.Profiles[i].SecretStore == SecretsInKeyring
		d.Profiles = slices.Delete(d.Profiles, i, i+1)
		if d.Active == name {
			d.Active = ""
		}
		if err := s.saveProfiles(d); err != nil {
			return err
		}
		if inKeyring {
			s.dropKeyringItems(name)
		}
		return nil
	})
}

// ProfileEnv names the environment variable that chooses the profile when
// no --profile flag does.
const ProfileEnv = "GATEWALK_PROFILE"

// ProfileSource says where the name of the profile in use came from.
type ProfileSource int

// Profile sources, in the order ResolveProfileName tries them.
const (
	FromFlag   ProfileSource = iota // --profile NAME
	FromEnv                         // $GATEWALK_PROFILE
	FromActive                      // the active profile (profile use)
)

// ResolveProfileName is the one rule every command and the TUI follow for
// the profile of a run: flagValue (--profile), else $GATEWALK_PROFILE, else
// "" for the active profile.
func ResolveProfileName(flagValue string, getenv func(string) string) (string, ProfileSource) {
	if flagValue != "" {
		return flagValue, FromFlag
	}
	if getenv != nil {
		if v := getenv(ProfileEnv); v != "" {
			return v, FromEnv
		}
	}
	return "", FromActive
}

// ResolveProfile loads the profile ResolveProfileName chooses, and says
// where its name came from (so an unknown name can be blamed on the flag or
// on the environment). An unknown name is an error wrapping
// ErrProfileNotFound.
func (s *Store) ResolveProfile(flagValue string, getenv func(string) string) (Profile, ProfileSource, error) {
	name, src := ResolveProfileName(flagValue, getenv)
	p, err := s.Profile(name)
	return p, src, err
}
