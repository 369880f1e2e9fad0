package gateway

import (
	"strings"
	"testing"
)

func TestValidateGatewayName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"gatewaydemo", true},
		{"gatewaydemo-stag", true},
		{"acme_broking2", true},
		{"9lives", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"Acme", false},
		{"acme broking", false},
		{"-acme", false},
		{"acme/../x", false},
		{"acmé", false},
	} {
		err := ValidateGatewayName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateGatewayName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), "is not a gateway name") || !strings.Contains(err.Error(), "lower-case")) {
			t.Errorf("ValidateGatewayName(%q): %v does not say what a gateway name is", tc.name, err)
		}
	}
}
