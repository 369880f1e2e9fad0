package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

// evil carries a bell, a screen clear (CSI 2J), a clipboard write
// (OSC 52), a C1 CSI and a C1 OSC (U+009B, U+009D): what a hostile server
// or file could send. rawC1 (terminalsafe_raw_test.go) adds the 8-bit
// bytes themselves where a test can put bytes that are not UTF-8.
const evil = "\x07\x1b[2J\x1b]52;c;aGk=\x07\u009b31m\u009d0;t\u009c"

// assertNoRawControl fails when out holds a control byte a terminal
// would act on, or when the injected clear is not shown escaped.
func assertNoRawControl(t *testing.T, what, out string) {
	t.Helper()
	if m := findRawControl(out); m != "" {
		t.Fatalf("%s printed the raw control %q:\n%q", what, m, out)
	}
	if !strings.Contains(out, `\x1b[2J`) {
		t.Fatalf("%s does not show the injected text escaped:\n%q", what, out)
	}
}

// poisonStrings appends evil to every string under the given keys.
func poisonStrings(v any, keys map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && keys[k] {
				v[k] = s + evil
				continue
			}
			poisonStrings(x, keys)
		}
	case []any:
		for _, x := range v {
			poisonStrings(x, keys)
		}
	}
}

// hostileAPI is a sandbox behind a proxy: holdings come back with evil in
// every ticker, ISIN, name, fund and folio; with failHoldings, the
// holdings call is refused with evil in the error's text. It adds the
// profile "evil" that talks to the proxy, with user alice connected.
func hostileAPI(t *testing.T, h *headlessEnv, failHoldings bool) {
	t.Helper()
	proxiedSandbox(t, h, func(path string, status int, body []byte) (int, []byte) {
		if !strings.HasSuffix(path, "/engine/user/holdings") {
			return status, body
		}
		if failHoldings {
			body, _ = json.Marshal(gateway.Envelope{Success: false, Errors: []string{"holdings refused" + evil},
				ErrorType: "InputException" + evil, Data: json.RawMessage("null")})
			return http.StatusBadRequest, body
		}
		if status == http.StatusOK {
			var doc any
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Errorf("holdings: %v", err)
			}
			poisonStrings(doc, map[string]bool{"ticker": true, "nseTicker": true, "bseTicker": true, "isin": true,
				"name": true, "fund": true, "folio": true, "broker": true})
			body, _ = json.Marshal(doc)
		}
		return status, body
	})
}

