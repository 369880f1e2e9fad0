package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gatewalk/gateway"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

// problem explains a failed step on this screen: flow.Explain, with what
// the screen knows better (a closed browser tab, a sandbox that expired a
// transaction early, what the Gateway says became of the transaction) and
// advice that names the keys of the TUI rather than CLI commands. Its
// words are terminal-safe: the meaning quotes the Gateway's or the SDK's
// message, the advice a label.
func (f *flowView) problem(s flow.Step) flow.Problem {
	p := f.explain(s)
	if s.Kind == flow.AwaitSDK {
		p = f.withCheck(p)
	}
	p.Name, p.Meaning, p.Advice = present.SafeLine(p.Name), present.Safe(p.Meaning), present.Safe(p.Advice)
	return p
}

// explain is problem before the Gateway's check.
func (f *flowView) explain(s flow.Step) flow.Problem {
	if s.Kind == flow.AwaitSDK && f.tabClosed && errors.Is(s.Err, context.Canceled) {
		return flow.Problem{Name: "tab_closed",
			Meaning: "The browser tab was closed before the SDK answered. The page had already used this transactionId, " +
				"so opening the link again would only fail with invalid_transactionId.",
			Advice: "Start a fresh transaction: f creates a new one and a new page.", Redo: flow.CreateTransaction}
	}
	p := flow.Explain(s.Err)
	// An API error's text ends with its hint, which is also the advice.
	if p.Advice != "" {
		p.Meaning = strings.TrimSuffix(p.Meaning, " ("+p.Advice+")")
	}
	var (
		exp *flow.ExpiredError
		nsa *flow.NotSandboxAccountError
		uu  *flow.UnknownUserError
	)
	switch {
	case errors.As(s.Err, &exp):
		if age, ok := f.transactionAge(s); ok && exp.Lifetime > 0 && age < exp.Lifetime-10*time.Second {
			p.Meaning = fmt.Sprintf("The transaction was reported expired %s after it was created, before the SDK result came back "+
				"(the sandbox's expired outcome answers early; a real transactionId lives %s).", roughDuration(age), roughDuration(exp.Lifetime))
			p.Advice = fmt.Sprintf("Create a fresh transaction and finish the browser step within %s.", roughDuration(exp.Lifetime))
		}
	case errors.As(s.Err, &nsa), p.Name == "not_a_sandbox_account":
		p.Advice = "This smallcaseAuthId is not a sandbox account. Connect a user here first: esc, then c (guest login) " +
			"saves an id the sandbox knows; then run this journey for that user."
	case errors.As(s.Err, &uu):
		p.Advice = "Connect the user first: esc, then c (guest login) with the label " + uu.Label + "."
	}
	return p
}

// keysRejected reports whether the failure is a key the profile holds
// (not one set by an environment variable), which p fixes.
func keysRejected(err error) bool {
	var api *gateway.APIError
	var ko *flow.KeyOverrideError
	if errors.As(err, &ko) {
		return false
	}
	if errors.As(err, &api) && api.KeysRejected() {
		return true
	}
	return errors.Is(err, gateway.ErrTokenSignature)
}

// transactionAge is how long the transaction lived until step s ended.
func (f *flowView) transactionAge(s flow.Step) (time.Duration, bool) {
	c := f.step(flow.CreateTransaction)
	if c == nil || c.Started.IsZero() || s.Started.IsZero() {
		return 0, false
	}
	return s.Started.Add(s.Duration).Sub(c.Started), true
}

// roughDuration is "6.5s", "5 minutes", "2m30s".
func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	// A lifetime read off timestamps is a few milliseconds off the minute.
	if m := d.Round(time.Minute); (d - m).Abs() < 2*time.Second {
		if m == time.Minute {
			return "1 minute"
		}
		return fmt.Sprintf("%d minutes", m/time.Minute)
	}
	return d.Round(time.Second).String()
}

// rejectedOrders counts the orders of od the broker did not place: those
// rejected, cancelled or failed, and the unplaced ones.
func rejectedOrders(od *gateway.OrderDetails) (rejected, total int) {
	if od == nil {
		return 0, 0
	}
	for _, b := range od.Batches {
		for _, o := range b.Orders {
			total++
			switch strings.ToUpper(o.Status) {
			case "REJECTED", "CANCELLED", "CANCELED", "FAILED", "ERRORED":
				if o.FilledQuantity == 0 {
					rejected++
				}
			}
		}
		rejected += len(b.Unplaced)
		total += len(b.Unplaced)
	}
	return rejected, total
}

// note is what a finished journey's header and status add to "done": the
// orders the broker rejected.
func (f *flowView) note() string {
	if f.kind != flow.Order {
		return ""
	}
	s := f.step(flow.FetchOrders)
	if s == nil {
		return ""
	}
	rej, total := rejectedOrders(s.Orders)
	switch {
	case rej == 0:
		return ""
	case rej == total && total == 1:
		return "the broker rejected the order"
	case rej == total:
		return fmt.Sprintf("the broker rejected every order (%d of %d)", rej, total)
	}
	return fmt.Sprintf("the broker rejected %d of %d orders", rej, total)
}

// curlLines lays out a curl command (lines joined by " \" continuations)
// in lines of at most w cells that still paste as the same command: a long
// line is broken with a backslash-newline, and inside a single-quoted
// argument (the JWT header) the quote is closed before the break and
// reopened after it, since 'a'\<newline>'b' is the shell word ab.
func curlLines(curl string, w int) []string {
	if w < 16 {
		w = 16
	}
	var out []string
	for _, line := range strings.Split(curl, "\n") {
		out = append(out, breakShellLine(line, w)...)
	}
	return out
}

func breakShellLine(line string, w int) []string {
	var out []string
	r := []rune(line)
	for len(r) > w {
		// Find a cut at most w-2 runes in (room for '\ or \), tracking the
		// quoting up to it.
		inSingle, inDouble, escaped := false, false, false
		cut := w - 2
		for i := 0; i < cut; i++ {
			c := r[i]
			switch {
			case escaped:
				escaped = false
			case inSingle:
				if c == '\'' {
					inSingle = false
				}
			case c == '\\':
				escaped = true
			case inDouble:
				if c == '"' {
					inDouble = false
				}
			case c == '\'':
				inSingle = true
			case c == '"':
				inDouble = true
			}
		}
		if escaped {
			cut-- // never split a backslash from the character it escapes
		}
		head, tail := string(r[:cut]), r[cut:]
		if inSingle {
			out = append(out, head+`'\`)
			r = append([]rune{'\''}, tail...)
		} else {
			out = append(out, head+`\`)
			r = tail
		}
	}
	return append(out, string(r))
}
