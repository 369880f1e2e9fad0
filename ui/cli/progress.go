package cli

import (
	"fmt"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress shows a journey's steps on stderr: on a terminal the running
// step and the countdown are updated in place; otherwise every line is
// plain and printed once.
type progress struct {
	w   io.Writer
	tty bool
	now func() time.Time
	mu  sync.Mutex
	// live is the line of the running step shown on a terminal without a
	// newline, replaced by the step's result.
	live string
}

func newProgress(c *Factory) *progress {
	return &progress{w: c.stderr, tty: isTerminal(c.stderr), now: c.now}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminalFile(f)
}

// printf prints whole lines, replacing the live line on a terminal.
func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLiveLocked()
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) clearLiveLocked() {
	if p.live != "" {
		fmt.Fprint(p.w, "\r\033[K")
		p.live = ""
	}
}

// endLive removes the live line, if any.
func (p *progress) endLive() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLiveLocked()
}

// startsSlow are the steps that wait on the network: their start is shown
// even when stderr is not a terminal, so a slow answer is never silent.
var startsSlow = map[flow.StepKind]bool{flow.CreateTransaction: true, flow.FetchOrders: true,
	flow.FetchHoldings: true, flow.AwaitPostback: true}

// start shows the step that is about to run.
func (p *progress) start(s *flow.Step) {
	line := fmt.Sprintf("  %-7s %s", "...", present.SafeLine(s.Title))
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLiveLocked()
	switch {
	case p.tty:
		fmt.Fprint(p.w, line)
		p.live = line
	case startsSlow[s.Kind]:
		fmt.Fprintln(p.w, line)
	}
}

// attempt reports a failed HTTP attempt of the running step (called from
// the journey's goroutine while the step runs).
func (p *progress) attempt(a flow.Attempt) {
	if a.Reason == "" || a.Of < 2 {
		return
	}
	msg := fmt.Sprintf("attempt %d/%d failed: %s", a.N, a.Of, present.SafeLine(a.Reason))
	if a.Retrying {
		msg += "; retrying"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	live := p.live
	p.clearLiveLocked()
	fmt.Fprintf(p.w, "          %s\n", msg)
	if live != "" {
		fmt.Fprint(p.w, live)
		p.live = live
	}
}

func (p *progress) header(r *flow.Runner, j *flow.Journey) {
	pr := r.Profile()
	what := map[flow.Kind]string{flow.GuestLogin: "guest login", flow.Order: "order", flow.HoldingsImport: "holdings import",
		flow.HoldingsView: "holdings", flow.SDKRun: "sdk " + j.TransactionID()}[j.Kind]
	mode := ""
	if a := r.Options().Auto; a != "" {
		mode = ", auto " + string(a)
		if o := r.Options(); o.AutoBroker != "" || o.AutoAccount != "" {
			mode += " as " + strings.Trim(o.AutoBroker+" "+o.AutoAccount, " ")
		}
	}
	who := fmt.Sprintf("as %q", j.UserLabel)
	if j.UserLabel == "" {
		who = "(no local user)"
	}
	p.printf("gatewalk %s %s on profile %s (%s, gateway %s%s)\n", what, who, present.SafeLine(pr.Name), present.SafeLine(string(pr.Env)), present.SafeLine(pr.Gateway), present.SafeLine(mode))
}

func (p *progress) step(s *flow.Step) {
	mark := "ok"
	switch s.State {
	case flow.Failed:
		mark = "FAILED"
	case flow.Skipped:
		mark = "skipped"
	}
	line := fmt.Sprintf("  %-7s %s (%s)", mark, present.SafeLine(s.Title), roundDuration(s.Duration))
	if s.Summary != "" {
		line += ": " + present.SafeLine(s.Summary)
	}
	p.printf("%s\n", line)
	if s.Kind == flow.OpenBrowser && s.SDKConfig != "" {
		p.printf("          SDK config %s\n", present.SafeLine(s.SDKConfig))
	}
	if s.Kind == flow.OpenBrowser && s.BrowserURL != "" {
		if s.Opened {
			p.printf("          if the browser did not appear, open the link yourself\n")
		} else if _, more, ok := strings.Cut(s.BrowserNote, "\n"); ok {
			// The summary has the URL; the rest is the SSH hint.
			p.printf("          %s\n", strings.ReplaceAll(present.Safe(more), "\n", "\n          "))
		}
	}
	for _, w := range s.Warnings {
		p.printf("          warning: %s\n", present.SafeLine(w))
	}
	if s.Err != nil {
		pr := flow.Explain(s.Err)
		if pr.Name != "" && pr.Code != 0 {
			p.printf("          %s (%d): %s\n", present.SafeLine(pr.Name), pr.Code, present.SafeLine(pr.Meaning))
		}
	}
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000)
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// waiting shows the countdown to the transaction's expiry and the page's
// events while await_sdk runs; the returned func stops it once every event
// already delivered has been shown, so the same run always prints the same
// lines.
func (p *progress) waiting(j *flow.Journey) func() {
	exp := j.WallExpireAt()
	if exp.IsZero() {
		// A transaction made elsewhere on a real Gateway: nothing says when
		// it expires (it lives 5 minutes from its creation).
		p.printf("  ...     waiting for the SDK result; the transaction's expiry is unknown (it lives 5 minutes from its creation)\n")
	} else {
		p.printf("  ...     waiting for the SDK result; the transaction expires at %s (%s)\n",
			exp.Local().Format("15:04:05"), present.Countdown(exp.Sub(p.now())))
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		lastMinute := int(exp.Sub(p.now()) / time.Minute)
		cr := false
		evs := j.Events()
		show := func(ev bridge.JourneyEvent) {
			if cr {
				p.printf("\r\033[K")
				cr = false
			}
			p.printf("          %s\n", eventLine(ev))
		}
		for {
			select {
			case <-stop:
				// Events sent before the step ended are already in the
				// channel: show them all before returning.
				for evs != nil {
					select {
					case ev, ok := <-evs:
						if !ok {
							evs = nil
							continue
						}
						show(ev)
					default:
						evs = nil
					}
				}
				if cr {
					p.printf("\r\033[K")
				}
				return
			case ev, ok := <-evs:
				if !ok {
					evs = nil
					continue
				}
				show(ev)
			case <-tick.C:
				if exp.IsZero() {
					continue
				}
				left := exp.Sub(p.now())
				if p.tty {
					p.printf("\r\033[K          %s left", present.Countdown(left))
					cr = true
				} else if m := int(left / time.Minute); m < lastMinute && left > 0 {
					lastMinute = m
					p.printf("          %s left\n", present.Countdown(left))
				}
			}
		}
	}()
	return func() { close(stop); <-done }
}

// eventLine is a browser event as the progress lines show it.
func eventLine(ev bridge.JourneyEvent) string {
	if ev.Kind == bridge.JourneyResult {
		return "result: " + present.SafeLine(ev.Detail)
	}
	return "browser: " + present.EventText(ev)
}
