package postback_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/postback"
)

// TestSandboxPendingActionAcceptedOnce: the sandbox's pending-action
// postback (no transactionId: it belongs to an investment) is verified,
// recorded with the unmatched postbacks and answered 200 at the first
// attempt, so the sandbox does not retry it.
func TestSandboxPendingActionAcceptedOnce(t *testing.T) {
	st, _, err := session.OpenStoreWith(t.TempDir(), session.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := postback.NewReceiver(postback.Config{Profile: session.BuiltinProfileName, APISecret: sandbox.DefaultAPISecret, Store: st})
	url, err := r.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	logs := make(chan string, 16)
	sb := sandbox.New(sandbox.Config{PostbackURL: url, PostbackBackoff: time.Millisecond,
		Logf: func(f string, a ...any) { logs <- fmt.Sprintf(f, a...) }})
	defer sb.Close()
	authID := sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001")
	if _, err := sb.PendingAction(sandbox.PendingActionRequest{SmallcaseAuthID: authID, Iscid: "62bd5f8b4ec1a3d0e9a8c2f1"}); err != nil {
		t.Fatal(err)
	}
	for line := range logs {
		if !strings.Contains(line, gateway.EventPendingAction) {
			continue
		}
		if !strings.Contains(line, "-> 200 (attempt 1)") {
			t.Fatalf("the sandbox's delivery: %s", line)
		}
		break
	}
	ev := <-r.Events()
	if ev.Outcome != postback.OutcomePending || ev.HTTPStatus != 200 || ev.Iscid != "62bd5f8b4ec1a3d0e9a8c2f1" ||
		ev.Action != "REBALANCE" || ev.SmallcaseAuthID != authID || ev.Check == nil || !ev.Check.Valid || !ev.Stored {
		t.Fatalf("event %+v", ev)
	}
	un, err := st.UnmatchedPostbacks(session.BuiltinProfileName)
	if err != nil || len(un) != 1 || un[0].Event != gateway.EventPendingAction || !un[0].ChecksumValid ||
		!strings.Contains(string(un[0].Body), "62bd5f8b4ec1a3d0e9a8c2f1") {
		t.Fatalf("unmatched %+v %v", un, err)
	}
}
