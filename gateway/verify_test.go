package gateway

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	verifySecret = "bridge-test-secret-7c1f0e"
	verifyAuthID = "5f0321b5f3743c31d95abd35"
)

func TestVerifyOutcome(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	mint := func(secret, id string, exp time.Time) string {
		t.Helper()
		tok, err := MintConnectedToken(secret, id, exp)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := mint(verifySecret, verifyAuthID, now.Add(time.Hour))
	guest, _ := MintGuestToken(verifySecret, now.Add(time.Hour))
	other := "65a0c1d2e3f4a5b6c7d8e9f0"
	batch := OrderBatch{BatchID: "b1", Status: "COMPLETED", Orders: []Order{{Tradingsymbol: "TCS", Quantity: 1, TransactionType: "BUY"}}}
	batchData, _ := json.Marshal(map[string]any{"batches": []OrderBatch{batch}})
	batchString, _ := json.Marshal(string(batchData))

	res := func(tok string) SDKOutcome {
		return SDKOutcome{Result: &SDKResult{Success: true, Transaction: "CONNECT", SmallcaseAuthToken: tok, Broker: "kite-leprechaun"}}
	}
	for _, c := range []struct {
		name     string
		o        SDKOutcome
		expected string
		wantErr  error  // errors.Is target
		wantAs   any    // errors.As target kind
		wantID   string // "" = no VerifiedResult expected
		batches  int
	}{
		{name: "connect", o: res(good), wantID: verifyAuthID},
		{name: "connect as expected", o: res(good), expected: verifyAuthID, wantID: verifyAuthID},
		{name: "mismatch", o: res(good), expected: other, wantAs: new(*AuthIDMismatchError), wantID: verifyAuthID},
		{name: "wrong secret", o: res(mint("another-secret", verifyAuthID, now.Add(time.Hour))), wantErr: ErrTokenSignature},
		{name: "expired", o: res(mint(verifySecret, verifyAuthID, now.Add(-time.Minute))), wantErr: ErrTokenExpired},
		{name: "guest", o: res(guest), wantErr: ErrGuestReturned},
		{name: "no token", o: res(""), wantErr: ErrNoReturnedToken},
		{name: "garbage token", o: res("not.a.jwt"), wantErr: ErrTokenMalformed},
		{name: "neither", o: SDKOutcome{}, wantErr: ErrNoOutcome},
		{name: "both", o: SDKOutcome{Result: &SDKResult{}, Error: &SDKError{}}, wantErr: ErrNoOutcome},
		{name: "web batches", o: SDKOutcome{Result: &SDKResult{SmallcaseAuthToken: good, OrderBatches: []OrderBatch{batch}}}, wantID: verifyAuthID, batches: 1},
		{name: "data batches", o: SDKOutcome{Result: &SDKResult{SmallcaseAuthToken: good, Data: batchData}}, wantID: verifyAuthID, batches: 1},
		{name: "data batches as string", o: SDKOutcome{Result: &SDKResult{SmallcaseAuthToken: good, Data: batchString}}, wantID: verifyAuthID, batches: 1},
		{name: "odd data", o: SDKOutcome{Result: &SDKResult{SmallcaseAuthToken: good, Data: json.RawMessage(`{"batches":"x"}`)}}, wantID: verifyAuthID},
		{name: "sdk error", o: SDKOutcome{Error: &SDKError{Code: 1010, Message: "user_cancelled"}}, wantAs: new(*SDKError)},
		{name: "sdk error with token", o: SDKOutcome{Error: &SDKError{Code: 1012, Message: "user_cancelled", Data: &SDKErrorData{SmallcaseAuthToken: good, Broker: "kite"}}}, wantAs: new(*SDKError), wantID: verifyAuthID},
		{name: "sdk error with forged token", o: SDKOutcome{Error: &SDKError{Code: 1012, Message: "user_cancelled", Data: &SDKErrorData{SmallcaseAuthToken: mint("x", verifyAuthID, now.Add(time.Hour))}}}, wantAs: new(*SDKError)},
		{name: "sdk error with other user", o: SDKOutcome{Error: &SDKError{Code: 1001, Message: "user_mismatch", Data: &SDKErrorData{SmallcaseAuthToken: good}}}, expected: other, wantAs: new(*SDKError)},
	} {
		t.Run(c.name, func(t *testing.T) {
			vr, err := VerifyOutcome(c.o, verifySecret, c.expected, now)
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
			if vr.SmallcaseAuthID != c.wantID || vr.Token == nil || !vr.Token.SignatureValid || vr.Token.Kind != TokenConnected {
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
	tok, _ := MintConnectedToken(verifySecret, verifyAuthID, now.Add(time.Hour))
	_, err := VerifyOutcome(SDKOutcome{Result: &SDKResult{SmallcaseAuthToken: tok}}, verifySecret, "65a0c1d2e3f4a5b6c7d8e9f0", now)
	var mm *AuthIDMismatchError
	if !errors.As(err, &mm) || mm.Expected != "65a0c1d2e3f4a5b6c7d8e9f0" || mm.Got != verifyAuthID {
		t.Fatalf("err = %#v", err)
	}
}

// TestVerifyOutcomeWithoutExp: a connected token without exp is accepted,
// with a warning on the result and on the token.
func TestVerifyOutcomeWithoutExp(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"smallcaseAuthId": verifyAuthID}).SignedString([]byte(verifySecret))
	if err != nil {
		t.Fatal(err)
	}
	vr, err := VerifyOutcome(SDKOutcome{Result: &SDKResult{SmallcaseAuthToken: tok, Broker: "kite"}}, verifySecret, verifyAuthID, now)
	if err != nil || vr == nil || vr.SmallcaseAuthID != verifyAuthID {
		t.Fatalf("VerifyOutcome = %+v, %v", vr, err)
	}
	if len(vr.Warnings) != 1 || !strings.Contains(vr.Warnings[0], "no exp") || len(vr.Token.Warnings) != 1 {
		t.Fatalf("warnings = %q (token %q)", vr.Warnings, vr.Token.Warnings)
	}
	vr, err = VerifyOutcome(SDKOutcome{Error: &SDKError{Code: 1012, Message: "user_cancelled", Data: &SDKErrorData{SmallcaseAuthToken: tok}}}, verifySecret, "", now)
	if vr == nil || len(vr.Warnings) != 1 || err == nil {
		t.Fatalf("error with a token without exp: %+v %v", vr, err)
	}
	good, _ := MintConnectedToken(verifySecret, verifyAuthID, now.Add(time.Hour))
	if vr, err := VerifyOutcome(SDKOutcome{Result: &SDKResult{SmallcaseAuthToken: good}}, verifySecret, "", now); err != nil || len(vr.Warnings) != 0 {
		t.Fatalf("a token with exp warns: %+v %v", vr, err)
	}
}
