package sandbox

import (
	"bytes"
	_ "embed"
	"encoding/json"
)

//go:embed web/openapi.json
var openAPITemplate []byte

// openAPIDocument is the OpenAPI 3.1 description with this sandbox's
// gateway name and base URL filled in.
func openAPIDocument(gatewayName, baseURL string) []byte {
	if baseURL == "" {
		baseURL = "/"
	}
	q := func(s string) []byte { b, _ := json.Marshal(s); return b[1 : len(b)-1] }
	doc := bytes.ReplaceAll(openAPITemplate, []byte("__SERVER__"), q(baseURL))
	return bytes.ReplaceAll(doc, []byte("__GATEWAY__"), q(gatewayName))
}

// OpenAPI returns the sandbox's OpenAPI 3.1 document (served at /openapi.json).
func (s *Server) OpenAPI() []byte { return openAPIDocument(s.cfg.Gateway, s.URL()) }
