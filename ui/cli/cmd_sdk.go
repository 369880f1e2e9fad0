package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

func sdkCommand() command {
	return command{name: "sdk", summary: "run the SDK step alone on a transaction your backend created (headless)", run: runSDK}
}

const sdkAbout = `The SDK step alone, for a transaction created elsewhere (your backend,
curl): opens the local SDK page on the profile's callback port (the URL is
always printed), initialises the SDK with a token, triggers the given
transactionId, and captures and verifies the result as every journey does.
A CONNECT's user is saved under --user (never with another label's
smallcaseAuthId unless --allow-duplicate); a TRANSACTION's batches are
printed from the SDK's result and its order details fetched. The
transaction is recorded in the profile's history.

The token:
  --user LABEL           a connected token for the stored user, minted here
  --guest                a guest token minted here (with --user LABEL, a
                         CONNECT's user is saved as LABEL)
  --token-stdin          the token your backend issued, read from standard
                         input (never an argument). It is verified with the
                         profile's secret when the profile has one, and only
                         decoded otherwise: gatewalk says which. With --user
                         LABEL, a CONNECT's user is saved as LABEL

A transaction runs once: one that the history (or, on a sandbox, its status)
shows already used is refused, and the SDK is never started twice on it.
On a production profile gatewalk asks for yes before the page opens (the
transaction may place real orders); without a terminal, or with
--token-stdin, it needs --yes. On sandbox profiles --auto OUTCOME has the
sandbox driver play the SDK step. Exit codes as for order and login
(gatewalk help exit-codes).`

// sdkFlags are the flags of sdk besides the journey's.
type sdkFlags struct {
	txnID      string
	guest      bool
	tokenStdin bool
	allowDup   bool
	yes        bool
}

