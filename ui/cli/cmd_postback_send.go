package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/ui/present"
)

const postbackSendUsage = "postback send --to URL --event EVENT [--user LABEL] [--transaction-id ID] [--from-history N] [--set KEY=VALUE]... [--bad-checksum] [--replay] [--allow-insecure] [--profile NAME] [--yes] [--json]"

const postbackSendAbout = `Sends a signed postback to your own handler, as the Gateway would: the body
is the one the embedded sandbox posts at the end of a journey of that event
(its shape, its data), with your user's smallcaseAuthId and your transaction's
id put in, and the checksum computed with the profile's apiSecret
($GATEWALK_API_SECRET when set; shown masked). It prints the handler's status,
its answer and the time it took.

EVENT is ORDER_PLACED, ORDER_COMPLETED, HOLDINGS_IMPORT, MF_HOLDINGS_IMPORT or
PENDING_ACTION (PENDING_ACTION's shape is the sandbox's choice: the Gateway's
is not public). --from-history N takes the transaction, its user and (without
--event) its event from the profile's history, 1 being the newest.
--set KEY=VALUE sets a top-level field before signing (VALUE is JSON when it
parses as JSON, else a string: --set status=ERRORED, --set timestamp=1700000000000).

Negative cases a handler must refuse or absorb:
  --bad-checksum  the checksum is wrong (one digit changed); a handler must refuse it
  --replay        the same postback is sent twice; the second is a replay, to be
                  recognised and answered 2xx without acting on it again

--to must be a loopback address (http://127.0.0.1:PORT/..., http://localhost:...)
or https; plain http to another host needs --allow-insecure. Redirects are not
followed. Exits 0 when the handler answered 2xx (with --bad-checksum: when it
refused with a 4xx), 1 otherwise, 2 on a usage error.`

// postbackSendOpts are the flags of postback send.
type postbackSendOpts struct {
	to, event, user, txnID, profile string
	fromHistory                     int
	sets                            []gateway.JSONField
	badChecksum, replay, insecure   bool
	jsonOut, yes                    bool
	timeout                         time.Duration
}

func parsePostbackSend(c *Factory, args []string) (postbackSendOpts, error) {
	var o postbackSendOpts
	fs := newFlagSet(c, "postback send", postbackSendUsage, postbackSendAbout)
	fs.StringVar(&o.to, "to", "", "the handler's URL (loopback or https)")
	fs.StringVar(&o.event, "event", "", "ORDER_PLACED, ORDER_COMPLETED, HOLDINGS_IMPORT, MF_HOLDINGS_IMPORT or PENDING_ACTION")
	fs.StringVar(&o.user, "user", "", "the local user whose smallcaseAuthId the postback carries")
	fs.StringVar(&o.txnID, "transaction-id", "", "the transactionId the postback carries")
	fs.IntVar(&o.fromHistory, "from-history", 0, "take the transaction (and its user and event) from the history, 1 = newest")
	fs.Func("set", "KEY=VALUE: set a top-level field before signing (repeatable)", func(s string) error {
		f, err := parseSetField(s)
		o.sets = append(o.sets, f)
		return err
	})
	fs.BoolVar(&o.badChecksum, "bad-checksum", false, "send a wrong checksum (a handler must refuse it)")
	fs.BoolVar(&o.replay, "replay", false, "send the same postback a second time (a replay)")
	fs.BoolVar(&o.insecure, "allow-insecure", false, "allow plain http to a host that is not loopback")
	fs.StringVar(&o.profile, "profile", "", "profile whose apiSecret signs (default: $GATEWALK_PROFILE, else the active profile)")
	fs.BoolVar(&o.jsonOut, "json", false, "print JSON")
	fs.BoolVar(&o.yes, "yes", false, "on a production profile, confirm in advance (needed without a terminal)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "how long to wait for each answer")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return o, err
	}
	if err := unexpectedArgs(pos); err != nil {
		return o, err
	}
	switch {
	case o.to == "":
		return o, usagef("--to URL is required: the handler to send to (e.g. --to http://127.0.0.1:8787/postback)")
	case o.fromHistory < 0:
		return o, usagef("--from-history N counts from 1 (the newest transaction)")
	case o.fromHistory > 0 && o.txnID != "":
		return o, usagef("--from-history and --transaction-id both name the transaction: give one")
	case o.txnID != "" && !postbackIDRe.MatchString(o.txnID):
		return o, usagef("--transaction-id: 1-64 letters, digits, '_' or '-' (TRX_ and 32 hex on the Gateway)")
	case o.timeout <= 0:
		return o, usagef("--timeout must be positive")
	}
	for _, f := range o.sets {
		if f.Key == "checksum" && o.badChecksum {
			return o, usagef("--set checksum=... and --bad-checksum both set the checksum: give one")
		}
	}
	if o.event != "" && !contains(sandbox.SampleEvents(), o.event) {
		return o, usagef("--event: unknown event (want %s)", strings.Join(sandbox.SampleEvents(), ", "))
	}
	return o, nil
}

