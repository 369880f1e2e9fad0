package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"gatewalk/ui/present"
)

// orderDetailsProxy puts a proxy in front of the external sandbox of
// profile ext whose order-details endpoint answers with answer (nil: as
// the sandbox does).
func orderDetailsProxy(t *testing.T, h *headlessEnv, answer func(w http.ResponseWriter)) {
	t.Helper()
	externalSandbox(t, h)
	st := h.store(t)
	p, err := st.Profile("ext")
	if err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(p.APIURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/engine/orders/sst") && answer != nil {
			answer(w)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	p.APIURL = proxy.URL
	if err := st.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
}

// TestOrderResultsFromTheSDKFirst: an order journey reports the batches the
// SDK resolved with; the order-details call is a second opinion whose
// failure, empty answer or disagreement is a warning, never a failed
// journey, and the transactionId printed is the one gatewalk created.
func TestOrderResultsFromTheSDKFirst(t *testing.T) {
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter)
		warn   string
		source string
	}{
		{"agrees", nil, "", "SDK result"},
		{"fails", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"success":false,"errors":["internal error"],"data":null}`))
		}, "the order-details call failed", "SDK result"},
		{"not_found", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`<html>Not Found</html>`))
		}, "the order-details call failed", "SDK result"},
		{"empty", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"success":true,"errors":null,"data":{"batches":[]}}`))
		}, "answered no batches", "SDK result"},
		{"differs", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"success":true,"errors":null,"data":{"batches":[{"batchId":"other","status":"PLACED","orders":[{"tradingsymbol":"TCS","status":"OPEN"}]}]}}`))
		}, "differ from the SDK result", "SDK result"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHeadlessEnv(t)
			orderDetailsProxy(t, h, tc.answer)
			code, out, errb := h.run(t, "order", "--profile", "ext", "--user", "alice", "--buy", "TCS:2", "--auto", "success", "--json")
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, errb)
			}
			var rep present.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if !rep.OK || !strings.HasPrefix(rep.TransactionID, "TRX_") {
				t.Fatalf("report ok=%v transactionId %q", rep.OK, rep.TransactionID)
			}
			var warnings []string
			var orders *present.StepReport
			for i, st := range rep.Steps {
				warnings = append(warnings, st.Warnings...)
				if st.Name == "fetch_orders" {
					orders = &rep.Steps[i]
				}
			}
			if orders == nil || !strings.Contains(orders.Summary, "1 order in 1 batch: 1 COMPLETE") || !strings.Contains(orders.Summary, tc.source) {
				t.Fatalf("orders step: %+v", orders)
			}
			joined := strings.Join(warnings, "\n")
			if tc.warn == "" && joined != "" {
				t.Errorf("warnings when the sources agree: %s", joined)
			}
			if !strings.Contains(joined, tc.warn) {
				t.Errorf("warnings %q lack %q", joined, tc.warn)
			}
			// Without --json the batches print and the warning is on stderr.
			code, out, errb = h.run(t, "order", "--profile", "ext", "--user", "alice", "--buy", "TCS:2", "--auto", "success")
			if code != exitOK || !strings.Contains(out, "TCS") || !strings.Contains(out, "COMPLETE") || !strings.Contains(errb, tc.warn) {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errb)
			}
			hist, err := h.store(t).History("ext")
			if err != nil || len(hist) == 0 || hist[len(hist)-1].Status != "COMPLETED" {
				t.Errorf("history: %+v %v", hist, err)
			}
		})
	}
}
