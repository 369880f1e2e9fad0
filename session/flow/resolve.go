package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gatewalk/gateway"
	"gatewalk/session/bridge"
)

// Resolution is what the Gateway says became of the transaction of a
// journey that ended without a clear answer (a second tab's error, a
// closed tab, a lost connection, an interrupt): whether orders were
// placed, before anyone is told to create a fresh transaction.
type Resolution struct {
	TransactionID string `json:"transactionId"`
	// Known reports that the answer tells whether orders were placed.
	Known bool `json:"known"`
	// Placed reports that orders were placed (Known only).
	Placed  bool                 `json:"placed"`
	Status  gateway.Status       `json:"status,omitempty"`
	Batches []gateway.OrderBatch `json:"batches,omitempty"`
	// Source names who answered ("the sandbox's transaction status", "the
	// order details").
	Source string `json:"source,omitempty"`
	// Err is why nothing could be learnt, when Known is false.
	Err error `json:"-"`
	// Said is Summary, for the JSON report.
	Said string `json:"summary"`
}

// Summary says in one line what the Gateway said.
func (r Resolution) Summary() string {
	switch {
	case r.Known && r.Placed:
		var lines []string
		for _, b := range r.Batches {
			for _, o := range b.Orders {
				lines = append(lines, fmt.Sprintf("%s %s × %d (%s)", o.TransactionType, o.Tradingsymbol, o.Quantity, o.Status))
			}
		}
		s := "orders were placed for " + r.TransactionID
		if len(lines) > 0 {
			s += ": " + strings.Join(lines, ", ")
		}
		return s + " (" + r.Source + ")"
	case r.Known && r.Status == gateway.StatusInitialized:
		return fmt.Sprintf("no orders were placed for %s: it is unused (%s: INITIALIZED), though a page could still use it until it expires", r.TransactionID, r.Source)
	case r.Known:
		return fmt.Sprintf("no orders were placed for %s (%s: %s)", r.TransactionID, r.Source, r.Status)
	case r.Err != nil:
		return fmt.Sprintf("could not tell whether orders were placed for %s: %v", r.TransactionID, r.Err)
	}
	return fmt.Sprintf("could not tell whether orders were placed for %s: %s lists none yet (it lists orders once the transaction completes)", r.TransactionID, r.Source)
}

// NeedsResolution reports whether the journey ended (with err, or
// interrupted) in a way that leaves open whether its transaction placed
// orders: an order journey whose transaction exists and whose SDK step did
// not settle with its own answer.
func (j *Journey) NeedsResolution(err error) bool {
	// A transaction run with gatewalk sdk whose intent is unknown may be
	// an order.
	it := j.intent()
	if (it != gateway.IntentTransaction && !(j.Kind == SDKRun && it == "")) || j.TransactionID() == "" {
		return false
	}
	if s := j.Step(AwaitSDK); s != nil && s.State == Done {
		return false
	}
	var sdk *gateway.SDKError
	switch {
	case err == nil:
		return false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, bridge.ErrJourneyClosed),
		errors.Is(err, ErrPageClosedAfterStart):
		return true
	case errors.Is(err, bridge.ErrJourneyExpired):
		// The wait ran out; if the SDK had started, its answer may simply
		// not have come back in time.
		j.mu.Lock()
		defer j.mu.Unlock()
		return j.sdkStarted
	case errors.As(err, &sdk):
		return sdk.Message == "invalid_transactionId" || sdk.Message == "transaction_in_process" || sdk.Message == "internal_error"
	}
	var un *UnreachableError
	return errors.As(err, &un)
}

// Resolve asks what became of the journey's transaction: on a sandbox its
// driver's transaction status (which tells an unused transaction apart),
// else the order details. It never creates anything.
func (j *Journey) Resolve(ctx context.Context) (res Resolution) {
	r := j.r
	res.TransactionID = j.TransactionID()
	defer func() { res.Said = res.Summary() }()
	if res.TransactionID == "" {
		res.Known, res.Source = true, "no transaction was created"
		return res
	}
	if r.profile.Env == gateway.EnvSandbox {
		if err := r.sandboxStatus(ctx, &res); err == nil {
			return res
		}
	}
	res.Source = "the order details"
	od, err := r.client.FetchOrderDetails(ctx, j.connectedToken(), res.TransactionID)
	if err != nil {
		res.Err = err
		return res
	}
	res.Status, res.Batches = od.Status, od.Batches
	for _, b := range od.Batches {
		if len(b.Orders) > 0 {
			res.Known, res.Placed = true, true
		}
	}
	return res
}

// sandboxStatus reads GET /_sandbox/transactions/{id}: a transaction still
// INITIALIZED (or expired unused) placed nothing.
func (r *Runner) sandboxStatus(ctx context.Context, res *Resolution) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	u := strings.TrimRight(r.client.BaseURL, "/") + "/_sandbox/transactions/" + url.PathEscape(res.TransactionID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	hc := r.client.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var env struct {
		Data struct {
			Status  gateway.Status       `json:"status"`
			Batches []gateway.OrderBatch `json:"batches"`
			Outcome *gateway.SDKOutcome  `json:"outcome"`
		} `json:"data"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &env) != nil {
		return fmt.Errorf("sandbox status: HTTP %d", resp.StatusCode)
	}
	res.Source, res.Status, res.Batches = "the sandbox's transaction status", env.Data.Status, env.Data.Batches
	for _, b := range env.Data.Batches {
		if len(b.Orders) > 0 {
			res.Known, res.Placed = true, true
		}
	}
	switch env.Data.Status {
	case gateway.StatusInitialized, gateway.StatusExpired, gateway.StatusErrored, gateway.StatusCancelled, gateway.StatusCompleted:
		// Settled, or not started: the batches above are all there is.
		res.Known = true
	}
	return nil
}
