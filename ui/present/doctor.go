package present

import (
	"fmt"

	"gatewalk/session/flow"
)

// CheckMark is a doctor check's mark: ✓ passed, ! a warning, ✗ failed.
func CheckMark(level flow.CheckLevel) string {
	switch level {
	case flow.CheckOK:
		return "✓"
	case flow.CheckWarn:
		return "!"
	}
	return "✗"
}

// DoctorLines renders a doctor report, one line a check and what to do
// under a check that did not pass, then a count.
func DoctorLines(rep flow.DoctorReport) []string {
	var out []string
	failed, warned := 0, 0
	for _, ch := range rep.Checks {
		out = append(out, fmt.Sprintf("%s %-8s %s", CheckMark(ch.Level), ch.Group, SafeLine(ch.Detail)))
		if ch.Fix != "" && ch.Level != flow.CheckOK {
			out = append(out, "           what to do: "+SafeLine(ch.Fix))
		}
		switch ch.Level {
		case flow.CheckFail:
			failed++
		case flow.CheckWarn:
			warned++
		}
	}
	return append(out, fmt.Sprintf("%d checks: %d failed, %d warnings", len(rep.Checks), failed, warned))
}
