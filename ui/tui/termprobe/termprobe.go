// Package termprobe keeps commands other than the TUI from querying the
// terminal's background colour.
//
// Bubble Tea v1 asks the terminal for its background colour (OSC 11) in a
// package init, so every gatewalk command would write that query to the
// terminal and, where nothing answers it (a relayed pty, `script`, an
// editor's terminal), wait termenv's five-second timeout before printing
// anything. Only the TUI uses colours, so for every other command this
// package fixes the answer before Bubble Tea's init runs: Go initialises
// packages in import-path order once their dependencies are ready, and
// "gatewalk/..." sorts before "github.com/charmbracelet/bubbletea", which
// also waits for lipgloss. main imports it for its side effect; a test
// checks the order holds.
package termprobe

import (
	"os"

	"github.com/charmbracelet/lipgloss"
	"golang.org/x/term"
)

// The TUI refuses to start without a terminal on both ends, so the probe is
// skipped then too.

// Skipped reports whether the probe was skipped for this process.
var Skipped bool

func init() {
	interactive := term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stdout.Fd()))
	if !interactive || !WantsTUI(os.Args[1:]) || os.Getenv("NO_COLOR") != "" {
		// Dark is the common terminal default; plain commands render no colour anyway.
		lipgloss.SetHasDarkBackground(true)
		Skipped = true
	}
}

// WantsTUI reports whether the arguments start the interactive TUI:
// no arguments, or only the TUI's own flags.
func WantsTUI(args []string) bool {
	if len(args) == 0 {
		return true
	}
	switch args[0] {
	case "-h", "-help", "--help", "-version", "--version":
		return false
	}
	return len(args[0]) > 1 && args[0][0] == '-'
}
