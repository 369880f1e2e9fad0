package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
	"gatewalk/session"
	"gatewalk/session/flow"
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

// TestLoginWarnsOfATokenWithoutExp: a headless login whose SDK returns a
// connected token without exp saves the user, and prints the verify
// step's warning with the progress on stderr.
func TestLoginWarnsOfATokenWithoutExp(t *testing.T) {
	h := newHeadlessEnv(t)
	var out, errb syncBuffer
	c := &Factory{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] }, now: time.Now, stdinIsTerminal: func() bool { return false },
		emulators: flow.Emulators{
			New: func(cfg gateway.EmulatorConfig) flow.Emulator {
				return noExpSandbox{Server: sandbox.Embedded(cfg), secret: cfg.Secret}
			},
			TestAccounts: sandbox.TestAccounts,
		}}
	if code := Main(context.Background(), c, []string{"login", "--user", "alice", "--auto", "success"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	want := sandbox.AuthID(sandbox.DefaultGateway, "kite-leprechaun", "LEP001")
	if !strings.Contains(out.String(), "smallcaseAuthId: "+want) {
		t.Errorf("stdout:\n%s", out.String())
	}
	// The warning stands under the verify step's line.
	_, verify, ok := strings.Cut(errb.String(), "Verify the returned token")
	if !ok || !strings.Contains(verify, "warning: "+gateway.NoExpWarning) {
		t.Errorf("stderr has no warning of the missing exp after the verify step:\n%s", errb.String())
	}
	if u, err := h.store(t).User(session.BuiltinProfileName, "alice"); err != nil || u.SmallcaseAuthID != want {
		t.Errorf("stored %+v, %v", u, err)
	}
}