var (
	postbackIDRe  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	postbackKeyRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
)

// parseSetField reads --set KEY=VALUE. The value is not repeated in errors.
func parseSetField(s string) (gateway.JSONField, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || !postbackKeyRe.MatchString(k) {
		return gateway.JSONField{}, errors.New("want KEY=VALUE, KEY a field name (letters, digits, _)")
	}
	if json.Valid([]byte(v)) {
		return gateway.JSONField{Key: k, Value: json.RawMessage(v)}, nil
	}
	b, _ := json.Marshal(v)
	return gateway.JSONField{Key: k, Value: b}, nil
}

// checkPostbackTarget accepts loopback and https handlers; plain http
// elsewhere would carry the body across the network unencrypted, so it needs
// allowInsecure.
func checkPostbackTarget(raw string, allowInsecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, usagef("--to: want an http or https URL with a host, e.g. http://127.0.0.1:8787/postback or https://partner.example/postback")
	}
	if u.User != nil {
		return nil, usagef("--to: no user or password in the URL (it would be printed)")
	}
	if u.Scheme == "http" && !isLoopbackName(u.Hostname()) && !allowInsecure {
		return nil, usagef("--to %s is plain http to a host that is not loopback: use https, a loopback address (127.0.0.1, ::1, localhost), or --allow-insecure",
			present.SafeLine(u.Redacted()))
	}
	return u, nil
}

