package tui

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/bridge"
	"gatewalk/session/flow"
)

// evil carries a bell, a screen clear (CSI 2J), a clipboard write
// (OSC 52), a C1 CSI and a C1 OSC (U+009B, U+009D), and a raw 8-bit CSI
// (the byte 0x9b, not UTF-8): what a hostile server, page or file could send.
const evil = "\x07\x1b[2J\x1b]52;c;aGk=\x07\u009b31m\u009d0;t\u009c\x9b2J"

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
	for _, seq := range []string{"\x1b[2J", "\x1b]52", "\x07", "\u009b", "\u009d"} {
		if strings.Contains(frame, seq) {
			t.Fatalf("the %s frame draws the raw %q:\n%q", what, seq, frame)
		}
	}
	if m := rawControl.FindString(sgr.ReplaceAllString(frame, "")); m != "" {
		t.Fatalf("the %s frame draws the raw control %q:\n%q", what, m, frame)
	}
	if !utf8.ValidString(frame) {
		t.Fatalf("the %s frame draws a byte that is not UTF-8 (a raw 0x9b is an 8-bit CSI):\n%q", what, frame)
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
	// JSON carries C1 controls, DEL and bytes that are not UTF-8 raw; the
	// rest as \u escapes.
	tok := signedJWT(testSecret, `{"typ":"JWT","alg":"HS256"}`,
		`{"smallcaseAuthId":"`+testAuthID+`","exp":`+itoaTest(exp)+`,"note":"\u0007\u001b[2J\u001b]52;c;aGk=\u0007`+"\u009b"+`31m`+"\u009d0;t\x9b2J"+`"}`)
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

// TestBrowserEventsDrawNoRawControlBytes: a page event's detail (a user
// agent, a blocked URL, the SDK's answer, a kind gatewalk does not know) is
// the page's text: the details pane and the status lines show it escaped.
func TestBrowserEventsDrawNoRawControlBytes(t *testing.T) {
	for _, ev := range []bridge.JourneyEvent{
		{Kind: bridge.JourneyPageOpened, Detail: "Mozilla/5.0" + evil},
		{Kind: bridge.JourneySDKLoadFailed, Detail: "script error" + evil},
		{Kind: bridge.JourneyCSPBlocked, Detail: "https://evil.example/x" + evil},
		{Kind: bridge.JourneyResult, Detail: "resolved CONNECT, broker kite" + evil},
		{Kind: bridge.JourneyEventKind("new_kind" + evil), Detail: "detail" + evil},
	} {
		hs := newHarness(t, 140, 40)
		j := liveGuest(hs, "fay")
		ev.At = testNow
		hs.pump(hs.update(journeyEventMsg{j: j, ev: ev, ok: true}))
		assertFrameShows(t, "browser event "+string(ev.Kind), hs.view(), `\x1b[2J`)
	}
}

// TestProfileListErrorDrawsNoRawControlBytes: a profiles.json that cannot
// be read is quoted in the error the profile list shows: escaped.
func TestProfileListErrorDrawsNoRawControlBytes(t *testing.T) {
	v := newProfileView(NewStyles(false), nil, nil, "sandbox", false)
	v.SetSize(120, 40)
	v.err = errors.New("profiles.json does not parse near \"" + evil + "\"")
	assertFrameSafe(t, "profile list", v.View())
}
