package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"sync"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/ui/present"
)

func sandboxCommand() command {
	return command{name: "sandbox", summary: "run the Gateway emulator in the foreground (partner API, web SDK script, driver); sandbox reset forgets the built-in one's state", subcommands: []string{"reset"}, run: runSandbox}
}

const sandboxAbout = `Runs gatewalk's emulator of the smallcase Gateway on a loopback address until
Ctrl-C: the partner API, a web SDK script with leprechaun (test) brokers and
failure scenarios, a driver for automation, postbacks and an OpenAPI document.
It prints the URLs, the keys (masked, except the public demo ones) and one
line per request. Point a partner backend's Gateway URL at it for tests.

Keys: gateway gatewaydemo, secret and apiSecret gatewayDemo_secret (the public
demo gateway's, so the documented sample tokens work). Override them with
$GATEWALK_SANDBOX_GATEWAY (or --gateway), $GATEWALK_SANDBOX_SECRET and
$GATEWALK_SANDBOX_API_SECRET; secrets are never taken as flags.

Partner API (headers x-gateway-secret: apiSecret, x-gateway-authtoken: an
HS256 JWT signed with secret, {"guest":true} or {"smallcaseAuthId":ID}):
  POST /gateway/{gw}/transaction                  CONNECT, TRANSACTION, HOLDINGS_IMPORT,
                                                  AUTHORISE_HOLDINGS, FETCH_FUNDS, SIP_SETUP,
                                                  IMR_SETUP, CANCEL_AMO, MF_HOLDINGS_IMPORT
  GET  /v1/{gw}/engine/user/holdings              ?version=v2 &mfHoldings=true (connected token)
  GET  /v1/{gw}/engine/orders/sst?transactionId=  batches of COMPLETED transactions, also by
                                                  batchId= or iscid= (guest tokens too)
  GET  /openapi.json                              OpenAPI 3.1 description
Errors are the envelope {success:false, errors[], errorType}: unknown gateway
404 "invalid gateway"; bad x-gateway-secret 401 "Invalid x-gateway-secret";
bad, expired or missing JWT 401 "Invalid JWT"; guest token on holdings, on
order details by iscid, or creating SIP_SETUP, IMR_SETUP or an iscid order
403; bad JSON, unknown intent or invalid orderConfig 400 naming the field;
body over 64 KiB 413. Order details of an unknown, another user's or an
unfinished transaction answer success with no batches.

Web SDK script: <base>/scdk/2.0.0/scdk.js defines window.scDK like the real
one (new scDK({gateway, smallcaseAuthToken}), triggerTransaction({transactionId,
brokers}), brokerLogout()) and draws the journey in the page: broker, test
account, consent, order review and a scenario picker. It runs on pages served
from http://localhost, 127.0.0.1 or [::1] on any port (--allowed-origin
replaces that list; other origins get invalid_gateway). Every control has a
data-sc attribute for browser automation (broker:ID, account:ID,
consent:accept, consent:deny, qty:N, side:N, scenario:NAME, confirm, back,
close). A SECURITIES line without a quantity or side is chosen by the user in
the review screen, where every line's quantity and side can be changed.

Brokers: every broker id of the Gateway's docs. kite, upstox, aliceblue,
fivepaisa, hdfc, iifl, angelbroking, axis, edel, edelweiss, fundzbazar, icici,
kotak and trustline have a -leprechaun variant with test accounts LEP001,
LEP002, LEP003, LEP004 (low funds: BUYs rejected for funds) and LEP005 (order
failure: every order rejected); dhan, fisdom, groww and motilal have no
leprechaun mode and are listed but cannot be logged in with. An account's
smallcaseAuthId is derived from (gateway, broker, account): the same account
always gets the same id. A journey bound to a user (a connected token when the
transaction was created or given to new scDK) finished with another account
fails user_mismatch (1001).

Scenarios (picker and driver):
  success             orders complete; the SDK resolves
  partial_fill        every other order fills in part; resolves
  rejected            the broker rejects every order; the transaction COMPLETES and resolves
  insufficient_funds  BUY orders rejected "Insufficient funds"; resolves
  market_closed       rejects market_closed (4004)
  user_cancelled      rejects user_cancelled (1012) with the token in data
  consent_denied      rejects consent_denied (1003)
  user_mismatch       rejects user_mismatch (1001)
  expired             rejects transaction_expired (1005)
Closing the broker chooser rejects user_cancelled (1010), closing after
choosing a broker but before the login user_cancelled (1011); a transaction
that expired before it ran, transaction_expired (3001); one run twice,
invalid_transactionId (no numeric code on web, as the web SDK's init errors
invalid_gateway, invalid_jwt and transaction_in_process). Order scenarios
play like success for the other intents.

Driver (sandbox only, no authentication):
  POST /_sandbox/transactions/{id}/complete  {"broker":"kite-leprechaun","account":"LEP001","outcome":"success"}
       -> 200 {"result":{...}} or {"error":{"code":1001,"message":"user_mismatch"}}; 404 unknown; 409 already run
  GET  /_sandbox/transactions/{id}          the transaction's status, error and batches
  POST /_sandbox/clock {"advance":"6m"}     move the clock forward (expiry tests)
  GET  /_sandbox/brokers                    brokers, accounts and their smallcaseAuthIds
  POST /_sandbox/market {"market":"closed,kite=open"}   markets per broker
  POST /_sandbox/postbacks/pending-action {"smallcaseAuthId","iscid"}   a pending-action postback

Emulator choices (where the Gateway does not document its behaviour):
  - error HTTP statuses as above; order details add {transactionId, status} to
    batches[] when one transaction matched
  - holdings answer as of the last HOLDINGS_IMPORT; orders change the account, so
    an import after an order shows it; each account starts with a demo portfolio
  - --market open (default; also per broker: kite=closed,upstox=open): orders
    fill at demo prices; closed: market_closed;
    amo: the after-market window: orders are placed as AMO (they do not fill)
    when the page sets config.amo (a profile with --amo), else market_closed;
    auto: NSE hours (IST)
  - a SELL beyond the holding or a BUY beyond the account's funds is REJECTED
  - postbacks ORDER_PLACED, ORDER_COMPLETED (the batch at the top level, as the
    official sample), HOLDINGS_IMPORT, MF_HOLDINGS_IMPORT, PENDING_ACTION with
    checksum hex(HMAC-SHA256(apiSecret, timestamp + smallcaseAuthId)) (MF: +
    transactionId), timestamp in epoch milliseconds, retried 5 times with doubling
    backoff from 1s on a non-2xx answer

State: by default the sandbox keeps its state in memory, for this process.
--state DIR shares the state of the built-in sandbox profile kept in the
config directory DIR; --shared-state, that of the config directory the other
commands use ($GATEWALK_CONFIG_DIR, else the OS config dir, e.g.
~/.config/gatewalk): transactions created here can be run with
gatewalk sdk on the built-in profile, and the other way round. A state
that does not parse is refused, never reset.

  gatewalk sandbox reset    forget the built-in sandbox's state (its
                            transactions, orders and holdings); profiles,
                            users and history stay

Addresses other than loopback are refused unless --allow-remote.`

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// checkSandboxURLs checks --postback-url and every --allowed-origin.
func checkSandboxURLs(postbackURL string, origins []string) error {
	if postbackURL != "" {
		u, err := url.Parse(postbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--postback-url %q: want an http(s) URL such as http://127.0.0.1:8787/postback", postbackURL)
		}
	}
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return usagef("--allowed-origin %q: want an origin such as http://localhost:3000 (scheme, host and port, no path)", o)
		}
	}
	return nil
}

