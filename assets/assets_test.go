package assets

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(FS(), name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(b) == 0 {
		t.Fatalf("%s is empty", name)
	}
	return string(b)
}

func TestHarnessFilesFitTogether(t *testing.T) {
	page := read(t, HarnessPage)
	script := read(t, HarnessScript)
	style := read(t, HarnessStyle)

	for _, ref := range []string{`src="/static/` + HarnessScript + `"`, `href="/static/` + HarnessStyle + `"`} {
		if !strings.Contains(page, ref) {
			t.Errorf("%s does not reference %s", HarnessPage, ref)
		}
	}
	// The page runs under a CSP without 'unsafe-inline' for scripts: no
	// inline script or handler attribute may sneak in.
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).MatchString(page) || regexp.MustCompile(`\son[a-z]+=`).MatchString(page) {
		t.Errorf("%s has inline script", HarnessPage)
	}
	// Every element the script looks up exists in the page.
	for _, m := range regexp.MustCompile(`el\('([a-z-]+)'\)|setText\('([a-z-]+)'`).FindAllStringSubmatch(script, -1) {
		id := m[1] + m[2]
		if !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("%s looks up #%s, which %s lacks", HarnessScript, id, HarnessPage)
		}
	}
	// Every state the script shows has a style, and the tests' states exist.
	states := map[string]bool{}
	for _, m := range regexp.MustCompile(`show\('([a-z-]+)'`).FindAllStringSubmatch(script, -1) {
		states[m[1]] = true
	}
	for _, want := range []string{"loading-sdk", "in-progress", "done", "failed", "sdk-failed", "expired"} {
		if !states[want] {
			t.Errorf("%s never shows state %q", HarnessScript, want)
		}
	}
	for s := range states {
		if s != "loading-sdk" && !strings.Contains(style, `data-state="`+s+`"`) {
			t.Errorf("state %q has no style", s)
		}
	}
	// The script posts only to its own journey's endpoints.
	for _, m := range regexp.MustCompile(`postJSON\('([a-z]+)'`).FindAllStringSubmatch(script, -1) {
		if m[1] != "result" && m[1] != "event" {
			t.Errorf("script posts to %q", m[1])
		}
	}
}
