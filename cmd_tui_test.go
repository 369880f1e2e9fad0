package main

import (
	"context"
	"strings"
	"testing"
)

func TestTUIFlags(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--demo", "-h"}, exitOK, "--no-browser"},
		{[]string{"--bogus"}, exitUsage, "bogus"},
		{[]string{"--profile", "sandbox", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"--demo"}, exitUsage, "the TUI needs a terminal"},
	}
	for _, tc := range cases {
		c, _, errb := testCLI("", nil)
		if code := run(context.Background(), c, tc.args); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, errb)
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: stderr %q lacks %q", tc.args, errb, tc.want)
		}
	}
	c, _, errb := testCLI("", nil)
	if code := run(context.Background(), c, nil); code != exitUsage || !strings.Contains(errb.String(), "needs a terminal") {
		t.Errorf("no args without a terminal: exit %d, %q", code, errb)
	}
}
