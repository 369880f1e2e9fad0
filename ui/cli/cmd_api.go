package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

func apiCommand() command {
	return command{name: "api", summary: "call any Gateway endpoint with the auth headers done for you", run: runAPI}
}

const apiAbout = `Sends METHOD PATH to the profile's Gateway with x-gateway-secret (the
apiSecret) and a freshly minted x-gateway-authtoken: a guest token (the
default, or --guest), or with --user LABEL a connected token for the local
user's smallcaseAuthId. {gateway} in PATH is replaced by the profile's
gateway name. PATH is a path on the profile's API URL: the keys are never
sent anywhere else.

The response body goes to stdout: indented JSON on a terminal, as received
otherwise. --include prints the status line and the headers first;
--verbose shows the request on stderr, keys masked.

Body: --field key=value (repeatable) builds a JSON object: true, false,
null and numbers are sent as JSON, everything else as a string (--raw-field
always sends a string); key[sub]=value nests, key[]=value appends to an
array. --input FILE (or - for standard input) sends the file as the body;
the fields then go to the query string, as they do for GET and DELETE.

On a production profile a request that is not a GET (POST /gateway/{gateway}/transaction
creates a real transaction) is shown first and sent only after you type
yes; without a terminal it needs --yes, else it exits 2 and sends nothing.
A request other than GET is never retried.

Exit codes: 0 when the answer is the envelope with success:true, 4 when the
keys or the token were rejected, 2 for usage, 1 otherwise (the body is
still printed).

Examples:
  gatewalk api GET '/v1/{gateway}/engine/user/holdings' --user alice --field version=v2
  gatewalk api POST '/gateway/{gateway}/transaction' --field intent=CONNECT
  gatewalk api POST '/gateway/{gateway}/transaction' --user alice --input order.json`

// apiMethods are the methods api takes.
var apiMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions}

// fieldList collects --field/--raw-field values in the order given.
type fieldList struct {
	raw  bool
	into *[]apiField
}

type apiField struct {
	key, value string
	raw        bool
}

func (l fieldList) String() string { return "" }

func (l fieldList) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return errors.New("want key=value")
	}
	*l.into = append(*l.into, apiField{key: k, value: val, raw: l.raw})
	return nil
}

// apiRequest is one call as the api command (and a runbook's api step)
// makes it.
type apiRequest struct {
	Method string
	Path   string // may hold {gateway} and a query string
	User   string // "" = a guest token
	Fields []apiField
	// Input is the body as given by --input; nil when none.
	Input []byte
	// stdin reports that Input came from standard input.
	stdin bool
}

// isWrite reports whether the method may change something on the Gateway.
func isWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// build turns the request into a path, a query and a body, substituting
// {gateway}. Every error is a usage error.
func (a apiRequest) build(gatewayName string) (path string, q url.Values, body []byte, err error) {
	raw := strings.ReplaceAll(a.Path, "{gateway}", url.PathEscape(gatewayName))
	if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
		return "", nil, nil, usagef("PATH %s", gateway.ErrNotAPIPath)
	}
	u, perr := url.Parse(raw)
	if perr != nil || u.Host != "" || u.Scheme != "" || u.Fragment != "" {
		return "", nil, nil, usagef("PATH %s", gateway.ErrNotAPIPath)
	}
	q = u.Query()
	toQuery := a.Input != nil || !isWrite(a.Method) || a.Method == http.MethodDelete
	if toQuery {
		for _, f := range a.Fields {
			q.Add(strings.TrimSuffix(f.key, "[]"), f.value)
		}
		body = a.Input
	} else if len(a.Fields) > 0 {
		obj := map[string]any{}
		for _, f := range a.Fields {
			if err := setField(obj, f); err != nil {
				return "", nil, nil, usagef("--field %s: %v", f.key, err)
			}
		}
		body, _ = json.Marshal(obj)
	}
	return u.Path, q, body, nil
}

