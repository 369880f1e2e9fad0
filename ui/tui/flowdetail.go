package tui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"gatewalk/gateway"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

func (f *flowView) stateMark(s flow.Step) string {
	st := f.st
	switch s.State {
	case flow.Running:
		return f.spin.View()
	case flow.Done:
		return st.StepDone.Render("✓")
	case flow.Failed:
		return st.StepFailed.Render("✗")
	case flow.Skipped:
		return st.StepSkipped.Render("–")
	}
	return st.StepPending.Render("·")
}

// stepsList draws one line per step, w cells wide.
func (f *flowView) stepsList(w int) []string {
	var out []string
	for i, s := range f.steps {
		title := s.Title
		if title == "" {
			title = string(s.Kind)
		}
		dur := ""
		if s.State == flow.Done || s.State == flow.Failed {
			dur = spaced(present.StepDuration(s.Duration))
		}
		// A title too long for its line wraps under itself, the duration
		// staying on the first line: never cut.
		avail := w - 4 - ansi.StringWidth(dur)
		parts := []string{title}
		if ansi.StringWidth(title) > avail && avail > 8 {
			parts = wrap(title, avail)
		}
		style := func(l string) string {
			switch {
			case i == f.sel:
				return f.st.Selected.Render(l)
			case s.State == flow.Pending || s.State == flow.Skipped:
				return f.st.StepPending.Render(l)
			}
			return l
		}
		cursor := "  "
		if i == f.sel {
			cursor = f.st.Cursor.Render("›") + " "
		}
		out = append(out, cursor+f.stateMark(s)+" "+style(pad(parts[0], avail)+dur))
		for _, more := range parts[1:] {
			out = append(out, "    "+style(pad(more, w-4)))
		}
	}
	return out
}

// statusLines are the countdown, who answers the SDK step and the latest
// browser event, one item per line (wrapped under its own indent) in w
// cells.
func (f *flowView) statusLines(w int) []string {
	st := f.st
	var out []string
	item := func(text string) {
		for i, l := range wrap(text, w-2) {
			if i > 0 {
				l = "  " + l
			}
			out = append(out, st.Subtle.Render(l))
		}
	}
	if left, ok := f.countdown(); ok {
		out = append(out, st.Countdown.Render("⏱ "+present.Countdown(left))+st.Subtle.Render(" left on the transaction"))
	}
	if f.auto.On() && f.running {
		who := "sandbox answers: " + string(f.auto.Scenario)
		if f.kind == flow.GuestLogin && f.auto.Account != "" {
			who += " as " + f.auto.Broker + " " + f.auto.Account
		}
		item(who)
	}
	if n := len(f.events); n > 0 {
		item("browser: " + f.shown(present.EventText(f.events[n-1])))
	}
	return out
}

// View lays the steps beside the details when there is room, else above.
func (f *flowView) View() string {
	st := f.st
	who := present.SafeLine(f.label)
	if who == "" {
		// An SDK run with a guest token: no local user is named.
		who = "guest"
	}
	head := st.Title.Render(present.JourneyTitle(f.kind)) + st.Subtle.Render(" · "+who)
	note := ""
	switch {
	case f.finished && f.note() != "":
		head += "  " + st.Warn.Render("done, but")
		note = f.note()
	case f.finished:
		head += "  " + st.StatusOK.Render("done")
	case f.failed() != nil:
		head += "  " + st.StatusErr.Render("failed")
	}
	if f.wide() {
		lw := f.leftWidth()
		left := []string{head}
		for _, l := range wrap(note, lw) {
			if note != "" {
				left = append(left, st.Warn.Render(l))
			}
		}
		left = append(left, "")
		left = append(left, f.stepsList(lw)...)
		if status := f.statusLines(lw); len(status) > 0 {
			left = append(left, "")
			left = append(left, status...)
		}
		leftBlock := lipgloss.NewStyle().Width(lw).Render(strings.Join(left, "\n"))
		return lipgloss.JoinHorizontal(lipgloss.Top, leftBlock, " ", f.rightPane())
	}
	if note != "" {
		head += " " + st.Warn.Render(note)
	}
	lines := []string{head}
	lines = append(lines, f.stepsList(f.w)...)
	if status := f.narrowStatus(); status != "" {
		lines = append(lines, pad(status, f.w))
	}
	return strings.Join(lines, "\n") + "\n" + f.rightPane()
}

