package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gatewalk/gateway"
	"gatewalk/ui/present"
)

func tokenCommand() command {
	return command{name: "token", summary: "mint, verify and inspect smallcaseAuthTokens (JWTs)", subcommands: []string{"guest", "connected", "inspect"}, run: runToken}
}

const tokenAbout = `Subcommands:
  token guest                  mint a guest token {"guest":true,"exp":N}
  token connected --auth-id ID mint a connected token {"smallcaseAuthId":ID,"exp":N}
  token inspect [TOKEN|-]      decode a token; with a secret, verify it (HS256, signature, expiry)

The secret is read from standard input with --secret-stdin, else from
$GATEWALK_SECRET, else from the profile (--profile, $GATEWALK_PROFILE or the
active one; the built-in sandbox profile uses the public demo secret). It is
never taken as an argument. inspect with --no-verify decodes only and says the
signature was not checked. inspect exits 4 when a checked signature is invalid
or the token is expired.`

func runToken(ctx context.Context, c *Factory, args []string) error {
	if done, err := parentHelp(c, args, "token guest|connected|inspect [flags]", tokenAbout, "a subcommand is required"); done {
		return err
	}
	switch args[0] {
	case "guest", "connected":
		return runTokenMint(c, args[0], args[1:])
	case "inspect", "verify":
		return runTokenInspect(c, args[1:])
	}
	return usagef("unknown subcommand %q (want guest, connected or inspect)", args[0])
}

type tokenFlags struct {
	secretStdin bool
	jsonOut     bool
	profile     string
}

func (tf *tokenFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&tf.secretStdin, "secret-stdin", false, "read the secret from the first line of standard input")
	fs.BoolVar(&tf.jsonOut, "json", false, "print JSON")
	fs.StringVar(&tf.profile, "profile", "", "take the secret from this profile (default: $GATEWALK_PROFILE, else the active profile)")
}

