//go:build race

package postback

// raceEnabled reports that the tests run under the race detector.
const raceEnabled = true
