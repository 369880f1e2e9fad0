package tui

import (
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	tea "github.com/charmbracelet/bubbletea"
)

// scheduler builds every command that waits: on the clock (the status
// line's expiry, the once-a-second clock), on something outside the
// program (the browser page's events), or on a bubbles component's own
// clock (the countdown timer, the spinner, the text cursor's blink).
//
// The program uses teaScheduler. The tests use one whose commands return
// at once a marker message instead of waiting, so that the test harness
// runs every other command to completion and decides itself when time
// passes or an event arrives.
type scheduler interface {
	// tick is tea.Tick: fn's message after d.
	tick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd
	// wait marks cmd as a command that blocks until something outside
	// the program happens.
	wait(cmd tea.Cmd) tea.Cmd
	// animate marks cmd as a bubbles component's own tick.
	animate(cmd tea.Cmd) tea.Cmd
	// cursorMode is the text fields' cursor. A blinking cursor schedules
	// its blinks itself, inside bubbles, where no marker can reach them.
	cursorMode() cursor.Mode
}

// teaScheduler is the program's scheduler: tea.Tick, and the commands as
// they are.
type teaScheduler struct{}

func (teaScheduler) tick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	return tea.Tick(d, fn)
}
func (teaScheduler) wait(cmd tea.Cmd) tea.Cmd    { return cmd }
func (teaScheduler) animate(cmd tea.Cmd) tea.Cmd { return cmd }
func (teaScheduler) cursorMode() cursor.Mode     { return cursor.CursorBlink }