func runTokenMint(c *Factory, kind string, args []string) error {
	usage := "token guest [--exp UNIX|DURATION] [--secret-stdin] [--profile NAME] [--json]"
	about := "Mints a guest smallcaseAuthToken {\"guest\":true,\"exp\":N}, signed (HS256) with the secret.\n\n" + tokenSecretAbout
	if kind == "connected" {
		usage = "token connected --auth-id ID [--exp UNIX|DURATION] [--secret-stdin] [--profile NAME] [--json]"
		about = "Mints a connected smallcaseAuthToken {\"smallcaseAuthId\":ID,\"exp\":N} for a user's\nsmallcaseAuthId, signed (HS256) with the secret.\n\n" + tokenSecretAbout
	}
	fs := newFlagSet(c, "token "+kind, usage, about)
	var tf tokenFlags
	exp := fs.String("exp", "", "expiry: a Unix time (2556124199) or a duration from now (10m); default "+gateway.DefaultTokenTTL.String())
	var authID *string
	if kind == "connected" {
		authID = fs.String("auth-id", "", "the user's smallcaseAuthId (24 hex characters)")
	} else {
		authID = new(string)
	}
	tf.register(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := unexpectedArgs(pos); err != nil {
		return err
	}
	expAt, err := parseExp(*exp, c.now())
	if err != nil {
		return err
	}
	if kind == "connected" {
		if *authID == "" {
			return usagef("--auth-id is required for a connected token")
		}
		if err := gateway.ValidateAuthID(*authID); err != nil {
			return &usageError{err.Error()}
		}
	} else if *authID != "" {
		return usagef("--auth-id is for connected tokens")
	}
	secret, _, err := tokenSecret(c, tf, true)
	if err != nil {
		return err
	}
	if !expAt.After(c.now()) {
		fmt.Fprintf(c.stderr, "gatewalk token: warning: --exp %s is in the past: this token is already expired and the Gateway will reject it\n", expAt.UTC().Format(time.RFC3339))
	}
	var tok string
	if kind == "connected" {
		tok, err = gateway.MintConnectedToken(secret, *authID, expAt)
	} else {
		tok, err = gateway.MintGuestToken(secret, expAt)
	}
	if err != nil {
		return err
	}
	if tf.jsonOut {
		info, _ := gateway.InspectToken(tok, c.now())
		return writeJSON(c.stdout, map[string]any{"token": tok, "kind": info.Kind, "header": info.Header, "payload": info.Payload, "expiresAt": info.ExpiresAt})
	}
	fmt.Fprintln(c.stdout, tok)
	return nil
}

// maxExpUnix is 9999-12-31T23:59:59Z: a later exp has no RFC 3339 date,
// and time arithmetic on it overflows well before int64 does.
const maxExpUnix = 253402300799

// durationRe is the shape of a Go duration, to tell one too large to parse
// from a typo.
var durationRe = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`)

// parseExp reads --exp as a Unix time or a duration from now. A value out
// of range is a usage error, never a token that seems expired.
func parseExp(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now.Add(gateway.DefaultTokenTTL), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return time.Time{}, usagef("--exp %q overflows: a Unix time must be at most %d (the end of year 9999)", s, maxExpUnix)
	case err != nil:
	case n <= 0:
		return time.Time{}, usagef("--exp %q: a Unix time must be positive", s)
	case n > maxExpUnix:
		return time.Time{}, usagef("--exp %q is past year 9999: a Unix time must be at most %d", s, maxExpUnix)
	default:
		return time.Unix(n, 0), nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, usagef("--exp %q: a duration must be positive", s)
		}
		if at := now.Add(d); at.Unix() <= maxExpUnix && at.After(now) {
			return at, nil
		}
		return time.Time{}, usagef("--exp %q overflows: it ends past year 9999", s)
	} else if durationRe.MatchString(s) {
		// Shaped like a duration, yet ParseDuration refused it: too large.
		return time.Time{}, usagef("--exp %q overflows: a duration must be at most %s", s, time.Duration(math.MaxInt64))
	}
	return time.Time{}, usagef("--exp %q: want a Unix time such as 2556124199 or a duration such as 10m", s)
}

const tokenSecretAbout = `The secret comes from --secret-stdin, else $GATEWALK_SECRET, else the
profile (--profile, $GATEWALK_PROFILE or the active profile). It is never
taken as an argument.`

// tokenSecret takes the JWT secret from stdin (when asked), $GATEWALK_SECRET,
// or the chosen profile; it says on stderr which profile's secret was used,
// and returns whose secret it is ("profile \"x\"'s secret").
func tokenSecret(c *Factory, tf tokenFlags, required bool) (secret, whose string, err error) {
	if tf.secretStdin || c.getenv("GATEWALK_SECRET") != "" {
		if tf.profile != "" {
			return "", "", usagef("--profile and --secret-stdin/$GATEWALK_SECRET both name a secret: give one")
		}
		whose = "the secret from $GATEWALK_SECRET"
		if tf.secretStdin {
			whose = "the given secret"
		}
		secret, err = readSecret(c, tf.secretStdin, required)
		return secret, whose, err
	}
	st, err := openSessionStore(c)
	if err != nil {
		return "", "", err
	}
	p, err := profileInUse(c, st, tf.profile)
	if err != nil {
		return "", "", err
	}
	secret = p.Keys(c.getenv).Secret
	if secret == "" {
		if !required {
			return "", "", nil
		}
		return "", "", usagef("profile %q has no secret: add it with 'gatewalk profile edit %s --secrets-stdin', or set GATEWALK_SECRET", p.Name, p.Name)
	}
	fmt.Fprintf(c.stderr, "gatewalk token: using the secret of profile %q (%s)\n", present.SafeLine(p.Name), gateway.MaskSecret(secret))
	return secret, fmt.Sprintf("profile %s's secret", present.SafeLine(p.Name)), nil
}

// readSecret takes the JWT secret from stdin (when asked) or $GATEWALK_SECRET.
func readSecret(c *Factory, fromStdin, required bool) (string, error) {
	if fromStdin {
		s, err := readSecretLine(bufio.NewReader(c.stdin))
		if err != nil {
			return "", usagef("--secret-stdin: %v", err)
		}
		if s == "" {
			return "", usagef("--secret-stdin: the first line of standard input is empty")
		}
		return s, nil
	}
	if s := c.getenv("GATEWALK_SECRET"); s != "" {
		return s, nil
	}
	if required {
		return "", usagef("no secret: set GATEWALK_SECRET or pipe it with --secret-stdin (e.g. printf %%s \"$SECRET\" | gatewalk token guest --secret-stdin)")
	}
	return "", nil
}

func runTokenInspect(c *Factory, args []string) error {
	fs := newFlagSet(c, "token inspect", "token inspect [TOKEN|-] [--secret-stdin] [--no-verify] [--json]",
		`Decodes a smallcaseAuthToken: header, payload, kind (guest/connected/unknown),
issued-at, expiry and time left. With a secret ($GATEWALK_SECRET, or
--secret-stdin) it also verifies it: HS256 only, signature, expiry. The token
is the argument, or standard input when the argument is - or absent (with
--secret-stdin the secret is the first line and the token the second).`)
	var tf tokenFlags
	tf.register(fs)
	noVerify := fs.Bool("no-verify", false, "decode only: do not verify with any secret")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("one token at a time")
	}
	br := bufio.NewReader(c.stdin)
	var secret string
	whose := "the given secret"
	if tf.secretStdin {
		if secret, err = readSecretLine(br); err != nil || secret == "" {
			return usagef("--secret-stdin: no secret on the first line of standard input")
		}
	} else if !*noVerify {
		if secret, whose, err = tokenSecret(c, tf, false); err != nil {
			return err
		}
	}
	var tok string
	if len(pos) == 1 && pos[0] != "-" {
		tok = strings.TrimSpace(pos[0])
		if tok == "" {
			return usagef("the token argument is empty")
		}
	} else {
		b, err := io.ReadAll(io.LimitReader(br, 64<<10))
		if err != nil {
			return err
		}
		tok = strings.TrimSpace(string(b))
		if tok == "" {
			return usagef("no token: pass it as the argument or on standard input")
		}
	}
	now := c.now()
	var info *gateway.TokenInfo
	var verr error
	if secret != "" {
		info, verr = gateway.VerifyToken(tok, secret, now)
	} else {
		info, verr = gateway.InspectToken(tok, now)
	}
	if info == nil {
		return verr
	}
	if tf.jsonOut {
		if err := writeJSON(c.stdout, inspectJSON(info, verr, now)); err != nil {
			return err
		}
	} else {
		fmt.Fprint(c.stdout, describeToken(info, verr, now, whose))
	}
	switch {
	case errors.Is(verr, gateway.ErrTokenNotYetValid):
		return errSilent{exitRejected}
	case verr != nil:
		return errSilent{exitCode(verr)}
	case !info.SignatureChecked && (info.Expired || info.NotYetValid):
		return errSilent{exitRejected}
	}
	return nil
}

// inspectJSON is what token inspect --json prints. Times are RFC 3339
// strings; a claim no date carries (negative, or past year 9999) is in
// "outOfRange" instead, so the output always encodes.
func inspectJSON(info *gateway.TokenInfo, verr error, now time.Time) map[string]any {
	out := map[string]any{"header": info.Header, "payload": info.Payload, "kind": info.Kind,
		"signatureChecked": info.SignatureChecked,
		"signatureValid": info.SignatureValid && verr == nil || errors.Is(verr, gateway.ErrTokenExpired) ||
			errors.Is(verr, gateway.ErrTokenNotYetValid),
		"expired": info.Expired}
	if info.SmallcaseAuthID != "" {
		out["smallcaseAuthId"] = info.SmallcaseAuthID
	}
	if info.ExpiresAt != nil {
		out["expiresAt"] = info.ExpiresAt.Format(time.RFC3339)
		out["expiresInSeconds"] = info.ExpiresAt.Unix() - now.Unix()
	}
	if info.IssuedAt != nil {
		out["issuedAt"] = info.IssuedAt.Format(time.RFC3339)
	}
	if info.NotBefore != nil {
		out["notBefore"] = info.NotBefore.Format(time.RFC3339)
	}
	if info.NotYetValid {
		out["notYetValid"] = true
	}
	if len(info.OutOfRange) > 0 {
		out["outOfRange"] = info.OutOfRange
	}
	if len(info.Problems) > 0 {
		out["problems"] = info.Problems
	}
	if len(info.Warnings) > 0 {
		out["warnings"] = info.Warnings
	}
	if verr != nil {
		out["error"] = verr.Error()
	}
	return out
}

// describeToken renders TokenInfo for people, in the words the TUI uses
// (ui/present), with the command line's hints on what to do.
func describeToken(info *gateway.TokenInfo, verr error, now time.Time, whose string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "header:    %s\npayload:   %s\n", present.SafeLine(oneLine(info.RawHeader)), present.SafeLine(oneLine(info.RawPayload)))
	line := func(f present.Fact) {
		text := f.Text
		if f.Tone == present.ToneBad || (f.Label == "signature" && f.Tone == present.ToneWarn && !info.SignatureChecked) {
			text = strings.ToUpper(text)
		}
		if f.Note != "" {
			text += " (" + f.Note + ")"
		}
		fmt.Fprintf(&b, "%-10s %s\n", f.Label+":", text)
	}
	line(present.TokenKind(info, false))
	if f, ok := present.TokenIssued(info, now); ok {
		line(f)
	}
	line(present.TokenExpiry(info, now))
	if f, ok := present.TokenNotBefore(info, now); ok {
		line(f)
	}
	for _, p := range info.Problems {
		fmt.Fprintf(&b, "problem:   %s\n", present.SafeLine(p))
	}
	for _, w := range info.Warnings {
		fmt.Fprintf(&b, "warning:   %s\n", present.SafeLine(w))
	}
	sig := present.TokenSignature(info, verr, info.SignatureChecked || verr != nil, whose)
	if !info.SignatureChecked && verr == nil {
		sig.Note = "no secret: --no-verify, or the profile has none; set GATEWALK_SECRET or use --secret-stdin to verify"
	}
	line(sig)
	return b.String()
}

// writeJSON prints v as indented JSON, terminal-safe (present.SafeJSON).
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(present.SafeJSON(buf.Bytes()))
	return err
}

// oneLine keeps decoded JSON on one line of output.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
