package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"gatewalk/gateway"
	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

func orderCommand() command {
	return command{name: "order", summary: "place a connected user's order through the SDK (headless)", run: runOrder}
}

const orderAbout = `A connected-user order without the TUI: mints a connected token for the
user's stored smallcaseAuthId, creates a TRANSACTION, opens the browser on
the local SDK page (the URL is always printed), waits for the SDK result,
checks it carries the same smallcaseAuthId, and prints the batches and
orders the SDK resolved with. The order details (GET
/v1/{gateway}/engine/orders/sst) are a second opinion: when that call
fails, answers no batches or differs, the order still succeeds and a
warning says which source said what.

Orders:
  --buy TICKER[:QTY], --sell TICKER[:QTY]
                                        securities (repeat the flag, or
                                        separate with commas: --buy TCS:1,INFY:2)
  --stock TICKER[:QTY]                  a security whose side the user chooses
                                        in the SDK's review screen
  A line without :QTY leaves the quantity to the user in the review screen.
  The Gateway's rule: quantity and side are optional, but if given, they
  must be given for every line (--buy RELIANCE --buy TCS, or --stock
  RELIANCE --stock TCS, or --buy TCS:1 --sell INFY:2; not --buy TCS:1
  --buy INFY).
  --scid SCID                           buy a smallcase (type BUY)
  --iscid ISCID --type TYPE             act on a smallcase investment: INVESTMORE,
                                        FIX, MANAGE, REBALANCE, SIP or EXIT
  --type RECONCILIATION                 reconcile the user's smallcases
A quantity of 0, a malformed TICKER:QTY, lines that break the rule above
or a mix of securities and a smallcase is a usage error (exit 2) caught
before any request.

On a production profile the order is shown as it will be sent (lines,
user and broker, profile) and placed only after you type yes; without a
terminal it needs --yes, else it exits 2 and sends nothing.

On the sandbox, --auto OUTCOME completes the SDK step (no browser). Orders
the broker rejects (--auto rejected, insufficient_funds) or fills in part
(partial_fill) are a completed journey: gatewalk prints their statuses and
exits 0. SDK errors (market_closed, user_cancelled, consent_denied,
user_mismatch) exit 3, an expired transaction exits 5.`

// securityList collects --buy/--sell/--stock specs in the order given
// (side is empty for --stock).
type securityList struct {
	side gateway.Side
	into *[]gateway.Security
}

func (l securityList) String() string { return "" }

func (l securityList) Set(v string) error {
	for _, spec := range strings.Split(v, ",") {
		sec, err := parseSecuritySpec(strings.TrimSpace(spec), l.side)
		if err != nil {
			return err
		}
		*l.into = append(*l.into, sec)
	}
	return nil
}

// parseSecuritySpec reads TICKER or TICKER:QTY.
func parseSecuritySpec(spec string, side gateway.Side) (gateway.Security, error) {
	flagName := "--stock"
	if side != "" {
		flagName = "--" + strings.ToLower(string(side))
	}
	ticker, qty, hasQty := strings.Cut(spec, ":")
	ticker = strings.ToUpper(strings.TrimSpace(ticker))
	if ticker == "" || (hasQty && strings.TrimSpace(qty) == "") {
		return gateway.Security{}, fmt.Errorf("%s %q: want TICKER or TICKER:QTY, such as TCS or TCS:1", flagName, spec)
	}
	if !gateway.ValidTicker(ticker) {
		return gateway.Security{}, fmt.Errorf("%s %q: %q is not a trading symbol (such as TCS, M&M, BAJAJ-AUTO)", flagName, spec, ticker)
	}
	if !hasQty {
		return gateway.Security{Ticker: ticker, Type: side}, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(qty))
	if err != nil {
		return gateway.Security{}, fmt.Errorf("%s %q: the quantity %q is not a whole number", flagName, spec, qty)
	}
	if n < 1 {
		return gateway.Security{}, fmt.Errorf("%s %q: the quantity must be 1 or more", flagName, spec)
	}
	return gateway.Security{Ticker: ticker, Quantity: n, Type: side}, nil
}

