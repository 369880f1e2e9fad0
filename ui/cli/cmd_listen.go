package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"gatewalk/session"
	"gatewalk/session/postback"
	"gatewalk/ui/present"
)

func listenCommand() command {
	return command{name: "listen", summary: "receive postbacks (webhooks) on loopback, verify and record them", run: runListen}
}

const listenAbout = `Listens on a loopback address for the Gateway's postbacks (POST, JSON body,
any path), verifies each checksum with the profile's apiSecret
($GATEWALK_API_SECRET overrides it), records every postback in the profile's
history next to its transaction (or as unmatched), and prints one line per
request: time, event, transaction, status, checksum (ok, BAD or replay), the
HTTP answer and the user (smallcaseAuthId and local label).

Answers: 200 valid; 200 replay (same transaction, event and checksum already
accepted: recorded as a replay, 2xx so the sender stops retrying); 400
malformed body; 401 bad or missing checksum; 404 valid but the transaction is
not in the profile's history (recorded as unmatched; 202 with
--accept-unknown); 200 to a valid PENDING_ACTION, which names an investment
(iscid), not a transaction (recorded with the unmatched); 413 body over 256 KiB; 500 when the history cannot be
written (the sender retries, nothing is lost) or for --fail-first.

The sandbox posts here with: gatewalk sandbox --postback-url URL. The real
Gateway posts to the URL registered with the smallcase Gateway team: forward
it to this address with a tunnel (ssh -R PORT:127.0.0.1:PORT host) or a
reverse proxy. Ctrl-C stops.

--forward-to URL sends every postback whose checksum holds (accepted, replay,
unknown transaction) on to your backend, unchanged: the body byte for byte
and its Content-Type. The answer to the sender never waits for it; the
backend's status is printed in the FWD column beside the verification (ERR
when it could not be reached, DROP when it fell behind), and failed forwards
are counted on the line and when the listener stops. URL is loopback or
https; plain http to another host needs --allow-insecure.`