func isLoopbackName(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// postbackIDs are what the postback names: its event, transaction and user.
type postbackIDs struct {
	event, txnID, label, authID string
}

// postbackSendIDs resolves the event, transaction and user from the flags
// and the history.
func postbackSendIDs(st *session.Store, p session.Profile, o postbackSendOpts) (postbackIDs, error) {
	ids := postbackIDs{event: o.event, txnID: o.txnID, label: o.user}
	if o.fromHistory > 0 {
		hist, err := st.History(p.Name)
		if err != nil {
			return ids, err
		}
		if o.fromHistory > len(hist) {
			return ids, usagef("--from-history %d: profile %q has %d transactions in its history (gatewalk opens it with y in the TUI)", o.fromHistory, p.Name, len(hist))
		}
		e := hist[o.fromHistory-1]
		ids.txnID = e.TransactionID
		if ids.label == "" {
			ids.label = e.User
		}
		if ids.event == "" {
			ids.event = eventOfIntent(e.Intent)
		}
		if !postbackIDRe.MatchString(ids.txnID) {
			return ids, fmt.Errorf("--from-history %d: the transaction's id in the history is not a plain id", o.fromHistory)
		}
	}
	if ids.event == "" {
		return ids, usagef("--event is required (want %s), unless --from-history names a transaction whose intent has one", strings.Join(sandbox.SampleEvents(), ", "))
	}
	if ids.label != "" {
		u, err := st.User(p.Name, ids.label)
		if errors.Is(err, session.ErrUserNotFound) {
			return ids, &usageError{err.Error()}
		}
		if err != nil {
			return ids, err
		}
		if err := gateway.ValidateAuthID(u.SmallcaseAuthID); err != nil {
			return ids, fmt.Errorf("user %q: %w", ids.label, err)
		}
		ids.authID = u.SmallcaseAuthID
	}
	return ids, nil
}

// eventOfIntent is the postback a transaction of intent ends with; "" when
// it has none.
func eventOfIntent(in gateway.Intent) string {
	switch in {
	case gateway.IntentTransaction:
		return gateway.EventOrderCompleted
	case gateway.IntentHoldingsImport:
		return gateway.EventHoldingsImport
	case gateway.IntentMFHoldingsImport:
		return gateway.EventMFHoldingsImport
	}
	return ""
}

// buildPostbackBody is the sandbox's postback of the event with the ids
// put in, the --set fields set, and signed (or mis-signed).
func buildPostbackBody(ctx context.Context, c *Factory, o postbackSendOpts, ids postbackIDs, key postbackKey) ([]byte, error) {
	body, err := sandbox.SamplePostback(ctx, sandbox.SampleRequest{Event: ids.event, TransactionID: ids.txnID,
		SmallcaseAuthID: ids.authID, Clock: c.now})
	if err != nil {
		return nil, err
	}
	if body, err = gateway.SetJSONFields(body, o.sets...); err != nil {
		return nil, usagef("--set: %v", err)
	}
	for _, f := range o.sets {
		if f.Key == "checksum" {
			return body, nil // the checksum given is sent as it is
		}
	}
	if body, err = gateway.SignPostbackBody(body, key.secret); err != nil {
		return nil, usagef("--set made the body something that is not a postback: %v", err)
	}
	if o.badChecksum {
		var p gateway.Postback
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, err
		}
		bad, _ := json.Marshal(alterChecksum(p.Checksum))
		return gateway.SetJSONFields(body, gateway.JSONField{Key: "checksum", Value: bad})
	}
	return body, nil
}

// alterChecksum changes the checksum's last digit, so it is well-formed
// and wrong.
func alterChecksum(sum string) string {
	if sum == "" {
		return "0"
	}
	last := sum[len(sum)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return sum[:len(sum)-1] + string(repl)
}

// postbackSendResult is one POST and its answer.
type postbackSendResult struct {
	Replay     bool   `json:"replay"`
	Status     int    `json:"status,omitempty"`
	DurationMs int64  `json:"durationMs"`
	Answer     string `json:"answer,omitempty"`
	Location   string `json:"location,omitempty"`
	Error      string `json:"error,omitempty"`
}

// maxAnswer is how much of the handler's answer is kept and shown.
const maxAnswer = 2 << 10

// sendPostback POSTs body to the handler, once; redirects are not
// followed, so the body goes only where --to says.
func sendPostback(ctx context.Context, c *Factory, client *http.Client, to *url.URL, body []byte, replay bool) postbackSendResult {
	res := postbackSendResult{Replay: replay}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to.String(), bytes.NewReader(body))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gatewalk/"+c.versionString()+" postback send")
	start := time.Now()
	resp, err := client.Do(req)
	res.DurationMs = time.Since(start).Milliseconds()
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	res.Status, res.Answer, res.Location = resp.StatusCode, string(b), resp.Header.Get("Location")
	return res
}