// proxiedSandbox is a sandbox behind a proxy that hands each answer to
// rewrite (the request's path, the answer's status and body) before the
// client gets it. It adds the profile "evil" that talks to the proxy,
// with user alice connected.
func proxiedSandbox(t *testing.T, h *headlessEnv, rewrite func(path string, status int, body []byte) (int, []byte)) {
	t.Helper()
	sb := sandbox.New(sandbox.Config{})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	target, _ := url.Parse(base)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := http.NewRequestWithContext(r.Context(), r.Method, target.JoinPath(r.URL.Path).String()+"?"+r.URL.RawQuery, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		status, body := rewrite(r.URL.Path, resp.StatusCode, body)
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	st := h.store(t)
	p := session.Profile{Name: "evil", Env: gateway.EnvSandbox, Gateway: sandbox.DefaultGateway,
		Secret: sandbox.DefaultSecret, APISecret: sandbox.DefaultAPISecret, APIURL: srv.URL, Leprechaun: true}
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	u := session.User{Label: "alice", SmallcaseAuthID: sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001"), Broker: "kite-leprechaun"}
	if err := st.SaveUser("evil", u, false); err != nil {
		t.Fatal(err)
	}
}

// TestHoldingsTablePrintsNoRawControlBytes: names, tickers, ISINs and
// folios from the API are shown escaped in the tables; the CSV keeps them
// as data.
func TestHoldingsTablePrintsNoRawControlBytes(t *testing.T) {
	h := newHeadlessEnv(t)
	hostileAPI(t, h, false)
	code, out, errb := h.run(t, "holdings", "--profile", "evil", "--user", "alice", "--v2", "--mf")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %q\nstderr: %q", code, out, errb)
	}
	assertNoRawControl(t, "holdings (stdout)", out)
	if m := findRawControl(errb); m != "" {
		t.Fatalf("holdings printed the raw control %q on stderr:\n%q", m, errb)
	}
	if !strings.Contains(out, "mutual fund") {
		t.Fatalf("no mutual funds table:\n%s", out)
	}
	_, csvOut, _ := h.run(t, "holdings", "--profile", "evil", "--user", "alice", "--v2", "--mf", "--csv")
	if !strings.Contains(csvOut, "\x1b[2J") {
		t.Fatalf("the CSV does not keep the data as received:\n%q", csvOut)
	}
}

// TestAPIErrorTextPrintsNoRawControlBytes: the text of an API error, in
// the progress lines and in the command's error, is shown escaped.
func TestAPIErrorTextPrintsNoRawControlBytes(t *testing.T) {
	h := newHeadlessEnv(t)
	hostileAPI(t, h, true)
	code, out, errb := h.run(t, "holdings", "--profile", "evil", "--user", "alice")
	if code == 0 {
		t.Fatalf("the refused call succeeded:\n%s", out)
	}
	if !strings.Contains(errb, "gatewalk holdings: ") || !strings.Contains(errb, "holdings refused") {
		t.Fatalf("the error is not told:\n%q", errb)
	}
	assertNoRawControl(t, "holdings (stderr)", errb)
	if m := findRawControl(out); m != "" {
		t.Fatalf("holdings printed the raw control %q on stdout:\n%q", m, out)
	}
}

// hostileUsersFile writes a users.json whose user has evil in its label,
// id and broker, as a hand-edited or corrupted file could.
func hostileUsersFile(t *testing.T, h *headlessEnv) {
	t.Helper()
	st := h.store(t)
	if err := st.SaveUser(session.BuiltinProfileName, session.User{Label: "alice",
		SmallcaseAuthID: sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001"), Broker: "kite"}, false); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(h.dir, "users.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	esc, _ := json.Marshal(evil)
	inner := string(esc[1 : len(esc)-1])
	b = bytes.Replace(b, []byte(`"alice"`), []byte(`"alice`+inner+`"`), 1)
	b = bytes.Replace(b, []byte(`"kite"`), []byte(`"kite`+inner+`"`), 1)
	b = bytes.Replace(b, []byte(`"LEP001`), []byte(`"LEP001`+inner), 1)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestUsersListPrintsNoRawControlBytes: labels, ids and brokers read from
// users.json are shown escaped by users list and users show.
func TestUsersListPrintsNoRawControlBytes(t *testing.T) {
	h := newHeadlessEnv(t)
	hostileUsersFile(t, h)
	code, out, errb := h.run(t, "users", "list")
	if code != 0 || !strings.Contains(out, "alice") {
		t.Fatalf("exit %d\nstdout: %q\nstderr: %q", code, out, errb)
	}
	assertNoRawControl(t, "users list", out)
	if strings.Count(out, `\x1b[2J`) < 2 {
		t.Fatalf("the label and the broker are not both shown escaped:\n%s", out)
	}
	code, out, errb = h.run(t, "users", "show", "alice"+evil)
	if code != 0 {
		t.Fatalf("users show: exit %d\nstdout: %q\nstderr: %q", code, out, errb)
	}
	assertNoRawControl(t, "users show", out)
}

// TestTokenInspectPrintsNoRawControlBytes: claims are shown escaped, the
// smallcaseAuthId in the kind line too.
func TestTokenInspectPrintsNoRawControlBytes(t *testing.T) {
	id, _ := json.Marshal("5f0321b5f3743c31d95abd35" + evil)
	note, _ := json.Marshal(evil)
	tok := edgeToken(t, `{"smallcaseAuthId":`+string(id)+`,"exp":2556124199,"note":`+string(note)+`}`)
	c, out, errb := testCLI("", map[string]string{"GATEWALK_CONFIG_DIR": t.TempDir()})
	code := Main(t.Context(), c, []string{"token", "inspect", "--no-verify", tok})
	all := out.String() + errb.String()
	if !strings.Contains(out.String(), "payload:") {
		t.Fatalf("exit %d:\n%s", code, all)
	}
	assertNoRawControl(t, "token inspect", all)
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "kind:") && !strings.Contains(l, `\x1b[2J`) {
			t.Fatalf("the kind line does not show the id escaped: %q", l)
		}
	}
}
