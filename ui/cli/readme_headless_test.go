package cli

import (
	"strings"
	"testing"
)

// TestREADMEHeadlessExamplesWork runs the README's headless examples that
// need no browser (those with --auto, the fetches, the demo), in order, in
// a fresh config directory: each must exit 0 and do what its comment says.
// A holdings import shown without --auto says it opens the browser, and is
// shown with --auto success too.
func TestREADMEHeadlessExamplesWork(t *testing.T) {
	_, after, ok := strings.Cut(readREADME(t), "### login, order, holdings, demo (headless)")
	if !ok {
		t.Fatal("the README has no headless section")
	}
	_, block, _ := strings.Cut(after, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	h := newHeadlessEnv(t)
	examples := map[string]bool{}
	var imports []string
	ran := 0
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		cmd, comment, _ := strings.Cut(line, "#")
		var args []string
		for _, a := range strings.Fields(cmd) {
			if !strings.HasPrefix(a, "[") { // [--json]: an optional flag, left out
				args = append(args, a)
			}
		}
		if len(args) < 2 || args[0] != "gatewalk" {
			t.Fatalf("not a gatewalk command: %q", line)
		}
		args = args[1:]
		examples[strings.Join(args, " ")] = true
		auto := strings.Contains(cmd, "--auto ")
		switch {
		case args[0] == "holdings" && strings.Contains(cmd, "--import") && !auto:
			if !strings.Contains(comment, "browser") {
				t.Errorf("%q does not say it opens the browser", line)
			}
			imports = append(imports, strings.Join(args, " "))
			continue
		case args[0] == "holdings", args[0] == "demo", auto:
		default:
			continue // a browser journey, or a transaction of the partner's
		}
		code, out, errb := h.run(t, args...)
		ran++
		if code != 0 {
			t.Errorf("README example %q: exit %d\n%s%s", strings.TrimSpace(cmd), code, out, errb)
			continue
		}
		csv := strings.Contains(cmd, "--csv")
		switch {
		case csv && !strings.Contains(cmd, "--v2"):
			// One row per equity, no ISIN in v1, no mutual funds without --mf.
			if !strings.Contains(out, "\nequity,") || strings.Contains(out, "mutual_fund") || strings.Contains(out, ",INE") {
				t.Errorf("%q:\n%s", strings.TrimSpace(cmd), out)
			}
		case csv:
			if !strings.Contains(out, "\nmutual_fund,") || !strings.Contains(out, ",INE") {
				t.Errorf("%q:\n%s", strings.TrimSpace(cmd), out)
			}
		case strings.Contains(comment, "REJECTED for funds"):
			if !strings.Contains(out, "REJECTED") || !strings.Contains(out, "Insufficient funds") {
				t.Errorf("%q:\n%s", strings.TrimSpace(cmd), out)
			}
		}
	}
	for _, imp := range imports {
		if !examples[imp+" --auto success"] {
			t.Errorf("%q is not shown with --auto success for the sandbox", imp)
		}
	}
	if len(imports) == 0 || ran < 8 {
		t.Fatalf("ran %d examples, %d imports, of:\n%s", ran, len(imports), block)
	}
}
