package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"gatewalk/gateway"
	"gatewalk/session"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

func demoCommand() command {
	return command{name: "demo", summary: "smoke test: the three journeys on a fresh sandbox (--headless)", run: runDemo}
}

const demoAbout = `With --headless: starts a fresh in-process sandbox with a temporary
config directory (removed afterwards), then runs a guest login, a
two-security order and a v2 holdings import with mutual funds, each with the
sandbox answering the SDK step as a successful user would. It prints the
report and exits 0 when the three journeys succeeded with the same
smallcaseAuthId. It is the smoke test of the whole product: it needs no
keys, no browser and no network.

For the interactive demo, start the TUI in demo mode: gatewalk --demo.`

// demoUser is the label of the demo's user.
const demoUser = "demo-user"

// DemoReport is what gatewalk demo --headless --json prints.
type DemoReport struct {
	OK bool `json:"ok"`
	// SmallcaseAuthID is the guest login's; SameSmallcaseAuthID says whether
	// the order and the import carried it too.
	SmallcaseAuthID     string           `json:"smallcaseAuthId"`
	SameSmallcaseAuthID bool             `json:"sameSmallcaseAuthId"`
	DurationMs          float64          `json:"durationMs"`
	Journeys            []present.Report `json:"journeys"`
}

func runDemo(ctx context.Context, c *Factory, args []string) error {
	fs := newFlagSet(c, "demo", "demo --headless [--json]", demoAbout)
	headlessFlag := fs.Bool("headless", false, "run the three journeys without the TUI and print the report")
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := unexpectedArgs(pos); err != nil {
		return err
	}
	if !*headlessFlag {
		fmt.Fprintln(c.stderr, "Usage: gatewalk demo --headless [--json]   (the smoke test, no TUI)")
		fmt.Fprintln(c.stderr, "For the interactive demo, start the TUI in demo mode: gatewalk --demo")
		return usagef("demo needs --headless")
	}
	rep, err := demoJourneys(ctx, c, newProgress(c))
	if ctx.Err() != nil {
		err = &exitCodedError{code: exitInterrupted, err: errors.New("interrupted (the demo's sandbox and config directory were removed)")}
	}
	if err != nil {
		if *jsonOut {
			_ = writeJSON(c.stdout, jsonFailure{OK: false, Error: err.Error(), ExitCode: exitCode(err)})
		}
		return err
	}
	if *jsonOut {
		if err := writeJSON(c.stdout, rep); err != nil {
			return err
		}
	} else {
		printDemo(c, rep)
	}
	if !rep.OK {
		code := exitError
		for _, j := range rep.Journeys {
			if j.Error != nil {
				return &exitCodedError{code: code, err: fmt.Errorf("the %s journey failed: %s", j.Kind, j.Error.Message)}
			}
		}
		return &exitCodedError{code: code, err: errors.New("the journeys did not carry the same smallcaseAuthId")}
	}
	return nil
}

// demoJourneys runs the three journeys on a fresh sandbox and a temporary
// config directory.
func demoJourneys(ctx context.Context, c *Factory, p *progress) (*DemoReport, error) {
	dir, err := os.MkdirTemp("", "gatewalk-demo-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	store, _, err := session.OpenStore(dir)
	if err != nil {
		return nil, err
	}
	// The built-in profile and its keys, whatever the environment says.
	getenv := func(string) string { return "" }
	r, err := flow.Setup(ctx, store, flow.Options{Emulators: c.emulators, ProfileName: session.BuiltinProfileName, NoBrowser: true, EphemeralSandbox: true,
		Auto: gateway.ScenarioSuccess, Getenv: getenv, Now: c.now, OnAttempt: p.attempt})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	start := time.Now()
	order := gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{
		{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}, {Ticker: "INFY", Quantity: 2, Type: gateway.Buy}}}
	journeys := []func() *flow.Journey{
		func() *flow.Journey { return r.GuestLogin(demoUser) },
		func() *flow.Journey { return r.Order(demoUser, order) },
		func() *flow.Journey {
			return r.HoldingsImport(demoUser, gateway.HoldingsOptions{V2: true, MFHoldings: true})
		},
	}
	rep := &DemoReport{OK: true, SameSmallcaseAuthID: true}
	for _, mk := range journeys {
		j := mk()
		p.header(r, j)
		runJourney(ctx, j, p)
		jr := present.JourneyReport(j)
		j.Close()
		rep.Journeys = append(rep.Journeys, jr)
		if !jr.OK {
			rep.OK = false
			break
		}
		if rep.SmallcaseAuthID == "" {
			rep.SmallcaseAuthID = jr.SmallcaseAuthID
		}
		if jr.SmallcaseAuthID != rep.SmallcaseAuthID {
			rep.SameSmallcaseAuthID = false
		}
	}
	rep.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	if len(rep.Journeys) != len(journeys) || !rep.SameSmallcaseAuthID || rep.SmallcaseAuthID == "" {
		rep.OK = false
		rep.SameSmallcaseAuthID = rep.SameSmallcaseAuthID && len(rep.Journeys) == len(journeys)
	}
	return rep, ctx.Err()
}

func printDemo(c *Factory, rep *DemoReport) {
	w := c.stdout
	verdict := "all three journeys succeeded"
	if !rep.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "gatewalk demo on a fresh sandbox: %s in %.1f ms\n", verdict, rep.DurationMs)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, j := range rep.Journeys {
		mark := "ok"
		if !j.OK {
			mark = "FAILED"
		}
		last := ""
		for _, s := range j.Steps {
			if s.Summary != "" && s.State != flow.Skipped {
				last = s.Summary
			}
		}
		if j.Error != nil {
			last = j.Error.Message
		}
		fmt.Fprintf(tw, "  %s\t%s\t%.1f ms\t%s\n", mark, present.SafeLine(string(j.Kind)), j.DurationMs, present.SafeLine(last))
	}
	tw.Flush()
	if rep.SameSmallcaseAuthID && rep.SmallcaseAuthID != "" {
		fmt.Fprintf(w, "smallcaseAuthId %s in all three journeys\n", present.SafeLine(rep.SmallcaseAuthID))
	} else {
		fmt.Fprintln(w, "the journeys did NOT carry the same smallcaseAuthId")
	}
}
