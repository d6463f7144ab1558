package svixapi

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/hookd/hookd/api"
)

// TestOpenAPIMatchesRoutes keeps openapi-svix.json honest: exactly the
// routes the server registers, each with an operationId and a 2xx answer,
// and every $ref resolving.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi-svix.json is not valid JSON: %v", err)
	}
	var documented []string
	ids := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			route := strings.ToUpper(method) + " " + path
			documented = append(documented, route)
			op := o.(map[string]any)
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s: operationId %q missing or not unique", route, id)
			}
			ids[id] = true
			has2xx := false
			for status := range op["responses"].(map[string]any) {
				has2xx = has2xx || strings.HasPrefix(status, "2")
			}
			if !has2xx {
				t.Errorf("%s: no 2xx answer", route)
			}
		}
	}
	registered := New(api.New(nil, nil, api.Config{}, nil), nil, nil, nil).Routes()
	slices.Sort(documented)
	slices.Sort(registered)
	if !slices.Equal(documented, registered) {
		t.Errorf("documented routes:\n\t%s\nregistered routes:\n\t%s", strings.Join(documented, "\n\t"), strings.Join(registered, "\n\t"))
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if !resolves(doc, ref) {
					t.Errorf("$ref %q does not resolve", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}

func resolves(doc map[string]any, ref string) bool {
	var at any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := at.(map[string]any)
		if !ok {
			return false
		}
		if at, ok = m[part]; !ok {
			return false
		}
	}
	return true
}
