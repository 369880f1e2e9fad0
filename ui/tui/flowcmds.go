package tui

import (
	"context"
	"errors"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/gateway"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
)

// stepFinishedMsg reports that Next returned: the step it ran (a copy, nil
// when nothing ran) and a snapshot of every step.
type stepFinishedMsg struct {
	j     Journey
	step  *flow.Step
	steps []flow.Step
	// expireAt is the live transaction's expiry on the wall clock (zero
	// before one exists), which the countdown counts down to.
	expireAt time.Time
}

// journeyEventMsg is one browser page event; ok is false once the channel
// is closed.
type journeyEventMsg struct {
	j  Journey
	ev bridge.JourneyEvent
	ok bool
}

// transactionResolvedMsg reports what the Gateway said became of the
// transaction of journey j (resolveTransactionCmd).
type transactionResolvedMsg struct {
	j   Journey
	res flow.Resolution
}

// valueCopiedMsg reports the clipboard write of an id, a URL or a token.
type valueCopiedMsg struct {
	what, value string
	err         error
}

// copyValueCmd writes value to the clipboard.
func copyValueCmd(c Clipboard, what, value string) tea.Cmd {
	return func() tea.Msg {
		if c == nil {
			return valueCopiedMsg{what, value, errors.New("no clipboard in this terminal")}
		}
		return valueCopiedMsg{what, value, c.Copy(value)}
	}
}

// curlCopiedMsg reports the clipboard write of a curl command.
type curlCopiedMsg struct{ err error }

// journeyFinishedMsg tells the root that a journey completed, for the
// status line and to refresh the users.
type journeyFinishedMsg struct {
	rec journeyRecord
	// note is what the status line adds to a completion (orders the broker
	// rejected).
	note string
}

// Step timeouts: the SDK wait is bounded by the transaction's expiry (plus
// a margin for the bridge to report it); the rest are API calls or local.
const (
	stepTimeout     = 90 * time.Second
	awaitSDKTimeout = gateway.TransactionLifetime + bridge.DefaultStartedGrace + time.Minute
	// resolveTimeout bounds the check of what became of a transaction (a
	// status or order-details read, retried by the client).
	resolveTimeout = 20 * time.Second
)

// runStepCmd runs the journey's next step.
func runStepCmd(parent context.Context, j Journey, timeout time.Duration) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		s := j.Next(ctx)
		var cp *flow.Step
		if s != nil {
			c := *s
			cp = &c
		}
		return stepFinishedMsg{j: j, step: cp, steps: j.Snapshot(), expireAt: j.WallExpireAt()}
	}
}

// resolveTransactionCmd asks the Gateway what became of the transaction of
// j, after an ending that left open whether it placed orders.
func resolveTransactionCmd(parent context.Context, j Journey, timeout time.Duration) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		return transactionResolvedMsg{j: j, res: j.Resolve(ctx)}
	}
}

// waitForJourneyEventCmd reads one browser event; the flow view re-arms it.
func waitForJourneyEventCmd(j Journey) tea.Cmd {
	ch := j.Events()
	return func() tea.Msg {
		ev, ok := <-ch
		return journeyEventMsg{j: j, ev: ev, ok: ok}
	}
}

// copyCurlCmd puts a curl command on the clipboard.
func copyCurlCmd(c Clipboard, text string) tea.Cmd {
	return func() tea.Msg {
		if c == nil {
			return curlCopiedMsg{errors.New("no clipboard in this terminal")}
		}
		return curlCopiedMsg{c.Copy(text)}
	}
}
