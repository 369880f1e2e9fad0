package present

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// CurlScript renders the session's finished journeys as a bash script of
// curl calls a backend team can run: each journey again, with fresh tokens
// (minted by `gatewalk token` from $GATEWALK_SECRET, given on its standard
// input) and fresh transactions (the transactionId taken from each
// create). The apiSecret is $GATEWALK_API_SECRET, passed to curl in a
// header file, never as an argument. On the sandbox, the SDK step is the
// driver's call. The given secrets are removed from anything recorded.
func CurlScript(recs []Record, now time.Time, secrets ...string) string {
	js, skipped := replayPlan(recs)
	gw, api := sessionDefaults(recs)
	var b strings.Builder
	b.WriteString("#!/usr/bin/env bash\n")
	fmt.Fprintf(&b, "# gatewalk session, exported %s: %d journeys, each replayed with fresh tokens and transactions.\n", now.UTC().Format(time.RFC3339), len(js))
	b.WriteString(`# Needs curl and gatewalk (for the tokens). The keys come from the environment:
#   GATEWALK_SECRET       signs the tokens (given to gatewalk token on its standard input)
#   GATEWALK_API_SECRET   sent as x-gateway-secret (given to curl in a header file, not as an argument)
# GATEWALK_API_URL and GATEWALK_GATEWAY override the API URL and gateway name of the session;
# GATEWALK names the gatewalk binary.
set -euo pipefail
: "${GATEWALK_SECRET:?set GATEWALK_SECRET to the gateway's secret}"
: "${GATEWALK_API_SECRET:?set GATEWALK_API_SECRET to the gateway's apiSecret}"
`)
	fmt.Fprintf(&b, "API=\"${GATEWALK_API_URL:-%s}\"\n", shellDefault(api))
	fmt.Fprintf(&b, "GATEWAY=\"${GATEWALK_GATEWAY:-%s}\"\n", shellDefault(gw))
	b.WriteString(`GATEWALK="${GATEWALK:-gatewalk}"
TXN=""

# token guest | token AUTH_ID: a fresh JWT signed with $GATEWALK_SECRET.
token() {
	if [ "$1" = guest ]; then
		printf %s "$GATEWALK_SECRET" | "$GATEWALK" token guest --secret-stdin
	else
		printf %s "$GATEWALK_SECRET" | "$GATEWALK" token connected --secret-stdin --auth-id "$1"
	fi
}

# call TITLE METHOD PATH TOKEN [BODY]: prints the answer; stops the script
# unless it is the envelope with success:true.
call() {
	local title=$1 method=$2 path=$3 tok=$4 body=${5-} resp
	local args=(-sS -X "$method" "$API$path" -H 'Content-Type: application/json')
	if [ -n "$body" ]; then args+=(--data "$body"); fi
	if [ -n "$tok" ]; then
		resp=$(curl "${args[@]}" -H @<(printf 'x-gateway-secret: %s\nx-gateway-authtoken: %s\n' "$GATEWALK_API_SECRET" "$(token "$tok")"))
	else
		resp=$(curl "${args[@]}" -H @<(printf 'x-gateway-secret: %s\n' "$GATEWALK_API_SECRET"))
	fi
	printf '%s\n' "$resp"
	if ! printf %s "$resp" | grep -Eq '"success"[[:space:]]*:[[:space:]]*true'; then
		echo "FAILED: $title" >&2
		exit 1
	fi
	echo "ok: $title" >&2
	LAST=$resp
}

# drive TITLE BODY: the sandbox's driver answers the SDK step.
drive() {
	local resp
	resp=$(curl -sS -X POST "$API/_sandbox/transactions/$TXN/complete" -H 'Content-Type: application/json' --data "$2")
	printf '%s\n' "$resp"
	if ! printf %s "$resp" | grep -q '"result"'; then
		echo "FAILED: $1" >&2
		exit 1
	fi
	echo "ok: $1" >&2
}

# transaction_id: the transactionId of the last answer.
transaction_id() {
	printf %s "$LAST" | sed -n 's/.*"transactionId"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'
}
`)
	for _, s := range skipped {
		fmt.Fprintf(&b, "\n# not replayed: %s\n", oneLineComment(Scrub(s, secrets...)))
	}
	for _, j := range js {
		fmt.Fprintf(&b, "\n# %s\n", oneLineComment(Scrub(j.Title, secrets...)))
		for _, n := range j.Notes {
			fmt.Fprintf(&b, "# note: %s\n", oneLineComment(n))
		}
		for _, c := range j.Calls {
			writeCurlCall(&b, c, secrets)
		}
	}
	b.WriteString("\necho \"all calls succeeded\" >&2\n")
	return b.String()
}

func writeCurlCall(b *strings.Builder, c replayCall, secrets []string) {
	title := shellQuote(Scrub(c.Title, secrets...))
	body := Scrub(c.Body, secrets...)
	if c.Driver {
		fmt.Fprintf(b, "drive %s %s\n", title, shellQuote(body))
		return
	}
	path := "\"" + curlPath(c) + "\""
	tok := ""
	switch c.Token {
	case "":
	case tokenGuest:
		tok = "guest"
	default:
		tok = c.Token
	}
	line := fmt.Sprintf("call %s %s %s %s", title, c.Method, path, shellQuote(tok))
	if body != "" {
		line += " " + shellQuote(body)
	}
	b.WriteString(line + "\n")
	if c.CapturesTransaction {
		b.WriteString("TXN=$(transaction_id)\n")
	}
}

// curlPath is the call's path and query in shell double quotes: the
// variables expanded, everything else escaped.
func curlPath(c replayCall) string {
	var p strings.Builder
	for _, seg := range c.Segments {
		p.WriteString("/")
		switch seg {
		case varGateway:
			p.WriteString("$GATEWAY")
		case varTransaction:
			p.WriteString("$TXN")
		default:
			p.WriteString(dqEscape(url.PathEscape(seg)))
		}
	}
	for i, kv := range c.Query {
		if i == 0 {
			p.WriteString("?")
		} else {
			p.WriteString("&")
		}
		p.WriteString(dqEscape(url.QueryEscape(kv[0])) + "=")
		if kv[1] == varTransaction {
			p.WriteString("$TXN")
		} else {
			p.WriteString(dqEscape(url.QueryEscape(kv[1])))
		}
	}
	return p.String()
}

// dqEscape escapes what bash expands inside double quotes.
func dqEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return r.Replace(s)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// shellDefault is a value for ${VAR:-value} in double quotes, where a }
// would end the expansion.
func shellDefault(s string) string { return strings.ReplaceAll(dqEscape(s), "}", `\}`) }

// oneLineComment keeps a comment on one line.
func oneLineComment(s string) string {
	return strings.Join(strings.Fields(SafeLine(s)), " ")
}