// orderFlags is the order part of the command line.
type orderFlags struct {
	securities []gateway.Security
	scid       string
	iscid      string
	typ        string
	amount     float64
	// yes confirms a production order in advance.
	yes bool
}

// config builds and validates the orderConfig; every error is a usage error.
func (o orderFlags) config() (gateway.OrderConfig, error) {
	typ := gateway.OrderType(strings.ToUpper(strings.TrimSpace(o.typ)))
	oc := gateway.OrderConfig{Scid: strings.TrimSpace(o.scid), Iscid: strings.TrimSpace(o.iscid), Amount: o.amount}
	switch {
	case len(o.securities) > 0:
		if oc.Scid != "" || oc.Iscid != "" || (typ != "" && typ != gateway.OrderSecurities) {
			return oc, usagef("--buy/--sell/--stock make a SECURITIES order: they do not mix with --scid, --iscid or --type %s", typ)
		}
		oc.Type, oc.Securities = gateway.OrderSecurities, o.securities
	case oc.Scid != "":
		if oc.Iscid != "" {
			return oc, usagef("give --scid (buy a smallcase) or --iscid (act on an investment), not both")
		}
		if typ != "" && typ != gateway.OrderBuy {
			return oc, usagef("--scid buys a smallcase (type BUY); --type %s acts on an investment and takes --iscid", typ)
		}
		oc.Type = gateway.OrderBuy
	case oc.Iscid != "":
		if typ == "" {
			return oc, usagef("--iscid needs --type: INVESTMORE, FIX, MANAGE, REBALANCE, SIP or EXIT")
		}
		oc.Type = typ
	case typ == gateway.OrderReconciliation:
		oc.Type = typ
	case typ != "":
		return oc, usagef("--type %s needs --scid (BUY) or --iscid (INVESTMORE, FIX, MANAGE, REBALANCE, SIP, EXIT)", typ)
	default:
		return oc, usagef("nothing to order: give --buy/--sell TICKER[:QTY] or --stock TICKER[:QTY], or --scid SCID, or --iscid ISCID --type TYPE")
	}
	req := gateway.TransactionRequest{Intent: gateway.IntentTransaction, OrderConfig: &oc}
	if err := req.Validate(); err != nil {
		return oc, usagef("%v", err)
	}
	return oc, nil
}