func runPostbackSend(ctx context.Context, c *Factory, args []string) error {
	o, err := parsePostbackSend(c, args)
	if err != nil {
		return err
	}
	to, err := checkPostbackTarget(o.to, o.insecure)
	if err != nil {
		return err
	}
	st, p, key, err := postbackProfile(c, o.profile)
	if err != nil {
		return err
	}
	ids, err := postbackSendIDs(st, p, o)
	if err != nil {
		return err
	}
	body, err := buildPostbackBody(ctx, c, o, ids, key)
	if err != nil {
		return err
	}
	if err := confirmProductionPostback(c, p, o, to.Redacted()); err != nil {
		return err
	}
	client := &http.Client{Timeout: o.timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	results := []postbackSendResult{sendPostback(ctx, c, client, to, body, false)}
	if o.replay && results[0].Error == "" {
		results = append(results, sendPostback(ctx, c, client, to, body, true))
	}
	ok, verdict := postbackSendVerdict(o, results[0], gjson(body, "transactionId"))
	if ok && len(results) > 1 {
		// A replay must be answered 2xx too (and not acted on again).
		if r := results[1]; r.Error != "" || r.Status < 200 || r.Status > 299 {
			ok, verdict = false, fmt.Sprintf("the replay was not answered 2xx (%s): a handler should recognise it and answer 2xx so the Gateway stops", replayAnswer(r))
		}
	}
	if o.jsonOut {
		err = writeJSON(c.stdout, map[string]any{"ok": ok, "verdict": verdict, "to": to.Redacted(), "event": ids.event,
			"transactionId": gjson(body, "transactionId"), "smallcaseAuthId": gjson(body, "smallcaseAuthId"), "user": ids.label,
			"key": key.describe(), "badChecksum": o.badChecksum, "body": json.RawMessage(body), "sends": results})
	} else {
		printPostbackSend(c.stdout, o, ids, key, to, body, results, verdict)
	}
	if err != nil {
		return err
	}
	if !ok {
		return errSilent{exitError}
	}
	return nil
}

// postbackSendVerdict says whether the handler did what it should with the
// first POST of the postback of transaction txnID.
func postbackSendVerdict(o postbackSendOpts, r postbackSendResult, txnID string) (bool, string) {
	two := r.Status >= 200 && r.Status < 300
	switch {
	case r.Status == http.StatusNotFound && !o.badChecksum && answerOutcome(r.Answer) == "unknown_transaction":
		return false, unknownToListener(o, txnID)
	case r.Error != "":
		return false, "not delivered: " + r.Error + "; is the handler running at --to?"
	case o.badChecksum && two:
		return false, fmt.Sprintf("the handler accepted a postback whose checksum is wrong (HTTP %d): it must check the checksum and refuse it", r.Status)
	case r.Status >= 300 && r.Status < 400:
		return false, fmt.Sprintf("the handler redirected (HTTP %d), which is not followed: point --to at the final URL", r.Status)
	case o.badChecksum && r.Status >= 400 && r.Status < 500:
		return true, fmt.Sprintf("the handler refused the wrong checksum (HTTP %d)", r.Status)
	case o.badChecksum:
		return false, fmt.Sprintf("the handler answered HTTP %d to a wrong checksum: refuse it with a 4xx (401), or the Gateway retries it", r.Status)
	case !two:
		return false, fmt.Sprintf("the handler answered HTTP %d: the Gateway would retry it", r.Status)
	}
	return true, fmt.Sprintf("the handler accepted it (HTTP %d)", r.Status)
}

// madeUpTransaction reports whether the postback's transactionId was made
// up for it: neither --transaction-id nor --from-history named one.
func (o postbackSendOpts) madeUpTransaction() bool { return o.txnID == "" && o.fromHistory == 0 }

// answerOutcome is the outcome a gatewalk listener puts in its answer
// ({"outcome": "unknown_transaction", ...}); "" from another handler.
func answerOutcome(answer string) string {
	var a struct {
		Outcome string `json:"outcome"`
	}
	_ = json.Unmarshal([]byte(answer), &a)
	return a.Outcome
}

// unknownToListener explains a gatewalk listener's 404: the transaction is
// not in the history of the listener's profile, and says what to send instead.
func unknownToListener(o postbackSendOpts, txnID string) string {
	msg := fmt.Sprintf("the gatewalk listener answered HTTP 404: transaction %s is not in its profile's history (the Gateway would retry it). ", txnID)
	if o.madeUpTransaction() {
		return msg + "Its transactionId was made up (no --transaction-id or --from-history): send one the listener's profile ran " +
			"(--from-history 1, the newest; --transaction-id ID), or run the listener with --accept-unknown to take made-up ones (202)"
	}
	return msg + "Run the listener on the profile whose history has it (gatewalk listen --profile NAME), " +
		"or with --accept-unknown for transactions your backend created (202)"
}

// gjson reads a top-level string field of body ("" when absent).
func gjson(body []byte, key string) string {
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	s, _ := m[key].(string)
	return s
}

func printPostbackSend(w io.Writer, o postbackSendOpts, ids postbackIDs, key postbackKey, to *url.URL, body []byte,
	results []postbackSendResult, verdict string) {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return present.SafeLine(s)
	}
	user := dash(gjson(body, "smallcaseAuthId"))
	if ids.label != "" {
		user += " (" + present.SafeLine(ids.label) + ")"
	}
	txn := dash(gjson(body, "transactionId"))
	if iscid := gjson(body, "iscid"); txn == "-" && iscid != "" {
		txn = "investment " + present.SafeLine(iscid) // a pending action names no transaction
	} else if txn != "-" && o.madeUpTransaction() {
		txn += " (made up: no --transaction-id or --from-history)"
	}
	fmt.Fprintf(w, "postback:  %s for %s, user %s\n", dash(ids.event), txn, user)
	if o.badChecksum {
		fmt.Fprintf(w, "checksum:  WRONG on purpose (--bad-checksum), made with %s and then changed\n", key.describe())
	} else {
		fmt.Fprintf(w, "checksum:  signed with %s\n", key.describe())
	}
	for _, r := range results {
		what := "POST"
		if r.Replay {
			what = "replay"
		}
		if r.Error != "" {
			fmt.Fprintf(w, "%-6s     %s: %s after %dms\n", what, present.SafeLine(to.Redacted()), present.SafeLine(r.Error), r.DurationMs)
			continue
		}
		fmt.Fprintf(w, "%-6s     %s -> %d %s in %dms\n", what, present.SafeLine(to.Redacted()), r.Status, http.StatusText(r.Status), r.DurationMs)
		if r.Location != "" {
			fmt.Fprintf(w, "           Location: %s (not followed)\n", present.SafeLine(r.Location))
		}
		if a := strings.TrimSpace(r.Answer); a != "" {
			fmt.Fprintf(w, "answer:    %s\n", present.SafeLine(a))
		}
	}
	fmt.Fprintf(w, "result:    %s\n", present.SafeLine(verdict))
}

