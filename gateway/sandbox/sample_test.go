package sandbox

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
)

func TestSamplePostback(t *testing.T) {
	const txn, user = "TRX_0123456789abcdef0123456789abcdef", "5f0321b5f3743c31d95abd35"
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, ev := range SampleEvents() {
		b, err := SamplePostback(context.Background(), SampleRequest{Event: ev, TransactionID: txn, SmallcaseAuthID: user,
			Clock: func() time.Time { return at }})
		if err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		var pb gateway.Postback
		if err := json.Unmarshal(b, &pb); err != nil {
			t.Fatalf("%s: %v\n%s", ev, err, b)
		}
		wantTxn := txn
		if ev == gateway.EventPendingAction {
			wantTxn = "" // not about a transaction
		}
		if pb.Kind() != ev || pb.TransactionID != wantTxn || pb.Timestamp != "1796205600000" {
			t.Errorf("%s: event %s, transactionId %s, timestamp %s", ev, pb.Event, pb.TransactionID, pb.Timestamp)
		}
		if ev != gateway.EventMFHoldingsImport && pb.SmallcaseAuthID != user {
			t.Errorf("%s: smallcaseAuthId %q", ev, pb.SmallcaseAuthID)
		}
		if ev == gateway.EventMFHoldingsImport && pb.SmallcaseAuthID != "" {
			t.Errorf("MF postback carries smallcaseAuthId %q", pb.SmallcaseAuthID)
		}
		if len(pb.Fields) < 10 {
			t.Errorf("%s: no data: %s", ev, b)
		}
		// No id of the sandbox's own account is left.
		if strings.Contains(string(b), AuthID(DefaultGateway, "kite-leprechaun", "LEP001")) {
			t.Errorf("%s: the sandbox's smallcaseAuthId is left in %s", ev, b)
		}
	}
	if _, err := SamplePostback(context.Background(), SampleRequest{Event: "NOPE"}); err == nil {
		t.Fatal("an unknown event was built")
	}
}
