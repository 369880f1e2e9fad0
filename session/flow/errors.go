package flow

import (
	"errors"
	"fmt"
	"strings"

	"gatewalk/gateway"
	"gatewalk/session"
)

// UnknownUserError is a connected journey started for a label the profile
// has no user for.
type UnknownUserError struct {
	Profile, Label string
	Err            error // the store's error
}

func (e *UnknownUserError) Error() string {
	return fmt.Sprintf("profile %q has no user %q: connect one first with `gatewalk login --user %s` (`gatewalk users list` shows the users)",
		e.Profile, e.Label, e.Label)
}

func (e *UnknownUserError) Unwrap() error { return e.Err }

// AutoNotSandboxError is Options.Auto on a profile that is not the sandbox.
type AutoNotSandboxError struct {
	Profile string
	Env     gateway.Environment
}

func (e *AutoNotSandboxError) Error() string {
	return fmt.Sprintf("--auto works only on the sandbox: profile %q is %s, where the SDK step needs a real browser and broker login (use --profile sandbox, or drop --auto)", e.Profile, e.Env)
}

// MissingKeysError is a profile without a secret or apiSecret.
type MissingKeysError struct {
	Profile string
	Missing []string // "secret", "apiSecret"
}

func (e *MissingKeysError) Error() string {
	return fmt.Sprintf("profile %q has no %s: set GATEWALK_SECRET and GATEWALK_API_SECRET for this run, or store the keys with `gatewalk profile edit %s --secrets-stdin`",
		e.Profile, strings.Join(e.Missing, " or "), e.Profile)
}

// Problem explains a failed step for people: what happened, what to do,
// and which step to run again.
type Problem struct {
	Code    int    `json:"code,omitempty"`
	Name    string `json:"name,omitempty"`
	Meaning string `json:"meaning"`
	Advice  string `json:"advice,omitempty"`
	// Redo is the step to RetryFrom ("" when the input must change first).
	Redo StepKind `json:"redo,omitempty"`
}

// Explain turns a step's error into a Problem.
func Explain(err error) Problem {
	var (
		sdk  *gateway.SDKError
		api  *gateway.APIError
		dup  *session.DuplicateAuthIDError
		mm   *session.AuthIDMismatchError
		uu   *UnknownUserError
		busy *session.PortBusyError
		ve   *gateway.ValidationError
	)
	switch {
	case err == nil:
		return Problem{}
	case errors.As(err, &sdk):
		info := gateway.ExplainSDKError(sdk.Code, sdk.Message)
		redo := CreateTransaction
		if info.Redo == gateway.StepKeys {
			redo = MintToken
		}
		return Problem{Code: sdk.Code, Name: sdk.Message, Meaning: info.Meaning, Advice: info.Advice, Redo: redo}
	case errors.Is(err, session.ErrJourneyExpired):
		return Problem{Name: "transaction_expired", Meaning: "the transaction expired before the SDK result came back (a transactionId lives 5 minutes)",
			Advice: "Create a fresh transaction and finish the browser step within 5 minutes.", Redo: CreateTransaction}
	case errors.As(err, &api):
		p := Problem{Code: api.Status, Name: string(api.Kind()), Meaning: api.Error(), Advice: api.Hint()}
		switch api.Kind() {
		case gateway.KindExpired:
			p.Redo = CreateTransaction
		case gateway.KindServer, gateway.KindOther, gateway.KindNotFound:
			p.Redo = MintToken
		}
		return p
	case errors.As(err, &dup):
		return Problem{Name: "duplicate_smallcase_auth_id", Meaning: err.Error(),
			Advice: "Both labels would name the same broker account. Confirm to save anyway (--allow-duplicate), or log in with another broker account.", Redo: SaveUser}
	case errors.As(err, &mm):
		return Problem{Name: "smallcase_auth_id_mismatch", Meaning: err.Error(),
			Advice: "Run the journey again and log in with the broker account the user connected first.", Redo: CreateTransaction}
	case errors.As(err, &uu):
		return Problem{Name: "unknown_user", Meaning: err.Error(), Advice: fmt.Sprintf("Connect the user first: gatewalk login --user %s", uu.Label)}
	case errors.As(err, &busy):
		return Problem{Name: "port_busy", Meaning: err.Error(), Advice: "Stop the program holding the port, or use a profile with another whitelisted callback port.", Redo: OpenBrowser}
	case errors.As(err, &ve):
		return Problem{Name: "invalid_request", Meaning: err.Error(), Advice: "Fix the field named and start again."}
	case errors.Is(err, gateway.ErrTokenSignature):
		return Problem{Name: "invalid_token", Meaning: err.Error(),
			Advice: "The returned smallcaseAuthToken is not signed with the profile's secret: check that the profile's secret belongs to this gateway.", Redo: MintToken}
	case errors.Is(err, gateway.ErrTokenExpired):
		return Problem{Name: "expired_token", Meaning: err.Error(), Advice: "Start again: the returned token had already expired (check this machine's clock).", Redo: MintToken}
	}
	return Problem{Meaning: err.Error(), Advice: "Try the step again.", Redo: ""}
}
