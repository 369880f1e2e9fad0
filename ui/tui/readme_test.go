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

// TestGoldensKeepIdsWhole: every smallcaseAuthId, transactionId and page
// URL a screen shows in full at 120x40 it shows in full at 100x30, and a
// journey screen at 80x24 too: ids wrap or get the room, never cut.
func TestGoldensKeepIdsWhole(t *testing.T) {
	idRe := regexp.MustCompile(`TRX_[0-9a-f]{32}|\b[0-9a-f]{24}\b|http://localhost:\d+/j/[A-Za-z0-9_-]+/`)
	wide, err := filepath.Glob(filepath.Join("testdata", "TestGolden", "*_120x40.golden"))
	if err != nil || len(wide) == 0 {
		t.Fatalf("no goldens: %v", err)
	}
	checked := 0
	for _, f := range wide {
		big, _ := os.ReadFile(f)
		sizes := []string{"100x30"}
		if strings.HasPrefix(filepath.Base(f), "flow_") {
			// The journey screens keep them whole at 80x24 too (a list,
			// such as the history's, shows the selected id whole below).
			sizes = append(sizes, "80x24")
		}
		for _, size := range sizes {
			small, err := os.ReadFile(strings.Replace(f, "120x40", size, 1))
			if err != nil {
				t.Fatal(err)
			}
			flat := strings.Join(strings.Fields(string(small)), "")
			for _, id := range idRe.FindAllString(string(big), -1) {
				checked++
				if !strings.Contains(flat, id) {
					t.Errorf("%s at %s: %s is cut", filepath.Base(f), size, id)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no ids in the goldens: the test looks where there is nothing")
	}
}
