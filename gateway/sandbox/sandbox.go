package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gatewalk/gateway"
)

// Defaults of the embedded sandbox: the public demo gateway of smallcase,
// whose secret signs the documented sample tokens.
const (
	DefaultGateway   = "gatewaydemo"
	DefaultSecret    = "gatewayDemo_secret"
	DefaultAPISecret = "gatewayDemo_secret"
	DefaultTxnTTL    = gateway.TransactionLifetime
	// DefaultPostbackAttempts is how many times a postback is tried.
	DefaultPostbackAttempts = 5
	// DefaultPostbackBackoff is the first wait between postback attempts;
	// it doubles after each failure.
	DefaultPostbackBackoff = time.Second
	// MaxBodyBytes is the largest request body the partner API reads.
	MaxBodyBytes = 64 << 10
	// DefaultAddr is where `gatewalk sandbox` listens unless told otherwise.
	DefaultAddr = "127.0.0.1:8771"
)

// Paths of the sandbox's own endpoints.
const (
	SDKPath     = "/scdk/2.0.0/scdk.js"
	OpenAPIPath = "/openapi.json"
)

// MarketMode is the simulated state of the market.
type MarketMode string

// Market modes. MarketAuto follows NSE hours in IST (09:15 to 15:30, Monday
// to Friday, open; 15:30 to 16:00 and 08:59 to 09:15 closed; AMO window the
// rest of the time and on weekends; holidays are not modelled).
const (
	MarketAuto   MarketMode = "auto"
	MarketOpen   MarketMode = "open"
	MarketClosed MarketMode = "closed"
	MarketAMO    MarketMode = "amo"
)

// ParseMarketMode checks a --market value.
func ParseMarketMode(s string) (MarketMode, error) {
	switch m := MarketMode(strings.ToLower(strings.TrimSpace(s))); m {
	case MarketAuto, MarketOpen, MarketClosed, MarketAMO:
		return m, nil
	case "":
		return MarketOpen, nil
	}
	return "", fmt.Errorf("unknown market mode %q (want auto, open, closed or amo)", s)
}

// Markets is the simulated market of each broker: Default for every broker
// that Brokers does not name (keys are broker ids without -leprechaun).
type Markets struct {
	Default MarketMode            `json:"default"`
	Brokers map[string]MarketMode `json:"brokers,omitempty"`
}

// ParseMarkets reads a --market value: a mode for every broker ("open"),
// broker=mode pairs ("kite=closed,upstox=open"), or both
// ("closed,kite=open"). Brokers left out keep the default, open, so at
// least one broker stays open unless closed on purpose (smallcase keeps the
// markets of leprechaun accounts open for at least some brokers).
func ParseMarkets(spec string) (Markets, error) {
	m := Markets{Default: MarketOpen}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		broker, mode, per := strings.Cut(part, "=")
		if !per {
			d, err := ParseMarketMode(part)
			if err != nil {
				return Markets{}, err
			}
			m.Default = d
			continue
		}
		b, ok := findBroker(broker)
		if !ok || !b.Testable() {
			return Markets{}, fmt.Errorf("market %q: %q is not a leprechaun broker of the sandbox (want one of %s)", part, broker, strings.Join(testableBrokerIDs(), ", "))
		}
		mm, err := ParseMarketMode(mode)
		if err != nil || strings.TrimSpace(mode) == "" {
			return Markets{}, fmt.Errorf("market %q: unknown market mode %q (want auto, open, closed or amo)", part, mode)
		}
		if m.Brokers == nil {
			m.Brokers = map[string]MarketMode{}
		}
		m.Brokers[strings.TrimSuffix(b.ID, "-leprechaun")] = mm
	}
	return m, nil
}

// String writes m as ParseMarkets reads it.
func (m Markets) String() string {
	parts := []string{string(m.Default)}
	keys := make([]string, 0, len(m.Brokers))
	for k := range m.Brokers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+string(m.Brokers[k]))
	}
	return strings.Join(parts, ",")
}

func testableBrokerIDs() []string {
	var ids []string
	for _, b := range Brokers() {
		if b.Testable() {
			ids = append(ids, strings.TrimSuffix(b.ID, "-leprechaun"))
		}
	}
	return ids
}

