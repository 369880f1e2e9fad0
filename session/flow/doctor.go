package flow

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
)

// CheckLevel is how a doctor check ended.
type CheckLevel string

// Check levels: passed, a warning, failed.
const (
	CheckOK   CheckLevel = "ok"
	CheckWarn CheckLevel = "warn"
	CheckFail CheckLevel = "fail"
)

// Check is one line of the doctor's report.
type Check struct {
	Group  string     `json:"group"`
	Name   string     `json:"name"`
	Level  CheckLevel `json:"level"`
	Detail string     `json:"detail"`
	// Fix says what to do when the check did not pass.
	Fix string `json:"fix,omitempty"`
}

// DoctorReport is what doctor found for one profile.
type DoctorReport struct {
	Profile string  `json:"profile"`
	Env     string  `json:"env"`
	Checks  []Check `json:"checks"`
	// KeysRejected reports that the Gateway refused a key.
	KeysRejected bool `json:"keysRejected"`
}

// Failed reports whether a check failed.
func (r DoctorReport) Failed() bool {
	for _, c := range r.Checks {
		if c.Level == CheckFail {
			return true
		}
	}
	return false
}

// TerminalInfo is what the caller knows of its terminal.
type TerminalInfo struct {
	// IsTerminal: the output is a terminal; Width and Height its size.
	IsTerminal    bool
	Width, Height int
}

// DoctorOptions configure Doctor.
type DoctorOptions struct {
	ProfileName string
	// NoCreate skips minting a token and creating a CONNECT transaction.
	NoCreate bool
	// StoreWarnings are what opening the store repaired (permissions).
	StoreWarnings []string
	Getenv        func(string) string
	Now           func() time.Time
	Emulators     Emulators
	HTTPClient    *http.Client
	Timeout       time.Duration
	Terminal      TerminalInfo
	// TmuxClipboard reads tmux's set-clipboard option ("" when unknown);
	// nil skips asking.
	TmuxClipboard func(ctx context.Context) string
}

// Clock skew limits of the doctor's clock check.
const (
	SkewWarn = 30 * time.Second
	SkewFail = 5 * time.Minute
)

// keyShape is the common form of real keys, <gateway>_<32 hex>: a hint.
var keyShape = regexp.MustCompile(`^[A-Za-z0-9-]+_[0-9a-fA-F]{32}$`)

// doctor collects the checks.
type doctor struct {
	opt DoctorOptions
	rep DoctorReport
	// sandboxClock: the API answered with X-Sandbox-Time, a clock of its own.
	sandboxClock bool
}

func (d *doctor) add(group, name string, level CheckLevel, detail, fix string) {
	d.rep.Checks = append(d.rep.Checks, Check{Group: group, Name: name, Level: level, Detail: detail, Fix: fix})
}

