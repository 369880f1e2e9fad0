package sandbox

import (
	"testing"

	"gatewalk/gateway"
)

// The product finds the sandbox's SDK script at gateway.SandboxSDKPath.
func TestSDKPathIsTheGatewayPackages(t *testing.T) {
	if SDKPath != gateway.SandboxSDKPath {
		t.Fatalf("SDKPath %q, gateway.SandboxSDKPath %q", SDKPath, gateway.SandboxSDKPath)
	}
}

func TestTestAccountsCarryTheirAuthID(t *testing.T) {
	accts := TestAccounts("acmegw")
	if len(accts) == 0 {
		t.Fatal("no test accounts")
	}
	for _, a := range accts {
		if a.SmallcaseAuthID != AuthID("acmegw", a.Broker, a.Account) || a.BrokerName == "" || a.Name == "" {
			t.Fatalf("account %+v", a)
		}
	}
}
