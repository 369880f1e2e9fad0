package present

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gatewalk/session/bridge"
	"gatewalk/session/flow"
)

// Safe is text from outside (the network, the page, the SDK, a file, a
// token) made fit for a terminal: control characters and escape sequences
// are shown escaped (\x1b, \u009b), never emitted, so nothing received can
// move the cursor, clear the screen or write the clipboard. Newlines and
// tabs are kept; invalid UTF-8 bytes are shown as \xNN.
func Safe(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x` + hex2(s[i]))
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x` + hex2(byte(r)))
		case r >= 0x80 && r < 0xa0:
			b.WriteString(`\u00` + hex2(byte(r)))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// SafeLine is Safe on one line: newlines and tabs are escaped too.
func SafeLine(s string) string {
	s = Safe(s)
	if !strings.ContainsAny(s, "\n\t") {
		return s
	}
	return strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(s)
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// JourneyTitle names a journey kind.
func JourneyTitle(k flow.Kind) string {
	switch k {
	case flow.GuestLogin:
		return "Guest login"
	case flow.Order:
		return "Connected order"
	case flow.HoldingsImport:
		return "Holdings import"
	case flow.SDKRun:
		return "Run a transactionId"
	}
	return string(k)
}

// EventLabel names a browser page event.
func EventLabel(k bridge.JourneyEventKind) string {
	switch k {
	case bridge.JourneyPageOpened:
		return "page opened"
	case bridge.JourneySDKLoaded:
		return "SDK loaded"
	case bridge.JourneySDKLoadFailed:
		return "SDK did not load"
	case bridge.JourneySDKStarted:
		return "journey started"
	case bridge.JourneyTabClosed:
		return "tab closed"
	case bridge.JourneyResult:
		return "result posted"
	case bridge.JourneyCSPBlocked:
		return "blocked by the page's security policy"
	}
	return strings.ReplaceAll(SafeLine(string(k)), "_", " ")
}

// EventText is an event's label with its detail, terminal-safe.
func EventText(ev bridge.JourneyEvent) string {
	s := EventLabel(ev.Kind)
	if ev.Detail != "" {
		s += " (" + SafeLine(ev.Detail) + ")"
	}
	return s
}

// Countdown is the time left as m:ss (0:00 once past).
func Countdown(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d.Round(time.Second) / time.Second)
	return strconv.Itoa(s/60) + ":" + twoDigits(s%60)
}

// HumanDuration is a long span in its largest unit: 8795d, 5h04m, 4:59.
func HumanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= 48*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d >= time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h" + twoDigits(int(d%time.Hour/time.Minute)) + "m"
	}
	return Countdown(d)
}

// StepDuration is how long a step took, short: <1ms, 42ms, 1.3s, 4m58s;
// "" for none.
func StepDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Millisecond:
		return "<1ms"
	case d < time.Second:
		return strconv.Itoa(int(d/time.Millisecond)) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	sec := int(d.Round(time.Second) / time.Second)
	return strconv.Itoa(sec/60) + "m" + twoDigits(sec%60) + "s"
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// SafeJSON makes encoded JSON terminal-safe: encoding/json escapes the C0
// controls but writes DEL and the C1 controls (U+007F to U+009F) as they
// are; here they become \u00XX escapes, which decode to the same text.
// Bytes that are not UTF-8 (a raw 0x9b is an 8-bit CSI to some terminals)
// pass through json.RawMessage and json.Indent untouched: they become
// \ufffd, the text encoding/json decodes them to.
func SafeJSON(b []byte) []byte {
	if utf8.Valid(b) && !bytes.ContainsRune(b, 0x7f) && !bytes.ContainsFunc(b, func(r rune) bool { return r >= 0x80 && r < 0xa0 }) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case r == 0x7f || (r >= 0x80 && r < 0xa0):
			out = append(out, `\u00`...)
			out = append(out, hex2(byte(r))...)
		default:
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}