// Config configures a sandbox. The zero value is usable: every empty field
// takes its default.
type Config struct {
	// Gateway is the gateway name in the API paths (default gatewaydemo).
	Gateway string
	// Secret signs and verifies smallcaseAuthTokens (default gatewayDemo_secret).
	Secret string
	// APISecret is the expected x-gateway-secret and the postback HMAC key
	// (default gatewayDemo_secret).
	APISecret string
	// TxnTTL is the lifetime of a transactionId (default 5m).
	TxnTTL time.Duration
	// Clock is the time source; nil means the real clock. Advance adds an
	// offset to either.
	Clock func() time.Time
	// PostbackURL receives postbacks when set.
	PostbackURL string
	// Market is the simulated market; empty means MarketOpen, so demos never
	// fail on the wall clock.
	Market MarketMode
	// BrokerMarkets, when set, is the market of the brokers it names (ids
	// without -leprechaun), the others following Market.
	BrokerMarkets map[string]MarketMode
	// AllowedOrigins are the page origins the web script may run on (its
	// emulation of domain whitelisting). Empty means any http://localhost:*,
	// http://127.0.0.1:* or http://[::1]:* origin.
	AllowedOrigins []string
	// Logf, when set, receives one line per request and postback attempt.
	// Secrets are never logged.
	Logf func(format string, args ...any)

	// PostbackAttempts bounds postback deliveries (default 5).
	PostbackAttempts int
	// PostbackBackoff is the first wait between attempts (default 1s).
	PostbackBackoff time.Duration
	// PostbackClient sends postbacks (default: a client with a 10s timeout).
	PostbackClient *http.Client
	// Rand is the source of transaction ids and session keys (default
	// crypto/rand).
	Rand io.Reader
	// AllowRemote lets Start listen on a non-loopback address.
	AllowRemote bool
	// Sync, when set, runs before and after each request Start serves,
	// before the answer is sent (a state kept in a file: see MergeState).
	Sync func()
}

func (c Config) withDefaults() Config {
	if c.Gateway == "" {
		c.Gateway = DefaultGateway
	}
	if c.Secret == "" {
		c.Secret = DefaultSecret
	}
	if c.APISecret == "" {
		c.APISecret = DefaultAPISecret
	}
	if c.TxnTTL <= 0 {
		c.TxnTTL = DefaultTxnTTL
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Market == "" {
		c.Market = MarketOpen
	}
	if c.PostbackAttempts <= 0 {
		c.PostbackAttempts = DefaultPostbackAttempts
	}
	if c.PostbackBackoff <= 0 {
		c.PostbackBackoff = DefaultPostbackBackoff
	}
	if c.PostbackClient == nil {
		c.PostbackClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	return c
}

// Server is a running (or ready to run) sandbox: an http.Handler serving
// the partner API, the web script, the driver and the OpenAPI document.
type Server struct {
	cfg    Config
	off    atomic.Int64 // clock offset in nanoseconds
	store  *store
	mux    *http.ServeMux
	tokens tokenCache

	randMu sync.Mutex
	seq    atomic.Int64

	mu        sync.Mutex
	accounts  map[string]accountRef // smallcaseAuthId -> account
	live      map[string]*portfolio // smallcaseAuthId -> live portfolio
	snaps     map[string]*snapshot  // smallcaseAuthId -> last imported holdings
	connected map[string]bool       // accounts that logged in during this run
	sessions  map[string]*session   // web script sessions by key
	startedAt time.Time
	// saved is what the state document said of each account when it was
	// last read or written (see MergeState).
	saved map[string]string
	// lastDoc is the state document as this sandbox last read or wrote
	// it: a file that still says exactly this has nothing to take over.
	lastDoc []byte

	post *poster

	mktMu sync.RWMutex
	mkts  Markets // the market of each broker (SetMarkets)

	lnMu    sync.Mutex
	httpSrv *http.Server
	baseURL string
	stop    chan struct{}
	closed  sync.Once
	wg      sync.WaitGroup
}

type accountRef struct {
	Broker  Broker
	Account Account
}

type snapshot struct {
	p  *portfolio
	at time.Time
	// notes are the notes of the HOLDINGS_IMPORT that took the snapshot:
	// the docs say they come back in the holdings response.
	notes string
}

// New builds a sandbox. It serves through ServeHTTP right away; Start also
// listens on a loopback address.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:       cfg,
		store:     newStore(cfg.TxnTTL, 24*time.Hour, idKey(cfg)),
		accounts:  map[string]accountRef{},
		live:      map[string]*portfolio{},
		snaps:     map[string]*snapshot{},
		connected: map[string]bool{},
		sessions:  map[string]*session{},
		stop:      make(chan struct{}),
	}
	s.startedAt = s.now()
	s.mkts = Markets{Default: cfg.Market, Brokers: maps.Clone(cfg.BrokerMarkets)}
	for _, b := range Brokers() {
		for _, a := range b.Accounts {
			s.accounts[AuthID(cfg.Gateway, b.ID, a.ID)] = accountRef{b, a}
		}
	}
	s.post = newPoster(s)
	s.routes()
	s.wg.Add(1)
	go s.janitor()
	return s
}

// Gateway is the gateway name the sandbox serves.
func (s *Server) Gateway() string { return s.cfg.Gateway }

// Market is the configured market mode of the brokers SetMarkets does not
// name.
func (s *Server) Market() MarketMode { return s.Markets().Default }

// Markets is the market of every broker.
func (s *Server) Markets() Markets {
	s.mktMu.RLock()
	defer s.mktMu.RUnlock()
	out := Markets{Default: s.mkts.Default}
	if len(s.mkts.Brokers) > 0 {
		out.Brokers = maps.Clone(s.mkts.Brokers)
	}
	return out
}

// SetMarkets changes the market of the brokers (POST /_sandbox/market).
func (s *Server) SetMarkets(m Markets) {
	if m.Default == "" {
		m.Default = MarketOpen
	}
	s.mktMu.Lock()
	s.mkts = m
	s.mktMu.Unlock()
}