func runListen(ctx context.Context, c *Factory, args []string) error {
	fs := newFlagSet(c, "listen", "listen [--addr 127.0.0.1:PORT] [--profile NAME] [--json] [--accept-unknown] [--fail-first N] [--forward-to URL [--allow-insecure]]", listenAbout)
	addr := fs.String("addr", postback.DefaultAddr, "loopback address to listen on (port 0: any free port)")
	profile := fs.String("profile", "", "profile whose apiSecret and history are used (default: $GATEWALK_PROFILE, else the active profile)")
	jsonOut := fs.Bool("json", false, "print one JSON object per request (JSON lines) on standard output")
	acceptUnknown := fs.Bool("accept-unknown", false, "answer 202, not 404, to valid postbacks of transactions not in the history")
	failFirst := fs.Int("fail-first", 0, "answer 500 to the first N postbacks, to watch the sender retry")
	forwardTo := fs.String("forward-to", "", "send each verified postback on, unchanged, to this URL (your backend)")
	insecure := fs.Bool("allow-insecure", false, "allow --forward-to over plain http to a host that is not loopback")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := unexpectedArgs(pos); err != nil {
		return &usageError{fmt.Sprintf("%v. The apiSecret comes from the profile or $%s, the address from --addr", err, session.EnvAPISecret)}
	}
	if *failFirst < 0 {
		return usagef("--fail-first must be 0 or more")
	}
	if err := postback.CheckLoopback(*addr); err != nil {
		return &usageError{err.Error()}
	}
	var fw *postback.Forwarder
	if *forwardTo != "" {
		u, err := checkPostbackTarget(*forwardTo, *insecure)
		if err != nil {
			return &usageError{strings.Replace(err.Error(), "--to", "--forward-to", 1)}
		}
		fw = postback.NewForwarder(postback.ForwardConfig{URL: u.String()})
	} else if *insecure {
		return usagef("--allow-insecure goes with --forward-to")
	}
	st, p, key, err := postbackProfile(c, *profile)
	if err != nil {
		return err
	}
	r := postback.NewReceiver(postback.Config{Profile: p.Name, APISecret: key.secret, Store: st,
		AcceptUnknown: *acceptUnknown, FailFirst: *failFirst, Now: c.now, Forward: fw})
	url, err := r.Start(*addr)
	if err != nil {
		if fw != nil {
			fw.Close(context.Background())
		}
		return err
	}
	unknown := "answered 404"
	if *acceptUnknown {
		unknown = "answered 202"
	}
	fmt.Fprintf(c.stderr, "gatewalk listen: POST postbacks to %s (any path)\n", url)
	fmt.Fprintf(c.stderr, "profile %s: checksums checked with %s; unknown transactions %s\n", p.Name, key.describe(), unknown)
	fmt.Fprintf(c.stderr, "sandbox: gatewalk sandbox --postback-url %s    real Gateway: forward the registered URL here (ssh -R)\n", url)
	if fw != nil {
		fmt.Fprintf(c.stderr, "forwarding verified postbacks to %s\n", present.SafeLine(redactedURL(fw.URL())))
	}
	fmt.Fprintln(c.stderr, "Ctrl-C to stop.")
	lw := &listenWriter{w: c.stdout, json: *jsonOut, store: st, profile: p.Name, forward: fw != nil}
	if !*jsonOut {
		lw.header()
	}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case ev := <-r.Events():
			lw.print(ev)
		}
	}
	closeErr := r.Close()
	if fw != nil {
		// Forwards still queued get a few seconds; their events come below.
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		fw.Close(fctx)
		cancel()
	}
	for {
		select {
		case ev := <-r.Events():
			lw.print(ev)
			continue
		default:
		}
		break
	}
	fmt.Fprintf(c.stderr, "gatewalk listen: stopped; %s\n", listenSummary(r.Counts()))
	if fw != nil {
		fmt.Fprintf(c.stderr, "gatewalk listen: %s\n", forwardSummary(fw))
	}
	if n := r.Dropped(); n > 0 {
		fmt.Fprintf(c.stderr, "gatewalk listen: %d events were not printed (output too slow); they are in the history\n", n)
	}
	if closeErr != nil && !errors.Is(closeErr, context.DeadlineExceeded) {
		return fmt.Errorf("stopping the listener: %w", closeErr)
	}
	return nil
}

// listenSummary renders the outcome counts, e.g. "3 requests: 2 ok, 1 replay".
func listenSummary(counts map[postback.Outcome]int) string {
	total := 0
	var parts []string
	for o, n := range counts {
		total += n
		parts = append(parts, fmt.Sprintf("%d %s", n, o))
	}
	if total == 0 {
		return "no postbacks received"
	}
	sort.Strings(parts)
	s := "s"
	if total == 1 {
		s = ""
	}
	return fmt.Sprintf("%d request%s: %s", total, s, strings.Join(parts, ", "))
}

// forwardSummary counts what became of the forwards.
func forwardSummary(fw *postback.Forwarder) string {
	n := fw.Counts()
	return fmt.Sprintf("forwarded to %s: %d delivered (2xx), %d refused (non-2xx), %d unreachable, %d dropped",
		present.SafeLine(redactedURL(fw.URL())), n.Delivered, n.Refused, n.Unreachable, n.Dropped)
}

// redactedURL hides a password in a URL that is shown.
func redactedURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// listenWriter prints listener events as aligned lines or JSON lines.
type listenWriter struct {
	w       io.Writer
	json    bool
	store   *session.Store
	profile string
	labels  map[string]string // smallcaseAuthId -> local label
	// forward adds the FWD column: the backend's answer to the forward.
	forward bool
	// fwdFailed counts the forwards that did not get a 2xx so far.
	fwdFailed, fwdTotal int
}

// listenLineFormat sizes TRANSACTION for a whole id (TRX_ and 32 hex
// characters; ids are printed in full, to be copied) and STATUS for the
// longest status, ACTION_REQUIRED.
const listenLineFormat = "%-8s  %-18s  %-36s  %-15s  %-8s  %-4s  %s\n"

