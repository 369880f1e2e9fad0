package postback

import (
	"strings"
	"testing"

	"gatewalk/gateway"
)

// TestMFRuleIsChosenByTheEvent: a postback whose event is MF_HOLDINGS_IMPORT
// and that says nothing of its intent is checked with the mutual-fund rule
// (timestamp + transactionId), even when it also carries a smallcaseAuthId;
// the same body with another event is checked with the securities rule.
func TestMFRuleIsChosenByTheEvent(t *testing.T) {
	body := func(event string) string {
		return `{"timestamp":"1700000000000","smallcaseAuthId":"` + vecAuthID + `","transactionId":"` + vecMFTxn +
			`","event":"` + event + `","checksum":"` + vecMFSum + `"}`
	}
	p, kind, err := Parse([]byte(body(gateway.EventMFHoldingsImport)))
	if err != nil {
		t.Fatal(err)
	}
	if p.Intent != "" {
		t.Fatalf("the body has no intent, Parse gave %q", p.Intent)
	}
	c := Verify(p, kind, vecSecret)
	if c.IDField != "transactionId" || c.ID != vecMFTxn {
		t.Errorf("event %s: checksum over %s=%q, want transactionId=%q", gateway.EventMFHoldingsImport, c.IDField, c.ID, vecMFTxn)
	}
	if !c.Valid || c.Problem != "" {
		t.Errorf("event %s: Valid=%v problem %q, want valid", gateway.EventMFHoldingsImport, c.Valid, c.Problem)
	}
	if r := c.Rule(); !strings.Contains(r, "transactionId") {
		t.Errorf("rule %q does not name transactionId", r)
	}

	p, kind, err = Parse([]byte(body("ORDER_COMPLETED")))
	if err != nil {
		t.Fatal(err)
	}
	c = Verify(p, kind, vecSecret)
	if c.IDField != "smallcaseAuthId" || c.ID != vecAuthID || c.Valid {
		t.Errorf("event ORDER_COMPLETED: checksum over %s=%q valid=%v, want smallcaseAuthId and not valid", c.IDField, c.ID, c.Valid)
	}
}