// setField puts one field into obj: "a[b][]=v" is {"a":{"b":[v]}}.
func setField(obj map[string]any, f apiField) error {
	keys, err := fieldKeys(f.key)
	if err != nil {
		return err
	}
	var val any = f.value
	if !f.raw {
		val = typedValue(f.value)
	}
	cur := obj
	for i, k := range keys {
		last := i == len(keys)-1
		if last {
			cur[k] = val
			return nil
		}
		if keys[i+1] == "" { // k[] appends
			arr, _ := cur[k].([]any)
			if _, isArr := cur[k].([]any); cur[k] != nil && !isArr {
				return fmt.Errorf("%q is already a value, not a list", k)
			}
			if i+1 != len(keys)-1 {
				return errors.New("[] must come last")
			}
			cur[k] = append(arr, val)
			return nil
		}
		next, ok := cur[k].(map[string]any)
		if !ok {
			if cur[k] != nil {
				return fmt.Errorf("%q is already a value, not an object", k)
			}
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	return nil
}

// fieldKeys splits "a[b][]" into a, b, "".
func fieldKeys(key string) ([]string, error) {
	name, rest, _ := strings.Cut(key, "[")
	if name == "" {
		return nil, errors.New("the key has no name")
	}
	keys := []string{name}
	if rest == "" {
		return keys, nil
	}
	rest = "[" + rest
	for rest != "" {
		if rest[0] != '[' {
			return nil, errors.New("want key[sub]=value")
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, errors.New("a [ is not closed")
		}
		keys = append(keys, rest[1:end])
		rest = rest[end+1:]
	}
	for _, k := range keys[1 : len(keys)-1] {
		if k == "" {
			return nil, errors.New("[] must come last")
		}
	}
	return keys, nil
}

// typedValue reads true, false, null and numbers as JSON.
func typedValue(v string) any {
	switch v {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXnN") {
		return f
	}
	return v
}

// send mints the token and makes the call on r's Gateway.
func (a apiRequest) send(ctx context.Context, r *flow.Runner) flow.CallResult {
	path, q, body, err := a.build(r.Profile().Gateway)
	if err != nil {
		return flow.CallResult{Err: err}
	}
	res := r.Call(ctx, a.Method, path, q, a.User, body)
	var uu *flow.UnknownUserError
	if errors.As(res.Err, &uu) {
		res.Err = &usageError{uu.Error()}
	}
	return res
}

// apiFlags is the command line of api.
type apiFlags struct {
	profile          string
	user             string
	guest            bool
	fields           []apiField
	input            string
	include, verbose bool
	yes              bool
}

func runAPI(ctx context.Context, c *Factory, args []string) error {
	fs := newFlagSet(c, "api", "api METHOD PATH [--user LABEL | --guest] [--field key=value]... [--input FILE|-] [--include] [--verbose] [--profile NAME] [--yes]", apiAbout)
	var af apiFlags
	fs.StringVar(&af.profile, "profile", "", "profile to use (default: $GATEWALK_PROFILE, else the active profile)")
	fs.StringVar(&af.user, "user", "", "send a connected token for this local user's smallcaseAuthId")
	fs.BoolVar(&af.guest, "guest", false, "send a guest token (the default)")
	fs.Var(fieldList{into: &af.fields}, "field", "key=value for the JSON body (or the query string of a GET); true, false, null and numbers are sent as JSON (repeatable)")
	fs.Var(fieldList{raw: true, into: &af.fields}, "raw-field", "key=value sent as a string (repeatable)")
	fs.StringVar(&af.input, "input", "", "the request body from FILE, or - for standard input")
	fs.BoolVar(&af.include, "include", false, "print the status line and the response headers before the body")
	fs.BoolVar(&af.verbose, "verbose", false, "show the request and the response status on stderr (keys masked)")
	fs.BoolVar(&af.yes, "yes", false, "on a production profile, send a request other than GET without asking (required without a terminal)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	req, err := af.request(c, pos)
	if err != nil {
		return err
	}
	store, err := openSessionStore(c)
	if err != nil {
		return err
	}
	r, err := flow.Setup(ctx, store, flow.Options{Emulators: c.emulators, ProfileName: af.profile, NoBrowser: true, Getenv: c.getenv, Now: c.now})
	if err != nil {
		var mk *flow.MissingKeysError
		if errors.As(err, &mk) || errors.Is(err, session.ErrProfileNotFound) {
			return &usageError{err.Error()}
		}
		return err
	}
	defer r.Close()
	if _, _, _, err := req.build(r.Profile().Gateway); err != nil {
		return err
	}
	if err := confirmAPIWrite(c, r.Profile(), req, af.yes); err != nil {
		return err
	}
	res := req.send(ctx, r)
	if af.verbose {
		printAPIExchanges(c.stderr, res.Exchanges, r.Keys())
	}
	if res.Response != nil {
		writeAPIResponse(c, res.Response, af.include)
	}
	return apiError(res.Err)
}

// request checks the command line and reads --input.
func (af *apiFlags) request(c *Factory, pos []string) (apiRequest, error) {
	if len(pos) != 2 {
		return apiRequest{}, usagef("want METHOD PATH, such as: gatewalk api GET '/v1/{gateway}/engine/user/holdings' --user alice")
	}
	method := strings.ToUpper(pos[0])
	if !slices.Contains(apiMethods, method) {
		return apiRequest{}, usagef("METHOD: want GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS")
	}
	if af.user != "" && af.guest {
		return apiRequest{}, usagef("--user and --guest exclude each other: a request carries one token")
	}
	if af.user != "" {
		if err := session.ValidateLabel(af.user); err != nil {
			return apiRequest{}, usagef("--user: %v", err)
		}
	}
	req := apiRequest{Method: method, Path: pos[1], User: af.user, Fields: af.fields}
	if af.input != "" {
		b, err := readInput(c, af.input)
		if err != nil {
			return apiRequest{}, err
		}
		req.Input, req.stdin = b, af.input == "-"
	}
	return req, nil
}

// readInput reads --input: a file, or - for standard input.
func readInput(c *Factory, name string) ([]byte, error) {
	const max = 1 << 20
	var rd io.Reader
	if name == "-" {
		rd = c.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			// The name is not repeated: a key could have been typed there.
			return nil, usagef("--input: the file cannot be read (%s)", describeOpenError(err))
		}
		defer f.Close()
		rd = f
	}
	b, err := io.ReadAll(io.LimitReader(rd, max+1))
	if err != nil {
		return nil, usagef("--input: reading failed: %v", err)
	}
	if len(b) > max {
		return nil, usagef("--input: the body is larger than 1 MiB")
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

func describeOpenError(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	return "not readable"
}

// confirmAPIWrite applies the rule of every production-writing command: a
// request other than GET on a production profile is shown as it will be
// sent, then needs "yes" on a terminal or --yes without one.
func confirmAPIWrite(c *Factory, p session.Profile, req apiRequest, yes bool) error {
	if p.Env != gateway.EnvProduction || !isWrite(req.Method) {
		return nil
	}
	path, q, body, _ := req.build(p.Gateway)
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	fmt.Fprintf(c.stderr, "%s %s on profile %s (production: %s)\n", req.Method, present.SafeLine(path), present.SafeLine(p.Name), present.SafeLine(p.ResolvedAPIURL()))
	who := "a guest token"
	if req.User != "" {
		who = "a connected token for " + req.User
	}
	fmt.Fprintf(c.stderr, "  with %s\n", present.SafeLine(who))
	if len(body) > 0 {
		fmt.Fprintf(c.stderr, "  body: %s\n", present.SafeLine(string(body)))
	}
	// A body read from standard input leaves nothing there to answer with.
	return confirmTyped(c, yes, stdinTerminal(c) && !req.stdin,
		usagef("profile %q is production: a %s without a terminal to confirm it needs --yes; nothing was sent", p.Name, req.Method),
		"Send this request to the production Gateway?", "sent")
}

// writeAPIResponse prints the answer: the status line and headers with
// --include, then the body (indented JSON on a terminal).
func writeAPIResponse(c *Factory, resp *gateway.RawResponse, include bool) {
	tty := c.stdoutIsTerminal != nil && c.stdoutIsTerminal()
	if include {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s\n", resp.Proto, resp.StatusText)
		keys := make([]string, 0, len(resp.Header))
		for k := range resp.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range resp.Header[k] {
				fmt.Fprintf(&b, "%s: %s\n", k, v)
			}
		}
		b.WriteString("\n")
		if tty {
			fmt.Fprint(c.stdout, present.Safe(b.String()))
		} else {
			fmt.Fprint(c.stdout, b.String())
		}
	}
	if !tty {
		_, _ = c.stdout.Write(resp.Body)
		return
	}
	var buf bytes.Buffer
	if json.Indent(&buf, resp.Body, "", "  ") == nil {
		buf.WriteByte('\n')
		_, _ = c.stdout.Write(present.SafeJSON(buf.Bytes()))
		return
	}
	fmt.Fprintln(c.stdout, present.Safe(string(resp.Body)))
}

// printAPIExchanges shows each attempt as the TUI's detail pane does: the
// request line, the auth headers (x-gateway-secret masked, the JWT
// shortened), the body, then the status and time.
func printAPIExchanges(w io.Writer, xs []gateway.Exchange, keys session.Keys) {
	for _, x := range xs {
		fmt.Fprintf(w, "> %s %s\n", x.Method, present.SafeLine(x.URL))
		for _, h := range []string{gateway.HeaderSecret, gateway.HeaderAuthToken} {
			if v, ok := x.RequestHeaders[h]; ok {
				if h == gateway.HeaderAuthToken {
					v = present.ShortToken(v)
				}
				fmt.Fprintf(w, "> %s: %s\n", h, present.SafeLine(v))
			}
		}
		if x.RequestBody != "" {
			fmt.Fprintf(w, "> %s\n", present.SafeLine(present.Scrub(x.RequestBody, keys.Secret, keys.APISecret)))
		}
		switch {
		case x.Error != "":
			fmt.Fprintf(w, "< attempt %d: %s\n", x.Attempt, present.SafeLine(present.Scrub(x.Error, keys.Secret, keys.APISecret)))
		default:
			fmt.Fprintf(w, "< HTTP %d · %s\n", x.Status, present.StepDuration(x.Duration))
		}
	}
}

// apiError maps a call's error to the api command's exit codes: 4 when
// the keys or the token were refused, 1 for any other failure.
func apiError(err error) error {
	if err == nil {
		return nil
	}
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, context.Canceled) {
		return err
	}
	var api *gateway.APIError
	if errors.As(err, &api) && api.KeysRejected() {
		return &exitCodedError{code: exitRejected, err: err}
	}
	return &exitCodedError{code: exitError, err: err}
}
