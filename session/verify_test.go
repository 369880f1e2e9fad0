package session

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"gatewalk/gateway"
)

func TestVerifyOutcome(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	mint := func(secret, id string, exp time.Time) string {
		t.Helper()
		tok, err := gateway.MintConnectedToken(secret, id, exp)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := mint(bridgeSecret, bridgeAuthID, now.Add(time.Hour))
	guest, _ := gateway.MintGuestToken(bridgeSecret, now.Add(time.Hour))
	other := "65a0c1d2e3f4a5b6c7d8e9f0"
	batch := gateway.OrderBatch{BatchID: "b1", Status: "COMPLETED", Orders: []gateway.Order{{Tradingsymbol: "TCS", Quantity: 1, TransactionType: "BUY"}}}
	batchData, _ := json.Marshal(map[string]any{"batches": []gateway.OrderBatch{batch}})
	batchString, _ := json.Marshal(string(batchData))

	res := func(tok string) gateway.SDKOutcome {
		return gateway.SDKOutcome{Result: &gateway.SDKResult{Success: true, Transaction: "CONNECT", SmallcaseAuthToken: tok, Broker: "kite-leprechaun"}}
	}
	for _, c := range []struct {
		name     string
		o        gateway.SDKOutcome
		expected string
		wantErr  error  // errors.Is target
		wantAs   any    // errors.As target kind
		wantID   string // "" = no VerifiedResult expected
		batches  int
	}{
		{name: "connect", o: res(good), wantID: bridgeAuthID},
		{name: "connect as expected", o: res(good), expected: bridgeAuthID, wantID: bridgeAuthID},
		{name: "mismatch", o: res(good), expected: other, wantAs: new(*AuthIDMismatchError), wantID: bridgeAuthID},
		{name: "wrong secret", o: res(mint("another-secret", bridgeAuthID, now.Add(time.Hour))), wantErr: gateway.ErrTokenSignature},
		{name: "expired", o: res(mint(bridgeSecret, bridgeAuthID, now.Add(-time.Minute))), wantErr: gateway.ErrTokenExpired},
		{name: "guest", o: res(guest), wantErr: ErrGuestReturned},
		{name: "no token", o: res(""), wantErr: ErrNoReturnedToken},
		{name: "garbage token", o: res("not.a.jwt"), wantErr: gateway.ErrTokenMalformed},
		{name: "neither", o: gateway.SDKOutcome{}, wantErr: ErrNoOutcome},
		{name: "both", o: gateway.SDKOutcome{Result: &gateway.SDKResult{}, Error: &gateway.SDKError{}}, wantErr: ErrNoOutcome},
		{name: "web batches", o: gateway.SDKOutcome{Result: &gateway.SDKResult{SmallcaseAuthToken: good, OrderBatches: []gateway.OrderBatch{batch}}}, wantID: bridgeAuthID, batches: 1},
		{name: "data batches", o: gateway.SDKOutcome{Result: &gateway.SDKResult{SmallcaseAuthToken: good, Data: batchData}}, wantID: bridgeAuthID, batches: 1},
		{name: "data batches as string", o: gateway.SDKOutcome{Result: &gateway.SDKResult{SmallcaseAuthToken: good, Data: batchString}}, wantID: bridgeAuthID, batches: 1},
		{name: "odd data", o: gateway.SDKOutcome{Result: &gateway.SDKResult{SmallcaseAuthToken: good, Data: json.RawMessage(`{"batches":"x"}`)}}, wantID: bridgeAuthID},
		{name: "sdk error", o: gateway.SDKOutcome{Error: &gateway.SDKError{Code: 1010, Message: "user_cancelled"}}, wantAs: new(*gateway.SDKError)},
		{name: "sdk error with token", o: gateway.SDKOutcome{Error: &gateway.SDKError{Code: 1012, Message: "user_cancelled", Data: &gateway.SDKErrorData{SmallcaseAuthToken: good, Broker: "kite"}}}, wantAs: new(*gateway.SDKError), wantID: bridgeAuthID},
		{name: "sdk error with forged token", o: gateway.SDKOutcome{Error: &gateway.SDKError{Code: 1012, Message: "user_cancelled", Data: &gateway.SDKErrorData{SmallcaseAuthToken: mint("x", bridgeAuthID, now.Add(time.Hour))}}}, wantAs: new(*gateway.SDKError)},
		{name: "sdk error with other user", o: gateway.SDKOutcome{Error: &gateway.SDKError{Code: 1001, Message: "user_mismatch", Data: &gateway.SDKErrorData{SmallcaseAuthToken: good}}}, expected: other, wantAs: new(*gateway.SDKError)},
	} {
		t.Run(c.name, func(t *testing.T) {
			vr, err := VerifyOutcome(c.o, bridgeSecret, c.expected, now)
			switch {
			case c.wantErr != nil:
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
			case c.wantAs != nil:
				if !errors.As(err, c.wantAs) {
					t.Fatalf("err = %#v, want %T", err, c.wantAs)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			}
			if c.wantID == "" {
				if vr != nil {
					t.Fatalf("VerifiedResult %+v, want none", vr)
				}
				return
			}
			if vr == nil {
				t.Fatal("no VerifiedResult")
			}
			if vr.SmallcaseAuthID != c.wantID || vr.Token == nil || !vr.Token.SignatureValid || vr.Token.Kind != gateway.TokenConnected {
				t.Errorf("VerifiedResult %+v", vr)
			}
			if len(vr.Batches) != c.batches {
				t.Errorf("batches = %d, want %d", len(vr.Batches), c.batches)
			}
			if c.batches > 0 && vr.Batches[0].Orders[0].Tradingsymbol != "TCS" {
				t.Errorf("batch = %+v", vr.Batches[0])
			}
		})
	}
}

func TestVerifyOutcomeMismatchNamesBothIDs(t *testing.T) {
	now := time.Now()
	tok, _ := gateway.MintConnectedToken(bridgeSecret, bridgeAuthID, now.Add(time.Hour))
	_, err := VerifyOutcome(gateway.SDKOutcome{Result: &gateway.SDKResult{SmallcaseAuthToken: tok}}, bridgeSecret, "65a0c1d2e3f4a5b6c7d8e9f0", now)
	var mm *AuthIDMismatchError
	if !errors.As(err, &mm) || mm.Expected != "65a0c1d2e3f4a5b6c7d8e9f0" || mm.Got != bridgeAuthID {
		t.Fatalf("err = %#v", err)
	}
}
