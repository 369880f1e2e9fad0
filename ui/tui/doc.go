// Package tui is gatewalk's terminal interface, built on Bubble Tea: a frame
// (header with the profile and environment, a help footer, a status line)
// around screens for the local users, the guided journeys (guest login,
// connected-user orders, holdings imports), the holdings table, the token
// inspector, the transaction history and the profiles.
//
// The package does no I/O in Update or View: every side effect is a tea.Cmd
// over the small interfaces declared in deps.go, which main fills with the
// real session store and flow runner, and tests with fakes.
package tui
