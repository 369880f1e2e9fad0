package tui

import (
	"testing"

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

// TestRunFormAsksOnProduction: on production the first enter shows what
// will run and starts nothing; esc goes back to the form.
func TestRunFormAsksOnProduction(t *testing.T) {
	hs := newHarness(t, 80, 24)
	hs.onProfile(prodProfile)
	hs.key("s")
	hs.typeText("TRX_0123abcd")
	hs.key("enter")
	if len(hs.runner.runs) != 0 {
		t.Fatalf("ran on production without asking: %+v", hs.runner.runs)
	}
	mustContain(t, plain(hs.view()), "PRODUCTION: profile live will run TRX_0123abcd")
	hs.key("esc")
	if len(hs.runner.runs) != 0 {
		t.Fatal("esc ran it")
	}
	hs.key("enter", "enter")
	if len(hs.runner.runs) != 1 {
		t.Fatalf("runs %+v", hs.runner.runs)
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
