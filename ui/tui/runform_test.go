package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"gatewalk/session/flow"
)

// TestRunFormStartsTheSDKRun: s on home takes a pasted transactionId and
// runs it with the selected user's token, or a guest's after tab.
func TestRunFormStartsTheSDKRun(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.withUsers()
	hs.key("s")
	mustContain(t, plain(hs.view()), "Run a transactionId", "(•) user alice (connected token)")
	hs.typeText("not an id!")
	hs.key("enter")
	if len(hs.runner.runs) != 0 {
		t.Fatalf("a malformed id was run: %+v", hs.runner.runs)
	}
	mustContain(t, plain(hs.view()), "paste the transactionId")
	for range "not an id!" {
		hs.key("backspace")
	}
	hs.typeText("TRX_0123abcd")
	hs.key("enter")
	if len(hs.runner.runs) != 1 || hs.runner.runs[0] != (flow.RunSpec{TransactionID: "TRX_0123abcd", Label: "alice"}) {
		t.Fatalf("runs %+v", hs.runner.runs)
	}
	if hs.m.flow == nil || hs.m.flow.kind != flow.SDKRun {
		t.Fatalf("no SDK run journey on screen:\n%s", plain(hs.view()))
	}

	hs = newHarness(t, 120, 40)
	hs.withUsers()
	hs.key("s")
	hs.typeText("TRX_0123abcd")
	hs.key("tab", "enter")
	if len(hs.runner.runs) != 1 || hs.runner.runs[0] != (flow.RunSpec{TransactionID: "TRX_0123abcd", Guest: true}) {
		t.Fatalf("guest runs %+v", hs.runner.runs)
	}
}

// TestRunFormAsksOnProduction: on production enter shows what will run
// and starts nothing; n and esc go back to the form, only y runs it, once.
func TestRunFormAsksOnProduction(t *testing.T) {
	hs := newHarness(t, 80, 24)
	hs.onProfile(prodProfile)
	hs.key("s")
	hs.typeText("TRX_0123abcd")
	hs.key("enter")
	if len(hs.runner.runs) != 0 {
		t.Fatalf("ran on production without asking: %+v", hs.runner.runs)
	}
	v := plain(hs.view())
	mustContain(t, v, "PRODUCTION: profile live will run TRX_0123abcd with alice's connected token", "y runs it, n or esc goes back to the form", "y run on production")
	for _, back := range []string{"esc", "n"} {
		hs.key(back)
		if len(hs.runner.runs) != 0 {
			t.Fatalf("%s ran it", back)
		}
		if f, ok := hs.m.active().(*runForm); !ok || f.confirming {
			t.Fatalf("%s did not go back to the form: %T", back, hs.m.active())
		}
		if strings.Contains(plain(hs.view()), "PRODUCTION: profile") {
			t.Fatalf("%s left the question on screen:\n%s", back, plain(hs.view()))
		}
		hs.key("enter")
	}
	hs.key("y")
	if len(hs.runner.runs) != 1 || hs.runner.runs[0] != (flow.RunSpec{TransactionID: "TRX_0123abcd", Label: "alice"}) {
		t.Fatalf("runs %+v", hs.runner.runs)
	}
}

// TestRunFormDoubleEnterDoesNotRunOnProduction: a double press or a key
// repeat of enter asks once and runs nothing, and the id is not changed
// by keys typed while it asks.
func TestRunFormDoubleEnterDoesNotRunOnProduction(t *testing.T) {
	hs := newHarness(t, 80, 24)
	hs.onProfile(prodProfile)
	hs.key("s")
	hs.typeText("TRX_0123abcd")
	hs.key("enter", "enter", "enter")
	if len(hs.runner.runs) != 0 {
		t.Fatalf("a repeated enter ran on production: %+v", hs.runner.runs)
	}
	hs.typeText("ff")
	f, ok := hs.m.active().(*runForm)
	if !ok || !f.confirming || f.input.Value() != "TRX_0123abcd" {
		t.Fatalf("keys typed while asking changed the form: %T %+v", hs.m.active(), f)
	}
	mustContain(t, plain(hs.view()), "PRODUCTION: profile live will run TRX_0123abcd")
}

// TestRunFormSubmitsOnce: keys typed before the journey's screen opened
// (the form's message not handled yet) ask for no second run.
func TestRunFormSubmitsOnce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prod    bool
		confirm []string
	}{{"sandbox", false, []string{"enter", "enter"}}, {"production", true, []string{"enter", "y", "y"}}} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, 80, 24)
			if tc.prod {
				hs.onProfile(prodProfile)
			} else {
				hs.withUsers()
			}
			hs.key("s")
			hs.typeText("TRX_0123abcd")
			// update, not send: the commands of each key are kept, as when
			// the keys arrive before the first run's message.
			var cmds []tea.Cmd
			for _, k := range tc.confirm {
				cmds = append(cmds, hs.update(keyMsg(k)))
			}
			for _, c := range cmds {
				hs.pump(c)
			}
			if len(hs.runner.runs) != 1 {
				t.Fatalf("runs %+v, want one", hs.runner.runs)
			}
		})
	}
}

// TestRunIsNotRedoneFromTheTUI: after the SDK failed on a transaction
// created elsewhere, r says why nothing starts again.
func TestRunIsNotRedoneFromTheTUI(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.withUsers()
	sdkSteps := []flow.StepKind{flow.MintToken, flow.CheckTransaction, flow.OpenBrowser, flow.AwaitSDK, flow.VerifyResult, flow.SaveUser, flow.FetchOrders}
	hs.runner.journeys = append(hs.runner.journeys, newFakeJourney(sdkSteps...).on(flow.AwaitSDK, sdkError(1012, "user_cancelled")))
	hs.key("s")
	hs.typeText("TRX_0123abcd")
	hs.key("enter")
	if hs.m.flow == nil || hs.m.flow.failed() == nil {
		t.Fatalf("the run did not fail:\n%s", plain(hs.view()))
	}
	hs.key("r")
	mustContain(t, plain(hs.view()), "not retried: this transaction came from your backend")
}
