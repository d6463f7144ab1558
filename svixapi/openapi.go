package svixapi

import (
	_ "embed"

	"github.com/hookd/hookd/api"
)

// openapi-svix.json describes the routes this package serves, kept by
// hand; TestOpenAPIMatchesRoutes fails when it and the routes disagree.
//
//go:embed openapi-svix.json
var openAPI []byte

var serveOpenAPI = api.ServeDocument(openAPI)
