// Package cli is gatewalk's command line: the dispatch of `gatewalk
// COMMAND`, the Factory of real dependencies (standard streams, terminal
// checks, clock, environment, the embedded sandbox) handed to every
// command, and the documented exit codes.
//
// Each command lives in its own cmd_*.go as a run function taking the
// Factory and its arguments, so tests run commands with buffers and a
// fixed clock without building the binary. driver.go runs a journey
// headless and progress.go renders its live progress; prompt.go reads keys
// from stdin or a masked terminal prompt. The TUI is started from cmd_tui.go
// and lives in ui/tui; the words both faces use are in ui/present.
package cli
