package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gatewalk/gateway"
)

// testConfigDir is where commands run by testCLI keep their state when a
// test does not name one, so no test touches the real config directory.
var testConfigDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatewalk-test-config-")
	if err != nil {
		panic(err)
	}
	testConfigDir = filepath.Join(dir, "gatewalk")
	testBinDir = filepath.Join(dir, "bin")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	testBinDir   string
	binaryOnce   sync.Once
	binaryPath   string
	binaryErrOut string
)

// gatewalkBinary builds the gatewalk command once per test run, for the
// tests that drive it in a real terminal or shell, and returns its path.
func gatewalkBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		bin := filepath.Join(testBinDir, "gatewalk")
		build := exec.Command("go", "build", "-o", bin, "gatewalk")
		build.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		if out, err := build.CombinedOutput(); err != nil {
			binaryErrOut = fmt.Sprintf("%v\n%s", err, out)
			return
		}
		binaryPath = bin
	})
	if binaryPath == "" {
		t.Fatalf("build: %s", binaryErrOut)
	}
	return binaryPath
}

// testCLI returns a cli with buffers, a fixed clock and the given environment.
func testCLI(stdin string, env map[string]string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	c := &Factory{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(k string) string {
			if k == "GATEWALK_CONFIG_DIR" && env[k] == "" {
				return testConfigDir
			}
			return env[k]
		},
		now:             func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) },
		stdinIsTerminal: func() bool { return false },
		emulators:       sandboxEmulators,
	}
	return c, &out, &errb
}

const (
	docGuestToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJndWVzdCI6dHJ1ZSwiZXhwIjoyNTU2MTI0MTk5fQ.PHmNnVVqhtB7sZjo5_VWlOs5p_HQzIr3qaS9CV0kiAo"
	docConnToken  = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzbWFsbGNhc2VBdXRoSWQiOiI1ZjAzMjFiNWYzNzQzYzMxZDk1YWJkMzUiLCJleHAiOjI1NTYxMjQxOTl9.EC6B435Xsw02dDy_LCmHqKmEmJOqhq3f2MuSOjUmxYs"
)

func TestTokenMintPrintsDocumentedSamples(t *testing.T) {
	c, out, errb := testCLI("gatewayDemo_secret", nil)
	if code := Main(context.Background(), c, []string{"token", "guest", "--secret-stdin", "--exp", "2556124199"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if strings.TrimSpace(out.String()) != docGuestToken {
		t.Fatalf("guest = %q", out)
	}
	c, out, _ = testCLI("", map[string]string{"GATEWALK_SECRET": "gatewayDemo_secret"})
	if code := Main(context.Background(), c, []string{"token", "connected", "--auth-id", "5f0321b5f3743c31d95abd35", "--exp", "2556124199"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.TrimSpace(out.String()) != docConnToken {
		t.Fatalf("connected = %q", out)
	}
}

func TestTokenUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"token"},
		{"token", "bogus"},
		{"token", "guest", "--profile", "nosuch"},
		{"token", "guest", "gatewayDemo_secret"}, // a secret as an argument is refused
		{"token", "guest", "--secret-stdin", "--exp", "soon"},
		{"token", "connected", "--secret-stdin"}, // no --auth-id
		{"token", "connected", "--secret-stdin", "--auth-id", "nothex"},
		{"token", "guest", "--nope"},
		{"nosuchcommand"},
	} {
		c, out, errb := testCLI("", nil)
		if code := Main(context.Background(), c, args); code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errb)
		}
		if out.Len() != 0 {
			t.Errorf("%v: printed %q on stdout", args, out)
		}
		if errb.Len() == 0 {
			t.Errorf("%v: no message", args)
		}
		if strings.Contains(errb.String(), "gatewayDemo_secret") && args[len(args)-1] == "gatewayDemo_secret" {
			t.Errorf("%v: the secret was echoed", args)
		}
	}
}

