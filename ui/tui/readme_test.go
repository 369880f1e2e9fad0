package tui

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeCaptureRe is a capture in the README: a golden file's screen
// between <!-- capture:NAME --> and <!-- /capture -->.
var readmeCaptureRe = regexp.MustCompile("(?s)<!-- capture:([a-z0-9_]+) -->\n```text\n(.*?)```\n<!-- /capture -->")

// readmeCapture is how a golden screen is shown in the README: its lines
// without trailing blanks, trailing empty lines dropped.
func readmeCapture(golden string) string {
	lines := strings.Split(golden, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n"
}

// TestREADMECapturesMatchGoldens: the screens pictured in the README are
// the golden files of TestGolden, so they cannot drift from the product.
// go test ./ui/tui -run 'TestGolden|TestREADMECaptures' -update rewrites
// them.
func TestREADMECapturesMatchGoldens(t *testing.T) {
	const path = "../../README.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	update := false
	if f := flag.Lookup("update"); f != nil {
		update = f.Value.String() == "true"
	}
	found := 0
	var bad []string
	out := readmeCaptureRe.ReplaceAllStringFunc(string(raw), func(block string) string {
		m := readmeCaptureRe.FindStringSubmatch(block)
		found++
		g, err := os.ReadFile(filepath.Join("testdata", "TestGolden", m[1]+".golden"))
		if err != nil {
			bad = append(bad, m[1]+": no such golden ("+err.Error()+")")
			return block
		}
		want := readmeCapture(string(g))
		if m[2] != want {
			bad = append(bad, m[1])
		}
		return "<!-- capture:" + m[1] + " -->\n```text\n" + want + "```\n<!-- /capture -->"
	})
	if found < 3 {
		t.Fatalf("the README pictures %d screens, want at least 3 (home, a journey, holdings)", found)
	}
	if update && len(bad) > 0 {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, b := range bad {
		t.Errorf("README capture %s differs from its golden (go test ./ui/tui -run TestREADMECaptures -update)", b)
	}
}
