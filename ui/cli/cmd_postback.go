package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/postback"
	"gatewalk/ui/present"
)

func postbackCommand() command {
	return command{name: "postback", summary: "verify a postback (webhook) payload offline, or send a signed one to your handler", subcommands: []string{"verify", "send"}, run: runPostback}
}

const postbackAbout = `Subcommands:
  postback verify [FILE|-]   check a postback body's checksum with the profile's apiSecret
  postback send --to URL --event EVENT [flags]
                             send a signed postback to your own handler (see postback send -h)

The checksum rule (from integrator practice; the public docs do not spell it
out): checksum = hex(HMAC-SHA256(key=apiSecret, msg=timestamp+smallcaseAuthId)),
or timestamp+transactionId for mutual-fund holdings imports. The key is
$GATEWALK_API_SECRET when set, else the profile's apiSecret; it is never
printed. To receive postbacks live, see 'gatewalk listen -h'.`

func runPostback(ctx context.Context, c *Factory, args []string) error {
	if done, err := parentHelp(c, args, "postback verify|send [flags]", postbackAbout, "a subcommand is required (verify or send)"); done {
		return err
	}
	switch args[0] {
	case "verify", "check":
		return runPostbackVerify(c, args[1:])
	case "send":
		return runPostbackSend(ctx, c, args[1:])
	}
	// Not echoed: a misplaced apiSecret may be the first argument.
	return usagef("unknown subcommand (not shown in case it was a secret): want verify or send")
}

// postbackKey is the apiSecret a postback is checked with and where it
// came from, for display without the secret.
type postbackKey struct {
	secret  string
	profile string
	fromEnv bool
}

// describe names the key without revealing it.
func (k postbackKey) describe() string {
	if k.fromEnv {
		return fmt.Sprintf("$%s (%s)", session.EnvAPISecret, gateway.MaskSecret(k.secret))
	}
	return fmt.Sprintf("profile %q apiSecret (%s)", k.profile, gateway.MaskSecret(k.secret))
}

// postbackProfile opens the store and resolves the profile (--profile, else
// $GATEWALK_PROFILE, else the active one) and its apiSecret.
func postbackProfile(c *Factory, name string) (*session.Store, session.Profile, postbackKey, error) {
	dir, err := session.DefaultDir(c.getenv)
	if err != nil {
		return nil, session.Profile{}, postbackKey{}, err
	}
	st, warnings, err := c.openStore(dir, nil)
	for _, w := range warnings {
		fmt.Fprintln(c.stderr, "gatewalk: warning:", present.SafeLine(w))
	}
	if err != nil {
		return nil, session.Profile{}, postbackKey{}, err
	}
	p, err := profileInUse(c, st, name)
	if err != nil {
		return nil, session.Profile{}, postbackKey{}, err
	}
	keys := p.Keys(c.getenv)
	if keys.APISecret == "" {
		return nil, session.Profile{}, postbackKey{}, usagef("profile %q has no apiSecret to check checksums with: set %s, or add it with 'gatewalk profile edit %s --secrets-stdin'",
			p.Name, session.EnvAPISecret, p.Name)
	}
	return st, p, postbackKey{secret: keys.APISecret, profile: p.Name, fromEnv: keys.APISecretFromEnv}, nil
}

func runPostbackVerify(c *Factory, args []string) error {
	fs := newFlagSet(c, "postback verify", "postback verify [FILE|-] [--profile NAME] [--json]",
		`Verifies a postback body offline: reads the JSON from FILE, or from standard
input when FILE is - or absent, recomputes the checksum and says which inputs
were used: the timestamp exactly as written (a JSON string, or a number's
text), which id (smallcaseAuthId, or transactionId for mutual-fund imports)
and which key ($GATEWALK_API_SECRET, else the profile's apiSecret, masked).

Exits 0 when the checksum is valid, 4 when it is not (like a rejected key or
token), 2 when the input is not a postback body.`)
	profile := fs.String("profile", "", "profile whose apiSecret checks the checksum (default: $GATEWALK_PROFILE, else the active profile)")
	jsonOut := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("one payload at a time: %v; usage: gatewalk postback verify [FILE|-]", unexpectedArgs(pos[1:]))
	}
	body, source, err := readPostbackBody(c, pos)
	if err != nil {
		return err
	}
	p, tsKind, err := postback.Parse(body)
	if err != nil {
		return &usageError{fmt.Sprintf("%s: %v", source, err)}
	}
	_, _, key, err := postbackProfile(c, *profile)
	if err != nil {
		return err
	}
	chk := postback.Verify(p, tsKind, key.secret)
	if *jsonOut {
		out := map[string]any{"valid": chk.Valid, "source": source, "event": p.Kind(), "transactionId": p.TransactionID,
			"smallcaseAuthId": p.SmallcaseAuthID, "intent": p.Intent, "status": p.Status,
			"timestamp": chk.Timestamp, "timestampJson": chk.TimestampJSON, "idField": chk.IDField, "id": chk.ID,
			"rule": chk.Rule(), "key": key.describe(), "keyFrom": map[bool]string{true: "env", false: "profile"}[key.fromEnv],
			"received": chk.Received, "expected": chk.Expected}
		if chk.Problem != "" {
			out["problem"] = chk.Problem
		}
		if err := writeJSON(c.stdout, out); err != nil {
			return err
		}
	} else {
		fmt.Fprint(c.stdout, describePostbackCheck(p, chk, key, source))
	}
	if !chk.Valid {
		return errSilent{exitRejected}
	}
	return nil
}

