package api

import (
	_ "embed"
	"net/http"
)

// openapi.json is kept by hand; TestOpenAPIMatchesRoutes fails when it and
// the registered routes disagree.
//
//go:embed openapi.json
var openAPI []byte

var serveOpenAPI = ServeDocument(openAPI)

// ServeDocument serves a JSON document (an OpenAPI description).
func ServeDocument(doc []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}
}
