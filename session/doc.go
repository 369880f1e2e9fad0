// Package session keeps the operator's local state: profiles with their
// integration keys, local users and their smallcaseAuthId, and transaction
// history, all in a 0700 config directory. It also runs the loopback browser
// bridge that serves the SDK harness page and hands the SDK's result back to
// the program.
package session