// readPostbackBody reads the payload from a file or standard input, bounded
// like the listener's.
func readPostbackBody(c *Factory, pos []string) ([]byte, string, error) {
	var r io.Reader
	source := "standard input"
	if len(pos) == 1 && pos[0] != "-" {
		f, err := openPayloadFile(pos[0])
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		r, source = f, pos[0]
	} else {
		if len(pos) == 0 && postbackStdinIsTerminal(c) {
			return nil, "", usagef("no payload: pass a file, or pipe the body (gatewalk postback verify - < body.json); to paste it, use - and end with Ctrl-D")
		}
		if postbackStdinIsTerminal(c) {
			fmt.Fprintln(c.stderr, "Paste the postback JSON, then press Ctrl-D.")
		}
		r = c.stdin
	}
	b, err := io.ReadAll(io.LimitReader(r, postback.DefaultMaxBody+1))
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", source, err)
	}
	if len(b) > postback.DefaultMaxBody {
		return nil, "", usagef("%s: larger than %d KiB; a postback is a small JSON object", source, postback.DefaultMaxBody>>10)
	}
	if strings.TrimSpace(string(b)) == "" {
		return nil, "", usagef("%s is empty: pass the postback's JSON body", source)
	}
	return b, source, nil
}

// openPayloadFile opens FILE for postback verify. Its name is not repeated
// in errors: a misplaced apiSecret may stand where the file was expected.
func openPayloadFile(name string) (*os.File, error) {
	const notShown = "cannot open the file given (its name is not shown in case it was a secret)"
	f, err := os.Open(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, usagef("%s: no such file; pass the file holding the postback's JSON body, or - to read it from standard input", notShown)
	case errors.Is(err, fs.ErrPermission):
		return nil, usagef("%s: permission denied", notShown)
	case err != nil:
		return nil, usagef("%s: %v", notShown, errors.Unwrap(err))
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		f.Close()
		return nil, usagef("the FILE given is a directory: pass the file holding the postback's JSON body, or - to read it from standard input")
	}
	if err == nil && !fi.Mode().IsRegular() && fi.Mode()&os.ModeNamedPipe == 0 && fi.Mode()&os.ModeCharDevice == 0 {
		f.Close()
		return nil, usagef("the FILE given is not a regular file: pass the file holding the postback's JSON body")
	}
	return f, nil
}

// describePostbackCheck renders a verdict for people.
func describePostbackCheck(p gateway.Postback, chk postback.Check, key postbackKey, source string) string {
	var b strings.Builder
	// Every field came from the body, the source is a file's name: shown
	// terminal-safe.
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return present.SafeLine(s)
	}
	fmt.Fprintf(&b, "postback:  %s for transaction %s (intent %s, status %s) from %s\n",
		dash(p.Kind()), dash(p.TransactionID), dash(string(p.Intent)), dash(string(p.Status)), present.SafeLine(source))
	switch chk.TimestampJSON {
	case postback.TimestampNumber:
		fmt.Fprintf(&b, "timestamp: %s (a JSON number; its text is used as written)\n", present.SafeLine(chk.Timestamp))
	case postback.TimestampMissing:
		b.WriteString("timestamp: MISSING\n")
	default:
		fmt.Fprintf(&b, "timestamp: %q (a JSON string)\n", chk.Timestamp)
	}
	fmt.Fprintf(&b, "id:        %s %s\n", chk.IDField, dash(chk.ID))
	fmt.Fprintf(&b, "key:       %s\n", key.describe())
	fmt.Fprintf(&b, "rule:      %s (integrator practice; not in the public docs)\n", chk.Rule())
	fmt.Fprintf(&b, "received:  %s\n", dash(chk.Received))
	if chk.Expected != "" {
		fmt.Fprintf(&b, "expected:  %s\n", present.SafeLine(chk.Expected))
	}
	if chk.Valid {
		b.WriteString("checksum:  VALID\n")
	} else {
		fmt.Fprintf(&b, "checksum:  INVALID: %s\n", present.SafeLine(chk.Problem))
	}
	return b.String()
}

func postbackStdinIsTerminal(c *Factory) bool { return c.stdinIsTerminal != nil && c.stdinIsTerminal() }
