package tui

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"gatewalk/ui/present"
)

// View draws the header, the active screen, the status line and the help.
func (m *Model) View() string {
	if m.quitting {
		return ""
	}
	st := m.st
	if m.w < 60 || m.h < 16 {
		return "gatewalk needs a terminal of at least 60x16, and is best at 80x24 or more (this one is " + strconv.Itoa(m.w) + "x" + strconv.Itoa(m.h) + ")."
	}
	var b strings.Builder
	b.WriteString(m.header() + "\n\n")

	bh := m.bodyHeight()
	body := m.active().View()
	if m.demo {
		body = demoRedact(body)
	}
	lines := strings.Split(body, "\n")
	if len(lines) > bh {
		lines = lines[:bh]
	}
	for i, l := range lines {
		lines[i] = fitWidth(l, m.w)
	}
	for len(lines) < bh {
		lines = append(lines, "")
	}
	b.WriteString(strings.Join(lines, "\n") + "\n")

	style := st.StatusInfo
	switch {
	case m.asked != nil:
		style = st.StatusErr
	case m.statusLevel == statusOK:
		style = st.StatusOK
	case m.statusLevel == statusError:
		style = st.StatusErr
	}
	for _, l := range m.statusLines() {
		b.WriteString(style.Render(pad(l, m.w)) + "\n")
	}
	b.WriteString(m.helpView())
	return b.String()
}

// statusLines is the status message on one line, or two when it is long.
func (m *Model) statusLines() []string {
	text := present.Safe(m.status) // it quotes errors, labels and ids
	if m.asked != nil {
		text = m.leavePrompt()
	}
	// The root's redaction covers the body only: the status line redacts
	// its own text, whole, before it is wrapped and cut to two lines.
	text = shownText(m.demo, text)
	if text == "" {
		return []string{""}
	}
	ls := wrap(text, m.w)
	if len(ls) > 2 {
		ls = ls[:2]
		ls[1] = pad(ls[1]+" …", m.w)
	}
	return ls
}

func (m *Model) header() string {
	st := m.st
	// The profile's values and the user's label, redacted in demo mode
	// before a narrow terminal cuts the line: the root's redaction covers
	// the body only.
	shown := func(s string) string { return shownText(m.demo, present.SafeLine(s)) }
	left := st.Header.Render("gatewalk") + " "
	name := shown(m.home.profile)
	if m.runner != nil {
		left += envBadge(st, m.profile) + " "
		name = shown(m.profile.Name)
		if m.profile.Gateway != "" {
			name += " · gateway " + shown(m.profile.Gateway)
		}
	} else if m.home.connErr != nil {
		left += st.BadgeProduction.Render("NOT STARTED") + " "
	} else {
		left += st.Subtle.Render("starting…") + " "
	}
	if name == "" {
		name = "active profile"
	}
	var right []string
	if m.auto.On() {
		right = append(right, st.BadgeLeprechaun.Render("AUTO"))
	}
	if m.demo {
		right = append(right, st.BadgeDemo.Render("DEMO"))
	}
	r := strings.Join(right, " ")
	user := ""
	if m.selUser != "" {
		user = st.Subtle.Render(" · user ") + st.Strong.Render(shown(m.selUser))
	}
	full := left + st.Subtle.Render("profile ") + name + user
	if lipgloss.Width(full)+lipgloss.Width(r)+1 > m.w && m.runner != nil {
		// Narrow terminals: the gateway name gives way to the user.
		full = left + st.Subtle.Render("profile ") + shown(m.profile.Name) + user
	}
	left = full
	gap := m.w - lipgloss.Width(left) - lipgloss.Width(r)
	if gap < 1 {
		return pad(left+" "+r, m.w)
	}
	return left + strings.Repeat(" ", gap) + r
}

// fitWidth cuts a line to w cells. Trailing blanks give way first, so
// padding never costs the last character of the text an ellipsis.
func fitWidth(l string, w int) string {
	if ansi.StringWidth(l) <= w {
		return l
	}
	if t := trimTrailingBlanks(l); ansi.StringWidth(t) <= w {
		return t
	}
	return ansi.Truncate(l, w, "…")
}

// trimTrailingBlanks drops the spaces at the end of a styled line, and
// resets the style after what is left.
func trimTrailingBlanks(l string) string {
	keep := ansi.StringWidth(strings.TrimRight(ansi.Strip(l), " "))
	t := ansi.Truncate(l, keep, "")
	if strings.Contains(l, "\x1b[") {
		t += "\x1b[0m"
	}
	return t
}

var (
	demoAuthIDRe = regexp.MustCompile(`\b[0-9a-f]{20}([0-9a-f]{4})\b`)
	demoTxnRe    = regexp.MustCompile(`\bTRX_[0-9a-fA-F]{8,}`)
	demoJWTRe    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4}[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	// demoMaskRe is a masked secret (gateway.MaskSecret: four characters
	// and four dots) standing on its own: after the start, a space, a
	// quote, a colon, an equals sign, a bracket or a style's end, never inside a longer
	// word (so "transactionId=••••" keeps its name). The four never include
	// an escape character, a dot, a slash or those separators, so a second
	// pass over redacted, styled text changes nothing.
	demoMaskRe = regexp.MustCompile(`(^|[\s"'(\[:=,]|\x1b\[[0-9;]*m)([^\s•/\x1b"'(\[:=,]{4})••••`)
)

// shownText is text from outside gatewalk (what the Gateway, the SDK or
// the page sent, an error's message, a profile's value) as a screen shows
// it: in demo mode redacted whole, before the screen wraps, cuts or pads
// it. The root's redaction of the finished body comes too late for such
// text: a token broken over two lines, or cut short by its column, no
// longer matches. Every screen redacts its outside text with it.
func shownText(demo bool, s string) string {
	if demo {
		return demoRedact(s)
	}
	return s
}

// demoRedact hides ids, tokens and masked secrets in rendered text, so a
// demo on a shared screen shows none of them. It is idempotent. The
// browser page's link stays whole: it is a loopback address only the
// presenter's machine can open, and the presenter needs it.
func demoRedact(s string) string {
	s = demoMaskRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := demoMaskRe.FindStringSubmatch(m)
		if sub[2] == "TRX_" {
			// A redacted transactionId, not a secret: it stays one style.
			return m
		}
		return sub[1] + "••••••••"
	})
	s = demoJWTRe.ReplaceAllString(s, "eyJ…(token redacted)")
	// Ids keep their last four characters, as everywhere they are masked.
	s = demoTxnRe.ReplaceAllStringFunc(s, func(id string) string { return present.RedactID(id, true) })
	s = demoAuthIDRe.ReplaceAllString(s, "••••$1")
	return s
}
