package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"gatewalk/gateway"
)

// poster delivers postbacks in the background: each is signed with the
// apiSecret and retried with doubling backoff on a network error or a
// non-2xx answer, at most Config.PostbackAttempts times.
type poster struct {
	s      *Server
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
}

func newPoster(s *Server) *poster {
	ctx, cancel := context.WithCancel(context.Background())
	return &poster{s: s, ctx: ctx, cancel: cancel}
}

// send queues p for delivery when a postback URL is configured.
func (p *poster) send(pb gateway.Postback) {
	if p.s.cfg.PostbackURL == "" {
		return
	}
	pb.Sign(p.s.cfg.APISecret)
	body, err := json.Marshal(pb)
	if err != nil {
		p.s.logf("postback %s %s: %v", pb.Event, pb.TransactionID, err)
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		p.deliver(pb, body)
	}()
}

func (p *poster) deliver(pb gateway.Postback, body []byte) {
	cfg := p.s.cfg
	wait := cfg.PostbackBackoff
	for attempt := 1; attempt <= cfg.PostbackAttempts; attempt++ {
		status, err := p.post(body)
		if err == nil && status >= 200 && status < 300 {
			p.s.logf("postback %s %s -> %d (attempt %d)", pb.Event, pb.TransactionID, status, attempt)
			return
		}
		why := fmt.Sprintf("HTTP %d", status)
		if err != nil {
			why = err.Error()
		}
		if attempt == cfg.PostbackAttempts {
			p.s.logf("postback %s %s: gave up after %d attempts: %s", pb.Event, pb.TransactionID, attempt, why)
			return
		}
		p.s.logf("postback %s %s: attempt %d failed (%s); retrying in %s", pb.Event, pb.TransactionID, attempt, why, wait)
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (p *poster) post(body []byte) (int, error) {
	req, err := http.NewRequestWithContext(p.ctx, http.MethodPost, p.s.cfg.PostbackURL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gatewalk-sandbox-postback")
	resp, err := p.s.cfg.PostbackClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// close cancels pending retries and waits for deliveries to stop.
func (p *poster) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
}
