package cli

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gatewalk/gateway"
	"gatewalk/session"
)

// listen --forward-to delivers each verified postback to a real loopback
// backend byte for byte, prints the backend's status beside the
// verification, and counts the forwards that failed.
func TestListenForwardTo(t *testing.T) {
	type hit struct {
		body []byte
		ct   string
	}
	hits := make(chan hit, 8)
	status := make(chan int, 8)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hits <- hit{b, r.Header.Get("Content-Type")}
		w.WriteHeader(<-status)
	}))
	defer backend.Close()
	dir := t.TempDir()
	listenStore(t, dir)
	url, out, errb, stop := startListen(t, map[string]string{"GATEWALK_CONFIG_DIR": dir}, "--forward-to", backend.URL+"/smallcase")

	valid := []byte(pbJSON(t, signedPostback(t, "TRX_known", gateway.EventOrderCompleted, session.DemoSecret)) + "\n")
	status <- 200
	if code := postTo(t, url, string(valid)); code != 200 {
		t.Fatalf("answer %d", code)
	}
	if h := <-hits; !bytes.Equal(h.body, valid) || h.ct != "application/json" {
		t.Fatalf("backend got %q (%s)", h.body, h.ct)
	}
	if code := postTo(t, url, pbJSON(t, signedPostback(t, "TRX_known", gateway.EventOrderPlaced, "wrong"))); code != 401 {
		t.Fatalf("bad checksum answered %d", code)
	}
	status <- 503
	if code := postTo(t, url, pbJSON(t, signedPostback(t, "TRX_known", gateway.EventOrderPlaced, session.DemoSecret))); code != 200 {
		t.Fatalf("answer %d", code)
	}
	<-hits
	if code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if len(hits) != 0 {
		t.Fatal("the postback with a bad checksum was forwarded")
	}
	rows := map[string]string{}
	for _, l := range strings.Split(out.String(), "\n") {
		for _, ev := range []string{"ORDER_COMPLETED", "ORDER_PLACED"} {
			if strings.Contains(l, ev) {
				rows[ev+" "+strings.Fields(l)[4]] = l
			}
		}
	}
	for key, fwd := range map[string]string{"ORDER_COMPLETED ok": "200", "ORDER_PLACED BAD": "-", "ORDER_PLACED ok": "503"} {
		f := strings.Fields(rows[key])
		if len(f) < 7 || f[6] != fwd {
			t.Errorf("%s: FWD column %v, want %s\n%s", key, f, fwd, out)
		}
	}
	if !strings.Contains(out.String(), "FWD") || !strings.Contains(out.String(), "forward failed (1 of 2 so far): the backend answered HTTP 503") {
		t.Errorf("no header or failure note:\n%s", out)
	}
	if !strings.Contains(errb.String(), "1 delivered (2xx), 1 refused (non-2xx), 0 unreachable, 0 dropped") {
		t.Errorf("no forward summary:\n%s", errb)
	}
}

func TestListenForwardToUsage(t *testing.T) {
	for _, args := range [][]string{
		{"listen", "--forward-to", "http://partner.example/hook"},
		{"listen", "--forward-to", "file:///etc/passwd"},
		{"listen", "--allow-insecure"},
	} {
		c, _, errb := testCLI("", map[string]string{"GATEWALK_CONFIG_DIR": t.TempDir()})
		if code := Main(t.Context(), c, args); code != exitUsage {
			t.Errorf("%v: exit %d (%s)", args, code, errb)
		}
	}
}
