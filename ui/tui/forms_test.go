package tui

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// cellAt is the column (in cells) where sub starts in line, -1 if absent.
func cellAt(line, sub string) int {
	i := strings.Index(line, sub)
	if i < 0 {
		return -1
	}
	return ansi.StringWidth(line[:i])
}

// lineWith is the first line of view that contains s ("" if none).
func lineWith(view, s string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

func TestOrderFormScrollsToFocusedRow(t *testing.T) {
	hs := newHarness(t, 80, 24)
	hs.withUsers()
	hs.key("o")
	hs.typeText("TCS")
	hs.key("tab")
	hs.typeText("1")
	for range 15 {
		hs.key("ctrl+n")
	}
	hs.typeText("BAD ONE")
	v := plain(hs.view())
	focused := lineWith(v, "› BAD ONE")
	if focused == "" {
		t.Fatalf("the focused 16th row is not on screen:\n%s", v)
	}
	mustContain(t, v, `"BAD ONE" is not a trading symbol`, "enter reviews", "row 16 of 16", "↑ ")
	hs.key("enter")
	v = plain(hs.view())
	mustContain(t, v, "Cannot submit: row 2: ticker is empty")
	if lineWith(v, "› BAD ONE") == "" {
		t.Fatalf("the focused row went out of view with the error:\n%s", v)
	}
	for range 15 {
		hs.key("up")
	}
	v = plain(hs.view())
	if lineWith(v, "› TCS") == "" {
		t.Fatalf("the first row is not on screen after moving up:\n%s", v)
	}
	mustContain(t, v, "row 1 of 16", "↓ ")
	if n := len(strings.Split(hs.view(), "\n")); n != 24 {
		t.Fatalf("view has %d lines", n)
	}
}

func TestOrderFormLastRowNote(t *testing.T) {
	f := newOrderForm(NewStyles(true), ptr(DefaultKeyMap()), "alice")
	f.SetSize(80, 20)
	f.Update(keyMsg("ctrl+x"))
	v := plain(f.View())
	mustContain(t, v, "the last row cannot be removed")
	if strings.Contains(v, "Cannot submit") || len(f.rows) != 1 {
		t.Fatalf("ctrl+x on the only row:\n%s", v)
	}
	f.Update(keyMsg("ctrl+n"))
	f.Update(keyMsg("ctrl+x"))
	if len(f.rows) != 1 || strings.Contains(plain(f.View()), "cannot be removed") {
		t.Fatalf("rows %d:\n%s", len(f.rows), plain(f.View()))
	}
}

func TestSmallcaseFormFields(t *testing.T) {
	f := newOrderForm(NewStyles(true), ptr(DefaultKeyMap()), "alice")
	f.SetSize(100, 24)
	f.Update(keyMsg("ctrl+t"))
	scidHint := plain(f.View())
	mustContain(t, scidHint, "scid", "SCMO_0001", "amount")
	// INVESTMORE: an iscid, whose example is not a scid.
	f.Update(keyMsg("right"))
	v := plain(f.View())
	mustContain(t, v, "iscid", "62bd5f8b4ec1a3d0e9a8c2f1")
	if strings.Contains(v, "SCMO_0001") {
		t.Fatalf("an iscid type shows the scid example:\n%s", v)
	}
	// RECONCILIATION: no id, nothing glued to the label, no amount.
	for range 6 {
		f.Update(keyMsg("right"))
	}
	if got := f.scTypeValue(); got != gateway.OrderReconciliation {
		t.Fatalf("type %s", got)
	}
	v = plain(f.View())
	mustContain(t, v, "RECONCILIATION takes neither a scid nor an iscid", "only BUY and INVESTMORE take an amount")
	if strings.Contains(v, "(none)") || strings.Contains(v, "SCMO_0001") {
		t.Fatalf("RECONCILIATION view:\n%s", v)
	}
	f.Update(keyMsg("tab"))
	if f.scField != scFieldType {
		t.Fatalf("tab moved to field %d on RECONCILIATION, which has no other field", f.scField)
	}
	_, cmd := f.Update(keyMsg("enter"))
	if msg := cmd().(orderSubmittedMsg); msg.oc.Type != gateway.OrderReconciliation || msg.oc.Iscid != "" || msg.oc.Amount != 0 {
		t.Fatalf("reconciliation = %+v", msg.oc)
	}

	// BUY with an amount.
	f.Update(keyMsg("right")) // back to BUY
	f.Update(keyMsg("tab"))
	for _, r := range "SCMO_0002" {
		f.Update(keyMsg(string(r)))
	}
	f.Update(keyMsg("tab"))
	if f.scField != scFieldAmount {
		t.Fatalf("field %d, want amount", f.scField)
	}
	for _, r := range "12x" {
		f.Update(keyMsg(string(r)))
	}
	mustContain(t, plain(f.View()), `amount "12x" is not a number`)
	if _, cmd = f.Update(keyMsg("enter")); cmd != nil || !strings.Contains(f.formErr, "amount") {
		t.Fatalf("a bad amount was accepted: %q", f.formErr)
	}
	f.Update(keyMsg("backspace"))
	f.Update(keyMsg("5"))
	_, cmd = f.Update(keyMsg("enter"))
	msg := cmd().(orderSubmittedMsg)
	if msg.oc.Type != gateway.OrderBuy || msg.oc.Scid != "SCMO_0002" || msg.oc.Amount != 125 {
		t.Fatalf("buy = %+v", msg.oc)
	}
	// FIX takes no amount: the typed one is not sent.
	f.Update(keyMsg("tab"))
	f.Update(keyMsg("right"))
	f.Update(keyMsg("right"))
	_, cmd = f.Update(keyMsg("enter"))
	if msg := cmd().(orderSubmittedMsg); msg.oc.Type != gateway.OrderFix || msg.oc.Amount != 0 || msg.oc.Iscid != "SCMO_0002" {
		t.Fatalf("fix = %+v", msg.oc)
	}
}

func TestNoColorKeepsMeaning(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii) // what NO_COLOR selects
	st := NewStyles(true)
	reverse := func(s string) bool {
		return strings.Contains(s, "\x1b[7m") || strings.Contains(s, ";7m") || strings.Contains(s, "[7;")
	}
	colour := func(s string) bool { return strings.Contains(s, "38;") || strings.Contains(s, "48;") }

	tabs := st.tabs(0, "Securities", "Smallcase")
	if !strings.Contains(ansi.Strip(tabs), "[Securities]") || strings.Contains(ansi.Strip(tabs), "[Smallcase]") {
		t.Fatalf("active tab not marked: %q", ansi.Strip(tabs))
	}
	if !reverse(tabs) || colour(tabs) {
		t.Fatalf("active tab without colour should be in reverse video: %q", tabs)
	}

	in := st.newInput()
	in.Placeholder = "e.g. SCMO_0001"
	in.Focus()
	ph := in.View()
	if !strings.Contains(ph, "\x1b[") || colour(ph) {
		t.Fatalf("placeholder drawn like a typed value: %q", ph)
	}
	in.SetValue("TCS")
	typed := in.View()
	if !reverse(typed) || colour(typed) {
		t.Fatalf("no text cursor without colour: %q", typed)
	}
	if ansi.Strip(typed) == ansi.Strip(ph) {
		t.Fatal("typed and placeholder look the same")
	}

	// The screens built on these styles show the same in a real frame.
	f := newOrderForm(st, ptr(DefaultKeyMap()), "alice")
	f.SetSize(80, 20)
	if v := f.View(); !reverse(v) || colour(v) || !strings.Contains(ansi.Strip(v), "[Securities]") {
		t.Fatalf("order form without colour:\n%q", v)
	}
	h := newHoldingsView(st, ptr(DefaultKeyMap()), "alice", sampleHoldings(3, 1))
	h.SetSize(80, 20)
	if !strings.Contains(ansi.Strip(h.View()), "[Equities (3)]") {
		t.Fatalf("holdings tabs:\n%s", ansi.Strip(h.View()))
	}
}

