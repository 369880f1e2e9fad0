package cli

import (
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"gatewalk/session/flow"
	"gatewalk/ui/present"
)

func TestHoldingsImportFetchAndFormats(t *testing.T) {
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success"); code != 0 {
		t.Fatalf("login: exit %d\n%s", code, errb)
	}
	code, out, errb := h.run(t, "holdings", "--user", "alice", "--import", "--v2", "--mf", "--auto", "success")
	if code != 0 {
		t.Fatalf("import: exit %d\n%s", code, errb)
	}
	if !strings.Contains(errb, "Create a HOLDINGS_IMPORT transaction") || !strings.Contains(out, "holdings v2") ||
		!strings.Contains(out, "ISIN") || !regexp.MustCompile(`\n *(1 mutual fund|[02-9]\d* mutual funds) `).MatchString(out) {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out, errb)
	}

	code, out, errb = h.run(t, "holdings", "--user", "alice", "--v2", "--mf", "--csv")
	if code != 0 {
		t.Fatalf("csv: exit %d\n%s", code, errb)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) < 3 || rows[0][0] != "asset" {
		t.Fatalf("csv %v:\n%s", err, out)
	}
	var eq, mf int
	for _, r := range rows[1:] {
		switch r[0] {
		case "equity":
			eq++
			if r[2] == "" {
				t.Errorf("v2 equity without ISIN: %v", r)
			}
		case "mutual_fund":
			mf++
		}
	}
	if eq == 0 || mf == 0 {
		t.Fatalf("csv has %d equities and %d funds", eq, mf)
	}
	if strings.Contains(errb, "Create a") {
		t.Error("a plain fetch created a transaction")
	}

	code, out, _ = h.run(t, "holdings", "--user", "alice", "--json")
	var rep present.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("json: exit %d %v\n%s", code, err, out)
	}
	if rep.Kind != flow.HoldingsView || !rep.OK || len(rep.Steps) != 2 || rep.Steps[1].Name != flow.FetchHoldings || rep.Steps[1].Result == nil {
		t.Fatalf("report %+v", rep)
	}
}

func TestHoldingsImportExpired(t *testing.T) {
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success"); code != 0 {
		t.Fatalf("login: exit %d\n%s", code, errb)
	}
	code, out, errb := h.run(t, "holdings", "--user", "alice", "--import", "--auto", "expired")
	if code != exitExpired || out != "" || !strings.Contains(errb, "transaction_expired") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errb)
	}
}

// TestHoldingsTableLayout: text columns are left-aligned and numbers
// right-aligned, and v1 holdings, which carry no ISIN, get no ISIN column.
func TestHoldingsTableLayout(t *testing.T) {
	h := newHeadlessEnv(t)
	if code, _, errb := h.run(t, "login", "--user", "alice", "--auto", "success"); code != 0 {
		t.Fatalf("login: %s", errb)
	}
	code, out, errb := h.run(t, "holdings", "--user", "alice")
	if code != 0 {
		t.Fatalf("holdings: exit %d\n%s", code, errb)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if strings.Contains(lines[1], "ISIN") {
		t.Errorf("v1 holdings have an ISIN column: %q", lines[1])
	}
	qtyEnd := strings.Index(lines[1], "QUANTITY") + len("QUANTITY")
	for _, l := range lines[2 : len(lines)-1] {
		if l[0] == ' ' {
			t.Errorf("a ticker is not left-aligned: %q", l)
		}
		if len(l) < qtyEnd || l[qtyEnd-1] == ' ' {
			t.Errorf("a quantity is not right-aligned under its header: %q", l)
		}
	}
	code, out, _ = h.run(t, "holdings", "--user", "alice", "--import", "--v2", "--mf", "--auto", "success")
	if code != 0 || !strings.Contains(out, "TICKER      ISIN") || !strings.Contains(out, "FOLIO") {
		t.Errorf("v2 with mutual funds:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "FOLIO") || strings.Contains(l, "/") && !strings.HasPrefix(l, "holdings") {
			if l[0] == ' ' {
				t.Errorf("a folio is not left-aligned: %q", l)
			}
		}
	}
}