func runSDK(ctx context.Context, c *Factory, args []string) error {
	fs := newFlagSet(c, "sdk", "sdk --transaction-id ID [--user LABEL] [--guest | --token-stdin] [--profile NAME] [--no-browser] [--auto OUTCOME [--auto-broker BROKER] [--auto-account ACCOUNT]] [--allow-duplicate] [--yes] [--json]", sdkAbout)
	var jf journeyFlags
	jf.register(fs, true)
	var sf sdkFlags
	fs.StringVar(&sf.txnID, "transaction-id", "", "the transactionId your backend created (required)")
	fs.BoolVar(&sf.guest, "guest", false, "initialise the SDK with a guest token minted here")
	fs.BoolVar(&sf.tokenStdin, "token-stdin", false, "read the smallcaseAuthToken your backend issued from standard input")
	fs.BoolVar(&sf.allowDup, "allow-duplicate", false, "save a CONNECT's user even when another label has the same smallcaseAuthId")
	fs.BoolVar(&sf.yes, "yes", false, "on a production profile, run the transaction without asking (required without a terminal or with --token-stdin)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	return jf.finish(c, sdkRun(ctx, c, &jf, sf, pos))
}

// check validates the command line before anything is started.
func (sf sdkFlags) check(jf *journeyFlags, pos []string) error {
	if err := unexpectedArgs(pos); err != nil {
		return err
	}
	sf.txnID = strings.TrimSpace(sf.txnID)
	switch {
	case sf.txnID == "":
		return usagef("--transaction-id ID is required: the transactionId your backend created (TRX_...)")
	case !flow.TransactionIDPattern.MatchString(sf.txnID):
		return usagef("--transaction-id: not a transactionId (want letters, digits, '_' or '-', such as TRX_ and 32 hex characters)")
	case sf.guest && sf.tokenStdin:
		return usagef("--guest and --token-stdin exclude each other: the SDK takes one token")
	case !sf.guest && !sf.tokenStdin && jf.user == "":
		return usagef("say whose token starts the SDK: --user LABEL (a stored user), --guest, or --token-stdin")
	}
	if jf.user != "" {
		if err := session.ValidateLabel(jf.user); err != nil {
			return usagef("--user: %v", err)
		}
	}
	return jf.checkAuto()
}

// readToken reads the token from stdin: one line, never echoed.
func readToken(c *Factory) (string, error) {
	if c.stdinIsTerminal != nil && c.stdinIsTerminal() {
		return "", usagef("--token-stdin reads the token from standard input: pipe it in (printf %%s \"$TOKEN\" | gatewalk sdk ...)")
	}
	data, err := io.ReadAll(io.LimitReader(c.stdin, 16<<10+1))
	if err != nil {
		return "", fmt.Errorf("reading the token from standard input: %w", err)
	}
	if len(data) > 16<<10 {
		return "", usagef("--token-stdin: standard input is larger than 16 KiB: not a token")
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", usagef("--token-stdin: nothing on standard input")
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return "", usagef("--token-stdin: standard input holds more than one line or word: give the token alone")
	}
	return tok, nil
}

func sdkRun(ctx context.Context, c *Factory, jf *journeyFlags, sf sdkFlags, pos []string) error {
	if err := sf.check(jf, pos); err != nil {
		return err
	}
	spec := flow.RunSpec{TransactionID: strings.TrimSpace(sf.txnID), Label: jf.user, Guest: sf.guest}
	if sf.tokenStdin {
		tok, err := readToken(c)
		if err != nil {
			return err
		}
		spec.Token = tok
	}
	hr, err := startHeadlessWith(ctx, c, jf, func(o *flow.Options) { o.SecretOptional = sf.tokenStdin })
	if err != nil {
		return err
	}
	defer hr.close()
	if !sf.guest && !sf.tokenStdin {
		if err := hr.requireUser(); err != nil {
			return err
		}
	}
	if err := confirmRun(c, hr.runner, spec, sf); err != nil {
		return err
	}
	j := hr.runner.RunTransaction(spec)
	if sf.allowDup {
		j.AllowDuplicate()
	}
	err = hr.drive(ctx, j, func(w io.Writer) { printRun(w, hr.runner, j) })
	return runAdvice(err, j)
}

// confirmRun asks, on a production profile, before the page opens: the
// transaction may place real orders. Without a terminal, or when stdin
// carried the token, it needs --yes.
func confirmRun(c *Factory, r *flow.Runner, spec flow.RunSpec, sf sdkFlags) error {
	p := r.Profile()
	if p.Env != gateway.EnvProduction {
		return nil
	}
	fmt.Fprintf(c.stderr, "PRODUCTION: profile %s (gateway %s) will run transaction %s, created by your backend: if it is an order, real orders are placed with the user's broker.\n",
		present.SafeLine(p.Name), present.SafeLine(p.Gateway), present.SafeLine(spec.TransactionID))
	noTerminal := usagef("profile %q is production: running a transaction without a terminal to confirm it needs --yes; nothing was started", p.Name)
	if sf.tokenStdin {
		noTerminal = usagef("profile %q is production: with --token-stdin standard input holds the token, so the run needs --yes; nothing was started", p.Name)
	}
	return confirmTyped(c, sf.yes, stdinTerminal(c) && !sf.tokenStdin, noTerminal, "Run this transaction?", "started")
}

// printRun prints what the SDK step gave: the user, and the batches.
func printRun(w io.Writer, r *flow.Runner, j *flow.Journey) {
	f := j.Facts()
	fmt.Fprintf(w, "transaction:     %s\n", present.SafeLine(f.TransactionID))
	if s := j.Step(flow.AwaitSDK); s.Outcome != nil && s.Outcome.Result != nil {
		fmt.Fprintf(w, "intent:          %s\n", present.SafeLine(s.Outcome.Result.Transaction))
	}
	if s := j.Step(flow.VerifyResult); s.Verified != nil {
		fmt.Fprintf(w, "smallcaseAuthId: %s\nbroker:          %s\nverified:        yes, with the secret of profile %s\n",
			present.SafeLine(s.Verified.SmallcaseAuthID), present.SafeLine(s.Verified.Broker), present.SafeLine(r.Profile().Name))
	} else if s.State == flow.Skipped {
		fmt.Fprintf(w, "verified:        no: %s\n", present.SafeLine(s.Summary))
	}
	if s := j.Step(flow.SaveUser); s.User != nil {
		fmt.Fprintf(w, "user:            %s (saved)\n", present.SafeLine(s.User.Label))
	} else if s.State == flow.Skipped && s.Summary != "" && !strings.HasPrefix(s.Summary, "not a CONNECT") {
		fmt.Fprintf(w, "user:            %s\n", present.SafeLine(s.Summary))
	}
	if s := j.Step(flow.FetchOrders); s.Orders != nil {
		// The SDK's batches first; the order details are a second opinion
		// (their disagreement is a warning on stderr).
		// The transaction, user and broker are printed above.
		fmt.Fprintf(w, "batches (from %s):\n", present.SafeLine(s.OrdersSource))
		printBatches(w, s.Orders)
	}
}

// runAdvice adds to a failed run that its transaction came from elsewhere:
// a fresh one is made by the partner's backend, never by gatewalk.
func runAdvice(err error, j *flow.Journey) error {
	var ce *exitCodedError
	if err == nil || !errors.As(err, &ce) {
		return err
	}
	if s := j.Failed(); s == nil || s.Kind == flow.MintToken || s.Kind == flow.CheckTransaction {
		return err
	}
	msg := ce.err.Error() + "\n  note: this transaction was created outside gatewalk: a fresh one comes from your backend (then gatewalk sdk --transaction-id NEW_ID)"
	return &exitCodedError{code: ce.code, err: errors.New(msg)}
}
