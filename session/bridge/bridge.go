package bridge

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config configures the loopback browser bridge.
type Config struct {
	// Port is the callback port whitelisted for the profile's gateway
	// (http://localhost:PORT). Zero picks any free port, which only suits
	// the sandbox profile.
	Port int
	// Logf receives one line per refused request and per server error; nil
	// discards them. Lines never carry tokens or request bodies.
	Logf func(format string, args ...any)
	// Now is the clock used for journey expiry and event times; nil means
	// time.Now.
	Now func() time.Time
	// StartedGrace is how long past its expiry a journey whose SDK started
	// still waits for the SDK's answer; zero means DefaultStartedGrace.
	StartedGrace time.Duration
	// VerdictWait is how long the page's post of a resolved result waits
	// for the terminal's verdict (Journey.SetVerdict); zero means
	// DefaultVerdictWait.
	VerdictWait time.Duration
}

// PortBusyError reports that the bridge's port is held by another program.
type PortBusyError struct {
	Port int
	err  error
}

// Error names the port, why no other port will do, and how to find the
// program that holds it.
func (e *PortBusyError) Error() string {
	return fmt.Sprintf("port %d is already in use by another program. The Gateway runs the web SDK only on origins "+
		"whitelisted for your gateway, such as http://localhost:%d, so gatewalk must serve its page on exactly this port: "+
		"another port would first have to be whitelisted by smallcase. Stop the program that holds port %d "+
		"(gatewalk never stops it for you; `lsof -iTCP:%d -sTCP:LISTEN` or `ss -ltnp 'sport = :%d'` shows which one), "+
		"or use a profile whose whitelisted port is free",
		e.Port, e.Port, e.Port, e.Port, e.Port)
}

// Unwrap returns the listen error, so errors.Is(err, syscall.EADDRINUSE) holds.
func (e *PortBusyError) Unwrap() error { return e.err }

// Bridge is the loopback HTTP server that serves the SDK harness page for
// each journey and takes the SDK's result back. It listens on 127.0.0.1 and,
// where the machine has it, ::1, so that http://localhost:PORT reaches it
// whichever address the browser resolves localhost to.
type Bridge struct {
	port      int
	logf      func(string, ...any)
	now       func() time.Time
	grace     time.Duration
	vwait     time.Duration
	listeners []net.Listener
	srv       *http.Server
	served    sync.WaitGroup

	mu       sync.Mutex
	journeys map[string]*Journey
	closed   bool
}

// Start listens at cfg.Port on the loopback addresses and serves
// until Close. A port held by another program is a *PortBusyError.
func Start(cfg Config) (*Bridge, error) {
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("bridge port %d is out of range: use a port between 1 and 65535, or 0 for any free port", cfg.Port)
	}
	b := &Bridge{
		logf:     cfg.Logf,
		now:      cfg.Now,
		grace:    cfg.StartedGrace,
		vwait:    cfg.VerdictWait,
		journeys: map[string]*Journey{},
	}
	if b.logf == nil {
		b.logf = func(string, ...any) {}
	}
	if b.now == nil {
		b.now = time.Now
	}
	lns, err := listenLoopback(cfg.Port)
	if err != nil {
		return nil, err
	}
	b.listeners = lns
	b.port = lns[0].Addr().(*net.TCPAddr).Port
	b.srv = &http.Server{
		Handler:           b.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		// net/http's own complaints go to Logf, never to stderr, where
		// they would scribble over a terminal UI.
		ErrorLog: log.New(logfWriter(b.logf), "bridge: ", 0),
	}
	for _, ln := range lns {
		b.served.Add(1)
		go func(ln net.Listener) {
			defer b.served.Done()
			if err := b.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				b.logf("bridge: serving on %s stopped: %v", ln.Addr(), err)
			}
		}(ln)
	}
	return b, nil
}

// logfWriter adapts Logf to the io.Writer a log.Logger needs.
type logfWriter func(string, ...any)

