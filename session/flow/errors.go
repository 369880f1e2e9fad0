package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
)

// UnknownUserError is a connected journey started for a label the profile
// has no user for.
type UnknownUserError struct {
	Profile, Label string
	Err            error // the store's error
}

// Error names the profile and label, and how to connect the user.
func (e *UnknownUserError) Error() string {
	return fmt.Sprintf("profile %q has no user %q: connect one first with `gatewalk login --user %s` (`gatewalk users list` shows the users)",
		e.Profile, e.Label, e.Label)
}

// Unwrap returns the store's error.
func (e *UnknownUserError) Unwrap() error { return e.Err }

// AutoNotSandboxError is Options.Auto on a profile that is not the sandbox.
type AutoNotSandboxError struct {
	Profile string
	Env     gateway.Environment
}

// Error says that --auto needs the sandbox and what to do instead.
func (e *AutoNotSandboxError) Error() string {
	return fmt.Sprintf("--auto works only on the sandbox: profile %q is %s, where the SDK step needs a real browser and broker login (use --profile sandbox, or drop --auto)", e.Profile, e.Env)
}

// MissingKeysError is a profile without a secret or apiSecret.
type MissingKeysError struct {
	Profile string
	Missing []string // "secret", "apiSecret"
}

// Error names the missing keys and the two ways to provide them.
func (e *MissingKeysError) Error() string {
	return fmt.Sprintf("profile %q has no %s: set GATEWALK_SECRET and GATEWALK_API_SECRET for this run, or store the keys with `gatewalk profile edit %s --secrets-stdin`",
		e.Profile, strings.Join(e.Missing, " or "), e.Profile)
}

// NotSandboxAccountError is a connected journey on a sandbox profile for a
// user whose smallcaseAuthId no sandbox broker account has (an id typed in
// with `users add`, or one from another gateway). Err is nil when the
// journey caught it before any request, else the sandbox's 404.
type NotSandboxAccountError struct {
	Profile, Label, AuthID string
	Err                    error
}

// Error names the id and user, and how to connect a sandbox account.
func (e *NotSandboxAccountError) Error() string {
	return fmt.Sprintf("smallcaseAuthId %s of user %q is not a sandbox account (the sandbox knows only the ids of its leprechaun accounts): "+
		"connect the user with `gatewalk login --user %s --profile %s`, or use a label that login saved",
		e.AuthID, e.Label, e.Label, e.Profile)
}

// Unwrap returns the sandbox's 404, or nil when no request was made.
func (e *NotSandboxAccountError) Unwrap() error { return e.Err }

// ErrPageClosedAfterStart: the page that ran the SDK was closed or
// reloaded after the SDK started, so the SDK's answer cannot arrive; the
// transaction may or may not have been used.
var ErrPageClosedAfterStart = errors.New("the browser page was closed after the SDK started: its answer cannot reach gatewalk any more")

// UnreachableError is a request that got no HTTP answer: the connection was
// refused, the host is unknown, or nothing answered in time. Attempts and
// Total count every attempt the client made.
type UnreachableError struct {
	// URL is the Gateway's base URL (scheme and host).
	URL string
	// Reason is short: "connection refused", "no answer within 15s".
	Reason   string
	Attempts int
	Total    time.Duration
	Err      error
	// MayHaveCreated: the request was a create that reached the Gateway
	// (or may have) and got no answer, so a transaction may exist; Sent is
	// when the request went out. gatewalk never retries a create.
	MayHaveCreated bool
	Sent           time.Time
}

// Error names the Gateway's URL, the reason and, after a retry, the
// attempts and the time they took. For a create that may have reached the
// Gateway it says that a transaction may exist.
func (e *UnreachableError) Error() string {
	if e.MayHaveCreated {
		return fmt.Sprintf("the create request sent to %s at %s got no answer (%s): a transaction may have been created; "+
			"gatewalk does not retry a create, since a retry could make two", e.URL, e.Sent.Local().Format("15:04:05"), e.Reason)
	}
	s := fmt.Sprintf("could not reach the Gateway at %s (%s", e.URL, e.Reason)
	if e.Attempts > 1 {
		s += fmt.Sprintf("; %d attempts over %s", e.Attempts, roundSeconds(e.Total))
	}
	return s + ")"
}

// Unwrap returns the client's network error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// KeyOverrideError is a key rejection (the API refused the JWT or the
// apiSecret, or a returned token does not verify) while the key in question
// came from an environment variable rather than the profile.
type KeyOverrideError struct {
	// Var is the variable that set the key: GATEWALK_SECRET or GATEWALK_API_SECRET.
	Var string
	Err error
}

