package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatewalk/session"
)

// usersBenchSizes are the numbers of local users the users benchmarks run
// at: the cost per user should stay flat from the first to the last.
var usersBenchSizes = []int{10, 1000, 10000}

// writeBenchUsers writes a users.json with n users of the built-in sandbox
// profile into a new config directory (every tenth user shares its
// smallcaseAuthId with the user before it) and returns the directory.
func writeBenchUsers(tb testing.TB, n int) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "cfg")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	us := make([]session.User, n)
	for i := range us {
		id := i
		if i%10 == 9 {
			id = i - 1
		}
		us[i] = session.User{Label: fmt.Sprintf("user-%06d", i), SmallcaseAuthID: fmt.Sprintf("%024x", id),
			Broker: "kite-leprechaun", Leprechaun: true, ConnectedAt: at, LastUsedAt: at.Add(time.Duration(i) * time.Second)}
	}
	b, err := json.Marshal(map[string]any{"version": session.SchemaVersion, "profiles": map[string][]session.User{"sandbox": us}})
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.json"), b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func benchUsersCommand(b *testing.B, args func(n int) []string, check string) {
	for _, n := range usersBenchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			env := map[string]string{"GATEWALK_CONFIG_DIR": writeBenchUsers(b, n)}
			c, out, errb := testCLI("", env)
			var stdout bytes.Buffer
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				out.Reset()
				if code := Main(context.Background(), c, args(n)); code != 0 {
					b.Fatalf("exit %d: %s", code, errb)
				}
			}
			b.StopTimer()
			stdout.Write(out.Bytes())
			if !strings.Contains(stdout.String(), check) {
				b.Fatalf("output lacks %q", check)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/user")
		})
	}
}

// BenchmarkUsersList runs 'gatewalk users list' on 10, 1,000 and 10,000
// users: ns/user should stay flat (it was quadratic).
func BenchmarkUsersList(b *testing.B) {
	benchUsersCommand(b, func(int) []string { return []string{"users", "list"} }, "(!)")
}

// BenchmarkUsersListJSON is BenchmarkUsersList with --json.
func BenchmarkUsersListJSON(b *testing.B) {
	benchUsersCommand(b, func(int) []string { return []string{"users", "list", "--json"} }, `"sharedWith"`)
}

// BenchmarkUsersShow runs 'gatewalk users show' for the last user, who
// shares its id: reading and sorting the users stays, building every
// user's view is gone.
func BenchmarkUsersShow(b *testing.B) {
	benchUsersCommand(b, func(n int) []string { return []string{"users", "show", fmt.Sprintf("user-%06d", n-1)} }, "same id as:")
}
