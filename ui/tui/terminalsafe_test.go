package tui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
)

// evil carries a bell, a screen clear (CSI 2J), a clipboard write
// (OSC 52) and a C1 CSI: what a hostile server, page or file could send.
const evil = "\x07\x1b[2J\x1b]52;c;aGk=\x07\u009b31m"

var (
	// rawControl matches a control byte a terminal would act on:
	// everything below 0x20 but newline and tab, DEL, and the C1 controls.
	rawControl = regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f]|\u0080|[\u0081-\u009f]")
	// sgr is the TUI's own styling, the only escape sequence it draws.
	sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")
)

// assertFrameSafe fails when a frame holds a control byte other than the
// TUI's own SGR styling, or does not show the injected bell escaped.
func assertFrameSafe(t *testing.T, what, frame string) {
	t.Helper()
	assertFrameShows(t, what, frame, `\x07`)
}

// assertFrameShows is assertFrameSafe with the escaped text to find.
func assertFrameShows(t *testing.T, what, frame, escaped string) {
	t.Helper()
	for _, seq := range []string{"\x1b[2J", "\x1b]52", "\x07", "\u009b"} {
		if strings.Contains(frame, seq) {
			t.Fatalf("the %s frame draws the raw %q:\n%q", what, seq, frame)
		}
	}
	if m := rawControl.FindString(sgr.ReplaceAllString(frame, "")); m != "" {
		t.Fatalf("the %s frame draws the raw control %q:\n%q", what, m, frame)
	}
	if !strings.Contains(plain(frame), escaped) {
		t.Fatalf("the %s frame does not show the injected text escaped:\n%s", what, plain(frame))
	}
}

func TestHoldingsTableDrawsNoRawControlBytes(t *testing.T) {
	for _, col := range []string{"ticker", "isin", "name", "fund", "folio"} {
		h := sampleHoldings(3, 2)
		s := &h.V2.Securities[1]
		mf := &h.V2.MutualFunds.Holdings[0]
		switch col {
		case "ticker":
			s.NSETicker = evil + s.NSETicker
		case "isin":
			s.ISIN = evil + s.ISIN
		case "name":
			s.Name = evil + s.Name
		case "fund":
			mf.Fund = evil + mf.Fund
		case "folio":
			mf.Folio = evil + mf.Folio
		}
		km := DefaultKeyMap()
		v := newHoldingsView(NewStyles(false), &km, "alice", h)
		v.SetSize(200, 20)
		if col == "fund" || col == "folio" {
			v.Update(keyMsg("tab"))
		}
		assertFrameSafe(t, "holdings "+col, v.View())
		if got := v.exportRecords().Rows; !strings.Contains(strings.Join(flatten(got), " "), "\x1b[2J") {
			t.Fatalf("the export does not keep the %s as received: %q", col, got)
		}
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func TestHomeDrawsNoRawControlBytes(t *testing.T) {
	km := DefaultKeyMap()
	v := newHomeView(NewStyles(false), &km)
	v.SetSize(160, 30)
	v.setUsers([]session.User{{Label: "alice" + evil, SmallcaseAuthID: testAuthID, Broker: "kite" + evil, LastUsedAt: testNow}}, "")
	assertFrameSafe(t, "home", v.View())
}

func TestHistoryDrawsNoRawControlBytes(t *testing.T) {
	entry := func() session.HistoryEntry {
		return session.HistoryEntry{TransactionID: "TRX_a0000000000000000000000000000001", Intent: gateway.IntentTransaction,
			User: "alice", CreatedAt: testNow.Add(-time.Minute), ExpiresAt: testNow.Add(time.Minute), Status: gateway.StatusErrored}
	}
	for name, poison := range map[string]func(*session.HistoryEntry){
		"error message": func(e *session.HistoryEntry) { e.ErrorCode, e.ErrorMessage = 1010, "market_closed"+evil },
		"summary":       func(e *session.HistoryEntry) { e.Summary = "connected kite" + evil },
		"user":          func(e *session.HistoryEntry) { e.User += evil },
		"postback": func(e *session.HistoryEntry) {
			e.Postbacks = []session.PostbackRecord{{ReceivedAt: testNow, Event: "ORDER_COMPLETED" + evil, Status: "DONE" + evil, Problem: "bad" + evil}}
		},
	} {
		km := DefaultKeyMap()
		v := newHistoryView(NewStyles(false), &km, false, testNow)
		v.SetSize(160, 30)
		e := entry()
		poison(&e)
		v.Update(historyLoadedMsg{entries: []session.HistoryEntry{e}})
		assertFrameSafe(t, "history "+name, v.View())
	}
}

func TestTokenInspectorDrawsNoRawControlBytes(t *testing.T) {
	km := DefaultKeyMap()
	exp := testNow.Add(10 * time.Minute).Unix()
	// JSON carries C1 controls and DEL raw; the rest as \u escapes.
	tok := signedJWT(testSecret, `{"typ":"JWT","alg":"HS256"}`,
		`{"smallcaseAuthId":"`+testAuthID+`","exp":`+itoaTest(exp)+`,"note":"\u0007\u001b[2J\u001b]52;c;aGk=\u0007`+"\u009b"+`31m"}`)
	v := newTokenView(NewStyles(false), &km, testSecret, testNow, false)
	v.SetSize(200, 30)
	v.setToken(tok)
	if v.info == nil {
		t.Fatalf("the token was not decoded: %v", v.err)
	}
	assertFrameShows(t, "token inspector", v.View(), `\u009b31m`)
}

func TestProblemPanelDrawsNoRawControlBytes(t *testing.T) {
	f := &flowView{st: NewStyles(false)}
	s := flow.Step{Kind: flow.FetchHoldings, Title: "Fetch holdings", State: flow.Failed,
		Err: &gateway.APIError{Method: "GET", Path: "/v1/x/engine/user/holdings", Status: 400, Errors: []string{"refused" + evil}, ErrorType: "InputException"}}
	assertFrameSafe(t, "problem panel", f.failurePanel(s, 120))
	s = flow.Step{Kind: flow.AwaitSDK, Title: "Wait for the SDK", State: flow.Failed, Err: &gateway.SDKError{Code: 1010, Message: "market_closed" + evil}}
	assertFrameSafe(t, "problem panel (SDK)", f.failurePanel(s, 120))
}