// helpDescs are the help texts of every binding of a full help.
func helpDescs(groups [][]key.Binding) []string {
	var out []string
	for _, g := range groups {
		for _, b := range g {
			out = append(out, b.Help().Key+" "+b.Help().Desc)
		}
	}
	return out
}

func TestFullHelpFitsAt80(t *testing.T) {
	screens := []struct {
		name string
		open func(hs *harness)
	}{
		{"home", func(hs *harness) {}},
		{"order", func(hs *harness) { hs.key("o") }},
		{"order review", func(hs *harness) { hs.key("o"); hs.typeText("INFY"); hs.key("tab"); hs.typeText("3"); hs.key("enter") }},
		{"import", func(hs *harness) { hs.key("i") }},
		{"holdings", func(hs *harness) { hs.runner.holdings = sampleHoldings(20, 2); hs.key("h") }},
		{"history", func(hs *harness) { hs.withHistory(); hs.key("y") }},
		{"profiles", func(hs *harness) { hs.key("p") }},
		{"token", func(hs *harness) { hs.key("t") }},
	}
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			hs := newHarness(t, 80, 24)
			hs.withUsers()
			sc.open(hs)
			hs.m.help.ShowAll = true
			hs.m.layout()
			v := plain(hs.view())
			lines := strings.Split(v, "\n")
			helpStart := len(lines) - (strings.Count(hs.m.helpView(), "\n") + 1)
			help := strings.Join(lines[helpStart:], "\n")
			if strings.Contains(help, "…") {
				t.Fatalf("the full help is cut:\n%s", help)
			}
			for _, d := range helpDescs(hs.m.active().FullHelp()) {
				fields := strings.Fields(d)
				if !strings.Contains(flat(help), strings.Join(fields[1:], " ")) {
					t.Errorf("full help lacks %q:\n%s", d, help)
				}
			}
			mustContain(t, help, "demo mode", "export session", "quit")
		})
	}
}