func (s *Server) now() time.Time {
	return s.cfg.Clock().Add(time.Duration(s.off.Load()))
}

// Advance moves the sandbox clock forward by d (expiry tests), then purges
// what has outlived its retention.
func (s *Server) Advance(d time.Duration) {
	if d > 0 {
		s.off.Add(int64(d))
	}
	s.store.purge(s.now())
}

// Now is the sandbox clock's current time.
func (s *Server) Now() time.Time { return s.now() }

// Transactions is how many transactions the sandbox holds in memory.
func (s *Server) Transactions() int { return s.store.len() }

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// janitor purges the store and idle sessions periodically.
func (s *Server) janitor() {
	defer s.wg.Done()
	every := s.cfg.TxnTTL / 2
	if every < time.Second {
		every = time.Second
	}
	if every > 30*time.Second {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			now := s.now()
			s.store.purge(now)
			s.purgeSessions(now)
		}
	}
}

// AddrError is an address the sandbox will not listen on: malformed, a
// port out of range, or not loopback while remote access is not allowed.
type AddrError struct {
	Addr    string
	Problem string
	// NotLoopback is set when the address is well formed but not a loopback
	// one and Config.AllowRemote is off.
	NotLoopback bool
}

func (e *AddrError) Error() string { return fmt.Sprintf("sandbox address %q: %s", e.Addr, e.Problem) }

// CheckAddr checks addr as Start does before listening: HOST:PORT with a
// numeric port from 0 (any free port) to 65535, and a loopback host
// (127.0.0.1, ::1, localhost) unless allowRemote. It returns an *AddrError.
func CheckAddr(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return &AddrError{Addr: addr, Problem: "want HOST:PORT, e.g. 127.0.0.1:8771 (port 0: any free port)"}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return &AddrError{Addr: addr, Problem: fmt.Sprintf("port %q is not a number from 0 to 65535 (0: any free port)", port)}
	}
	if !allowRemote && !isLoopbackHost(host) {
		return &AddrError{Addr: addr, NotLoopback: true,
			Problem: "not a loopback address: use 127.0.0.1, ::1 or localhost, or allow remote access explicitly (the sandbox has no real security)"}
	}
	return nil
}

// CheckGatewayName checks a gateway name for Config.Gateway, as
// gateway.ValidateGatewayName does: 1-64 lower-case letters, digits, '-' or
// '_', starting with a letter or digit.
func CheckGatewayName(name string) error { return gateway.ValidateGatewayName(name) }

// Start listens on addr (a loopback address such as "127.0.0.1:0" for any
// free port) and serves in the background. It returns the base URL. An
// address CheckAddr refuses gives an *AddrError.
func (s *Server) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := CheckAddr(addr, s.cfg.AllowRemote); err != nil {
		return "", err
	}
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.httpSrv != nil {
		return "", errors.New("sandbox already started at " + s.baseURL)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	s.httpSrv = &http.Server{Handler: s.withSync(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	tcp := ln.Addr().(*net.TCPAddr)
	h := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		h = "127.0.0.1"
	}
	s.baseURL = "http://" + net.JoinHostPort(h, fmt.Sprint(tcp.Port))
	srv := s.httpSrv
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("sandbox: serve: %v", err)
		}
	}()
	return s.baseURL, nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// URL is the base URL once started ("" before).
func (s *Server) URL() string {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	return s.baseURL
}

// SDKURL is the URL of the web script (URL + "/scdk/2.0.0/scdk.js").
func (s *Server) SDKURL() string { return s.URL() + SDKPath }

// Close stops listening, waits briefly for requests in flight and stops
// the background work (pending postback retries are dropped).
func (s *Server) Close() error {
	var err error
	s.closed.Do(func() {
		close(s.stop)
		s.post.close()
		s.lnMu.Lock()
		srv := s.httpSrv
		s.lnMu.Unlock()
		if srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			err = srv.Shutdown(ctx)
			cancel()
			if err != nil {
				err = srv.Close()
			}
		}
		s.wg.Wait()
	})
	return err
}

// idKey is the key of the transaction ids (see fresh): 16 bytes of
// Config.Rand, or of the clock when an injected reader runs dry.
func idKey(cfg Config) [16]byte {
	var k [16]byte
	if _, err := io.ReadFull(cfg.Rand, k[:]); err != nil {
		binary.BigEndian.PutUint64(k[:8], uint64(cfg.Clock().UnixNano()))
		binary.BigEndian.PutUint64(k[8:], uint64(time.Now().UnixNano()))
	}
	return k
}

// newHex returns n random bytes in hex.
func (s *Server) newHex(n int) string {
	b := make([]byte, n)
	s.randMu.Lock()
	_, err := io.ReadFull(s.cfg.Rand, b)
	s.randMu.Unlock()
	if err != nil {
		// crypto/rand does not fail on supported platforms; an injected
		// reader that runs dry falls back to the clock so ids stay unique.
		t := s.now().UnixNano() + s.seq.Add(1)
		for i := range b {
			b[i] = byte(t >> (8 * (i % 8)))
		}
	}
	return hex.EncodeToString(b)
}
