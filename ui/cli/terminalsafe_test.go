package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gatewalk/gateway"
)

// rawControl matches a control byte a terminal would act on: everything
// below 0x20 but newline and tab, DEL, and the C1 controls.
var rawControl = regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f]|\u0080|[\u0081-\u009f]")

// findRawControl is the first control a terminal would act on in out:
// rawControl's, or a byte that is not UTF-8 (0x9b alone is an 8-bit CSI
// to a terminal that reads 8-bit controls; a regexp sees it as U+FFFD).
// "" when there is none.
func findRawControl(out string) string {
	if m := rawControl.FindString(out); m != "" {
		return m
	}
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRuneInString(out[i:])
		if r == utf8.RuneError && size == 1 {
			return out[i : i+1]
		}
		i += size
	}
	return ""
}

// hostile is a postback whose fields carry escape sequences: a clipboard
// write (OSC 52), a screen clear (CSI 2J), a bell, a C1 CSI and a C1 OSC.
func hostile(t *testing.T) string {
	p := gateway.Postback{Timestamp: "1763726400000", SmallcaseAuthID: "id\x1b]52;c;aGk=\x07", TransactionID: "TRX_\x1b[2J",
		Intent: gateway.IntentTransaction, Event: "ORDER_\u009b31m", Status: "DONE\x07\u009d0;t\u009c", Checksum: "bad\x1b[0m"}
	return pbJSON(t, p)
}

// TestListenPrintsNoRawControlBytes: whoever reaches the listener, with
// or without a valid checksum, cannot write escape sequences to the
// operator's terminal.
func TestListenPrintsNoRawControlBytes(t *testing.T) {
	dir := t.TempDir()
	listenStore(t, dir)
	url, out, errb, stop := startListen(t, map[string]string{"GATEWALK_CONFIG_DIR": dir})
	if got := postTo(t, url, hostile(t)); got != 401 {
		t.Fatalf("a bad checksum answered %d", got)
	}
	if text, ok := out.waitForText(10*time.Second, "TRX_"); !ok {
		t.Fatalf("no line for the postback:\n%q", text)
	}
	stop()
	all := out.String() + errb.String()
	if !strings.Contains(all, `TRX_\x1b[2J`) {
		t.Fatalf("the transaction is not shown escaped:\n%s", all)
	}
	if m := findRawControl(all); m != "" {
		t.Fatalf("listen printed the raw control %q:\n%q", m, all)
	}
}

// TestPostbackVerifyPrintsNoRawControlBytes: the same for postback verify.
func TestPostbackVerifyPrintsNoRawControlBytes(t *testing.T) {
	c, out, errb := testCLI(hostile(t), map[string]string{"GATEWALK_CONFIG_DIR": t.TempDir()})
	if code := Main(t.Context(), c, []string{"postback", "verify", "-"}); code != exitRejected {
		t.Fatalf("exit %d: %s", code, errb)
	}
	all := out.String() + errb.String()
	if !strings.Contains(all, `\x1b]52`) {
		t.Fatalf("the id is not shown escaped:\n%s", all)
	}
	if m := findRawControl(all); m != "" {
		t.Fatalf("postback verify printed the raw control %q:\n%q", m, all)
	}
}
