package cli

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"

	"gatewalk/session"
)

// TestUserViewsShareByAuthID: the map-based views (list) and the single
// view (show) name, in order, every other label with the same id: the
// answer of comparing every pair.
func TestUserViewsShareByAuthID(t *testing.T) {
	var us []session.User
	for i := range 40 {
		us = append(us, session.User{Label: fmt.Sprintf("u%02d", i), SmallcaseAuthID: fmt.Sprintf("%024x", i%7%5)})
	}
	views := newUserViews(us)
	for i, u := range us {
		var want []string
		for _, o := range us {
			if o.Label != u.Label && o.SmallcaseAuthID == u.SmallcaseAuthID {
				want = append(want, o.Label)
			}
		}
		if !slices.Equal(views[i].SharedWith, want) || views[i].Label != u.Label {
			t.Errorf("%s: list shares with %v, want %v", u.Label, views[i].SharedWith, want)
		}
		got, v, ok := findUserView(us, u.Label)
		if !ok || got != u || !slices.Equal(v.SharedWith, want) {
			t.Errorf("%s: show shares with %v, want %v", u.Label, v.SharedWith, want)
		}
	}
	if _, _, ok := findUserView(us, "nobody"); ok {
		t.Error("found nobody")
	}
}

// TestWriteAlignedMatchesTabwriter: the users table is laid out exactly as
// text/tabwriter lays it out, wide characters and empty cells included.
func TestWriteAlignedMatchesTabwriter(t *testing.T) {
	rows := [][]string{
		{"LABEL", "SMALLCASEAUTHID", "BROKER", "LAST USED"},
		{"alice", "3c531258adf3e6ac7d74db81", "kite-leprechaun", "just now"},
		{"bob-with-a-long-label", "0123 (!)", "", "2d ago"},
		{"kāvya", "x", "upstox-leprechaun", "never"},
	}
	var want, got strings.Builder
	tw := tabwriter.NewWriter(&want, 2, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	if err := writeAligned(&got, rows); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("writeAligned:\n%s\ntabwriter:\n%s", got.String(), want.String())
	}
}
