package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// listedPackage is what `go list -json` says of a package, in part.
type listedPackage struct {
	ImportPath string
	Imports    []string
}

// modulePackages lists the module's packages with their non-test imports.
func modulePackages(t *testing.T) []listedPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "gatewalk/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 8 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func under(path, root string) bool { return path == root || strings.HasPrefix(path, root+"/") }

// TestImportRules holds the dependency direction of the house: the
// terminal UI libraries only in ui/tui, no emulator in the product's
// journeys or screens, no HTTP in the local store, and nothing below ui
// importing ui, nothing in gateway importing session.
func TestImportRules(t *testing.T) {
	rules := []struct {
		name    string
		applies func(pkg string) bool
		banned  func(imp string) bool
	}{
		{"only ui/tui imports the terminal UI libraries",
			func(p string) bool { return !under(p, "gatewalk/ui/tui") },
			func(i string) bool {
				return under(i, "github.com/charmbracelet/bubbletea") || under(i, "github.com/charmbracelet/bubbles") ||
					under(i, "github.com/charmbracelet/lipgloss")
			}},
		{"session/... and ui/tui never import the sandbox",
			func(p string) bool { return under(p, "gatewalk/session") || under(p, "gatewalk/ui/tui") },
			func(i string) bool { return under(i, "gatewalk/gateway/sandbox") }},
		{"the session store speaks no HTTP",
			func(p string) bool { return p == "gatewalk/session" },
			func(i string) bool { return under(i, "net/http") || i == "github.com/pkg/browser" }},
		{"gateway depends on no session or ui",
			func(p string) bool { return under(p, "gatewalk/gateway") },
			func(i string) bool { return under(i, "gatewalk/session") || under(i, "gatewalk/ui") }},
		{"session depends on no ui",
			func(p string) bool { return under(p, "gatewalk/session") },
			func(i string) bool { return under(i, "gatewalk/ui") }},
		{"ui/present depends on no Bubble Tea, session/flow or command line",
			func(p string) bool { return under(p, "gatewalk/ui/present") },
			func(i string) bool { return under(i, "gatewalk/ui/cli") || under(i, "gatewalk/ui/tui") }},
	}
	for _, p := range modulePackages(t) {
		for _, r := range rules {
			if !r.applies(p.ImportPath) {
				continue
			}
			for _, imp := range p.Imports {
				if r.banned(imp) {
					t.Errorf("%s: %s imports %s", r.name, p.ImportPath, imp)
				}
			}
		}
	}
}

// TestTopLevelIsTheCard: the repository's root holds only what the product
// card names, plus the CI and git files.
func TestTopLevelIsTheCard(t *testing.T) {
	root := filepath.Join("..", "..")
	var names []string
	// What git tracks (a built binary or other ignored file is no entry of
	// the repository); without git, what the directory holds.
	if out, err := exec.Command("git", "-C", root, "ls-files").Output(); err == nil && len(out) > 0 {
		seen := map[string]bool{}
		for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			top, _, _ := strings.Cut(f, "/")
			if !seen[top] {
				seen[top] = true
				names = append(names, top)
			}
		}
	} else {
		entries, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			names = append(names, e.Name())
		}
	}
	allowed := map[string]bool{"go.mod": true, "go.sum": true, "main.go": true, "ui": true, "gateway": true,
		"session": true, "assets": true, "README.md": true, ".ci": true, ".gitignore": true, ".gitattributes": true, ".git": true}
	var extra []string
	for _, n := range names {
		if !allowed[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Fatalf("the root holds entries the product card does not name: %v", extra)
	}
}

// TestREADMELayoutNamesRealFiles: every file the README's layout section
// names under a directory (driver.go, app*.go, web/harness.html, ...) is
// in that directory.
func TestREADMELayoutNamesRealFiles(t *testing.T) {
	_, after, ok := strings.Cut(readREADME(t), "## How the code is laid out")
	if !ok {
		t.Fatal("the README has no layout section")
	}
	_, block, _ := strings.Cut(after, "```\n")
	block, _, _ = strings.Cut(block, "```")
	fileRe := regexp.MustCompile(`[A-Za-z0-9_*./]+\.(?:go|html|js|css|png)\b`)
	dir, checked := "", 0
	for _, line := range strings.Split(block, "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(line, " ") && strings.HasSuffix(f[0], "/") {
			dir = f[0]
			line = strings.TrimPrefix(line, f[0])
		}
		if dir == "" {
			continue
		}
		for _, name := range fileRe.FindAllString(line, -1) {
			m, _ := filepath.Glob(filepath.Join("..", "..", dir, name))
			if len(m) == 0 {
				t.Errorf("the layout says %s holds %s: there is no such file", dir, name)
			}
			checked++
		}
	}
	if checked < 8 {
		t.Fatalf("checked %d names in:\n%s", checked, block)
	}
}