// Error is the rejection with a hint that names the variable the key came
// from, rather than the profile.
func (e *KeyOverrideError) Error() string {
	var api *gateway.APIError
	if errors.As(e.Err, &api) {
		// APIError's text blames the profile's key; say where the key came from.
		msg := strings.Join(api.Errors, "; ")
		if msg == "" {
			msg = fmt.Sprintf("HTTP %d", api.Status)
		}
		return fmt.Sprintf("%s %s: HTTP %d: %s (%s)", api.Method, api.Path, api.Status, msg, overrideHint(e.Var))
	}
	return fmt.Sprintf("%v (%s)", e.Err, overrideHint(e.Var))
}

// Unwrap returns the rejection.
func (e *KeyOverrideError) Unwrap() error { return e.Err }

func overrideHint(v string) string {
	what := "JWT secret"
	if v == session.EnvAPISecret {
		what = "apiSecret (x-gateway-secret)"
	}
	return fmt.Sprintf("the %s came from $%s, which overrides the profile's for this run: check $%s, or unset it to use the profile's", what, v, v)
}

// ExpiredError is a transaction that expired before the SDK result, with
// the transaction's real lifetime (the sandbox's may be shorter than the
// documented 5 minutes).
type ExpiredError struct {
	TransactionID string
	Lifetime      time.Duration
	Err           error
}

// Error is the text of the expiry error it wraps.
func (e *ExpiredError) Error() string { return e.Err.Error() }

// Unwrap returns the expiry error.
func (e *ExpiredError) Unwrap() error { return e.Err }

// PreflightError is a check that failed before the journey sent anything:
// a users or history file that does not parse, the callback port taken.
// Nothing was created; fix the cause and start the journey again.
type PreflightError struct {
	Err error
}

// Error is the failed check, marked as found before any request.
func (e *PreflightError) Error() string { return "before any request: " + e.Err.Error() }

// Unwrap returns the failed check's error.
func (e *PreflightError) Unwrap() error { return e.Err }

// Problem explains a failed step for people: what happened, what to do,
// and which step to run again.
type Problem struct {
	Code    int    `json:"code,omitempty"`
	Name    string `json:"name,omitempty"`
	Meaning string `json:"meaning"`
	Advice  string `json:"advice,omitempty"`
	// Redo is the step to RetryFrom ("" when the input must change first).
	Redo StepKind `json:"redo,omitempty"`
}

