package api

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// TestOpenAPIMatchesRoutes keeps the hand-written openapi.json honest: it
// must describe exactly the routes the server registers, and be internally
// consistent (unique operationIds, a 2xx answer each, no dangling $ref).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no paths object")
	}

	// Every "METHOD /path" the document describes, against the server's.
	s := New(nil, nil, Config{}, nil)
	documented := map[string]bool{}
	opIDs := map[string]string{}
	for path, v := range paths {
		item, ok := v.(map[string]any)
		if !ok {
			t.Errorf("paths[%q] is not an object", path)
			continue
		}
		for _, method := range openAPIMethods {
			o, ok := item[method]
			if !ok {
				continue
			}
			route := strings.ToUpper(method) + " " + path
			documented[route] = true
			op, ok := o.(map[string]any)
			if !ok {
				t.Errorf("%s: operation is not an object", route)
				continue
			}
			checkOperation(t, doc, route, path, item, op, opIDs)
		}
	}
	registered := map[string]bool{}
	for _, r := range s.Routes() {
		registered[r] = true
	}
	if missing := setDiff(registered, documented); len(missing) > 0 {
		t.Errorf("routes registered in api.go but missing from openapi.json:\n\t%s", strings.Join(missing, "\n\t"))
	}
	if extra := setDiff(documented, registered); len(extra) > 0 {
		t.Errorf("routes in openapi.json that the server does not register:\n\t%s", strings.Join(extra, "\n\t"))
	}

	// Every $ref, anywhere, must point at something that exists.
	walkRefs(doc, "#", func(at, ref string) {
		if !strings.HasPrefix(ref, "#/components/") {
			t.Errorf("%s: $ref %q does not point into #/components", at, ref)
			return
		}
		if _, err := resolvePointer(doc, ref); err != nil {
			t.Errorf("%s: $ref %q does not resolve: %v", at, ref, err)
		}
	})
}

// TestOpenAPIProblemCodes checks that the Problem schema lists every error
// code the server can answer with: the domain codes of statusOf, and the
// router's method_not_allowed.
func TestOpenAPIProblemCodes(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	enum, err := resolvePointer(doc, "#/components/schemas/Problem/properties/code/enum")
	if err != nil {
		t.Fatalf("Problem.code has no enum: %v", err)
	}
	documented := map[string]bool{}
	list, _ := enum.([]any)
	for _, c := range list {
		code, _ := c.(string)
		documented[code] = true
	}
	served := map[string]bool{"method_not_allowed": true}
	for code := range statusOf {
		served[code] = true
	}
	if missing := setDiff(served, documented); len(missing) > 0 {
		t.Errorf("error codes missing from Problem.code in openapi.json: %s", strings.Join(missing, ", "))
	}
	if extra := setDiff(documented, served); len(extra) > 0 {
		t.Errorf("Problem.code in openapi.json lists codes the server never sends: %s", strings.Join(extra, ", "))
	}
}

// checkOperation checks one operation: a unique operationId, a 2xx answer,
// and a declared path parameter for each {name} of its path.
func checkOperation(t *testing.T, doc map[string]any, route, path string, item, op map[string]any, opIDs map[string]string) {
	t.Helper()
	id, _ := op["operationId"].(string)
	switch {
	case id == "":
		t.Errorf("%s: no operationId", route)
	case opIDs[id] != "":
		t.Errorf("%s: operationId %q is already used by %s", route, id, opIDs[id])
	default:
		opIDs[id] = route
	}

	responses, _ := op["responses"].(map[string]any)
	has2xx := false
	for code := range responses {
		if n, err := strconv.Atoi(code); (err == nil && n >= 200 && n < 300) || code == "2XX" {
			has2xx = true
		}
	}
	if !has2xx {
		t.Errorf("%s: no 2xx response", route)
	}

	declared := map[string]bool{}
	for _, params := range []any{item["parameters"], op["parameters"]} {
		list, _ := params.([]any)
		for _, p := range list {
			param, _ := p.(map[string]any)
			if ref, ok := param["$ref"].(string); ok {
				r, err := resolvePointer(doc, ref)
				if err != nil {
					continue // reported by the $ref walk
				}
				param, _ = r.(map[string]any)
			}
			if param["in"] == "path" {
				name, _ := param["name"].(string)
				declared[name] = true
				if param["required"] != true {
					t.Errorf("%s: path parameter %q must be required", route, name)
				}
			}
		}
	}
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		if !declared[m[1]] {
			t.Errorf("%s: path parameter {%s} is not declared", route, m[1])
		}
		delete(declared, m[1])
	}
	for name := range declared {
		t.Errorf("%s: declares path parameter %q that is not in the path", route, name)
	}
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// walkRefs calls fn with the location and value of every "$ref" string.
func walkRefs(v any, at string, fn func(at, ref string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if ref, ok := child.(string); ok && k == "$ref" {
				fn(at, ref)
				continue
			}
			walkRefs(child, at+"/"+k, fn)
		}
	case []any:
		for i, child := range v {
			walkRefs(child, fmt.Sprintf("%s/%d", at, i), fn)
		}
	}
}

// resolvePointer follows a local JSON pointer such as "#/components/schemas/Tenant".
func resolvePointer(doc any, ref string) (any, error) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, fmt.Errorf("not a local reference")
	}
	frag, err := url.PathUnescape(frag)
	if err != nil {
		return nil, err
	}
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q: not an object", tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("no %q", tok)
		}
	}
	return cur, nil
}

// setDiff returns the keys of a that are not in b, sorted.
func setDiff(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
