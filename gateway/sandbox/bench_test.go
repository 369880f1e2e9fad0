package sandbox_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gatewalk/gateway"
	"gatewalk/gateway/sandbox"
)

var benchBody = []byte(`{"intent":"TRANSACTION","orderConfig":{"type":"SECURITIES","securities":[{"ticker":"TCS","quantity":1,"type":"BUY"}]}}`)

// BenchmarkCreateTransaction creates transactions through real loopback
// HTTP with keep-alive clients in parallel and reports requests per second.
func BenchmarkCreateTransaction(b *testing.B) {
	s := sandbox.New(sandbox.Config{})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	url := base + "/gateway/gatewaydemo/transaction"
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(benchBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(gateway.HeaderSecret, sandbox.DefaultAPISecret)
			req.Header.Set(gateway.HeaderAuthToken, docsGuestToken)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("HTTP %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkCreateTransactionInProcess measures the handler alone.
func BenchmarkCreateTransactionInProcess(b *testing.B) {
	s := sandbox.New(sandbox.Config{})
	defer s.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/gateway/gatewaydemo/transaction", strings.NewReader(string(benchBody)))
		req.Header.Set(gateway.HeaderSecret, sandbox.DefaultAPISecret)
		req.Header.Set(gateway.HeaderAuthToken, docsGuestToken)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("HTTP %d", w.Code)
		}
	}
}
