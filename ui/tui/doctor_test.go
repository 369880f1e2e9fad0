package tui

import (
	"context"
	"testing"

	"gatewalk/session/flow"
)

// fakeDoctor reports one check of each level and counts its runs.
func fakeDoctor(runs *int) Doctor {
	return func(ctx context.Context, profile string) flow.DoctorReport {
		*runs++
		return flow.DoctorReport{Profile: profile, Env: "sandbox", Checks: []flow.Check{
			{Group: "config", Name: "files", Level: flow.CheckOK, Detail: "profiles.json, users.json, history-sandbox.json parse (schema version 1); profile sandbox (the active profile)"},
			{Group: "clock", Name: "skew", Level: flow.CheckWarn, Detail: "the server's Date is 2m0s ahead of this machine's clock", Fix: "synchronise the system clock"},
			{Group: "keys", Name: "secret", Level: flow.CheckFail, Detail: "the token signed with the secret was rejected (Invalid JWT)", Fix: "store the right key"},
		}}
	}
}

// TestDoctorScreen: d on home runs the checks of the profile in use (from
// a command) and shows each with what to do; r runs them again.
func TestDoctorScreen(t *testing.T) {
	hs := newHarness(t, 120, 40)
	runs := 0
	hs.m.cfg.Doctor = fakeDoctor(&runs)
	hs.key("d")
	if runs != 1 {
		t.Fatalf("%d runs", runs)
	}
	mustContain(t, plain(hs.view()), "Doctor", "✓ config", "! clock", "✗ keys", "what to do: store the right key", "3 checks: 1 failed, 1 warnings")
	hs.key("r")
	if runs != 2 {
		t.Fatalf("r: %d runs", runs)
	}
	hs.key("esc")
	if _, ok := hs.m.active().(*doctorView); ok {
		t.Fatal("esc stayed on the doctor")
	}
}

// TestResetSandboxFromHome: R twice forgets the sandbox's state and
// restarts the runner; R then another key does nothing.
func TestResetSandboxFromHome(t *testing.T) {
	hs := harnessFor(t, newFakeStore(), newFakeRunner())
	connects := 0
	hs.start(Config{ExportDir: t.TempDir(), Connect: func(context.Context, ConnectOptions) (Runner, error) {
		connects++
		return hs.runner, nil
	}}, 120, 40)
	hs.key("R", "m", "R")
	if hs.runner.resets != 0 || connects != 1 {
		t.Fatalf("R, m, R: %d resets, %d connects", hs.runner.resets, connects)
	}
	hs.key("R")
	if hs.runner.resets != 1 || connects != 2 {
		t.Fatalf("R R: %d resets, %d connects", hs.runner.resets, connects)
	}
	mustContain(t, plain(hs.view()), "the sandbox starts over")
}
