package svixapi

import (
	_ "embed"
	"net/http"
)

// openAPI describes the routes this package serves (kept by hand, checked
// against the routes by openapi_test.go).
//
//go:embed openapi-svix.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPI)
}
