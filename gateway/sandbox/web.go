package sandbox

import (
	_ "embed"
	"net/http"
)

//go:embed web/scdk.js
var scdkJS []byte

//go:embed web/scdk.css
var scdkCSS []byte

func (s *Server) handleScript(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, r, "text/javascript; charset=utf-8", scdkJS)
}

func (s *Server) handleCSS(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, r, "text/css; charset=utf-8", scdkCSS)
}

// serveAsset serves an embedded file to any origin (a script tag needs no
// CORS, but a page may also fetch it).
func serveAsset(w http.ResponseWriter, r *http.Request, ctype string, body []byte) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	w.Write(body)
}
