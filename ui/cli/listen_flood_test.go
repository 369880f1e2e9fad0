package cli

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gatewalk/gateway"
	"gatewalk/session"
)

// TestListenFloodPrintsNoRawControlBytes: a flood of 25 MB of bad posts
// (100 bodies of 250 KiB whose every field carries escape sequences, raw
// 8-bit controls included), with hostile valid postbacks and malformed
// bodies among them, from 8 senders at once. Every request is answered as
// it should be and printed, and nothing listen printed, as text or as
// JSON lines, holds a control byte but newlines and tabs.
func TestListenFloodPrintsNoRawControlBytes(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		t.Run(map[bool]string{false: "text", true: "json"}[asJSON], func(t *testing.T) {
			dir := t.TempDir()
			listenStore(t, dir)
			var args []string
			if asJSON {
				args = append(args, "--json")
			}
			url, out, errb, stop := startListen(t, map[string]string{"GATEWALK_CONFIG_DIR": dir}, args...)

			x := evil + rawMark
			// 24 bytes a unit once encoded: each body is about 250 KiB.
			filler := strings.Repeat("\x1b[2J\x07"+rawMark+"x", (250<<10)/24)
			type post struct {
				body []byte
				want int
			}
			var posts []post
			for i := range 100 {
				posts = append(posts, post{rawJSON(t, map[string]any{"timestamp": strconv.Itoa(i) + x, "smallcaseAuthId": "id" + x,
					"transactionId": "TRX_known" + x, "event": "ORDER_COMPLETED" + x, "status": "COMPLETED" + x,
					"checksum": "bad" + x, "data": map[string]any{"pad" + x: filler}}), http.StatusUnauthorized})
			}
			for i := range 40 {
				p := signedPostback(t, "TRX_known", gateway.EventOrderCompleted+x, session.DemoSecret)
				p.Timestamp = fmt.Sprintf("17637264%05d", i)
				p.Status = gateway.Status("COMPLETED" + x)
				p.Sign(session.DemoSecret)
				posts = append(posts, post{rawJSON(t, p), http.StatusOK})
			}
			for range 20 {
				posts = append(posts, post{[]byte("{\"event\":\"\x1b]52;c;aGk=\x07" + rawC1 + "\""), http.StatusBadRequest})
			}
			flood := 0
			for _, p := range posts[:100] {
				flood += len(p.body)
			}
			if flood < 25e6 {
				t.Fatalf("the flood is %d bytes, want 25 MB", flood)
			}

			var wg sync.WaitGroup
			next := make(chan post)
			for range 8 {
				wg.Go(func() {
					for p := range next {
						resp, err := http.Post(url, "application/json", bytes.NewReader(p.body))
						if err != nil {
							t.Error(err)
							continue
						}
						resp.Body.Close()
						if resp.StatusCode != p.want {
							t.Errorf("answered %d, want %d", resp.StatusCode, p.want)
						}
					}
				})
			}
			// Interleaved: the valid and malformed ones arrive during the flood.
			for i := range 100 {
				next <- posts[i]
				if j := 100 + i*60/100; i%5 == 0 && j < len(posts) {
					for k := j; k < min(j+3, len(posts)); k++ {
						next <- posts[k]
					}
				}
			}
			close(next)
			wg.Wait()
			if code := stop(); code != 0 {
				t.Fatalf("listen exited %d: %s", code, errb.String())
			}

			all := out.String() + errb.String()
			if m := findRawControl(all); m != "" {
				i := strings.Index(all, m)
				t.Fatalf("listen printed the raw control %q: ...%q...", m, all[max(0, i-80):min(len(all), i+80)])
			}
			lines := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d `)
			if asJSON {
				lines = regexp.MustCompile(`(?m)^\{"`)
			}
			if n := len(lines.FindAllString(out.String(), -1)); n != len(posts) {
				t.Fatalf("%d requests printed, want %d:\n%s", n, len(posts), out.String())
			}
			if !strings.Contains(errb.String(), "160 requests") {
				t.Errorf("the summary does not count 160 requests:\n%s", errb.String())
			}
		})
	}
}