// Doctor checks the config directory, the profile, the network, the keys
// (unless NoCreate), the clock, the browser page and the terminal, and says
// for each what to do. It creates at most one CONNECT transaction, which
// nothing uses (it expires in 5 minutes).
func Doctor(ctx context.Context, store *session.Store, opt DoctorOptions) DoctorReport {
	if opt.Getenv == nil {
		opt.Getenv = func(string) string { return "" }
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	d := &doctor{opt: opt}
	p, ok := d.config(store)
	if !ok {
		return d.rep
	}
	d.rep.Profile, d.rep.Env = p.Name, string(p.Env)
	keys := d.profile(p)
	var r *Runner
	if len(keys.Missing()) == 0 {
		var err error
		r, err = Setup(ctx, store, Options{ProfileName: p.Name, NoBrowser: true, Getenv: opt.Getenv, Emulators: opt.Emulators,
			HTTPClient: opt.HTTPClient, Timeout: opt.Timeout})
		if err != nil {
			d.add("profile", "setup", CheckFail, err.Error(), "fix the profile (gatewalk profile edit "+p.Name+")")
		} else {
			defer r.Close()
		}
	}
	apiURL, sdkURL := p.ResolvedAPIURL(), p.ResolvedSDKURL()
	if r != nil {
		apiURL, sdkURL = r.Client().BaseURL, r.SDKURL()
	}
	d.network(ctx, apiURL, sdkURL)
	if r != nil && !opt.NoCreate {
		d.keys(ctx, r)
	} else if opt.NoCreate {
		d.add("keys", "create", CheckOK, "skipped (--no-create): the keys were not tried", "")
	}
	d.browser(p)
	d.terminal(ctx)
	return d.rep
}

// config checks the directory and its files, and resolves the profile.
func (d *doctor) config(store *session.Store) (session.Profile, bool) {
	const g = "config"
	if len(d.opt.StoreWarnings) == 0 {
		d.add(g, "permissions", CheckOK, store.Dir()+": directory 0700, files 0600", "")
	}
	for _, w := range d.opt.StoreWarnings {
		d.add(g, "permissions", CheckWarn, w, "nothing: repaired; check who could read the directory meanwhile")
	}
	if _, err := store.Profiles(); err != nil {
		d.add(g, "profiles.json", CheckFail, err.Error(), "correct the file, or move it aside as the message says")
		return session.Profile{}, false
	}
	p, src, err := store.ResolveProfile(d.opt.ProfileName, d.opt.Getenv)
	if err != nil {
		d.add(g, "profile", CheckFail, err.Error(), "name a profile that exists (gatewalk profile list)")
		return session.Profile{}, false
	}
	files := "profiles.json"
	if _, err := store.Users(p.Name); err != nil {
		d.add(g, "users.json", CheckFail, err.Error(), "correct the file, or move it aside as the message says")
	} else {
		files += ", users.json"
	}
	if _, err := store.History(p.Name); err != nil {
		d.add(g, "history", CheckFail, err.Error(), "correct the file, or move it aside as the message says")
	} else {
		files += ", history-" + p.Name + ".json"
	}
	from := map[session.ProfileSource]string{session.FromFlag: "named", session.FromEnv: "$" + session.ProfileEnv, session.FromActive: "the active profile"}[src]
	d.add(g, "files", CheckOK, fmt.Sprintf("%s parse (schema version %d); profile %s (%s)", files, session.SchemaVersion, p.Name, from), "")
	return p, true
}

// profile checks the keys' presence and shape, the environment and URLs.
func (d *doctor) profile(p session.Profile) session.Keys {
	const g = "profile"
	keys := p.Keys(d.opt.Getenv)
	if m := keys.Missing(); len(m) > 0 {
		d.add(g, "keys", CheckFail, "no "+strings.Join(m, " or "),
			"store them with `gatewalk profile edit "+p.Name+" --secrets-stdin`, or set GATEWALK_SECRET / GATEWALK_API_SECRET")
		return keys
	}
	where := "stored in profiles.json"
	switch {
	case p.Name == session.BuiltinProfileName:
		where = "built in: the public demo keys"
	case p.SecretStore == session.SecretsInKeyring:
		where = "stored in the OS keyring"
	}
	src := func(env bool) string {
		if env {
			return "from the environment"
		}
		return where
	}
	d.add(g, "keys", CheckOK, fmt.Sprintf("gateway %s; secret %s (%s); apiSecret %s (%s)", p.Gateway, gateway.MaskSecret(keys.Secret),
		src(keys.SecretFromEnv), gateway.MaskSecret(keys.APISecret), src(keys.APISecretFromEnv)), "")
	if p.Env != gateway.EnvSandbox {
		for name, k := range map[string]string{"secret": keys.Secret, "apiSecret": keys.APISecret} {
			if !keyShape.MatchString(k) {
				d.add(g, name+" shape", CheckWarn, "the "+name+" is not of the common <gateway>_<32 hex> form (a hint, not a rule)",
					"check that it was copied whole, without spaces")
			}
		}
	}
	api := p.ResolvedAPIURL()
	switch u, err := url.Parse(api); {
	case api == "" && p.Env == gateway.EnvSandbox:
		d.add(g, "urls", CheckOK, "environment sandbox: the embedded sandbox, in this process", "")
		return keys
	case err != nil || u.Host == "":
		d.add(g, "urls", CheckFail, "API URL "+strconv.Quote(api)+" is not an absolute URL", "gatewalk profile edit "+p.Name+" --api-url URL")
		return keys
	case u.Scheme != "https" && p.Env != gateway.EnvSandbox:
		d.add(g, "urls", CheckWarn, "API URL "+api+" is not https", "use the environment's https URL unless you run a proxy on purpose")
	default:
		d.add(g, "urls", CheckOK, "environment "+string(p.Env)+"; API "+api, "")
	}
	if sdk := p.ResolvedSDKURL(); sdk != "" {
		if err := bridge.CheckSDKURL(sdk); err != nil {
			d.add(g, "sdk url", CheckFail, err.Error(), "gatewalk profile edit "+p.Name+" --sdk-url URL")
		}
	}
	return keys
}

// network checks that the API host resolves and answers (TLS for https),
// that the SDK script answers JavaScript, and the clock against Date.
func (d *doctor) network(ctx context.Context, apiURL, sdkURL string) {
	const g = "network"
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		d.add(g, "api", CheckFail, "no API URL to reach", "")
		return
	}
	if err := d.reach(ctx, u); err != nil {
		d.add(g, "api", CheckFail, err.Error(), "check the network, a proxy or VPN, and the profile's API URL")
	} else {
		d.add(g, "api", CheckOK, u.Host+" resolves and answers"+map[bool]string{true: " TLS", false: ""}[u.Scheme == "https"], "")
	}
	sdkDate := d.sdkScript(ctx, sdkURL)
	// The API's clock is the one that checks exp and expireAt; the SDK
	// script's host (a CDN) is the fallback.
	date := d.apiDate(ctx, apiURL)
	if date.IsZero() {
		date = sdkDate
	}
	d.clock(date)
}