// Explain turns a step's error into a Problem. The advice depends on the
// call that failed (an APIError's path) and on what the journey knew (the
// wrappers above: an overridden key, the transaction's lifetime, a check
// made before any request).
func Explain(err error) Problem {
	var (
		pre   *PreflightError
		ko    *KeyOverrideError
		exp   *ExpiredError
		un    *UnreachableError
		nsa   *NotSandboxAccountError
		sdk   *gateway.SDKError
		api   *gateway.APIError
		dup   *session.DuplicateAuthIDError
		mm    *gateway.AuthIDMismatchError
		uu    *UnknownUserError
		busy  *bridge.PortBusyError
		ve    *gateway.ValidationError
		cf    *session.CorruptFileError
		used  *AlreadyRunError
		bound *BoundToAnotherUserError
		unk   *UnknownTransactionError
	)
	switch {
	case err == nil:
		return Problem{}
	case errors.As(err, &used):
		return Problem{Name: "transaction_used", Meaning: used.Error(),
			Advice: "Create a fresh transaction with your backend and run gatewalk sdk on its transactionId."}
	case errors.As(err, &unk):
		return Problem{Name: "unknown_transaction", Meaning: unk.Error(),
			Advice: "Check the transactionId and the profile (--profile): the transaction must exist where the profile's API URL points."}

	case errors.As(err, &pre):
		p := Explain(pre.Err)
		// Nothing was sent: the journey starts again from its first step.
		p.Redo = MintToken
		if errors.As(pre.Err, &cf) {
			p.Redo = ""
		}
		return p
	case errors.Is(err, ErrPageClosedAfterStart):
		return Problem{Name: "page_closed", Meaning: err.Error(),
			Advice: "Find out whether the transaction was used (gatewalk checks with the Gateway where it can) before creating a fresh one."}
	case errors.Is(err, context.Canceled):
		return Problem{Name: "interrupted", Meaning: "interrupted before the step finished", Advice: "Start the journey again when you are ready."}
	case errors.As(err, &ko):
		p := Explain(ko.Err)
		p.Meaning = ko.Error()
		p.Advice = fmt.Sprintf("Check $%s: it overrides the profile's key for this run. Unset it to use the profile's key, or fix its value.", ko.Var)
		return p
	case errors.As(err, &exp):
		p := Explain(exp.Err)
		if exp.Lifetime > 0 {
			life := lifetime(exp.Lifetime)
			p.Meaning = fmt.Sprintf("the transaction expired before the SDK result came back (this transactionId lived %s)", life)
			p.Advice = fmt.Sprintf("Create a fresh transaction and finish the browser step within %s.", life)
		}
		p.Redo = CreateTransaction
		return p
	case errors.As(err, &un) && un.MayHaveCreated:
		return Problem{Name: "create_unanswered", Meaning: un.Error(),
			Advice: "Before creating another transaction, check whether this one exists: the Gateway's dashboard, or a " +
				"postback for it. Only an unused transaction expires harmlessly in 5 minutes; if it was used, a second create " +
				"could place the orders twice."}
	case errors.As(err, &un):
		return Problem{Name: "unreachable", Meaning: un.Error(),
			Advice: "Check the profile's API URL (gatewalk profile show) and the network, then try again.", Redo: retryStep(err)}
	case errors.As(err, &nsa):
		return Problem{Name: "not_a_sandbox_account", Meaning: nsa.Error(),
			Advice: fmt.Sprintf("This smallcaseAuthId is not a sandbox account: connect it with `gatewalk login --user %s` (it saves an id the sandbox knows).", nsa.Label)}
	case errors.As(err, &sdk):
		info := gateway.ExplainSDKError(sdk.Code, sdk.Message)
		redo := CreateTransaction
		if info.Redo == gateway.StepKeys {
			redo = MintToken
		}
		return Problem{Code: sdk.Code, Name: sdk.Message, Meaning: info.Meaning, Advice: info.Advice, Redo: redo}
	case errors.Is(err, bridge.ErrJourneyExpired):
		return Problem{Name: "transaction_expired", Meaning: "the transaction expired before the SDK result came back (a transactionId lives 5 minutes)",
			Advice: "Create a fresh transaction and finish the browser step within 5 minutes.", Redo: CreateTransaction}
	case errors.As(err, &api):
		return explainAPI(api)
	case errors.As(err, &dup):
		return Problem{Name: "duplicate_smallcase_auth_id", Meaning: err.Error(),
			Advice: "Both labels would name the same broker account. Confirm to save anyway (--allow-duplicate), or log in with another broker account.", Redo: SaveUser}
	case errors.As(err, new(*TokenOfAnotherUserError)):
		return Problem{Name: "token_of_another_user", Meaning: err.Error(),
			Advice: "Give the connected token of this --user, or leave --user out to run as the token's own user.", Redo: MintToken}
	case errors.As(err, &bound):
		return Problem{Name: "bound_to_another_user", Meaning: err.Error(),
			Advice: "Run it as the user whose token created it (--user LABEL), or have your backend create the transaction with this user's connected token.", Redo: MintToken}
	case errors.As(err, &mm):
		return Problem{Name: "smallcase_auth_id_mismatch", Meaning: err.Error(),
			Advice: "Run the journey again and log in with the broker account the user connected first.", Redo: CreateTransaction}
	case errors.As(err, &uu):
		return Problem{Name: "unknown_user", Meaning: err.Error(), Advice: fmt.Sprintf("Connect the user first: gatewalk login --user %s", uu.Label)}
	case errors.As(err, &busy):
		return Problem{Name: "port_busy", Meaning: err.Error(), Advice: "Stop the program holding the port, or use a profile with another whitelisted callback port.", Redo: OpenBrowser}
	case errors.As(err, &cf):
		return Problem{Name: "corrupt_file", Meaning: err.Error(), Advice: "Move the file aside as shown (gatewalk never changes it), then start again."}
	case errors.As(err, &ve):
		return Problem{Name: "invalid_request", Meaning: err.Error(), Advice: "Fix the field named and start again."}
	case errors.Is(err, gateway.ErrTokenSignature):
		return Problem{Name: "invalid_token", Meaning: err.Error(),
			Advice: "The returned smallcaseAuthToken is not signed with the profile's secret: check that the profile's secret belongs to this gateway.", Redo: MintToken}
	case errors.Is(err, gateway.ErrTokenExpired):
		return Problem{Name: "expired_token", Meaning: err.Error(), Advice: "Start again: the returned token had already expired (check this machine's clock).", Redo: MintToken}
	}
	return Problem{Meaning: err.Error(), Advice: "Try the step again.", Redo: ""}
}

// The calls of the partner API, told apart by their paths.
type apiCall int

const (
	callOther apiCall = iota
	callCreate
	callHoldings
	callOrders
)