func TestHomeFooterShowsEveryKeyAt80(t *testing.T) {
	for _, w := range []int{80, 120} {
		hs := newHarness(t, w, 24)
		hs.withUsers()
		v := plain(hs.view())
		footer := lines(v)[len(lines(v))-1]
		if strings.Contains(footer, "…") {
			t.Fatalf("%d wide: footer cut: %q", w, footer)
		}
		mustContain(t, footer, "a auto-answer", "D demo mode", "X export session", "q quit")
		mustContain(t, v, "c connect", "o place an order", "i import holdings", "h view holdings", "t inspect a token", "y transaction history", "p switch", "m show/mask")
	}
}

func lines(s string) []string { return strings.Split(s, "\n") }

func TestHomeLabelColumnFitsLabels(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.withUsers()
	v := plain(hs.view())
	head := lineWith(v, "LABEL")
	if i := cellAt(head, "SMALLCASEAUTHID"); i < 0 || i > 30 {
		t.Fatalf("LABEL column is %d wide for labels of 5 characters:\n%s", i, head)
	}
	row := lineWith(v, "••••bd35")
	if cellAt(row, "••••bd35") != cellAt(head, "SMALLCASEAUTHID") || cellAt(row, "alice") != cellAt(head, "LABEL") {
		t.Fatalf("row not under its header:\n%s\n%s", head, row)
	}
}

func TestHomeLabelErrorWraps(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.key("c")
	hs.typeText("-bad label")
	hs.key("enter")
	err := session.ValidateLabel("-bad label")
	var ve *gateway.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%v", err)
	}
	mustContain(t, plain(hs.view()), ve.Problem)
}