// reach resolves the host and connects (with TLS for https).
func (d *doctor) reach(ctx context.Context, u *url.URL) error {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	ctx, cancel := context.WithTimeout(ctx, d.opt.Timeout)
	defer cancel()
	if net.ParseIP(host) == nil {
		if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
			return fmt.Errorf("%s does not resolve: %w", host, err)
		}
	}
	dialer := &net.Dialer{}
	conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("%s does not answer: %w", net.JoinHostPort(host, port), err)
	}
	defer conn.Close()
	if u.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: host})
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS with %s failed: %w", host, err)
		}
	}
	return nil
}

func (d *doctor) client() *http.Client {
	if d.opt.HTTPClient != nil {
		return d.opt.HTTPClient
	}
	return &http.Client{Timeout: d.opt.Timeout}
}

// sdkScript fetches the SDK script and returns the answer's Date.
func (d *doctor) sdkScript(ctx context.Context, sdkURL string) time.Time {
	const g = "network"
	if sdkURL == "" {
		d.add(g, "sdk script", CheckFail, "no SDK script URL", "")
		return time.Time{}
	}
	ctx, cancel := context.WithTimeout(ctx, d.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sdkURL, nil)
	if err != nil {
		d.add(g, "sdk script", CheckFail, err.Error(), "")
		return time.Time{}
	}
	resp, err := d.client().Do(req)
	if err != nil {
		d.add(g, "sdk script", CheckFail, "the SDK script does not load: "+err.Error(), "check the network and the profile's --sdk-url")
		return time.Time{}
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	ct := resp.Header.Get("Content-Type")
	switch {
	case resp.StatusCode != http.StatusOK:
		d.add(g, "sdk script", CheckFail, fmt.Sprintf("%s answered HTTP %d", sdkURL, resp.StatusCode), "check the profile's --sdk-url")
	case !strings.Contains(ct, "javascript") && !strings.Contains(ct, "ecmascript"):
		d.add(g, "sdk script", CheckFail, fmt.Sprintf("%s answered %q, not JavaScript (%d bytes seen)", sdkURL, ct, len(head)),
			"a captive portal or proxy may answer instead: check the network")
	default:
		d.add(g, "sdk script", CheckOK, sdkURL+" answers JavaScript", "")
	}
	date, _ := http.ParseTime(resp.Header.Get("Date"))
	return date
}

// apiDate reads the Date of any answer of the API host.
func (d *doctor) apiDate(ctx context.Context, apiURL string) time.Time {
	ctx, cancel := context.WithTimeout(ctx, d.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL, nil)
	if err != nil {
		return time.Time{}
	}
	resp, err := d.client().Do(req)
	if err != nil {
		return time.Time{}
	}
	resp.Body.Close()
	t, _ := http.ParseTime(resp.Header.Get("Date"))
	// A sandbox sends its own clock (which POST /_sandbox/clock moves) as
	// X-Sandbox-Time and Date: a difference there is the sandbox's, not
	// this machine's.
	d.sandboxClock = resp.Header.Get("X-Sandbox-Time") != ""
	return t
}

// clock compares the server's Date with this machine's clock.
func (d *doctor) clock(date time.Time) {
	const g = "clock"
	if date.IsZero() {
		d.add(g, "skew", CheckWarn, "no Date header to compare the clock with", "make sure the system clock is synchronised (timedatectl, NTP)")
		return
	}
	skew := date.Sub(d.opt.Now()).Round(time.Second)
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	detail := fmt.Sprintf("the server's Date is %s %s this machine's clock", abs, map[bool]string{true: "behind", false: "ahead of"}[skew < 0])
	if abs <= time.Second {
		detail = "the server's Date agrees with this machine's clock"
	}
	fix := "synchronise the system clock (timedatectl set-ntp true, or the OS's time settings): JWT exp and the transaction countdown depend on it"
	if d.sandboxClock && abs > time.Second {
		// The sandbox's clock was moved on purpose (expiry tests): gatewalk
		// follows it, so this is no fault of this machine's clock.
		d.add(g, "skew", CheckOK, "the sandbox's own clock is "+abs.String()+" "+map[bool]string{true: "behind", false: "ahead of"}[skew < 0]+
			" this machine's (it was moved with POST /_sandbox/clock); gatewalk follows it", "")
		return
	}
	switch {
	case abs > SkewFail:
		d.add(g, "skew", CheckFail, detail, fix)
	case abs > SkewWarn:
		d.add(g, "skew", CheckWarn, detail, fix)
	default:
		d.add(g, "skew", CheckOK, detail, "")
	}
}

// keys mints a guest token and creates one CONNECT, and tells the keys
// apart from the answer.
func (d *doctor) keys(ctx context.Context, r *Runner) {
	const g = "keys"
	tok, err := gateway.MintGuestToken(r.Keys().Secret, d.opt.Now().Add(gateway.DefaultTokenTTL))
	if err != nil {
		d.add(g, "mint", CheckFail, err.Error(), "check the profile's secret")
		return
	}
	txn, err := r.Client().CreateTransaction(ctx, tok, gateway.TransactionRequest{Intent: gateway.IntentConnect})
	if err == nil {
		d.add(g, "create", CheckOK, fmt.Sprintf("gateway name, secret and apiSecret accepted: CONNECT %s created (unused; it expires in 5 minutes)", txn.TransactionID), "")
		return
	}
	var api *gateway.APIError
	if !errors.As(err, &api) {
		d.add(g, "create", CheckFail, "no answer to the create: "+err.Error(), "check the network, then run doctor again")
		return
	}
	p := r.Profile()
	edit := "gatewalk profile edit " + p.Name
	switch api.Kind() {
	case gateway.KindGateway:
		d.rep.KeysRejected = true
		d.add(g, "gateway name", CheckFail, fmt.Sprintf("the Gateway does not know the gateway name %q: %s", p.Gateway, api.Error()),
			"check the gateway name smallcase gave you: "+edit+" --gateway NAME")
	case gateway.KindAPISecret:
		d.rep.KeysRejected = true
		d.add(g, "apiSecret", CheckFail, "the apiSecret (x-gateway-secret) was rejected: "+api.Error(),
			override(r.Keys().APISecretFromEnv, session.EnvAPISecret, edit+" --secrets-stdin"))
	case gateway.KindJWT:
		d.rep.KeysRejected = true
		d.add(g, "secret", CheckFail, "the token signed with the secret was rejected (Invalid JWT): "+api.Error(),
			override(r.Keys().SecretFromEnv, session.EnvSecret, edit+" --secrets-stdin")+"; or the clock is off (see clock)")
	default:
		d.add(g, "create", CheckFail, "the create failed: "+api.Error(), "try again later; if it persists, ask the smallcase Gateway team")
	}
}

func override(fromEnv bool, v, edit string) string {
	if fromEnv {
		return "$" + v + " overrides the profile's key for this run: unset or fix it"
	}
	return "store the right key: " + edit
}

// browser checks that a browser can open, the callback port is free, and
// names the origin to whitelist.
func (d *doctor) browser(p session.Profile) {
	const g = "browser"
	if ok, why := bridge.BrowserAvailable(d.opt.Getenv); ok {
		d.add(g, "open", CheckOK, "a browser can be opened here", "")
	} else if p.Env == gateway.EnvSandbox {
		d.add(g, "open", CheckOK, "no browser opens here ("+why+"): on the sandbox, --auto (or a in the TUI) answers the SDK step without one, or open the printed link yourself", "")
	} else {
		d.add(g, "open", CheckWarn, "no browser opens here: "+why, "open the printed link yourself (over SSH, forward the port: ssh -L PORT:localhost:PORT)")
	}
	if p.CallbackPort == 0 {
		d.add(g, "port", CheckOK, "the sandbox takes any free port for the page (it accepts any localhost origin)", "")
		return
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.CallbackPort)))
	if err != nil {
		d.add(g, "port", CheckFail, fmt.Sprintf("callback port %d is in use", p.CallbackPort), "stop the program holding it (gatewalk never moves to another port)")
	} else {
		l.Close()
		d.add(g, "port", CheckOK, fmt.Sprintf("callback port %d is free", p.CallbackPort), "")
	}
	d.add(g, "origin", CheckOK, fmt.Sprintf("the origin smallcase must whitelist for gateway %s: http://localhost:%d", p.Gateway, p.CallbackPort), "")
}