func callOf(path string) apiCall {
	switch {
	case strings.HasSuffix(path, "/transaction"):
		return callCreate
	case strings.HasSuffix(path, "/engine/user/holdings"):
		return callHoldings
	case strings.HasSuffix(path, "/engine/orders/sst"):
		return callOrders
	}
	return callOther
}

// explainAPI explains an API error by the call that failed.
func explainAPI(api *gateway.APIError) Problem {
	call := callOf(api.Path)
	p := Problem{Code: api.Status, Name: string(api.Kind()), Meaning: api.Error(), Advice: api.Hint()}
	switch api.Kind() {
	case gateway.KindExpired:
		p.Redo = CreateTransaction
	case gateway.KindServer, gateway.KindOther:
		p.Redo = MintToken
		if call == callOrders || call == callHoldings {
			p.Redo = stepOfCall(call)
		}
	case gateway.KindNotFound:
		switch call {
		case callCreate:
			p.Advice = "The transaction endpoint was not found: check the profile's API URL and gateway name."
		case callHoldings:
			if api.ErrorType == "user_not_found" {
				p.Name = "not_a_sandbox_account"
				p.Advice = "This smallcaseAuthId is not a sandbox account: connect it with gatewalk login (it saves an id the sandbox knows)."
			} else {
				p.Advice = "The Gateway has no holdings for this smallcaseAuthId: import them first (gatewalk holdings --import), and check the profile's API URL and gateway name."
			}
		case callOrders:
			p.Advice = "No order details for this transactionId: check that the transaction is an order (TRANSACTION intent) of this user and gateway."
		default:
			p.Advice = "Not found: check the profile's API URL and gateway name."
		}
	}
	return p
}

func stepOfCall(c apiCall) StepKind {
	switch c {
	case callCreate:
		return CreateTransaction
	case callHoldings:
		return FetchHoldings
	case callOrders:
		return FetchOrders
	}
	return MintToken
}

// retryStep is the step to run again after a network failure: the call's
// own step (nothing was created when the create itself failed).
func retryStep(err error) StepKind {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			return stepOfCall(callOf(u.Path))
		}
	}
	return MintToken
}

// unreachable turns a network failure of the client into an
// *UnreachableError; other errors come back as they are. xs are the step's
// attempts, timeout the client's per-attempt limit.
func unreachable(err error, xs []gateway.Exchange, timeout time.Duration) error {
	var ue *url.Error
	if err == nil || !errors.As(err, &ue) {
		return err
	}
	var api *gateway.APIError
	if errors.As(err, &api) || errors.Is(err, context.Canceled) {
		return err
	}
	reason := netReason(err, timeout)
	if reason == "" {
		return err
	}
	base := ue.URL
	if u, perr := url.Parse(ue.URL); perr == nil {
		base = u.Scheme + "://" + u.Host
	}
	e := &UnreachableError{URL: base, Reason: reason, Attempts: len(xs), Err: err}
	if len(xs) > 0 {
		first, last := xs[0], xs[len(xs)-1]
		e.Total = last.Started.Add(last.Duration).Sub(first.Started)
	}
	return e
}

// netReason names a network failure in a few words ("" when err is not one).
func netReason(err error, timeout time.Duration) string {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "no answer within " + timeout.String()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection closed before an answer"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host " + dns.Name
		}
		return "name lookup failed for " + dns.Name
	case errors.As(err, &op):
		return op.Err.Error()
	}
	return ""
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// attemptReason describes why one attempt failed, from its record.
func attemptReason(x gateway.Exchange, timeout time.Duration) string {
	switch {
	case x.Error != "":
		e := x.Error
		switch {
		case strings.Contains(e, "deadline exceeded") || strings.Contains(e, "Client.Timeout"):
			return "no answer within " + timeout.String()
		case strings.Contains(e, "connection refused"):
			return "connection refused"
		case strings.Contains(e, "connection reset"):
			return "connection reset"
		case strings.Contains(e, "no such host"):
			return "no such host"
		}
		// Drop the `Get "URL": ` prefix of *url.Error.
		if i := strings.Index(e, "\": "); i >= 0 {
			e = e[i+3:]
		}
		return e
	case x.Status >= 500:
		return fmt.Sprintf("HTTP %d", x.Status)
	}
	return ""
}

func roundSeconds(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// lifetime formats a transaction's lifetime: "5 minutes", "4s".
func lifetime(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= time.Minute && d%time.Minute == 0 {
		return plural(int(d/time.Minute), "minute", "minutes")
	}
	return d.String()
}

// plural is "1 order", "2 orders".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
