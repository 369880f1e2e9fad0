package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// completionEnv is a config directory with a staging profile whose users
// are alice and bob, and a sandbox user carol.
func completionEnv(t *testing.T) *profileEnv {
	t.Helper()
	p := newProfileEnv(t)
	addStaging(t, p)
	for _, u := range [][]string{
		{"users", "add", "alice", "--profile", "staging", "--auth-id", "5f0321b5f3743c31d95abd35"},
		{"users", "add", "bob", "--profile", "staging", "--auth-id", "5f0321b5f3743c31d95abd36"},
		{"users", "add", "carol", "--profile", "sandbox", "--auth-id", "5f0321b5f3743c31d95abd37"},
	} {
		if code, out, errb := p.run(t, "", nil, u...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", u, code, out, errb)
		}
	}
	return p
}

func TestCompleteWords(t *testing.T) {
	p := completionEnv(t)
	for _, tc := range []struct {
		line string // the words; the last one is under the cursor
		want []string
	}{
		{"pro", []string{"profile"}},
		{"", []string{"token", "profile", "users", "login", "order", "sdk", "holdings", "demo", "api", "run", "listen", "postback", "sandbox", "completion", "doctor", "help", "version"}},
		{"run ", []string{"demo", "leprechaun-regression"}},
		{"run lep", []string{"leprechaun-regression"}},
		{"--runbook d", []string{"demo"}},
		{"api GET /x --gu", []string{"--guest"}},
		{"api P", []string{"POST", "PUT", "PATCH"}},
		{"login --pro", []string{"--profile"}},
		{"--no", []string{"--no-browser"}},
		{"profile ", []string{"list", "show", "add", "edit", "use", "remove", "migrate-secrets"}},
		{"profile add --se", []string{"--secrets-prompt", "--secrets-stdin"}},
		{"profile add --env ", []string{"sandbox", "production", "staging", "development"}},
		{"profile use ", []string{"sandbox", "staging"}},
		{"profile use staging ", nil},
		{"login --profile st", []string{"staging"}},
		{"login --profile=st", []string{"--profile=staging"}},
		{"login --profile = st", []string{"staging"}},
		{"login --profile =", []string{"=sandbox", "=staging"}},
		{"login --profile staging --user ", []string{"alice", "bob"}},
		{"login --user ", []string{"carol"}},
		{"login --json --user ", []string{"carol"}},
		{"users show --profile staging b", []string{"bob"}},
		{"order --auto ins", []string{"insufficient_funds"}},
		{"order --auto-broker ic", []string{"icici-leprechaun"}},
		{"login --auto-account LEP00", []string{"LEP001", "LEP002", "LEP003", "LEP004", "LEP005"}},
		{"sandbox --market cl", []string{"closed"}},
		{"completion ", []string{"bash", "zsh", "fish"}},
		{"help to", []string{"token"}},
		{"token inspect --no", []string{"--no-verify"}},
		{"postback send --event ORDER_", []string{"ORDER_PLACED", "ORDER_COMPLETED"}},
		{"postback ", []string{"verify", "send"}},
		{"listen --for", []string{"--forward-to"}},
	} {
		words := strings.Split(tc.line, " ")
		c, _, _ := testCLI("", p.env)
		got := completeWords(c, words[:len(words)-1], words[len(words)-1])
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.line, got, tc.want)
		}
	}
}

// Every subcommand completion offers is one its command runs: its -h
// hands over a flag set.
func TestCompletionSubcommandsAreReal(t *testing.T) {
	c, _, _ := testCLI("", nil)
	n := 0
	for _, cmd := range commands() {
		if commandFlags(c, []string{cmd.name}) == nil && len(cmd.subcommands) == 0 {
			t.Errorf("%s -h gave no flag set", cmd.name)
		}
		for _, sub := range cmd.subcommands {
			n++
			if commandFlags(c, []string{cmd.name, sub}) == nil {
				t.Errorf("%s %s -h gave no flag set: not a subcommand", cmd.name, sub)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d subcommands listed", n)
	}
	if commandFlags(c, []string{"profile", "nosuch"}) != nil {
		t.Fatal("an unknown subcommand has flags")
	}
}

// A Tab press must not create the config directory.
func TestCompletionDoesNotCreateTheConfigDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	c, out, _ := testCLI("", map[string]string{"GATEWALK_CONFIG_DIR": dir})
	if code := Main(t.Context(), c, []string{"__complete", "--", "login", "--profile", ""}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if out.String() != "sandbox\n" {
		t.Fatalf("got %q", out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the config directory was created: %v", err)
	}
}

func TestCompletionCommand(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		c, out, errb := testCLI("", nil)
		if code := Main(t.Context(), c, []string{"completion", sh}); code != 0 || !strings.Contains(out.String(), "__complete") {
			t.Errorf("%s: exit %d, %q %s", sh, code, out, errb)
		}
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		c, out, errb := testCLI("", nil)
		if code := Main(t.Context(), c, args); code != exitUsage || out.Len() != 0 || strings.Contains(errb.String(), "tcsh") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errb)
		}
	}
}