func runSandbox(ctx context.Context, c *Factory, args []string) error {
	if len(args) > 0 && args[0] == "reset" {
		return runSandboxReset(c, args[1:])
	}
	fs := newFlagSet(c, "sandbox",
		"sandbox [--addr 127.0.0.1:PORT] [--gateway G] [--txn-ttl 5m] [--market MODE|BROKER=MODE,...] [--postback-url URL] [--allowed-origin ORIGIN ...] [--state DIR | --shared-state] [--quiet]\n       gatewalk sandbox reset",
		sandboxAbout)
	stateDir := fs.String("state", "", "keep the state in config directory DIR, shared with the built-in sandbox profile (default: in memory)")
	sharedState := fs.Bool("shared-state", false, "share the state of the built-in sandbox profile of the config directory gatewalk uses ($GATEWALK_CONFIG_DIR, else the OS config dir)")
	addr := fs.String("addr", sandbox.DefaultAddr, "address to listen on (port 0: any free port)")
	gw := fs.String("gateway", "", "gateway name (default: $GATEWALK_SANDBOX_GATEWAY, else "+sandbox.DefaultGateway+")")
	ttl := fs.Duration("txn-ttl", sandbox.DefaultTxnTTL, "how long a transactionId lives")
	market := fs.String("market", string(sandbox.MarketOpen), "market state: open, closed, amo or auto (NSE hours in IST), for every broker or per broker: kite=closed,upstox=open (others stay open)")
	postbackURL := fs.String("postback-url", "", "POST postbacks to this http(s) URL (e.g. the address of gatewalk listen)")
	var origins stringList
	fs.Var(&origins, "allowed-origin", "page origin the web script may run on, e.g. http://localhost:3000 (repeatable; * matches, e.g. http://localhost:*)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback --addr (the sandbox has no real security)")
	quiet := fs.Bool("quiet", false, "do not print a line per request")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := unexpectedArgs(pos); err != nil {
		return &usageError{err.Error() + ". The sandbox's keys come from $GATEWALK_SANDBOX_SECRET and $GATEWALK_SANDBOX_API_SECRET"}
	}
	if *sharedState {
		if *stateDir != "" {
			return usagef("--state DIR and --shared-state both name the state's directory: give one")
		}
		// The directory every other command uses, so that the built-in
		// profile there is the one sharing this state.
		if *stateDir, err = session.DefaultDir(c.getenv); err != nil {
			return err
		}
	}
	var ae *sandbox.AddrError
	if err := sandbox.CheckAddr(*addr, *allowRemote); errors.As(err, &ae) {
		if ae.NotLoopback {
			return usagef("--addr %s is not a loopback address: use 127.0.0.1:PORT, [::1]:PORT or localhost:PORT, "+
				"or add --allow-remote to listen there anyway (the sandbox has no real security: anyone who reaches it can use it)", *addr)
		}
		return usagef("--addr %s: %s", *addr, ae.Problem)
	}
	if *ttl <= 0 {
		return usagef("--txn-ttl %v: want a positive duration such as 5m or 10s", *ttl)
	}
	mkts, err := sandbox.ParseMarkets(*market)
	if err != nil {
		return usagef("--market: %v", err)
	}
	if err := checkSandboxURLs(*postbackURL, origins); err != nil {
		return err
	}
	name, nameFrom := *gw, "--gateway"
	if name == "" {
		name, nameFrom = c.getenv("GATEWALK_SANDBOX_GATEWAY"), "$GATEWALK_SANDBOX_GATEWAY"
	}
	if name != "" {
		if err := sandbox.CheckGatewayName(name); err != nil {
			return usagef("%s: %v", nameFrom, err)
		}
	}
	cfg := sandbox.Config{
		Gateway: name, Secret: c.getenv("GATEWALK_SANDBOX_SECRET"), APISecret: c.getenv("GATEWALK_SANDBOX_API_SECRET"),
		TxnTTL: *ttl, Market: mkts.Default, BrokerMarkets: mkts.Brokers, PostbackURL: *postbackURL, AllowedOrigins: origins, AllowRemote: *allowRemote,
	}
	out := &lockedWriter{w: c.stdout}
	if !*quiet {
		cfg.Logf = func(format string, a ...any) {
			out.printf("%s %s\n", c.now().Format("15:04:05"), present.SafeLine(fmt.Sprintf(format, a...)))
		}
	}
	s, err := newForegroundSandbox(c, cfg, *stateDir, out)
	if err != nil {
		return err
	}
	base, err := s.Start(*addr)
	if err != nil {
		s.Close()
		if errors.As(err, &ae) {
			return &usageError{err.Error()}
		}
		return fmt.Errorf("%w (is another sandbox running? pick another port with --addr 127.0.0.1:0)", err)
	}
	if *stateDir != "" {
		out.printf("gatewalk sandbox: state kept in %s (shared with the built-in sandbox profile of that directory)\n",
			present.SafeLine(filepath.Join(*stateDir, session.SandboxStateFile)))
	}
	out.printf("%s", present.Safe(sandboxBanner(s, base, cfg)))
	<-ctx.Done()
	err = s.Close()
	out.printf("sandbox stopped\n")
	return err
}

