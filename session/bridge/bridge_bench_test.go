package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"gatewalk/gateway"
)

func benchResultBody(b *testing.B) []byte {
	b.Helper()
	tok, err := gateway.MintConnectedToken(bridgeSecret, bridgeAuthID, time.Now().Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	var batches []gateway.OrderBatch
	for i := 0; i < 3; i++ {
		batch := gateway.OrderBatch{BatchID: "batch", Status: "COMPLETED", Variety: "regular", Label: "BUY"}
		for k := 0; k < 10; k++ {
			batch.Orders = append(batch.Orders, gateway.Order{Tradingsymbol: "TCS", Exchange: "NSE", TransactionType: "BUY",
				Quantity: 2, FilledQuantity: 2, AveragePrice: 3550.5, Status: "COMPLETE", OrderType: "MARKET", Product: "CNC"})
		}
		batches = append(batches, batch)
	}
	body, err := json.Marshal(gateway.SDKOutcome{Result: &gateway.SDKResult{Success: true, Transaction: "TRANSACTION",
		SmallcaseAuthToken: tok, Broker: "kite-leprechaun", TransactionID: "TRX_0123456789abcdef0123456789abcdef", OrderBatches: batches}})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkBridgeResultRoundTrip measures one journey end to end on the
// loopback listener: register, post a 30-order result, Wait, Close.
func BenchmarkBridgeResultRoundTrip(b *testing.B) {
	br, err := Start(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	body := benchResultBody(b)
	tok, _ := gateway.MintGuestToken(bridgeSecret, time.Now().Add(time.Hour))
	spec := JourneySpec{Gateway: "gatewaydemo", AuthToken: tok, TransactionID: "TRX_0123456789abcdef0123456789abcdef",
		SDKURL: gateway.ProductionSDKURL, ExpireAt: time.Now().Add(time.Hour)}
	client := &http.Client{}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		j, err := br.NewJourney(spec)
		if err != nil {
			b.Fatal(err)
		}
		req, _ := http.NewRequest("POST", loopbackURL(br, journeyPath(j)+"result"), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		if _, err := j.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		j.Close()
	}
}

// BenchmarkParseOutcome measures decoding a 30-order result as posted.
func BenchmarkParseOutcome(b *testing.B) {
	body := benchResultBody(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseOutcome(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyOutcome measures verifying a returned token and reading
// the batches.
func BenchmarkVerifyOutcome(b *testing.B) {
	o, err := ParseOutcome(benchResultBody(b))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := gateway.VerifyOutcome(o, bridgeSecret, bridgeAuthID, now); err != nil {
			b.Fatal(err)
		}
	}
}