// The bash script, sourced in a real bash, completes through the real
// binary as bash calls it on Tab: COMP_WORDS and COMP_CWORD set, the
// function named by `complete -F` run, COMPREPLY read.
func TestBashCompletionScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	bin := gatewalkBinary(t)
	p := completionEnv(t)
	script := filepath.Join(t.TempDir(), "gatewalk.bash")
	c, out, _ := testCLI("", nil)
	if Main(t.Context(), c, []string{"completion", "bash"}) != 0 {
		t.Fatal("completion bash failed")
	}
	if err := os.WriteFile(script, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		words []string // COMP_WORDS; the cursor is on the last one
		want  string   // COMPREPLY, one a line
	}{
		{[]string{"gatewalk", "pro"}, "profile"},
		{[]string{"gatewalk", "login", "--pro"}, "--profile"},
		{[]string{"gatewalk", "login", "--profile", "st"}, "staging"},
		{[]string{"gatewalk", "login", "--profile", "=", "st"}, "staging"},
		{[]string{"gatewalk", "order", "--profile", "staging", "--user", ""}, "alice\nbob"},
		{[]string{"gatewalk", "users", "rem"}, "remove"},
		{[]string{"gatewalk", "completion", "f"}, "fish"},
	} {
		var quoted []string
		for _, w := range tc.words {
			quoted = append(quoted, "'"+w+"'")
		}
		prog := `set -e
source "$1"
complete -p gatewalk >/dev/null
fn=$(complete -p gatewalk | sed -n 's/.*-F \([^ ]*\).*/\1/p')
COMP_WORDS=(` + strings.Join(quoted, " ") + `)
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
"$fn"
compgen -W "${COMPREPLY[*]}" -- "${COMP_WORDS[COMP_CWORD]}" || true
`
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog, "bash", script)
		cmd.Env = []string{"PATH=" + filepath.Dir(bin) + ":/usr/bin:/bin", "GATEWALK_CONFIG_DIR=" + p.dir, "HOME=" + t.TempDir()}
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tc.words, err, got)
		}
		if strings.TrimSpace(string(got)) != tc.want {
			t.Errorf("%q: got %q, want %q", tc.words, got, tc.want)
		}
	}
}

// zsh and fish, when installed, at least parse their scripts.
func TestOtherShellScriptsParse(t *testing.T) {
	for _, sh := range []string{"zsh", "fish"} {
		path, err := exec.LookPath(sh)
		if err != nil {
			t.Logf("no %s: its script is not checked", sh)
			continue
		}
		c, out, _ := testCLI("", nil)
		Main(t.Context(), c, []string{"completion", sh})
		cmd := exec.Command(path, "-n")
		cmd.Stdin = strings.NewReader(out.String())
		if got, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", sh, err, got)
		}
	}
}

// Labels come from a file a person may edit: one that is not a valid label
// (a space, a shell character, an escape) is not offered to the shell.
func TestCompletionLeavesOutInvalidLabels(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	users := `{"version":1,"profiles":{"sandbox":[` +
		`{"label":"alice","smallcaseAuthId":"5f0321b5f3743c31d95abd35"},` +
		`{"label":"bad; $(touch x)","smallcaseAuthId":"5f0321b5f3743c31d95abd36"},` +
		`{"label":"esc\u001b[2J","smallcaseAuthId":"5f0321b5f3743c31d95abd37"}]}}`
	if err := os.WriteFile(filepath.Join(dir, "users.json"), []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, _ := testCLI("", map[string]string{"GATEWALK_CONFIG_DIR": dir})
	if got := completeWords(c, []string{"login", "--user"}, ""); !reflect.DeepEqual(got, []string{"alice"}) {
		t.Fatalf("got %q, want only alice", got)
	}
}