func TestProfileMarkerAligned(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.key("p")
	v := plain(hs.view())
	head := lineWith(v, "NAME")
	for _, name := range []string{"sandbox", "staging"} {
		row := ""
		for _, l := range lines(v) {
			if strings.Contains(l, name) && strings.Contains(l, "••••") {
				row = l
			}
		}
		if got, want := cellAt(row, name), cellAt(head, "NAME"); got != want {
			t.Fatalf("%s starts at %d, NAME at %d:\n%s\n%s", name, got, want, head, row)
		}
		badge := strings.ToUpper(name)
		if got, want := cellAt(row, badge), cellAt(head, "ENV"); got != want {
			t.Fatalf("%s starts at %d, ENV at %d:\n%s\n%s", badge, got, want, head, row)
		}
	}
	mustContain(t, lineWith(v, "› "), "● sandbox")
}

func TestHistoryColumnsAndDetail(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.withHistory()
	e := &hs.store.history["sandbox"][1]
	// Stored out of order: the view lists them by time received.
	e.Postbacks[0], e.Postbacks[1] = e.Postbacks[1], e.Postbacks[0]
	hs.store.history["sandbox"] = append(hs.store.history["sandbox"], session.HistoryEntry{TransactionID: "TRX_d0000000000000000000000000000000",
		Intent: gateway.IntentTransaction, User: "alice", CreatedAt: testNow.Add(-5 * time.Minute), ExpiresAt: testNow.Add(-1 * time.Minute),
		Status: gateway.StatusExpired, ErrorCode: 1008, ErrorMessage: "transaction_expired"})
	hs.key("y")
	v := plain(hs.view())
	mustContain(t, v, "ERRORED user_cancelled ", "EXPIRED transaction_expired ", "TRX_d0000000000000000000000000000000")
	hs.key("down")
	v = plain(hs.view())
	first, second := strings.Index(v, "✉ 10:01:00"), strings.Index(v, "✉ 10:02:00")
	if first < 0 || second < 0 || first > second {
		t.Fatalf("postbacks not in the order received:\n%s", v)
	}
	if strings.Contains(v, "expires") {
		t.Fatalf("a completed transaction shows an expiry:\n%s", v)
	}
	mustContain(t, v, "COMPLETED · last postback 2026-03-02 10:02:00")
	hs.key("G")
	if hs.m.active().(*historyView).cursor != 3 {
		t.Fatal("G did not go to the last transaction")
	}
	hs.key("g")
	if hs.m.active().(*historyView).cursor != 0 {
		t.Fatal("g did not go to the first transaction")
	}
	// A long re-fetch error is wrapped, not cut.
	hs.key("down")
	long := errors.New("order details of TRX_b0000000000000000000000000000000 are not available: the Gateway answered 404 transaction not found for this user")
	hs.runner.fetchErr = long
	hs.key("r")
	mustContain(t, plain(hs.view()), long.Error())
}

func TestHoldingsFolioNotCut(t *testing.T) {
	h := sampleHoldings(3, 2)
	h.V2.MutualFunds.Holdings[0].Folio = "81530869/12"
	for _, w := range []int{80, 120} {
		v := newHoldingsView(NewStyles(true), ptr(DefaultKeyMap()), "alice", h)
		v.SetSize(w, 20)
		v.Update(keyMsg("tab"))
		out := plain(v.View())
		mustContain(t, out, "81530869/12", "Index Fund")
		for i, l := range lines(out) {
			if ansi.StringWidth(l) > w {
				t.Fatalf("%d wide: line %d is %d wide", w, i, ansi.StringWidth(l))
			}
		}
	}
}

