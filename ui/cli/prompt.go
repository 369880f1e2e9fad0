package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"
)

const keysOnStdin = "printf '%s\\n%s\\n' \"$SECRET\" \"$API_SECRET\" | gatewalk profile "

// readProfileKeys reads the secret and the apiSecret from stdin (two lines)
// or, on a terminal, from a masked prompt. prompted is whether
// --secrets-prompt asked for the prompt.
func readProfileKeys(c *Factory, fromStdin, prompted bool, cmdline string) (secret, apiSecret string, err error) {
	if fromStdin {
		return readKeysFromStdin(c.stdin, cmdline)
	}
	if !keysPromptable(c) {
		if prompted {
			return "", "", usagef("--secrets-prompt needs a terminal, and standard input is not one; pipe the keys with "+
				"--secrets-stdin instead: %s%s --secrets-stdin", keysOnStdin, cmdline)
		}
		return "", "", usagef("the keys are needed and standard input is not a terminal to ask them at: pipe them with "+
			"--secrets-stdin (%s%s --secrets-stdin); keys are never taken as arguments", keysOnStdin, cmdline)
	}
	fmt.Fprintln(c.stderr, "The keys are not shown as you type.")
	if secret, err = promptSecret(c, "secret (signs smallcaseAuthTokens): "); err != nil {
		return "", "", err
	}
	if apiSecret, err = promptSecret(c, "apiSecret (x-gateway-secret): "); err != nil {
		return "", "", err
	}
	if secret == "" || apiSecret == "" {
		return "", "", usagef("both the secret and the apiSecret are needed")
	}
	return secret, apiSecret, nil
}

// maxKeysInput bounds what --secrets-stdin reads: two keys and their line ends.
const maxKeysInput = 16 << 10

// readKeysFromStdin reads --secrets-stdin's input: the secret on the first
// line, the apiSecret on the second, each ended by \n or \r\n (the last may
// lack it); blank lines may follow. Anything else is refused rather than
// guessed at, and no key is ever repeated in a message.
func readKeysFromStdin(r io.Reader, cmdline string) (secret, apiSecret string, err error) {
	want := func(problem string) error {
		return usagef("--secrets-stdin: %s; it wants two lines, the secret then the apiSecret (e.g. %s%s --secrets-stdin)",
			problem, keysOnStdin, cmdline)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxKeysInput+1))
	if err != nil {
		return "", "", fmt.Errorf("--secrets-stdin: reading standard input: %w", err)
	}
	if len(b) > maxKeysInput {
		return "", "", want(fmt.Sprintf("standard input is longer than %d KiB", maxKeysInput>>10))
	}
	lines := strings.Split(string(b), "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	switch {
	case len(lines) == 0:
		return "", "", want("standard input is empty")
	case len(lines) == 1:
		return "", "", want("standard input has one line, the apiSecret is missing")
	case len(lines) > 2:
		return "", "", want(fmt.Sprintf("standard input has %d lines; a third would be ignored, so nothing was saved", len(lines)))
	}
	for i, name := range []string{"secret", "apiSecret"} {
		k := lines[i]
		switch {
		case k == "":
			return "", "", want(fmt.Sprintf("line %d (the %s) is empty", i+1, name))
		case strings.TrimSpace(k) != k:
			return "", "", want(fmt.Sprintf("line %d (the %s) starts or ends with spaces or tabs, which no key has "+
				"(nothing was saved; the value is not shown); remove them", i+1, name))
		case strings.ContainsFunc(k, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return "", "", want(fmt.Sprintf("line %d (the %s) holds a control character (nothing was saved; the value is not shown)", i+1, name))
		}
	}
	return lines[0], lines[1], nil
}

// keysPromptable reports whether the keys can be asked at a prompt: stdin
// is a terminal. For a real file (stdin), the terminal check is authoritative
// (/dev/null is a character device, not a terminal).
func keysPromptable(c *Factory) bool {
	if f, ok := c.stdin.(*os.File); ok {
		return term.IsTerminal(int(f.Fd()))
	}
	return c.stdinIsTerminal != nil && c.stdinIsTerminal()
}

// restoreOnInterrupt makes Ctrl-C at a masked prompt end the command with
// the terminal's echo back on and nothing saved (exit 130). Nothing else is
// in flight while the prompt waits. The returned func stops watching.
func restoreOnInterrupt(c *Factory, fd int) (stop func()) {
	state, err := term.GetState(fd)
	if err != nil {
		return func() {}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			term.Restore(fd, state)
			fmt.Fprintln(c.stderr, "\ninterrupted: nothing was saved")
			os.Exit(130)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}

// promptSecret asks for one secret without echo on a terminal stdin.
func promptSecret(c *Factory, prompt string) (string, error) {
	fmt.Fprint(c.stderr, prompt)
	defer fmt.Fprintln(c.stderr)
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		defer restoreOnInterrupt(c, int(f.Fd()))()
		b, err := term.ReadPassword(int(f.Fd()))
		if err != nil {
			return "", fmt.Errorf("reading the key: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	// A terminal that is not this process's stdin file: read one line, a
	// byte at a time so that the next prompt's line stays unread.
	var line []byte
	b := make([]byte, 1)
	for len(line) < 4<<10 {
		n, err := c.stdin.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
		}
		if err == io.EOF && len(line) == 0 {
			return "", usagef("no key entered")
		}
		if err != nil {
			break
		}
	}
	return strings.TrimSpace(string(line)), nil
}

// confirmTyped ends a production confirmation, once what is about to happen
// has been printed: --yes confirms in advance; else the operator must type
// yes at a terminal. Without one to ask (canAsk false), it returns
// noTerminal; an answer other than yes is "not confirmed: nothing was " +
// nothing.
func confirmTyped(c *Factory, yes, canAsk bool, noTerminal error, question, nothing string) error {
	if yes {
		fmt.Fprintln(c.stderr, "confirmed by --yes")
		return nil
	}
	if !canAsk {
		return noTerminal
	}
	fmt.Fprint(c.stderr, question+" Type yes to confirm: ")
	line, _ := bufio.NewReader(io.LimitReader(c.stdin, 256)).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(line)); a != "yes" {
		return usagef("not confirmed: nothing was %s", nothing)
	}
	return nil
}

// stdinTerminal reports whether stdin is a terminal someone can answer at.
func stdinTerminal(c *Factory) bool { return c.stdinIsTerminal != nil && c.stdinIsTerminal() }
