package bridge

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/pkg/browser"
)

// Opener opens a URL in the operator's browser.
type Opener interface {
	Open(url string) error
}

// OpenerFunc adapts a function to Opener (handy for stubs).
type OpenerFunc func(url string) error

// Open calls f(url).
func (f OpenerFunc) Open(url string) error { return f(url) }

// BrowserOpener opens URLs with the system's browser launcher (xdg-open,
// open, rundll32) through github.com/pkg/browser. The launcher's output is
// discarded so it cannot scribble over a terminal UI. Open blocks until the
// launcher returns: call it off the UI loop.
type BrowserOpener struct{}

// quietBrowser silences pkg/browser's package-level writers exactly once.
var quietBrowser sync.Once

// NewBrowserOpener returns the system browser opener.
func NewBrowserOpener() *BrowserOpener {
	quietBrowser.Do(func() {
		// nil, not io.Discard: with a non-file writer exec waits for every
		// process holding the pipe, and a browser started by xdg-open
		// inherits it, so Open would last as long as the browser. nil sends
		// the output to /dev/null and Open returns when the launcher does.
		browser.Stdout = nil
		browser.Stderr = nil
	})
	return &BrowserOpener{}
}

// Open opens url in the default browser.
func (*BrowserOpener) Open(url string) error {
	if err := browser.OpenURL(url); err != nil {
		return fmt.Errorf("cannot open a browser: %w", err)
	}
	return nil
}

// BrowserAvailable reports whether opening a browser here can work, and if
// not, why: never over SSH (the browser would open on the remote machine,
// or not at all), and not without a display on Linux and the BSDs.
func BrowserAvailable(getenv func(string) string) (ok bool, reason string) {
	return browserAvailable(runtime.GOOS, getenv)
}

func browserAvailable(goos string, getenv func(string) string) (bool, string) {
	if v, ok := OverSSH(getenv); ok {
		return false, fmt.Sprintf("this is an SSH session (%s is set), so a browser would not open on your screen", v)
	}
	switch goos {
	case "darwin", "windows", "ios", "android", "js", "wasip1":
		return true, ""
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return false, "there is no graphical display: neither DISPLAY nor WAYLAND_DISPLAY is set"
	}
	return true, ""
}

// OverSSH reports whether gatewalk runs in an SSH session, and the
// environment variable that says so (SSH_CONNECTION, SSH_CLIENT or SSH_TTY).
func OverSSH(getenv func(string) string) (variable string, ok bool) {
	for _, v := range []string{"SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"} {
		if getenv(v) != "" {
			return v, true
		}
	}
	return "", false
}

// SSHForwardHint tells how to reach the bridge from the machine the
// operator sits at when gatewalk runs over SSH. The link must keep its
// port: http://localhost:PORT is the origin whitelisted for the Gateway.
func SSHForwardHint(port int) string { return sshForwardHint(port, true) }

// SandboxSSHForwardHint is SSHForwardHint for a page on the sandbox, whose
// port is any free one: nothing is whitelisted, the link only keeps it.
func SandboxSSHForwardHint(port int) string { return sshForwardHint(port, false) }

func sshForwardHint(port int, whitelisted bool) string {
	h := fmt.Sprintf("On your own computer, forward the port first: ssh -L %d:localhost:%d user@host "+
		"(the host you are logged in to), then open the link there", port, port)
	if whitelisted {
		return h + fmt.Sprintf("; it must stay http://localhost:%d because that is the origin whitelisted for the Gateway.", port)
	}
	return h + fmt.Sprintf(", keeping http://localhost:%d.", port)
}

// OpenJourneyURL opens url with op unless noBrowser is set or no browser can
// open here, and returns a note for the operator. The note always contains
// the URL, so callers print it whatever happened.
func OpenJourneyURL(op Opener, url string, port int, noBrowser bool, getenv func(string) string) (opened bool, note string) {
	if noBrowser {
		return false, "Open this link in a browser: " + url
	}
	if ok, reason := BrowserAvailable(getenv); !ok {
		note = fmt.Sprintf("Not opening a browser: %s. Open this link in a browser: %s", reason, url)
		if _, ssh := OverSSH(getenv); ssh {
			note += "\n" + SSHForwardHint(port)
		}
		return false, note
	}
	if op == nil {
		return false, "Open this link in a browser: " + url
	}
	if err := op.Open(url); err != nil {
		return false, fmt.Sprintf("Could not open a browser (%v). Open this link in a browser: %s", err, url)
	}
	return true, "Opened your browser at " + url + " (if it did not appear, open the link yourself)."
}
