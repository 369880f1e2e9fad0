package session

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The writer process: the test binary run again with these variables set.
const (
	writerDirEnv    = "GATEWALK_TEST_WRITER_DIR"
	writerPrefixEnv = "GATEWALK_TEST_WRITER_PREFIX"
	writerCountEnv  = "GATEWALK_TEST_WRITER_COUNT" // 0: until killed
)

// TestStoreWriterProcess is not a test on its own: it is the body of the
// writer processes started by the tests below.
func TestStoreWriterProcess(t *testing.T) {
	dir := os.Getenv(writerDirEnv)
	if dir == "" {
		t.Skip("runs only as a writer process")
	}
	prefix := os.Getenv(writerPrefixEnv)
	count, _ := strconv.Atoi(os.Getenv(writerCountEnv))
	s, _, err := OpenStore(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Continue after the users a killed predecessor saved.
	us, err := s.Users("sandbox")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	next := 0
	for _, u := range us {
		if strings.HasPrefix(u.Label, prefix+"-") {
			next++
		}
	}
	fmt.Println("ready")
	base := 0
	if prefix == "b" {
		base = 1 << 20
	}
	for i := next; count == 0 || i < count; i++ {
		u := User{Label: fmt.Sprintf("%s-%05d", prefix, i), SmallcaseAuthID: authID(base + i), Broker: "leprechaun"}
		if err := s.SaveUser("sandbox", u, false); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	os.Exit(0)
}

func writerCmd(t *testing.T, dir, prefix string, count int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestStoreWriterProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), writerDirEnv+"="+dir, writerPrefixEnv+"="+prefix, writerCountEnv+"="+strconv.Itoa(count))
	cmd.Stderr = os.Stderr
	return cmd
}

// readUsersFile parses users.json the way a fresh process would.
func readUsersFile(t *testing.T, dir string) []User {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, usersFile))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var d usersDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("users.json does not parse after a killed write: %v\n%.200s", err, b)
	}
	return d.Profiles["sandbox"]
}

func TestKilledWriterLeavesOldOrNewState(t *testing.T) {
	if runtime.GOOS == "windows" || testing.Short() {
		t.Skip("SIGKILL loop")
	}
	dir := filepath.Join(t.TempDir(), "cfg")
	s, _, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A few hundred users make each write long enough to be cut.
	for i := range 300 {
		if err := s.SaveUser("sandbox", User{Label: fmt.Sprintf("seed-%03d", i), SmallcaseAuthID: authID(1<<22 + i)}, false); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	prev, leftovers := 0, 0
	const rounds = 40
	for round := range rounds {
		cmd := writerCmd(t, dir, "k", 0)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.Contains(line, "ready") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("writer did not start: %q %v", line, err)
		}
		if round%2 == 0 {
			// Aim at the window between the temporary file and the rename.
			waitForTemp(dir, 2*time.Second)
		} else {
			time.Sleep(time.Duration(1+rng.IntN(40)) * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: writer ended on its own: %v", round, err)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), tmpMarker) {
				leftovers++
			}
		}
		// The file parses and holds a state some write committed: the
		// seeds and users k-00000..k-N without a gap, never fewer than before.
		users := readUsersFile(t, dir)
		seen := map[string]bool{}
		n := 0
		for _, u := range users {
			seen[u.Label] = true
			if strings.HasPrefix(u.Label, "k-") {
				n++
			}
		}
		for i := range 300 {
			if !seen[fmt.Sprintf("seed-%03d", i)] {
				t.Fatalf("round %d: seed-%03d lost", round, i)
			}
		}
		for i := range n {
			if !seen[fmt.Sprintf("k-%05d", i)] {
				t.Fatalf("round %d: %d k-users but k-%05d missing", round, n, i)
			}
		}
		if n < prev {
			t.Fatalf("round %d: %d k-users, fewer than the %d before", round, n, prev)
		}
		prev = n
	}
	if prev == 0 {
		t.Fatal("no writer committed anything: the test did not exercise writes")
	}
	if leftovers == 0 {
		t.Fatal("no kill landed mid-write: the test did not exercise a torn write")
	}
	// Kills that landed between CreateTemp and rename leave a temporary file;
	// the next open removes it.
	t.Logf("%d rounds, %d users written, %d kills left a temporary file", rounds, prev, leftovers)
	if _, _, err := OpenStore(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), tmpMarker) {
			t.Errorf("temporary file %s left after open", e.Name())
		}
	}
}

func TestConcurrentWriterProcessesLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("processes")
	}
	dir := filepath.Join(t.TempDir(), "cfg")
	if _, _, err := OpenStore(dir); err != nil {
		t.Fatal(err)
	}
	const each = 100
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, prefix := range []string{"a", "b"} {
		cmd := writerCmd(t, dir, prefix, each)
		cmd.Stdout = nil
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				errs <- fmt.Errorf("writer %s: %w", prefix, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s, _, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	us, err := s.Users("sandbox")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, u := range us {
		seen[u.Label] = true
	}
	for _, prefix := range []string{"a", "b"} {
		for i := range each {
			if l := fmt.Sprintf("%s-%05d", prefix, i); !seen[l] {
				t.Errorf("%s lost", l)
			}
		}
	}
	if len(us) != 2*each {
		t.Fatalf("%d users, want %d", len(us), 2*each)
	}
}

func TestConcurrentGoroutinesLoseNothing(t *testing.T) {
	s := openTestStore(t)
	// A second Store on the same directory, as a second process would have.
	s2, _, err := OpenStore(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		st := s
		if g%2 == 1 {
			st = s2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if err := st.AddHistory("sandbox", HistoryEntry{TransactionID: fmt.Sprintf("TRX_%d_%d", g, i)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	h, err := s.History("sandbox")
	if err != nil || len(h) != 80 {
		t.Fatalf("history after concurrent adds: %d %v", len(h), err)
	}
}

// waitForTemp returns once a writer's temporary file exists in dir.
func waitForTemp(dir string, limit time.Duration) {
	for end := time.Now().Add(limit); time.Now().Before(end); {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), tmpMarker) {
				return
			}
		}
	}
}