func expiredToken(t *testing.T) string {
	t.Helper()
	tok, err := gateway.MintGuestToken("gatewayDemo_secret", time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenInspect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stdin string
		env   map[string]string
		args  []string
		code  int
		want  string
	}{
		{"decode only", "", nil, []string{docGuestToken, "--no-verify"}, 0, "NOT CHECKED"},
		{"profile secret (built-in sandbox: the demo secret)", "", nil, []string{docGuestToken}, 0, "signature: valid"},
		{"empty argument", "", nil, []string{""}, exitUsage, "empty"},
		{"exp not a number", "", nil, []string{"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJndWVzdCI6dHJ1ZSwiZXhwIjoic29vbiJ9.x"}, exitRejected, "exp is soon"},
		{"verified", "", map[string]string{"GATEWALK_SECRET": "gatewayDemo_secret"}, []string{docConnToken}, 0, "5f0321b5f3743c31d95abd35"},
		{"token on stdin, secret first line", "gatewayDemo_secret\n" + docGuestToken + "\n", nil, []string{"--secret-stdin", "-"}, 0, "signature: valid"},
		{"wrong secret", "", map[string]string{"GATEWALK_SECRET": "have-a-good-day"}, []string{docGuestToken}, exitRejected, "INVALID"},
		{"expired", "", map[string]string{"GATEWALK_SECRET": "gatewayDemo_secret"}, []string{expiredToken(t)}, exitRejected, "but the token is expired"},
		{"expired, decode only", "", nil, []string{expiredToken(t)}, exitRejected, "(expired "},
		{"malformed", "", nil, []string{"not-a-token"}, exitRejected, "malformed"},
		{"json", "", nil, []string{docGuestToken, "--json", "--no-verify"}, 0, `"signatureChecked": false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, out, errb := testCLI(tc.stdin, tc.env)
			code := Main(context.Background(), c, append([]string{"token", "inspect"}, tc.args...))
			if code != tc.code {
				t.Fatalf("exit %d, want %d; out %q err %q", code, tc.code, out, errb)
			}
			if !strings.Contains(out.String()+errb.String(), tc.want) {
				t.Fatalf("output lacks %q: %s%s", tc.want, out, errb)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	c, out, _ := testCLI("", nil)
	if code := Main(context.Background(), c, []string{"--version"}); code != 0 || !strings.HasPrefix(out.String(), "gatewalk ") {
		t.Fatalf("version: %d %q", code, out)
	}
	c, out, _ = testCLI("", nil)
	if code := Main(context.Background(), c, []string{"help", "exit-codes"}); code != 0 || !strings.Contains(out.String(), "5  the transaction expired") {
		t.Fatalf("exit-codes: %d %q", code, out)
	}
	for _, cmd := range commands() {
		c, out, errb := testCLI("", nil)
		if code := Main(context.Background(), c, []string{cmd.name, "-h"}); code != 0 {
			t.Errorf("%s -h: exit %d", cmd.name, code)
		}
		if !strings.Contains(out.String()+errb.String(), "Usage: gatewalk "+cmd.name) {
			t.Errorf("%s -h: no usage block: %q", cmd.name, out.String()+errb.String())
		}
	}
}

func TestTokenMintFromProfileAndPastExpiry(t *testing.T) {
	c, out, errb := testCLI("", nil)
	if code := Main(context.Background(), c, []string{"token", "guest", "--exp", "2556124199"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if strings.TrimSpace(out.String()) != docGuestToken {
		t.Fatalf("built-in sandbox profile should sign with the demo secret: %q", out)
	}
	if !strings.Contains(errb.String(), `profile "sandbox"`) || strings.Contains(errb.String(), "gatewayDemo_secret") {
		t.Fatalf("stderr should name the profile and mask its secret: %q", errb)
	}
	c, out, errb = testCLI("k-123456789012", nil)
	if code := Main(context.Background(), c, []string{"token", "guest", "--secret-stdin", "--exp", "1000"}); code != 0 || out.Len() == 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errb.String(), "already expired") {
		t.Fatalf("no warning for a past --exp: %q", errb)
	}
}

func TestFlagValuesAreNeverEchoed(t *testing.T) {
	for _, args := range [][]string{
		{"token", "guest", "--secret-stdin=MySecretValue123456"},
		{"profile", "add", "x", "--env", "staging", "--gateway", "acme", "--secrets-stdin=MySecretValue123456"},
		{"login", "--user", "a", "--no-browser=MySecretValue123456"},
	} {
		c, out, errb := testCLI("", nil)
		if code := Main(context.Background(), c, args); code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
		if strings.Contains(out.String()+errb.String(), "MySecretValue123456") {
			t.Errorf("%v: the value was echoed: %s", args, errb)
		}
		if !strings.Contains(errb.String(), "takes no value") {
			t.Errorf("%v: unclear message: %s", args, errb)
		}
	}
}

// needTool returns the path of an external program an end-to-end test
// drives (tmux, script, curl, sh). Without it the test skips, unless
// GATEWALK_REQUIRE_BROWSER=1 (set by CI, which installs them) makes that a
// failure.
func needTool(t *testing.T, name, why string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && runtime.GOOS != "windows" {
		return path
	}
	if os.Getenv("GATEWALK_REQUIRE_BROWSER") == "1" {
		t.Fatalf("%s is not installed and GATEWALK_REQUIRE_BROWSER=1 requires this test to run: %s", name, why)
	}
	t.Skipf("%s is not installed: %s", name, why)
	return ""
}
