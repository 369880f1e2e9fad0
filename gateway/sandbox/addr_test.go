package sandbox_test

import (
	"errors"
	"strings"
	"testing"

	"gatewalk/gateway/sandbox"
)

// TestCheckAddr: malformed addresses and ports out of range are refused
// before any listening, with an *AddrError that says which it is.
func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr        string
		remote      bool
		ok          bool
		notLoopback bool
		want        string
	}{
		{addr: "127.0.0.1:8771", ok: true},
		{addr: "127.0.0.1:0", ok: true},
		{addr: "[::1]:65535", ok: true},
		{addr: "localhost:9000", ok: true},
		{addr: "banana", want: "want HOST:PORT"},
		{addr: "", want: "want HOST:PORT"},
		{addr: "127.0.0.1:99999", want: `port "99999"`},
		{addr: "127.0.0.1:-1", want: `port "-1"`},
		{addr: "127.0.0.1:http", want: `port "http"`},
		{addr: "0.0.0.0:0", notLoopback: true, want: "not a loopback address"},
		{addr: ":8771", notLoopback: true, want: "not a loopback address"},
		{addr: "0.0.0.0:0", remote: true, ok: true},
		{addr: "0.0.0.0:99999", remote: true, want: `port "99999"`},
	} {
		err := sandbox.CheckAddr(tc.addr, tc.remote)
		if tc.ok {
			if err != nil {
				t.Errorf("CheckAddr(%q, %v) = %v", tc.addr, tc.remote, err)
			}
			continue
		}
		var ae *sandbox.AddrError
		if !errors.As(err, &ae) || ae.NotLoopback != tc.notLoopback || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckAddr(%q, %v) = %v, want an *AddrError (not loopback: %v) saying %q", tc.addr, tc.remote, err, tc.notLoopback, tc.want)
		}
	}
	s := sandbox.New(sandbox.Config{})
	defer s.Close()
	var ae *sandbox.AddrError
	if _, err := s.Start("127.0.0.1:99999"); !errors.As(err, &ae) {
		t.Errorf("Start(127.0.0.1:99999) = %v, want an *AddrError", err)
	}
}

func TestCheckGatewayName(t *testing.T) {
	for _, ok := range []string{"gatewaydemo", "acme-broking", "acme_2", "9gw"} {
		if err := sandbox.CheckGatewayName(ok); err != nil {
			t.Errorf("CheckGatewayName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Bad Name!", "BAD GW", "GatewayDemo", "-gw", "a/b", "gw?x=1", strings.Repeat("a", 65)} {
		if err := sandbox.CheckGatewayName(bad); err == nil {
			t.Errorf("CheckGatewayName(%q) accepted", bad)
		}
	}
}
