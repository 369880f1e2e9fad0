// Package present is the one vocabulary both faces of gatewalk speak, the
// headless commands (ui/cli) and the TUI (ui/tui): the names of journeys,
// browser events and postback outcomes, countdowns and durations, masking
// and redaction of secrets, ids and tokens, the terminal-safe form of text
// from outside, and the exporters (the JSON journey report, the session's
// Markdown, tables as CSV or JSON).
//
// It renders words, never styles: a face adds its own colours around them.
// It imports no terminal UI library.
package present
