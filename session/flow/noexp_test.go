package flow

import (
	"context"
	"slices"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
)

// noExpSandbox is the embedded sandbox whose SDK answers a resolved
// result with a connected token that has no exp: the same user, signed
// with the gateway's secret.
type noExpSandbox struct {
	*sandbox.Server
	secret string
}

func (s noExpSandbox) Play(ctx context.Context, transactionID string, a gateway.AutoAnswer) (gateway.SDKOutcome, error) {
	out, err := s.Server.Play(ctx, transactionID, a)
	if err != nil || out.Result == nil {
		return out, err
	}
	info, err := gateway.InspectToken(out.Result.SmallcaseAuthToken, s.Now())
	if err != nil {
		return out, err
	}
	out.Result.SmallcaseAuthToken, err = jwt.NewWithClaims(jwt.SigningMethodHS256,
		jwt.MapClaims{"smallcaseAuthId": info.SmallcaseAuthID}).SignedString([]byte(s.secret))
	return out, err
}

// noExpEmulators hands the runner a noExpSandbox.
var noExpEmulators = Emulators{
	New: func(c gateway.EmulatorConfig) Emulator {
		return noExpSandbox{Server: sandbox.Embedded(c), secret: c.Secret}
	},
	TestAccounts: sandbox.TestAccounts,
}

// TestVerifyWarnsOfATokenWithoutExp: a connected token the SDK returns
// without exp is accepted (the user is saved), and the verify step carries
// the warning, which every front end shows from the step.
func TestVerifyWarnsOfATokenWithoutExp(t *testing.T) {
	st := newStore(t)
	r := setup(t, st, Options{Auto: gateway.ScenarioSuccess, Emulators: noExpEmulators})
	login := r.GuestLogin("alice")
	mustRun(t, login)
	v := login.Step(VerifyResult)
	if v.TokenInfo == nil || v.TokenInfo.Payload["exp"] != nil || v.TokenInfo.SmallcaseAuthID != defaultAuthID() {
		t.Fatalf("the verified token is not the sandbox's user without exp: %+v", v.TokenInfo)
	}
	if !slices.Contains(v.Warnings, gateway.NoExpWarning) {
		t.Errorf("verify step warnings %q, want %q", v.Warnings, gateway.NoExpWarning)
	}
	if u, err := st.User(session.BuiltinProfileName, "alice"); err != nil || u.SmallcaseAuthID != defaultAuthID() {
		t.Errorf("the user was not saved: %+v, %v", u, err)
	}
}
