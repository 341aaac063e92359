package httpapi

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the API's OpenAPI 3.1 document, served at /v1/openapi.json and
// kept in the repository as openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

// openAPI serves GET /v1/openapi.json, without authentication.
func (h *handler) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	writeRaw(w, http.StatusOK, OpenAPI)
}