func runOrder(ctx context.Context, c *Factory, args []string) error {
	fs := newFlagSet(c, "order", "order --user LABEL (--buy TICKER[:QTY] | --sell TICKER[:QTY] | --stock TICKER[:QTY])... | --scid SCID | --iscid ISCID --type TYPE [--profile NAME] [--no-browser] [--auto OUTCOME [--auto-broker BROKER] [--auto-account ACCOUNT]] [--json]", orderAbout)
	var jf journeyFlags
	jf.register(fs, true)
	var of orderFlags
	fs.Var(securityList{side: gateway.Buy, into: &of.securities}, "buy", "buy TICKER[:QTY] (repeatable; commas separate several; no :QTY lets the user choose)")
	fs.Var(securityList{side: gateway.Sell, into: &of.securities}, "sell", "sell TICKER[:QTY] (repeatable; commas separate several)")
	fs.Var(securityList{into: &of.securities}, "stock", "TICKER[:QTY] whose side the user chooses in the SDK's review screen (repeatable)")
	fs.StringVar(&of.scid, "scid", "", "buy the smallcase SCID")
	fs.StringVar(&of.iscid, "iscid", "", "the smallcase investment ISCID to act on (with --type)")
	fs.StringVar(&of.typ, "type", "", "order type for --scid/--iscid: BUY, INVESTMORE, FIX, MANAGE, REBALANCE, SIP, EXIT, RECONCILIATION")
	fs.Float64Var(&of.amount, "amount", 0, "amount to invest (BUY and INVESTMORE only)")
	fs.BoolVar(&of.yes, "yes", false, "on a production profile, place the order without asking (required without a terminal)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	return jf.finish(c, order(ctx, c, &jf, of, pos))
}

func order(ctx context.Context, c *Factory, jf *journeyFlags, of orderFlags, pos []string) error {
	if err := jf.check(pos); err != nil {
		return err
	}
	oc, err := of.config()
	if err != nil {
		return err
	}
	hr, err := startHeadless(ctx, c, jf)
	if err != nil {
		return err
	}
	defer hr.close()
	if err := hr.requireUser(); err != nil {
		return err
	}
	if err := confirmOrder(c, hr.runner, jf.user, oc, of.yes); err != nil {
		return err
	}
	j := hr.runner.Order(jf.user, oc)
	return hr.drive(ctx, j, func(w io.Writer) {
		s := j.Step(flow.FetchOrders)
		if s.Orders != nil {
			printOrders(w, s.Orders)
		}
	})
}

// printOrders prints order batches as a table with statuses.
func printOrders(w io.Writer, od *gateway.OrderDetails) {
	status := string(od.Status)
	if status == "" {
		status = "-"
	}
	fmt.Fprintf(w, "transaction:     %s (%s)\n", present.SafeLine(od.TransactionID), present.SafeLine(status))
	if od.SmallcaseAuthID != "" {
		fmt.Fprintf(w, "smallcaseAuthId: %s\n", present.SafeLine(od.SmallcaseAuthID))
	}
	if od.Broker != "" {
		fmt.Fprintf(w, "broker:          %s\n", present.SafeLine(od.Broker))
	}
	printBatches(w, od)
}

// printBatches prints the batches' orders as a table (or says there are
// none).
func printBatches(w io.Writer, od *gateway.OrderDetails) {
	if len(od.Batches) == 0 {
		fmt.Fprintln(w, "orders:          none (the transaction placed no orders, e.g. a RECONCILIATION with nothing to reconcile)")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BATCH\tTICKER\tSIDE\tQTY\tFILLED\tAVG PRICE\tSTATUS\tMESSAGE")
	var bad int
	for _, b := range od.Batches {
		for _, o := range b.Orders {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.2f\t%s\t%s\n", present.SafeLine(b.BatchID), present.SafeLine(o.Tradingsymbol), present.SafeLine(o.TransactionType), o.Quantity,
				o.FilledQuantity, o.AveragePrice, present.SafeLine(o.Status), present.SafeLine(o.StatusMessage))
			if o.Status != "COMPLETE" && o.Status != "COMPLETED" {
				bad++
			}
		}
		for _, o := range b.Unplaced {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.2f\t%s\t%s\n", present.SafeLine(b.BatchID), present.SafeLine(o.Tradingsymbol), present.SafeLine(o.TransactionType), o.Quantity,
				o.FilledQuantity, o.AveragePrice, "UNPLACED", present.SafeLine(o.StatusMessage))
			bad++
		}
	}
	tw.Flush()
	if bad > 0 {
		verb := "orders were"
		if bad == 1 {
			verb = "order was"
		}
		fmt.Fprintf(w, "note: %d %s not fully filled; the journey completed, so gatewalk exits 0 (see the statuses above)\n", bad, verb)
	}
}

// confirmOrder shows, on a production profile, the order as it will be
// sent and asks for "yes" on a terminal before anything is created;
// without a terminal it requires --yes. Other profiles place test orders
// and are not asked.
func confirmOrder(c *Factory, r *flow.Runner, label string, oc gateway.OrderConfig, yes bool) error {
	p := r.Profile()
	if p.Env != gateway.EnvProduction {
		return nil
	}
	broker := ""
	if u, err := r.Store().User(p.Name, label); err == nil {
		broker = u.Broker
	}
	for _, l := range present.OrderReview(p, label, broker, oc) {
		fmt.Fprintln(c.stderr, present.SafeLine(l))
	}
	return confirmTyped(c, yes, stdinTerminal(c),
		usagef("profile %q is production: an order without a terminal to confirm it needs --yes; nothing was sent", p.Name),
		"Place these real orders?", "sent")
}
