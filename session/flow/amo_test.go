package flow

import (
	"context"
	"errors"
	"testing"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

// TestAutoOrderHonoursProfileAMO: in the after-market window an order is
// placed as AMO only when the profile enables AMO, as the web SDK's
// config.amo decides in the browser.
func TestAutoOrderHonoursProfileAMO(t *testing.T) {
	for _, amo := range []bool{true, false} {
		st := newStore(t)
		externalProfile(t, st, sandbox.Config{Market: sandbox.MarketAMO}, 0)
		p, err := st.Profile("ext")
		if err != nil {
			t.Fatal(err)
		}
		p.AMO = amo
		if err := st.SaveProfile(p); err != nil {
			t.Fatal(err)
		}
		r, err := Setup(context.Background(), st, Options{Emulators: testEmulators, ProfileName: "ext", Auto: gateway.ScenarioSuccess})
		if err != nil {
			t.Fatal(err)
		}
		j := r.Order("alice", gateway.OrderConfig{Type: gateway.OrderSecurities, Securities: []gateway.Security{{Ticker: "TCS", Quantity: 1, Type: gateway.Buy}}})
		for !j.Done() && j.Failed() == nil {
			j.Next(context.Background())
		}
		f := j.Failed()
		if amo {
			if f != nil {
				t.Fatalf("AMO profile: %s failed: %v", f.Kind, f.Err)
			}
			od := j.Step(FetchOrders).Orders
			if od == nil || len(od.Batches) != 1 || od.Batches[0].Variety != "amo" {
				t.Fatalf("AMO profile: batches = %+v", od)
			}
		} else {
			var sdk *gateway.SDKError
			if f == nil || !asSDK(f.Err, &sdk) || sdk.Message != "market_closed" {
				t.Fatalf("no AMO: want market_closed, got %+v", f)
			}
		}
		j.Close()
		r.Close()
	}
}

func asSDK(err error, target **gateway.SDKError) bool { return errors.As(err, target) }