// narrowStatus is the status items on one line, for narrow terminals.
func (f *flowView) narrowStatus() string {
	return strings.Join(f.statusLines(1000), "  ")
}

func (f *flowView) wide() bool { return f.w >= 100 }

// leftWidth fits the longest step title (with its mark and duration) when
// the terminal leaves room, between 40 cells and two fifths of the width.
func (f *flowView) leftWidth() int {
	w := 40
	for _, s := range f.steps {
		w = max(w, lipgloss.Width(s.Title)+4+7)
	}
	return min(w, max(40, f.w*2/5))
}

// paneSize is the size of the detail pane (inside the frame's body).
func (f *flowView) paneSize() (int, int) {
	if f.wide() {
		return f.w - f.leftWidth() - 1, f.h
	}
	used := 1 + len(f.steps)
	if f.narrowStatus() != "" {
		used++
	}
	return f.w, f.h - used
}

// rightPane is the narration or failure panel over the step details.
func (f *flowView) rightPane() string {
	w, h := f.paneSize()
	var top string
	if s := f.failed(); s != nil && !f.running {
		top = f.failurePanel(*s, w)
	} else if s := f.selected(); s != nil && f.demo && s.Why != "" {
		top = f.st.Narration.Width(w - 2).Render(s.Why)
	}
	th := 0
	if top != "" {
		th = lipgloss.Height(top)
	}
	f.detail.Width, f.detail.Height = w, max(h-th, 1)
	out := f.detail.View()
	if top != "" {
		out = top + "\n" + out
	}
	return fitLines(out, h)
}

// failurePanel explains the failed step: what happened, what to do, and
// the keys that redo the right step.
func (f *flowView) failurePanel(s flow.Step, w int) string {
	st := f.st
	p := f.problem(s)
	title := "Failed: " + present.SafeLine(s.Title)
	if p.Name != "" {
		title += " · " + p.Name
		if p.Code != 0 {
			title += " (" + strconv.Itoa(p.Code) + ")"
		}
	}
	inner := w - 4
	var b []string
	// The name may be the SDK's own message: redacted before the title
	// is cut to the panel.
	b = append(b, st.ErrorTitle.Render(pad(f.shown(title), inner)))
	// The meaning quotes the Gateway's or the SDK's message: redacted
	// before it is wrapped, as the detail pane's outside text is (shown).
	b = append(b, wrap(f.shown(p.Meaning), inner)...)
	if line := f.checkLine(); line != "" && s.Kind == flow.AwaitSDK {
		style := st.Warn
		if f.chk.safe() {
			style = st.StatusOK
		}
		for _, l := range wrap(line, inner) {
			b = append(b, style.Render(l))
		}
	}
	if p.Advice != "" {
		for i, l := range wrap("What to do: "+p.Advice, inner) {
			if i == 0 {
				l = st.Strong.Render(l)
			}
			b = append(b, l)
		}
	}
	var keys string
	keyStyle := st.Subtle
	switch {
	case f.checkKeys() != "" && s.Kind == flow.AwaitSDK:
		keys = f.checkKeys()
		if f.chk.ask != "" {
			keyStyle = st.Strong
		}
	case f.duplicate() != nil && f.dupDeclined:
		keys = "Not saved. esc back; to add a new user, log in with another broker account" +
			" (on the sandbox, a on the home screen chooses the account the sandbox answers with)"
	case f.duplicate() != nil:
		keys = "y save anyway (both labels, one broker account) · n don't save · esc back"
	case p.Redo == flow.CreateTransaction && f.step(flow.CreateTransaction) == nil:
		keys = "a fresh transaction comes from your backend (then s on the home screen) · esc back"
	case p.Redo == flow.CreateTransaction:
		keys = "f (or r) fresh transaction, from “" + f.titleOf(p.Redo) + "” · esc back"
	case p.Redo != "":
		keys = "r redo from “" + f.titleOf(p.Redo) + "”"
		if f.step(flow.CreateTransaction) != nil {
			keys += " · f fresh transaction"
		}
		keys += " · esc back"
	case keysRejected(s.Err):
		keys = "esc back, then p on the home screen edits the profile's keys (the profile restarts with them)"
	default:
		keys = "esc back to change the input"
	}
	for _, l := range wrap(keys, inner) {
		b = append(b, keyStyle.Render(l))
	}
	return st.ErrorPanel.Width(w - 2).Render(strings.Join(b, "\n"))
}

