package bridge

import (
	"encoding/json"
	"errors"
	"gatewalk/gateway"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tabRole asks journey.json as tab would and returns the role it is given.
func tabRole(t *testing.T, b *Bridge, j *Journey, tab string) string {
	t.Helper()
	a := bridgeCall(t, "GET", loopbackURL(b, journeyPath(j)+"journey.json?tab="+tab), "", "", "", nil)
	var v struct{ Role string }
	if a.status != 200 || json.Unmarshal([]byte(a.body), &v) != nil {
		t.Fatalf("journey.json for tab %s: %d %s", tab, a.status, a.body)
	}
	return v.Role
}

func tabPost(t *testing.T, b *Bridge, j *Journey, tab, what, body string) int {
	t.Helper()
	return bridgeCall(t, "POST", loopbackURL(b, journeyPath(j)+what+"?tab="+tab), "", "application/json", "", []byte(body)).status
}

// TestOneTabRunsAJourney: the first tab to open the link runs the journey;
// a second tab is told so, and nothing it reports (its SDK's error, its
// closing) settles the journey or ends the wait.
func TestOneTabRunsAJourney(t *testing.T) {
	b := startTestBridge(t, Config{})
	j, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	const first, second = "tab-first-0001", "tab-second-002"
	if r := tabRole(t, b, j, first); r != roleOwner {
		t.Fatalf("first tab: role %q", r)
	}
	if r := tabRole(t, b, j, second); r != roleOther {
		t.Fatalf("second tab: role %q, want other", r)
	}
	if r := tabRole(t, b, j, first); r != roleOwner {
		t.Fatalf("first tab reloaded before its SDK started: role %q, want owner", r)
	}
	drainEvents(j)

	// The second tab's SDK answers invalid_transactionId and it closes:
	// neither reaches the journey as its own.
	if s := tabPost(t, b, j, second, "result", `{"error":{"message":"invalid_transactionId","code":3002}}`); s != 409 {
		t.Fatalf("second tab's result: %d, want 409", s)
	}
	if s := tabPost(t, b, j, second, "event", `{"kind":"tab_closed"}`); s != 409 {
		t.Fatalf("second tab's tab_closed: %d, want 409 (shown as another tab's, not taken)", s)
	}
	if s := tabPost(t, b, j, second, "event", `{"kind":"sdk_started"}`); s != 409 {
		t.Fatalf("second tab's start: %d, want 409: it must not start the SDK", s)
	}
	for _, ev := range drainEvents(j) {
		if ev.Kind != JourneyOtherTab {
			t.Fatalf("a second tab's report reached the journey as %s: %q", ev.Kind, ev.Detail)
		}
	}
	if st, _ := j.snapshot(); st != stateWaiting {
		t.Fatalf("a second tab settled the journey (state %d)", st)
	}

	// The first tab starts its SDK: from now on even its own reload is
	// not allowed to start it again.
	if s := tabPost(t, b, j, first, "event", `{"kind":"sdk_started"}`); s != 204 {
		t.Fatal(s)
	}
	if r := tabRole(t, b, j, first); r != roleRestarted {
		t.Fatalf("first tab reloaded after its SDK started: role %q, want restarted", r)
	}
	if s := tabPost(t, b, j, first, "result", string(okResultBody(t))); s != 200 {
		t.Fatalf("first tab's result: %d", s)
	}
	o, err := j.Wait(t.Context())
	if err != nil || o.Result == nil {
		t.Fatalf("the journey did not end with the first tab's result: %+v %v", o, err)
	}
}

// TestClaimReleasedWhenTheFirstTabClosesBeforeStarting: a first tab closed
// before its SDK started gives the journey up, so the link can be opened
// again.
func TestClaimReleasedWhenTheFirstTabClosesBeforeStarting(t *testing.T) {
	b := startTestBridge(t, Config{})
	j, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	tabRole(t, b, j, "tab-first-0001")
	if s := tabPost(t, b, j, "tab-first-0001", "event", `{"kind":"tab_closed"}`); s != 204 {
		t.Fatal(s)
	}
	if r := tabRole(t, b, j, "tab-later-0003"); r != roleOwner {
		t.Fatalf("a tab opened after the first closed unstarted: role %q, want owner", r)
	}
	if strings.Contains(tabID(mustRequest(t, "/j/x/event?tab=bad%20tab")), " ") {
		t.Fatal("a malformed tab id was taken")
	}
}

func mustRequest(t *testing.T, target string) *http.Request {
	t.Helper()
	return httptest.NewRequest("GET", target, nil)
}

// TestAbandonTellsThePage: after Abandon the page's state poll says the
// terminal stopped waiting, and Wait ends.
func TestAbandonTellsThePage(t *testing.T) {
	b := startTestBridge(t, Config{})
	j, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	state := func() string {
		a := bridgeCall(t, "GET", loopbackURL(b, journeyPath(j)+"state"), "", "", "", nil)
		var v struct{ State string }
		_ = json.Unmarshal([]byte(a.body), &v)
		return v.State
	}
	if s := state(); s != "waiting" {
		t.Fatalf("state %q before Abandon", s)
	}
	j.Abandon()
	if s := state(); s != "abandoned" {
		t.Fatalf("state %q after Abandon, want abandoned", s)
	}
	if _, err := j.Wait(t.Context()); !errors.Is(err, ErrJourneyClosed) {
		t.Fatalf("Wait after Abandon: %v", err)
	}
	j.Close()
	if a := bridgeCall(t, "GET", loopbackURL(b, journeyPath(j)+"state"), "", "", "", nil); a.status != 404 {
		t.Fatalf("state of a closed journey: %d, want 404 (the page then says the terminal stopped waiting)", a.status)
	}
}

// TestWaitEndsWhenThePageFindsTheTransactionExpired: with a clock that
// runs ahead of the wall clock (the sandbox's, after an advance), a page's
// post that finds the transaction expired ends Wait at once, rather than
// when the wall clock's five minutes are up.
func TestWaitEndsWhenThePageFindsTheTransactionExpired(t *testing.T) {
	clock := &bridgeClock{t: time.Now()}
	read := make(chan struct{}, 1)
	watching := atomic.Bool{}
	now := func() time.Time {
		if watching.Load() {
			select {
			case read <- struct{}{}:
			default:
			}
		}
		return clock.Now()
	}
	b := startTestBridge(t, Config{Now: now})
	j, err := b.NewJourney(bridgeSpec(t, clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	watching.Store(true)
	go func() {
		_, err := j.Wait(t.Context())
		done <- err
	}()
	<-read // Wait has read the clock and set its five-minute timer
	watching.Store(false)
	clock.Advance(gateway.TransactionLifetime + time.Minute)
	if s := tabPost(t, b, j, "tab-first-0001", "result", `{"error":{"message":"transaction_expired","code":1005}}`); s != 410 {
		t.Fatalf("result after expiry: %d, want 410", s)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrJourneyExpired) {
			t.Fatalf("Wait: %v, want ErrJourneyExpired", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Wait did not end when the page found the transaction expired")
	}
}

// TestLateSuccessIsTaken: a result the SDK resolved with is taken even
// when it arrives past the expiry by the bridge's clock (the Gateway
// decided, and orders may have been placed); a late error is not.
func TestLateSuccessIsTaken(t *testing.T) {
	clock := &bridgeClock{t: time.Now()}
	b := startTestBridge(t, Config{Now: clock.Now})
	late, err := b.NewJourney(bridgeSpec(t, clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(gateway.TransactionLifetime + time.Second)
	if s := tabPost(t, b, late, "tab-first-0001", "result", string(okResultBody(t))); s != 200 {
		t.Fatalf("a late success: %d, want 200", s)
	}
	if o, err := late.Wait(t.Context()); err != nil || o.Result == nil {
		t.Fatalf("Wait after a late success: %+v %v", o, err)
	}
	lateErr, err := b.NewJourney(bridgeSpec(t, clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(gateway.TransactionLifetime + time.Second)
	if s := tabPost(t, b, lateErr, "tab-first-0001", "result", `{"error":{"message":"transaction_expired","code":1005}}`); s != 410 {
		t.Fatalf("a late error: %d, want 410", s)
	}
}

// TestOnlyTheOwnersCurrentLoadStarts: the start handshake admits one page
// load once: not a duplicated tab's older load (same tab id), not a second
// start, and a late tab_closed of an earlier load releases nothing.
func TestOnlyTheOwnersCurrentLoadStarts(t *testing.T) {
	b := startTestBridge(t, Config{})
	j, err := b.NewJourney(bridgeSpec(t, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	role := func(tab, load string) string {
		a := bridgeCall(t, "GET", loopbackURL(b, journeyPath(j)+"journey.json?tab="+tab+"&load="+load), "", "", "", nil)
		var v struct{ Role, SmallcaseAuthToken string }
		_ = json.Unmarshal([]byte(a.body), &v)
		if (v.Role == roleOwner) != (v.SmallcaseAuthToken != "") {
			t.Fatalf("role %q with token %q: only the owner gets the token", v.Role, v.SmallcaseAuthToken)
		}
		return v.Role
	}
	post := func(tab, load, body string) int {
		return bridgeCall(t, "POST", loopbackURL(b, journeyPath(j)+"event?tab="+tab+"&load="+load), "", "application/json", "", []byte(body)).status
	}
	const tab = "tab-shared-0001"
	if r := role(tab, "load-old-00001"); r != roleOwner {
		t.Fatal(r)
	}
	// A duplicate of the tab (same id, new load) takes the claim over.
	if r := role(tab, "load-new-00002"); r != roleOwner {
		t.Fatal(r)
	}
	if s := post(tab, "load-old-00001", `{"kind":"sdk_started"}`); s != 409 {
		t.Fatalf("the older load started the SDK: %d", s)
	}
	// A late tab_closed of the older load releases nothing.
	post(tab, "load-old-00001", `{"kind":"tab_closed"}`)
	if r := role("tab-other-0003", "load-x-000003"); r != roleOther {
		t.Fatalf("a late tab_closed of an old load released the claim: %s", r)
	}
	if s := post(tab, "load-new-00002", `{"kind":"sdk_started"}`); s != 204 {
		t.Fatalf("the current load's start: %d", s)
	}
	if s := post(tab, "load-new-00002", `{"kind":"sdk_started"}`); s != 409 {
		t.Fatalf("a second start: %d", s)
	}
	j.Abandon()
	if r := role(tab, "load-new-00003"); r == roleOwner {
		t.Fatal("an abandoned journey gave a page the owner's role")
	}
}

// TestStartedJourneyWaitsPastExpiry: once the SDK started, Wait waits a
// grace past the expiry, so an answer at 4:59 is not lost to the timer.
func TestStartedJourneyWaitsPastExpiry(t *testing.T) {
	b := startTestBridge(t, Config{StartedGrace: 30 * time.Second})
	spec := bridgeSpec(t, time.Now())
	spec.ExpireAt = time.Now().Add(time.Millisecond) // expires at once
	j, err := b.NewJourney(spec)
	if err != nil {
		t.Fatal(err)
	}
	if s := tabPost(t, b, j, "tab-first-0001", "event", `{"kind":"sdk_started"}`); s != 204 {
		t.Fatalf("start: %d", s)
	}
	done := make(chan error, 1)
	go func() {
		o, err := j.Wait(t.Context())
		if err == nil && o.Result == nil {
			err = errors.New("no result")
		}
		done <- err
	}()
	if s := tabPost(t, b, j, "tab-first-0001", "result", string(okResultBody(t))); s != 200 {
		t.Fatalf("a success within the grace: %d", s)
	}
	if err := <-done; err != nil {
		t.Fatalf("Wait: %v, want the result that came within the grace", err)
	}
}
