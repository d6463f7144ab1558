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

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPI)
}