func (f *flowView) titleOf(k flow.StepKind) string {
	if s := f.step(k); s != nil && s.Title != "" {
		return s.Title
	}
	return string(k)
}

// refreshDetail rebuilds the detail pane of the selected step.
func (f *flowView) refreshDetail() {
	w, _ := f.paneSize()
	if w < 20 {
		w = 20
	}
	s := f.selected()
	if s == nil {
		f.detail.SetContent("")
		return
	}
	content := strings.Join(f.detailLines(*s, w), "\n")
	if f.demo {
		// The pane's own text; the outside text was redacted before it
		// was broken into lines (shown).
		content = demoRedact(content)
	}
	f.detail.SetContent(content)
}

// shown is outside text (what the SDK, the Gateway, the page or the
// profile sent) as the screen shows it: in demo mode redacted whole, before
// it is wrapped or cut into lines (shownText). The redaction over the
// finished pane comes too late for it: a token broken over two lines no
// longer matches.
func (f *flowView) shown(s string) string { return shownText(f.demo, s) }

// detail collects the lines of the detail pane for one step.
type detail struct {
	f   *flowView
	st  *Styles
	w   int
	out []string
}

func (d *detail) add(lines ...string) { d.out = append(d.out, lines...) }
func (d *detail) section(t string)    { d.add("", d.st.PaneTitle.Render(t)) }

// detailLines are the detail pane's lines for step s at width w: its
// title and state, then a section for each thing the step holds.
func (f *flowView) detailLines(s flow.Step, w int) []string {
	d := &detail{f: f, st: f.st, w: w}
	d.heading(s)
	d.checkDetail(s)
	d.token(s)
	d.transaction(s)
	d.sdkResult(s)
	d.holdings(s)
	d.exchanges(s)
	d.browser(s)
	d.postback(s)
	d.stepError(s)
	d.curl()
	if f.finished && f.kind == flow.GuestLogin {
		d.add("")
		// Wrapped: the pane is narrower than the line beside the step list.
		for _, l := range wrap("Connected. Next: o places an order, i imports holdings for "+present.SafeLine(f.label)+".", d.w) {
			d.add(d.st.StatusOK.Render(l))
		}
	}
	return d.out
}

func (d *detail) heading(s flow.Step) {
	st, w := d.st, d.w
	state := string(s.State)
	if dur := spaced(present.StepDuration(s.Duration)); dur != "" && s.State != flow.Running {
		state += " ·" + dur
	}
	d.add(st.Strong.Render(s.Title) + st.Subtle.Render("  "+state))
	if s.Why != "" && !d.f.demo {
		for _, l := range wrap("why: "+s.Why, w) {
			d.add(st.Subtle.Render(l))
		}
	}
	if s.Summary != "" {
		d.add(wrap(d.f.shown(present.Safe(s.Summary)), w)...)
	}
	for _, warning := range s.Warnings {
		for _, l := range wrap("warning: "+d.f.shown(present.Safe(warning)), w) {
			d.add(st.Warn.Render(l))
		}
	}
}

func (d *detail) token(s flow.Step) {
	if s.TokenInfo == nil {
		return
	}
	st, f := d.st, d.f
	d.section("Token")
	info, checked := s.TokenInfo, s.TokenInfo.SignatureChecked
	if s.Kind == flow.MintToken {
		// Minted here with the profile's secret: valid by construction.
		minted := *info
		minted.SignatureValid = true
		info, checked = &minted, true
	}
	d.add(strings.Split(strings.TrimRight(tokenSummary(st, info, nil, f.now, f.demo, checked), "\n"), "\n")...)
	d.add(st.Label.Render("payload ") + claimsJSON(info.RawPayload, info.Payload, f.demo))
	if s.Token != "" {
		d.add(wrap(st.Label.Render("jwt ")+present.RedactToken(present.SafeLine(s.Token), f.demo), d.w)...)
	}
}

func (d *detail) transaction(s flow.Step) {
	if s.Transaction == nil {
		return
	}
	st := d.st
	d.section("Transaction")
	d.add(st.Label.Render("transactionId ") + present.RedactID(present.SafeLine(s.Transaction.TransactionID), d.f.demo))
	d.add(st.Label.Render("expireAt      ") + s.Transaction.ExpireAt.UTC().Format(time.RFC3339))
}