func TestHoldingsFilterHintTellsTheTruth(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.withUsers()
	hs.runner.holdings = sampleHoldings(20, 2)
	hs.key("h", "/")
	hs.typeText("zzz")
	mustContain(t, plain(hs.view()), "Nothing matches the filter on this tab", "esc clears the filter")
	hs.key("enter")
	v := plain(hs.view())
	mustContain(t, v, "Nothing matches the filter", "/ then esc clears the filter")
	// Do what the hint says.
	hs.key("/", "esc")
	hv, ok := hs.m.active().(*holdingsView)
	if !ok {
		t.Fatalf("/ esc left the holdings view for %T", hs.m.active())
	}
	if hv.filter.Value() != "" || len(hv.idx) != 20 {
		t.Fatalf("/ esc did not clear the filter: %q, %d rows", hv.filter.Value(), len(hv.idx))
	}
	// tab while typing a filter shows the other tab, filter kept.
	hs.key("/")
	hs.typeText("index")
	hs.key("tab")
	if hv.tab != tabFunds || hv.filter.Value() != "index" || len(hv.idx) != 2 || !hv.filtering {
		t.Fatalf("tab %d filter %q rows %d", hv.tab, hv.filter.Value(), len(hv.idx))
	}
}

func TestHoldingsJSONExport(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	t.Cleanup(func() { _ = os.Chdir(wd) })
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	h := sampleHoldings(2, 2)
	h.V2.MutualFunds.Holdings[0].Quantity = 2020.84
	hs := newHarness(t, 120, 40)
	hs.withUsers()
	hs.runner.holdings = h
	hs.key("h", "tab", "e")
	hv := hs.m.active().(*holdingsView)
	hv.export.SetValue("mf.json")
	hs.key("enter")
	abs := filepath.Join(dir, "mf.json")
	mustContain(t, plain(hs.view()), "exported 2 rows to "+abs)
	b, err := os.ReadFile(abs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"p&l"`)) || !bytes.Contains(b, []byte(`"units": 2020.840`)) {
		t.Fatalf("json:\n%s", b)
	}
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil || len(rows) != 2 {
		t.Fatalf("json: %v %s", err, b)
	}
	if _, ok := rows[0]["invested"].(float64); !ok {
		t.Fatalf("invested is %T, want a number", rows[0]["invested"])
	}
	if _, ok := rows[0]["folio"].(string); !ok {
		t.Fatalf("folio is %T, want a string", rows[0]["folio"])
	}
	if i, j := bytes.Index(b, []byte(`"fund"`)), bytes.Index(b, []byte(`"p&l"`)); i > j {
		t.Fatal("keys not in column order")
	}

	// The file exists now: nothing is written until y.
	if err := os.WriteFile(abs, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	hs.key("e")
	hv.export.SetValue("mf.json")
	hs.key("enter")
	mustContain(t, plain(hs.view()), abs+" exists", "y overwrite")
	if got, _ := os.ReadFile(abs); string(got) != "keep me" {
		t.Fatal("an existing file was overwritten without asking")
	}
	hs.key("n")
	if !hv.exporting || hv.export.Value() != "mf.json" {
		t.Fatalf("n did not go back to the file name: %v %q", hv.exporting, hv.export.Value())
	}
	hs.key("enter", "y")
	if got, _ := os.ReadFile(abs); string(got) == "keep me" {
		t.Fatal("y did not overwrite")
	}

	// No rows: an empty array.
	hs.key("/")
	hs.typeText("nothing-matches")
	hs.key("enter", "e")
	hv.export.SetValue("none.json")
	hs.key("enter")
	if got, _ := os.ReadFile(filepath.Join(dir, "none.json")); strings.TrimSpace(string(got)) != "[]" {
		t.Fatalf("0 rows wrote %q", got)
	}
}

// signedJWT builds an HS256 token with header and payload exactly as given.
func signedJWT(secret, header, payload string) string {
	enc := base64.RawURLEncoding
	s := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(s))
	return s + "." + enc.EncodeToString(mac.Sum(nil))
}

func TestTokenInspectorKeepsKeyOrder(t *testing.T) {
	km := DefaultKeyMap()
	exp := testNow.Add(10 * time.Minute).Unix()
	tok := signedJWT(testSecret, `{"typ":"JWT","alg":"HS256"}`, `{"smallcaseAuthId":"`+testAuthID+`","exp":`+itoaTest(exp)+`,"iat":`+itoaTest(testNow.Unix())+`}`)
	v := newTokenView(NewStyles(true), &km, testSecret, testNow, false)
	v.SetSize(120, 30)
	v.setToken(tok)
	out := plain(v.View())
	mustContain(t, out, `{"typ":"JWT", "alg":"HS256"}`, `{"smallcaseAuthId":"`+testAuthID+`", "exp":`+itoaTest(exp)+`, "iat":`)

	demo := newTokenView(NewStyles(true), &km, testSecret, testNow, true)
	demo.SetSize(120, 30)
	demo.Update(keyMsgRunes(tok, true))
	out = plain(demo.View())
	if demo.info == nil {
		t.Fatal("the pasted token was not decoded")
	}
	for _, part := range strings.Split(tok, ".") {
		if strings.Contains(out, part[len(part)-12:]) {
			t.Fatalf("demo mode shows the pasted token:\n%s", out)
		}
	}
	if strings.Contains(out, testAuthID) {
		t.Fatal("demo mode shows the smallcaseAuthId")
	}
	mustContain(t, out, "••••••")
}

func itoaTest(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestHoldingsLoadedClearsFetchingStatus(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.withUsers()
	hs.runner.holdings = sampleHoldings(5, 1)
	hs.key("h")
	if _, ok := hs.m.active().(*holdingsView); !ok {
		t.Fatalf("h opened %T", hs.m.active())
	}
	if v := plain(hs.view()); strings.Contains(v, "fetching the holdings") {
		t.Fatalf("the fetching status stays after the table loaded:\n%s", v)
	}
}

func TestHelpKeyOfferedOnlyWhereItWorks(t *testing.T) {
	footer := func(hs *harness) string {
		ls := lines(plain(hs.view()))
		return ls[len(ls)-1]
	}
	cases := []struct {
		name    string
		open    []string
		typing  bool
		capture bool
	}{
		{"home", nil, false, false},
		{"label prompt", []string{"c"}, true, true},
		{"order form", []string{"o"}, true, true},
		{"token", []string{"t"}, true, true},
		{"holdings filter", []string{"h", "/"}, true, true},
		{"holdings", []string{"h"}, false, false},
		{"history", []string{"y"}, false, false},
	}
	for _, c := range cases {
		hs := newHarness(t, 120, 30)
		hs.withUsers()
		hs.runner.holdings = sampleHoldings(5, 1)
		hs.key(c.open...)
		if got := hs.m.active().capturing(); got != c.capture {
			t.Fatalf("%s: capturing %v", c.name, got)
		}
		f := footer(hs)
		if strings.Contains(f, "? more keys") == c.typing {
			t.Errorf("%s: footer %q", c.name, f)
		}
	}
}

func TestImportSummaryCountsInSingular(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.withUsers()
	h := sampleHoldings(1, 1)
	hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(importSteps...).on(flow.FetchHoldings, func(s *flow.Step) { s.Holdings = h }))
	hs.key("i", "enter")
	v := plain(hs.view())
	mustContain(t, v, "1 equity, 1 mutual fund (v2")
	if strings.Contains(v, "1 mutual funds") || strings.Contains(v, "1 equities") {
		t.Fatalf("plural for one:\n%s", v)
	}
}

func TestHoldingsPromptsFitTheWidth(t *testing.T) {
	for _, w := range []int{80, 120} {
		hs := newHarness(t, w, 24)
		hs.withUsers()
		hs.runner.holdings = sampleHoldings(5, 1)
		hs.key("h", "/")
		hs.typeText("tick")
		hs.key("enter")
		check := func(what, want string) {
			t.Helper()
			l := lineWith(plain(hs.view()), want)
			if l == "" || strings.Contains(l, "…") || ansi.StringWidth(l) > w {
				t.Fatalf("%d wide, %s: %q", w, what, l)
			}
		}
		check("applied filter", "/tick")
		hs.key("e")
		hs.m.active().(*holdingsView).export.SetValue("")
		check("empty export prompt", "export to:")
	}
}
