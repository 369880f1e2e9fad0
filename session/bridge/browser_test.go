package bridge

import (
	"errors"
	"strings"
	"testing"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestBrowserAvailable(t *testing.T) {
	for _, c := range []struct {
		name   string
		goos   string
		env    map[string]string
		ok     bool
		reason string
	}{
		{"linux desktop X11", "linux", map[string]string{"DISPLAY": ":0"}, true, ""},
		{"linux desktop Wayland", "linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, true, ""},
		{"linux headless", "linux", map[string]string{}, false, "DISPLAY"},
		{"freebsd headless", "freebsd", map[string]string{}, false, "display"},
		{"ssh with X forwarding", "linux", map[string]string{"DISPLAY": "localhost:10.0", "SSH_CONNECTION": "10.0.0.2 5000 10.0.0.1 22"}, false, "SSH_CONNECTION"},
		{"ssh tty", "linux", map[string]string{"SSH_TTY": "/dev/pts/1", "DISPLAY": ":0"}, false, "SSH"},
		{"ssh client on mac", "darwin", map[string]string{"SSH_CLIENT": "10.0.0.2 5000 22"}, false, "SSH_CLIENT"},
		{"mac", "darwin", map[string]string{}, true, ""},
		{"windows", "windows", map[string]string{}, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ok, reason := browserAvailable(c.goos, envMap(c.env))
			if ok != c.ok || !strings.Contains(reason, c.reason) {
				t.Errorf("got (%v, %q), want (%v, ...%q...)", ok, reason, c.ok, c.reason)
			}
			if !ok && reason == "" {
				t.Error("no reason given")
			}
		})
	}
}

func TestSSHForwardHint(t *testing.T) {
	h := SSHForwardHint(8421)
	for _, want := range []string{"ssh -L 8421:localhost:8421 user@host", "http://localhost:8421"} {
		if !strings.Contains(h, want) {
			t.Errorf("hint %q lacks %q", h, want)
		}
	}
}

// stubOpener records what it was asked to open.
type stubOpener struct {
	urls []string
	err  error
}

func (s *stubOpener) Open(url string) error {
	s.urls = append(s.urls, url)
	return s.err
}

func TestOpenJourneyURL(t *testing.T) {
	const url = "http://localhost:8421/j/abc/"
	desktop := envMap(map[string]string{"DISPLAY": ":0"})
	for _, c := range []struct {
		name      string
		noBrowser bool
		env       func(string) string
		openErr   error
		opened    bool
		calls     int
		note      []string
	}{
		{"opens", false, envMap(map[string]string{"DISPLAY": ":0", "WAYLAND_DISPLAY": "w"}), nil, true, 1, []string{"Opened", url}},
		{"--no-browser", true, desktop, nil, false, 0, []string{url}},
		{"over ssh", false, envMap(map[string]string{"SSH_CONNECTION": "a b c d", "DISPLAY": ":0"}), nil, false, 0, []string{url, "SSH", "ssh -L 8421:localhost:8421"}},
		{"launcher fails", false, desktop, errors.New("xdg-open: not found"), false, 1, []string{url, "xdg-open: not found"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			op := &stubOpener{err: c.openErr}
			opened, note := OpenJourneyURL(op, url, 8421, c.noBrowser, c.env)
			if opened != c.opened || len(op.urls) != c.calls {
				t.Errorf("opened=%v calls=%v, want %v %v", opened, op.urls, c.opened, c.calls)
			}
			for _, w := range c.note {
				if !strings.Contains(note, w) {
					t.Errorf("note %q lacks %q", note, w)
				}
			}
			for _, u := range op.urls {
				if u != url {
					t.Errorf("opened %q, want %q", u, url)
				}
			}
		})
	}
}

func TestOpenerFunc(t *testing.T) {
	var got string
	var op Opener = OpenerFunc(func(u string) error { got = u; return nil })
	if err := op.Open("http://localhost:1/"); err != nil || got != "http://localhost:1/" {
		t.Fatalf("OpenerFunc: %q %v", got, err)
	}
	if NewBrowserOpener() == nil {
		t.Fatal("NewBrowserOpener returned nil")
	}
}