func (d *detail) sdkResult(s flow.Step) {
	if s.Outcome != nil {
		d.section("SDK result")
		b, _ := json.Marshal(s.Outcome)
		d.add(d.code(string(b), 14)...)
	}
	if s.Orders != nil {
		d.section("Order details")
		d.add(orderLines(d.st, s.Orders, d.w, d.f.demo)...)
	}
}

func (d *detail) holdings(s flow.Step) {
	if s.Holdings == nil {
		return
	}
	d.section("Holdings")
	d.add(pluralize(len(s.Holdings.Equities()), "equity", "equities") + ", " + pluralize(len(s.Holdings.MutualFunds()), "mutual fund", "mutual funds") +
		fmt.Sprintf(" (%s, broker %s)", present.SafeLine(s.Holdings.Version), present.SafeLine(s.Holdings.Broker())))
	d.add(d.st.Subtle.Render("h opens the holdings table"))
}

// exchanges shows the requests of the step and their responses; of
// retried GETs, only the last two attempts.
func (d *detail) exchanges(s flow.Step) {
	st, w := d.st, d.w
	for i, x := range s.Exchanges {
		if i < len(s.Exchanges)-1 && len(s.Exchanges) > 2 {
			continue
		}
		d.section(fmt.Sprintf("Request (attempt %d)", x.Attempt))
		d.add(wrap(x.Method+" "+d.f.shown(present.SafeLine(x.URL)), w)...)
		for _, h := range []string{gateway.HeaderSecret, gateway.HeaderAuthToken} {
			if v, ok := x.RequestHeaders[h]; ok {
				if h == gateway.HeaderAuthToken {
					v = present.RedactToken(v, d.f.demo)
				}
				d.add(wrap(st.Label.Render(h+": ")+present.SafeLine(v), w)...)
			}
		}
		if x.RequestBody != "" {
			d.add(d.code(x.RequestBody, 12)...)
		}
		resp := "Response"
		if x.Status != 0 {
			resp += " " + strconv.Itoa(x.Status)
		}
		resp += " ·" + spaced(present.StepDuration(x.Duration))
		d.section(resp)
		if x.Error != "" {
			d.add(st.InlineErr.Render(present.SafeLine(x.Error)))
		}
		if x.ResponseBody != "" {
			d.add(d.code(x.ResponseBody, 16)...)
		}
	}
}

// browser shows the page's address and, while the SDK step waits, the
// page's address again and its events.
func (d *detail) browser(s flow.Step) {
	st, w, f := d.st, d.w, d.f
	page := func(title, url, note string) {
		d.section(title)
		d.add(wrap(url, w)...)
		if note != "" {
			d.add(wrap(st.Warn.Render(f.shown(present.Safe(note))), w)...)
		}
	}
	if s.BrowserURL != "" {
		page("Browser", s.BrowserURL, s.BrowserNote)
	}
	if s.SDKConfig != "" {
		d.section("SDK config")
		d.add(wrap("new scDK({config: "+f.shown(present.SafeLine(s.SDKConfig))+"})", w)...)
	}
	if ob := f.step(flow.OpenBrowser); s.Kind == flow.AwaitSDK && s.State == flow.Running && ob != nil && ob.BrowserURL != "" {
		page("Browser page", ob.BrowserURL, ob.BrowserNote)
	}
	if s.Kind == flow.AwaitSDK && len(f.events) > 0 {
		d.section("Browser events")
		for _, ev := range f.events {
			// An event's text (a user agent, a blocked URL) wraps under its
			// time rather than being cut.
			for i, l := range wrap(f.shown(present.EventText(ev)), max(w-9, 16)) {
				lead := st.Subtle.Render(ev.At.Format("15:04:05")) + " "
				if i > 0 {
					lead = "         "
				}
				d.add(lead + l)
			}
		}
	}
}

func (d *detail) postback(s flow.Step) {
	pb := s.Postback
	if pb == nil {
		return
	}
	st := d.st
	d.section("Postback")
	ok := st.StatusOK.Render(present.ChecksumLabel(true))
	if !pb.ChecksumValid {
		ok = st.StatusErr.Render(present.ChecksumLabel(false))
	}
	d.add(present.SafeLine(pb.Event) + " " + present.SafeLine(pb.Status) + " · " + ok)
	if pb.Problem != "" {
		d.add(wrap(st.Warn.Render(d.f.shown(present.Safe(pb.Problem))), d.w)...)
	}
	if len(pb.Body) > 0 {
		d.add(d.code(string(pb.Body), 12)...)
	}
}

