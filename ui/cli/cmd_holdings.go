package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"gatewalk/gateway"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

func holdingsCommand() command {
	return command{name: "holdings", summary: "fetch or import a connected user's holdings (headless)", run: runHoldings}
}

const holdingsAbout = `Without --import: fetches the user's holdings with a connected token
(GET /v1/{gateway}/engine/user/holdings), as last imported.

With --import: a HOLDINGS_IMPORT journey first: connected token, transaction,
browser on the local SDK page (the URL is always printed), SDK result
verified against the user's smallcaseAuthId, then the fetch.

--v2 asks for the v2 shape (ISINs, positions), --mf adds mutual funds.
Output: a table (default), --json (one report with every step) or --csv
(one row per equity, and per mutual fund folio with --mf; v1 equities have no
ISIN, v2's do). On the sandbox, --auto OUTCOME (with --import) completes the
SDK step without a browser; without it the journey waits for the browser.`

func runHoldings(ctx context.Context, c *Factory, args []string) error {
	fs := newFlagSet(c, "holdings", "holdings --user LABEL [--import] [--v2] [--mf] [--json|--csv] [--profile NAME] [--no-browser] [--auto OUTCOME [--auto-broker BROKER] [--auto-account ACCOUNT]]", holdingsAbout)
	var jf journeyFlags
	jf.register(fs, true)
	doImport := fs.Bool("import", false, "run a HOLDINGS_IMPORT journey in the browser first")
	v2 := fs.Bool("v2", false, "v2 holdings (ISINs, positions)")
	mf := fs.Bool("mf", false, "include mutual funds")
	csvOut := fs.Bool("csv", false, "print CSV: one row per equity, and per mutual fund folio with --mf")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	return jf.finish(c, holdings(ctx, c, &jf, pos, *doImport, gateway.HoldingsOptions{V2: *v2, MFHoldings: *mf}, *csvOut))
}

func holdings(ctx context.Context, c *Factory, jf *journeyFlags, pos []string, doImport bool, opt gateway.HoldingsOptions, csvOut bool) error {
	if err := jf.check(pos); err != nil {
		return err
	}
	if csvOut && jf.jsonOut {
		return usagef("--json and --csv exclude each other")
	}
	if !doImport && jf.auto != "" {
		return usagef("--auto completes the SDK step of an import: add --import")
	}
	if !doImport && jf.noBrowser {
		return usagef("--no-browser is for --import: a plain fetch opens no browser")
	}
	hr, err := startHeadless(ctx, c, jf)
	if err != nil {
		return err
	}
	defer hr.close()
	if err := hr.requireUser(); err != nil {
		return err
	}
	var j *flow.Journey
	if doImport {
		j = hr.runner.HoldingsImport(jf.user, opt)
	} else {
		j = hr.runner.ViewHoldings(jf.user, opt)
	}
	return hr.drive(ctx, j, func(w io.Writer) {
		h := j.Step(flow.FetchHoldings).Holdings
		if h == nil {
			return
		}
		if csvOut {
			tty := c.stdoutIsTerminal != nil && c.stdoutIsTerminal()
			_ = writeHoldingsCSV(w, h, tty) // stdout: nothing to tell the user if it fails
			return
		}
		printHoldings(w, h)
	})
}

// printHoldings prints equities and mutual funds as tables with totals:
// text columns (ticker, ISIN, folio, fund) left-aligned, numbers right-aligned,
// and no ISIN column when the response has none (v1 holdings).
func printHoldings(w io.Writer, h *gateway.Holdings) {
	fmt.Fprintf(w, "holdings %s of %s at %s\n", present.SafeLine(h.Version), present.SafeLine(h.AuthID()), present.SafeLine(h.Broker()))
	eq := h.Equities()
	withISIN := false
	for _, e := range eq {
		withISIN = withISIN || e.ISIN != ""
	}
	row := func(ticker, isin string, rest ...string) []string {
		if withISIN {
			return append([]string{ticker, isin}, rest...)
		}
		return append([]string{ticker}, rest...)
	}
	right := []bool{false, false, true, true, true}
	if !withISIN {
		right = []bool{false, true, true, true}
	}
	rows := [][]string{row("TICKER", "ISIN", "QUANTITY", "AVG PRICE", "INVESTED")}
	var total float64
	for _, e := range eq {
		rows = append(rows, row(present.SafeLine(e.Ticker), present.SafeLine(e.ISIN), strconv.Itoa(e.Quantity),
			strconv.FormatFloat(e.AveragePrice, 'f', 2, 64), strconv.FormatFloat(e.Invested(), 'f', 2, 64)))
		total += e.Invested()
	}
	rows = append(rows, row(countOf(len(eq), "equity", "equities"), "", "", "", strconv.FormatFloat(total, 'f', 2, 64)))
	_ = writeColumns(w, rows, right)
	if mfs := h.MutualFunds(); mfs != nil {
		fmt.Fprintln(w)
		rows = [][]string{{"FOLIO", "FUND", "ISIN", "UNITS", "AVG NAV", "LAST NAV", "P&L"}}
		var pnl float64
		for _, m := range mfs {
			rows = append(rows, []string{present.SafeLine(m.Folio), present.SafeLine(m.Fund), present.SafeLine(m.ISIN),
				strconv.FormatFloat(m.Quantity, 'f', 3, 64), strconv.FormatFloat(m.AveragePrice, 'f', 4, 64),
				strconv.FormatFloat(m.LastPrice, 'f', 4, 64), strconv.FormatFloat(m.PNL, 'f', 2, 64)})
			pnl += m.PNL
		}
		rows = append(rows, []string{countOf(len(mfs), "mutual fund", "mutual funds"), "", "", "", "", "", strconv.FormatFloat(pnl, 'f', 2, 64)})
		_ = writeColumns(w, rows, []bool{false, false, false, true, true, true, true})
	}
}

// countOf is "1 equity", "3 equities".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// writeHoldingsCSV writes one row per equity and per mutual fund folio:
// the data as received for a pipe or a file, terminal-safe (control
// characters shown escaped) when tty says stdout is a terminal.
func writeHoldingsCSV(w io.Writer, h *gateway.Holdings, tty bool) error {
	data, err := present.HoldingsTable(h).CSV()
	if err != nil {
		return err
	}
	if tty {
		data = []byte(present.Safe(string(data)))
	}
	_, err = w.Write(data)
	return err
}
