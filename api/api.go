// Package api holds the OpenAPI description of dncsync's HTTP API (openapi.yaml), served by the
// service at /openapi.yaml and checked against the real routes and handlers by the tests.
package api

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the document.
//
//go:embed openapi.yaml
var OpenAPI []byte

// ServeOpenAPI answers GET /openapi.yaml.
func ServeOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(OpenAPI)
}