func (f logfWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// listenLoopback listens on 127.0.0.1:port and, when the machine has IPv6
// loopback, [::1] at the same port. With port 0 it retries a few times in
// the rare case that the free IPv4 port is taken on ::1.
func listenLoopback(port int) ([]net.Listener, error) {
	attempts := 1
	if port == 0 {
		attempts = 8
	}
	var lastErr error
	for range attempts {
		v4, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return nil, listenError(port, err)
		}
		p := v4.Addr().(*net.TCPAddr).Port
		v6, err := net.Listen("tcp6", net.JoinHostPort("::1", strconv.Itoa(p)))
		switch {
		case err == nil:
			return []net.Listener{v4, v6}, nil
		case isAddrInUse(err):
			v4.Close()
			lastErr = listenError(p, err)
			if port != 0 {
				// Someone else answers http://localhost:PORT on ::1: a
				// browser that prefers ::1 would reach them, not us.
				return nil, lastErr
			}
		default:
			// No IPv6 loopback here (disabled or unsupported): IPv4 alone
			// serves localhost.
			return []net.Listener{v4}, nil
		}
	}
	return nil, lastErr
}

func listenError(port int, err error) error {
	if isAddrInUse(err) {
		return &PortBusyError{Port: port, err: err}
	}
	if errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("cannot listen on port %d: permission denied (ports below 1024 need privileges); "+
			"use a profile whose whitelisted port is 1024 or above: %w", port, err)
	}
	return fmt.Errorf("cannot listen on loopback port %d: %w", port, err)
}

func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || isAddrInUseOS(err)
}

// Port returns the port the bridge listens on.
func (b *Bridge) Port() int { return b.port }

// Origin returns the page origin the Gateway must have whitelisted,
// http://localhost:PORT.
func (b *Bridge) Origin() string { return "http://localhost:" + strconv.Itoa(b.port) }

// Close stops the server, ends every open journey (their Wait returns
// ErrJourneyClosed) and frees the port.
func (b *Bridge) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	js := make([]*Journey, 0, len(b.journeys))
	for _, j := range b.journeys {
		js = append(js, j)
	}
	b.journeys = map[string]*Journey{}
	b.mu.Unlock()
	for _, j := range js {
		j.shut()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := b.srv.Shutdown(ctx)
	if err != nil {
		err = b.srv.Close()
	}
	b.served.Wait()
	return err
}

// journey returns the open journey of a nonce, or nil.
func (b *Bridge) journey(nonce string) *Journey {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.journeys[nonce]
}

func (b *Bridge) release(nonce string) {
	b.mu.Lock()
	delete(b.journeys, nonce)
	b.mu.Unlock()
}

// allowedHost reports whether a request's Host names this bridge on a
// loopback name. Anything else is refused, which defeats DNS rebinding: a
// page on evil.example whose name was re-pointed at 127.0.0.1 still sends
// Host: evil.example.
func (b *Bridge) allowedHost(host string) bool {
	h, p, err := net.SplitHostPort(host)
	if err != nil || p != strconv.Itoa(b.port) {
		return false
	}
	switch strings.ToLower(h) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// allowedOrigin reports whether an Origin header, when present, is one of
// this bridge's own origins.
func (b *Bridge) allowedOrigin(origin string) bool {
	if origin == "" {
		return true
	}
	for _, h := range []string{"localhost", "127.0.0.1", "[::1]"} {
		if strings.EqualFold(origin, "http://"+h+":"+strconv.Itoa(b.port)) {
			return true
		}
	}
	return false
}

func (b *Bridge) verdictWait() time.Duration {
	if b.vwait > 0 {
		return b.vwait
	}
	return DefaultVerdictWait
}

func (b *Bridge) startedGrace() time.Duration {
	if b.grace > 0 {
		return b.grace
	}
	return DefaultStartedGrace
}
