package postback

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// DefaultForwardQueue is how many verified postbacks may wait for the
// backend; beyond that they are counted as dropped (still answered and
// recorded).
const DefaultForwardQueue = 256

// DefaultForwardTimeout bounds one forward.
const DefaultForwardTimeout = 10 * time.Second

// ForwardResult is what became of forwarding one postback to the backend.
type ForwardResult struct {
	// Status is the backend's HTTP status (0 when it was not reached).
	Status int `json:"status,omitempty"`
	// Error says why the backend was not reached (refused, timed out, ...).
	Error string `json:"error,omitempty"`
	// Dropped is set when the forward queue was full.
	Dropped    bool  `json:"dropped,omitempty"`
	DurationMs int64 `json:"durationMs"`
}

// OK reports whether the backend answered 2xx.
func (f ForwardResult) OK() bool { return f.Status >= 200 && f.Status < 300 }

// ForwardCounts counts forwards by what became of them.
type ForwardCounts struct {
	Delivered   int `json:"delivered"`   // the backend answered 2xx
	Refused     int `json:"refused"`     // the backend answered something else
	Unreachable int `json:"unreachable"` // no answer (connection refused, timeout, ...)
	Dropped     int `json:"dropped"`     // the queue was full
}

// Failed is every forward that did not get a 2xx.
func (c ForwardCounts) Failed() int { return c.Refused + c.Unreachable + c.Dropped }

// ForwardConfig configures a Forwarder.
type ForwardConfig struct {
	// URL is the backend's endpoint.
	URL string
	// Client sends the forwards (default: a client with DefaultForwardTimeout
	// that follows no redirect).
	Client *http.Client
	// Queue bounds the postbacks waiting (default DefaultForwardQueue).
	Queue int
}

// Forwarder sends verified postbacks on to the partner's backend, unchanged
// (the body byte for byte, its Content-Type), one at a time and in the order
// they were answered, in the background: the Gateway's answer never waits on
// the backend.
type Forwarder struct {
	cfg   ForwardConfig
	queue chan forwardJob
	ctx   context.Context
	stop  context.CancelFunc
	done  chan struct{}

	mu     sync.Mutex
	counts ForwardCounts
	closed bool
}

type forwardJob struct {
	body        []byte
	contentType string
	// finish receives the result (on the worker goroutine).
	finish func(ForwardResult)
}

// NewForwarder starts a forwarder; Close stops it.
func NewForwarder(cfg ForwardConfig) *Forwarder {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: DefaultForwardTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultForwardQueue
	}
	ctx, stop := context.WithCancel(context.Background())
	f := &Forwarder{cfg: cfg, queue: make(chan forwardJob, cfg.Queue), ctx: ctx, stop: stop, done: make(chan struct{})}
	go f.run()
	return f
}

// URL is the backend's endpoint.
func (f *Forwarder) URL() string { return f.cfg.URL }

// Counts returns how the forwards so far ended.
func (f *Forwarder) Counts() ForwardCounts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts
}

// enqueue queues a forward without waiting; finish is called once with the
// result, at once when the queue is full or the forwarder closed.
func (f *Forwarder) enqueue(body []byte, contentType string, finish func(ForwardResult)) {
	f.mu.Lock()
	if !f.closed {
		select {
		case f.queue <- forwardJob{body: body, contentType: contentType, finish: finish}:
			f.mu.Unlock()
			return
		default:
		}
	}
	f.counts.Dropped++
	why := "forward queue full: the backend is not keeping up"
	if f.closed {
		why = "the listener is stopping"
	}
	f.mu.Unlock()
	finish(ForwardResult{Dropped: true, Error: why})
}

func (f *Forwarder) run() {
	defer close(f.done)
	for j := range f.queue {
		res := f.send(j)
		f.mu.Lock()
		switch {
		case res.Error != "":
			f.counts.Unreachable++
		case res.OK():
			f.counts.Delivered++
		default:
			f.counts.Refused++
		}
		f.mu.Unlock()
		j.finish(res)
	}
}

func (f *Forwarder) send(j forwardJob) ForwardResult {
	req, err := http.NewRequestWithContext(f.ctx, http.MethodPost, f.cfg.URL, bytes.NewReader(j.body))
	if err != nil {
		return ForwardResult{Error: err.Error()}
	}
	if j.contentType != "" {
		req.Header.Set("Content-Type", j.contentType)
	}
	req.Header.Set("User-Agent", "gatewalk-listen-forward")
	start := time.Now()
	resp, err := f.cfg.Client.Do(req)
	d := time.Since(start).Milliseconds()
	if err != nil {
		return ForwardResult{Error: err.Error(), DurationMs: d}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return ForwardResult{Status: resp.StatusCode, DurationMs: d}
}

// Close stops taking forwards, lets the queued ones go out until ctx ends,
// then abandons the rest (each still reports its result) and returns.
func (f *Forwarder) Close(ctx context.Context) {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.queue)
	}
	f.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
		f.stop()
		<-f.done
	}
	f.stop()
}