// newForegroundSandbox builds the sandbox: in memory, or (stateDir) on the
// state of the built-in profile kept there, written after each request.
func newForegroundSandbox(c *Factory, cfg sandbox.Config, stateDir string, out *lockedWriter) (*sandbox.Server, error) {
	if stateDir == "" {
		return sandbox.New(cfg), nil
	}
	store, warnings, err := c.openStore(stateDir, nil)
	for _, w := range warnings {
		fmt.Fprintln(c.stderr, "gatewalk: warning:", present.SafeLine(w))
	}
	if err != nil {
		return nil, err
	}
	var s *sandbox.Server
	cfg.Sync = func() {
		if err := store.UpdateSandboxState(s.MergeState); err != nil {
			out.printf("%s state: %s\n", c.now().Format("15:04:05"), present.SafeLine(err.Error()))
		}
	}
	s = sandbox.New(cfg)
	if err := loadForegroundState(store, s); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// loadForegroundState loads the shared state into s; one that cannot be
// used is refused.
func loadForegroundState(store *session.Store, s *sandbox.Server) error {
	data, err := store.SandboxState()
	if err != nil || data == nil {
		return err
	}
	if err := s.ImportState(data); err != nil {
		return &session.SandboxStateError{Path: store.SandboxStatePath(), Err: err}
	}
	return nil
}

const sandboxResetAbout = `Forgets the built-in sandbox profile's state kept in the config directory
(sandbox-state.json): its transactions, orders, holdings imports and clock
offset. The next command starts the sandbox over with the demo portfolios.
Profiles, local users and the history stay.`

func runSandboxReset(c *Factory, args []string) error {
	fs := newFlagSet(c, "sandbox reset", "sandbox reset", sandboxResetAbout)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := unexpectedArgs(pos); err != nil {
		return err
	}
	store, err := openSessionStore(c)
	if err != nil {
		return err
	}
	data, err := store.SandboxState()
	if err != nil {
		return err
	}
	if data == nil {
		fmt.Fprintln(c.stdout, "the built-in sandbox has no saved state: nothing to reset")
		return nil
	}
	if err := store.ResetSandboxState(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "removed %s: the built-in sandbox starts over (profiles, users and history stay)\n", present.SafeLine(store.SandboxStatePath()))
	return nil
}

// sandboxBanner describes a started sandbox; secrets are masked unless they
// are the public demo gateway's.
func sandboxBanner(s *sandbox.Server, base string, cfg sandbox.Config) string {
	secret, apiSecret := cfg.Secret, cfg.APISecret
	if secret == "" {
		secret = sandbox.DefaultSecret
	}
	if apiSecret == "" {
		apiSecret = sandbox.DefaultAPISecret
	}
	show := func(v, def string) string {
		if v == def {
			return v + "   (the public demo secret of " + sandbox.DefaultGateway + ")"
		}
		return gateway.MaskSecret(v) + "   (masked)"
	}
	origins := "any http://localhost:*, http://127.0.0.1:*, http://[::1]:*"
	if len(cfg.AllowedOrigins) > 0 {
		origins = strings.Join(cfg.AllowedOrigins, ", ")
	}
	postbacks := "off (--postback-url URL)"
	if cfg.PostbackURL != "" {
		postbacks = cfg.PostbackURL
	}
	var b strings.Builder
	fmt.Fprintf(&b, "gatewalk sandbox: smallcase Gateway emulator\n")
	fmt.Fprintf(&b, "  API base URL    %s\n", base)
	fmt.Fprintf(&b, "  web SDK script  %s\n", s.SDKURL())
	fmt.Fprintf(&b, "  OpenAPI         %s%s\n", base, sandbox.OpenAPIPath)
	fmt.Fprintf(&b, "  gateway         %s\n", s.Gateway())
	fmt.Fprintf(&b, "  secret          %s\n", show(secret, sandbox.DefaultSecret))
	fmt.Fprintf(&b, "  apiSecret       %s\n", show(apiSecret, sandbox.DefaultAPISecret))
	fmt.Fprintf(&b, "  transactions    live %s\n", cfg.TxnTTL)
	fmt.Fprintf(&b, "  market          %s (per broker: POST %s/_sandbox/market {\"market\":\"kite=closed\"})\n", s.Markets(), base)
	fmt.Fprintf(&b, "  postbacks       %s\n", postbacks)
	fmt.Fprintf(&b, "  page origins    %s\n", origins)
	fmt.Fprintf(&b, "  driver          POST %s/_sandbox/transactions/{id}/complete  {\"broker\",\"account\",\"outcome\"}\n", base)
	b.WriteString(sandboxTry(base, s.Gateway(), secret, apiSecret))
	fmt.Fprintf(&b, "Ctrl-C stops. Requests:\n")
	return b.String()
}

// sandboxTry is a request that works as printed against this sandbox: a
// CONNECT transaction with a guest token minted by gatewalk itself. The
// public demo keys are written out; other keys are referred to by the
// variables that set them, never printed.
func sandboxTry(base, gw, secret, apiSecret string) string {
	apiHeader := "'x-gateway-secret: " + apiSecret + "'"
	if apiSecret != sandbox.DefaultAPISecret {
		apiHeader = "\"x-gateway-secret: $GATEWALK_SANDBOX_API_SECRET\""
	}
	mint := "GATEWALK_SECRET=" + secret + " gatewalk token guest"
	if secret != sandbox.DefaultSecret {
		mint = "GATEWALK_SECRET=\"$GATEWALK_SANDBOX_SECRET\" gatewalk token guest"
	}
	var b strings.Builder
	b.WriteString("Try (creates a CONNECT transaction with a guest token that gatewalk mints")
	if secret != sandbox.DefaultSecret || apiSecret != sandbox.DefaultAPISecret {
		b.WriteString("; run it where $GATEWALK_SANDBOX_SECRET and $GATEWALK_SANDBOX_API_SECRET are set")
	}
	b.WriteString("):\n")
	fmt.Fprintf(&b, "  curl -sS -X POST %s/gateway/%s/transaction -H 'Content-Type: application/json' \\\n", base, gw)
	fmt.Fprintf(&b, "    -H %s \\\n", apiHeader)
	fmt.Fprintf(&b, "    -H \"x-gateway-authtoken: $(%s)\" \\\n", mint)
	fmt.Fprintf(&b, "    --data '{\"intent\":\"CONNECT\"}'\n")
	return b.String()
}

// lockedWriter serialises writes from the request goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, a...)
}
