package gateway

import (
	"strings"
	"testing"
)

// TestWebErrorsAsDocumented: the web SDK's init errors have no numeric
// code and are explained as such; 1010, 1011 and 2000 mean what the
// official transaction-errors page says.
func TestWebErrorsAsDocumented(t *testing.T) {
	for _, name := range []string{"invalid_transactionId", "transaction_in_process", "invalid_gateway", "invalid_jwt"} {
		info := ExplainSDKError(0, name)
		if info.Code != 0 || !strings.Contains(info.Meaning, "no code on web") || info.Advice == "" {
			t.Errorf("%s: %+v", name, info)
		}
		if l := (&SDKError{Message: name}).Label(); l != name {
			t.Errorf("%s: label %q", name, l)
		}
	}
	if info := ExplainSDKError(90, "invalid_jwt"); info.Code != 90 {
		t.Errorf("the iOS code of invalid_jwt: %+v", info)
	}
	if info := ExplainSDKError(1011, "user_cancelled"); !strings.Contains(info.Meaning, "after choosing a broker, before logging in") {
		t.Errorf("1011: %+v", info)
	}
	if info := ExplainSDKError(1010, "user_cancelled"); !strings.Contains(info.Meaning, "broker chooser") {
		t.Errorf("1010: %+v", info)
	}
	for _, name := range []string{"internal_error", "api_error"} {
		if info := ExplainSDKError(2000, name); info.Code != 2000 || info.Name != name {
			t.Errorf("2000 %s: %+v", name, info)
		}
	}
	if l := (&SDKError{Code: 1010, Message: "user_cancelled"}).Label(); l != "user_cancelled (1010)" {
		t.Errorf("label %q", l)
	}
}