// replayAnswer names how the second POST was answered.
func replayAnswer(r postbackSendResult) string {
	if r.Error != "" {
		return "no answer: " + r.Error
	}
	return "HTTP " + strconv.Itoa(r.Status)
}

// confirmProductionPostback: a postback signed with a production profile's
// apiSecret is one the partner's handler takes as genuine, so it is sent
// only after the operator typed yes (or gave --yes without a terminal);
// --replay, a deliberate second delivery, is refused there.
func confirmProductionPostback(c *Factory, p session.Profile, o postbackSendOpts, to string) error {
	if p.Env != gateway.EnvProduction {
		return nil
	}
	if o.replay {
		return usagef("profile %q is production: --replay sends a genuine, signed postback twice; use a staging or sandbox profile for replay tests. Nothing was sent", p.Name)
	}
	fmt.Fprintf(c.stderr, "PRODUCTION profile %q: this %s postback is signed with its real apiSecret, so %s will take it as genuine.\n",
		present.SafeLine(p.Name), present.SafeLine(o.event), present.SafeLine(to))
	return confirmTyped(c, o.yes, stdinTerminal(c),
		usagef("profile %q is production: sending a signed postback without a terminal to confirm it needs --yes; nothing was sent", p.Name),
		"Send it?", "sent")
}