func (lw *listenWriter) header() {
	httpHead := "HTTP"
	if lw.forward {
		httpHead = "HTTP  FWD "
	}
	fmt.Fprintf(lw.w, listenLineFormat, "TIME", "EVENT", "TRANSACTION", "STATUS", "CHECKSUM", httpHead, "USER")
}

// forwardColumn is the FWD column and, for a failed forward, its note.
func (lw *listenWriter) forwardColumn(ev postback.Event) (string, string) {
	f := ev.Forward
	if f == nil {
		return "-   ", ""
	}
	lw.fwdTotal++
	if f.OK() {
		return fmt.Sprintf("%-4d", f.Status), ""
	}
	lw.fwdFailed++
	col, why := fmt.Sprintf("%-4d", f.Status), fmt.Sprintf("the backend answered HTTP %d", f.Status)
	switch {
	case f.Dropped:
		col, why = "DROP", f.Error
	case f.Error != "":
		col, why = "ERR ", "the backend was not reached: "+f.Error
	}
	return col, fmt.Sprintf("forward failed (%d of %d so far): %s", lw.fwdFailed, lw.fwdTotal, why)
}

func (lw *listenWriter) print(ev postback.Event) {
	if lw.json {
		b, err := json.Marshal(ev)
		b = present.SafeJSON(b)
		if err == nil {
			fmt.Fprintf(lw.w, "%s\n", b)
		}
		return
	}
	// Anyone who can reach the listener writes these fields: shown
	// terminal-safe, checksum or not.
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return present.SafeLine(s)
	}
	event := ev.Event
	switch ev.Outcome {
	case postback.OutcomeNotPost:
		event = "(not a POST)"
	case postback.OutcomeMalformed:
		event = "(malformed)"
	case postback.OutcomeTooLarge:
		event = "(too large)"
	}
	httpCol, fwdNote := fmt.Sprint(ev.HTTPStatus), ""
	if lw.forward {
		var fwd string
		fwd, fwdNote = lw.forwardColumn(ev)
		httpCol = fmt.Sprintf("%-4d  %s", ev.HTTPStatus, fwd)
	}
	txn := dash(ev.TransactionID)
	if ev.TransactionID == "" && ev.Iscid != "" {
		// A pending action names an investment instead.
		txn = "iscid " + present.SafeLine(ev.Iscid)
	}
	fmt.Fprintf(lw.w, listenLineFormat, ev.ReceivedAt.Local().Format("15:04:05"), dash(event), txn,
		dash(string(ev.Status)), ev.ChecksumLabel(), httpCol, lw.user(ev.SmallcaseAuthID))
	var notes []string
	if fwdNote != "" {
		notes = append(notes, fwdNote)
	}
	if ev.Problem != "" {
		notes = append(notes, ev.Problem)
	}
	if ev.StoreError != "" {
		notes = append(notes, "NOT RECORDED: "+ev.StoreError)
	} else if ev.Stored && !ev.Matched && ev.Outcome != postback.OutcomeUnknown && ev.Outcome != postback.OutcomePending {
		notes = append(notes, "recorded as unmatched")
	}
	for _, n := range notes {
		fmt.Fprintf(lw.w, "          ↳ %s\n", present.SafeLine(n))
	}
}

// user renders a smallcaseAuthId with its local label when the profile has
// a user with that id.
func (lw *listenWriter) user(id string) string {
	if id == "" {
		return "-"
	}
	if _, ok := lw.labels[id]; !ok {
		lw.labels = map[string]string{}
		if users, err := lw.store.Users(lw.profile); err == nil {
			for _, u := range users {
				lw.labels[u.SmallcaseAuthID] = u.Label
			}
		}
		if _, ok := lw.labels[id]; !ok {
			lw.labels[id] = ""
		}
	}
	if l := lw.labels[id]; l != "" {
		return present.SafeLine(id) + " (" + present.SafeLine(l) + ")"
	}
	return present.SafeLine(id)
}
