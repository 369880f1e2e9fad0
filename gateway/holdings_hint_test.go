package gateway

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
)

// A v1 answer that does not parse suggests the v2 shape.
func TestV1HoldingsThatDoNotParseSuggestV2(t *testing.T) {
	srv := httptest.NewServer(envelopeHandler(200, `{"success":true,"errors":null,"data":{"securities":[{"nseTicker":"TCS"}]}}`))
	defer srv.Close()
	_, err := newTestClient(srv.URL).FetchHoldings(context.Background(), "t", HoldingsOptions{})
	if err == nil || !strings.Contains(err.Error(), "--v2") {
		t.Fatalf("err = %v, want a hint at --v2", err)
	}
}