func (d *detail) stepError(s flow.Step) {
	if s.Err == nil || s.State != flow.Failed {
		return
	}
	d.section("Error")
	text := present.Safe(s.Err.Error())
	if errors.Is(s.Err, context.Canceled) {
		// Not a Go error string: say what stopped the step.
		text = "the step was stopped before it finished"
		if d.f.tabClosed && s.Kind == flow.AwaitSDK {
			text = "stopped waiting: the browser tab was closed"
		}
	}
	d.add(wrap(d.st.InlineErr.Render(d.f.shown(text)), d.w)...)
}

func (d *detail) curl() {
	f := d.f
	if f.curl == "" {
		return
	}
	d.section("curl (sent to the clipboard; pastes as shown)")
	// Demo redaction before the lines are broken: a token split over
	// lines would no longer match. The clipboard keeps the real command.
	d.add(curlLines(present.Safe(f.shown(f.curl)), d.w)...)
}

// code is codeLines for a body that came from outside: in demo mode it is
// redacted after it is indented and before its lines are broken.
func (d *detail) code(body string, max int) []string {
	return codeBlock(d.st, d.f.shown(indentJSON(body)), d.w, max)
}

// codeLines pretty-prints JSON (or shows text) in at most max lines.
func codeLines(st *Styles, body string, w, max int) []string {
	return codeBlock(st, indentJSON(body), w, max)
}

// indentJSON is body indented when it is JSON, else body.
func indentJSON(body string) string {
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(body), "", "  ") == nil {
		return buf.String()
	}
	return body
}

// codeBlock shows text in at most max lines of w cells.
func codeBlock(st *Styles, text string, w, max int) []string {
	var out []string
	width := w
	if width < 8 {
		width = 8
	}
	for _, l := range strings.Split(present.Safe(text), "\n") {
		// A line wider than the pane wraps (an id or a URL is never cut).
		for _, part := range strings.Split(ansi.Hardwrap(l, width, true), "\n") {
			out = append(out, st.Code.Render(pad(part, w)))
			if len(out) == max {
				out = append(out, st.Subtle.Render("… (pgdn scrolls; c copies the request)"))
				return out
			}
		}
	}
	return out
}

// orderLines shows order details in lines of w cells; in demo mode the
// Gateway's words (a batch's id and status) are redacted before they are
// wrapped.
func orderLines(st *Styles, od *gateway.OrderDetails, w int, demo bool) []string {
	var out []string
	if od.Status != "" {
		out = append(out, st.Label.Render("status ")+present.SafeLine(string(od.Status)))
	}
	for _, b := range od.Batches {
		batch := shownText(demo, fmt.Sprintf("batch %s · %s", present.SafeLine(b.BatchID), present.SafeLine(b.Status)))
		for _, l := range wrap(fmt.Sprintf("%s · filled %d/%d · buy %s sell %s", batch, b.Filled, b.Quantity, money(b.BuyAmount), money(b.SellAmount)), w) {
			out = append(out, st.Strong.Render(pad(l, w)))
		}
		out = append(out, st.TableHead.Render(pad("TICKER", 12)+" "+pad("SIDE", 5)+" "+padLeft("QTY", 6)+" "+padLeft("FILLED", 7)+" "+padLeft("AVG", 10)+" "+pad("STATUS", 12)))
		for _, o := range append(append([]gateway.Order(nil), b.Orders...), b.Unplaced...) {
			out = append(out, pad(present.SafeLine(o.Tradingsymbol), 12)+" "+pad(present.SafeLine(o.TransactionType), 5)+" "+padLeft(strconv.Itoa(o.Quantity), 6)+" "+
				padLeft(strconv.Itoa(o.FilledQuantity), 7)+" "+padLeft(money(o.AveragePrice), 10)+" "+pad(present.SafeLine(o.Status), 12))
			if o.StatusMessage != "" {
				out = append(out, st.Subtle.Render("  ↳ "+present.SafeLine(o.StatusMessage)))
			}
		}
	}
	if len(od.Batches) == 0 {
		out = append(out, st.Subtle.Render("no batches yet"))
	}
	return out
}

// spaced puts a space before a non-empty duration, for after a title.
func spaced(d string) string {
	if d == "" {
		return ""
	}
	return " " + d
}