// terminal checks the size, colour and clipboard.
func (d *doctor) terminal(ctx context.Context) {
	const g = "terminal"
	t := d.opt.Terminal
	if !t.IsTerminal {
		d.add(g, "size", CheckOK, "not a terminal (output redirected): the TUI needs one; the headless commands do not", "")
		return
	}
	if t.Width < 80 || t.Height < 24 {
		d.add(g, "size", CheckWarn, fmt.Sprintf("%dx%d: the TUI needs 80x24 or more", t.Width, t.Height), "enlarge the window")
	} else {
		d.add(g, "size", CheckOK, fmt.Sprintf("%dx%d", t.Width, t.Height), "")
	}
	switch {
	case d.opt.Getenv("NO_COLOR") != "":
		d.add(g, "colour", CheckOK, "NO_COLOR is set: the TUI draws without colour", "")
	case d.opt.Getenv("TERM") == "dumb":
		d.add(g, "colour", CheckWarn, "TERM=dumb: no colour, little cursor control", "use a terminal emulator with TERM=xterm-256color")
	default:
		d.add(g, "colour", CheckOK, "colour ("+d.opt.Getenv("TERM")+")", "")
	}
	if d.opt.Getenv("TMUX") == "" {
		d.add(g, "clipboard", CheckOK, "copies go through OSC 52 (most terminals accept it)", "")
		return
	}
	v := ""
	if d.opt.TmuxClipboard != nil {
		v = d.opt.TmuxClipboard(ctx)
	}
	if v == "on" || v == "external" {
		d.add(g, "clipboard", CheckOK, "tmux passes OSC 52 on (set-clipboard "+v+")", "")
	} else {
		d.add(g, "clipboard", CheckWarn, "inside tmux, set-clipboard is "+strconv.Quote(v)+": copies may not reach the clipboard",
			"tmux set -g set-clipboard on (and in ~/.tmux.conf)")
	}
}
