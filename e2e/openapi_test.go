package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// openAPIDocuments are the OpenAPI documents hookd serves, each with a walk
// that sends requests to every operation it describes. A document joins
// with one row.
var openAPIDocuments = []struct {
	path string
	walk func(t *testing.T, h *hookdProc, hc *http.Client)
}{
	{"/openapi.json", nativeWalk},
	{"/openapi-svix.json", svixWalk},
}

// TestOpenAPIWire validates every answer the real binary gives, success
// and error, against the document it serves (kin-openapi's openapi3filter,
// with JSON Schema 2020-12 for OpenAPI 3.1): bodies, content types and
// statuses (an undocumented status fails); and every request the server
// accepted against the document too. Every operation must have been
// answered with a 2xx and, where it documents any, a 4xx.
func TestOpenAPIWire(t *testing.T) {
	for _, d := range openAPIDocuments {
		t.Run(strings.TrimPrefix(d.path, "/"), func(t *testing.T) {
			t.Parallel()
			h := startHookd(t, config{extraArgs: []string{"--allow-secret-reveal"}})
			v := newWireValidator(t, h, d.path)
			d.walk(t, h, &http.Client{Transport: v})
			v.checkCoverage(t)
		})
	}
}

// nativeWalk covers the native API: every call of the client package
// (goClientWalk), the unauthenticated routes, and each /v1 operation
// without a key.
func nativeWalk(t *testing.T, h *hookdProc, hc *http.Client) {
	goClientWalk(t, h, hc)
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		resp, err := hc.Get(h.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// A body that is not JSON: 400.
	req, _ := http.NewRequest("POST", h.url+"/v1/tenants", strings.NewReader("{"))
	req.Header.Set("Authorization", "Bearer "+h.key)
	if resp, err := hc.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a broken body: %v %v, want 400", resp, err)
	} else {
		resp.Body.Close()
	}
	// A time the client could not send: 422 naming the parameter.
	req, _ = http.NewRequest("GET", h.url+"/v1/tenants/outlet/events?since=yesterday", nil)
	req.Header.Set("Authorization", "Bearer "+h.key)
	if resp, err := hc.Do(req); err != nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("events since yesterday: %v %v, want 422", resp, err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"since"`) {
			t.Errorf("events since yesterday: %s, want a problem naming since", b)
		}
	}
	egressWalk(t, h, hc)
	unauthorizedWalk(t, h, hc, "/v1/")
}

// svixWalk covers the Svix-compatible API: the SDK tour of TestSvixSDK
// through hc, the document itself, and each /api/v1 operation without a key.
func svixWalk(t *testing.T, h *hookdProc, hc *http.Client) {
	svixTour(t, &fixture{t: t, h: h, admin: h.admin(), seq: new(atomic.Int64)}, hc)
	resp, err := hc.Get(h.url + "/openapi-svix.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	unauthorizedWalk(t, h, hc, "/api/v1/")
}

// unauthorizedWalk sends each operation under prefix without a key: 401.
func unauthorizedWalk(t *testing.T, h *hookdProc, hc *http.Client, prefix string) {
	v := hc.Transport.(*wireValidator)
	for _, op := range v.operations() {
		if !strings.HasPrefix(op.path, prefix) {
			continue
		}
		var body io.Reader
		if op.method == "POST" || op.method == "PATCH" {
			body = strings.NewReader("{}")
		}
		req, _ := http.NewRequest(op.method, h.url+pathParam.ReplaceAllString(op.path, "x"), body)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without a key: %d, want 401", op.method, op.path, resp.StatusCode)
		}
	}
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// wireValidator is an http.RoundTripper that validates each answer against
// a document and records which operations answered which statuses.
type wireValidator struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string][]int // operationId: statuses validated
}

func newWireValidator(t *testing.T, h *hookdProc, docPath string) *wireValidator {
	resp, err := http.Get(h.url + docPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", docPath, resp.StatusCode, err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("%s does not load: %v", docPath, err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Errorf("%s is not a valid document (examples included): %v", docPath, err)
	}
	doc.Servers = openapi3.Servers{{URL: h.url}} // route the test server's requests
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("%s: router: %v", docPath, err)
	}
	return &wireValidator{t: t, doc: doc, router: router, seen: map[string][]int{}}
}

func (v *wireValidator) RoundTrip(req *http.Request) (*http.Response, error) {
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		v.t.Errorf("%s %s: no operation of the document: %v", req.Method, req.URL.Path, err)
	}
	var sent []byte // the request body, to validate a request the server accepted
	if req.Body != nil {
		if sent, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(sent))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || route == nil {
		return resp, err
	}
	reqIn := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if resp.StatusCode/100 == 2 {
		// The document must allow what the server accepts: a generated
		// client would refuse to send it otherwise.
		check := req.Clone(req.Context())
		check.Body = io.NopCloser(bytes.NewReader(sent))
		reqIn.Request = check
		if err := openapi3filter.ValidateRequest(req.Context(), reqIn); err != nil {
			v.t.Errorf("%s %s was accepted (%d) but the document refuses the request: %v", req.Method, req.URL.Path, resp.StatusCode, err)
		}
		reqIn.Request = req
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqIn,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/event-stream" {
		in.Options.ExcludeResponseBody = true // a stream: the caller reads it
	} else {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		in.SetBodyBytes(b)
	}
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		v.t.Errorf("%s %s answered %d against the document: %v", req.Method, req.URL.Path, resp.StatusCode, err)
	}
	v.mu.Lock()
	v.seen[route.Operation.OperationID] = append(v.seen[route.Operation.OperationID], resp.StatusCode)
	v.mu.Unlock()
	return resp, nil
}

type operation struct{ method, path, id string }

func (v *wireValidator) operations() []operation {
	var ops []operation
	for p, item := range v.doc.Paths.Map() {
		for m, op := range item.Operations() {
			ops = append(ops, operation{m, p, op.OperationID})
		}
	}
	slices.SortFunc(ops, func(a, b operation) int { return strings.Compare(a.path+a.method, b.path+b.method) })
	return ops
}

// checkCoverage fails for each operation not answered with a 2xx, or, when
// it needs a key, with a 4xx (the public ones answer errors only when the
// node is down or configured so).
func (v *wireValidator) checkCoverage(t *testing.T) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, op := range v.operations() {
		statuses := v.seen[op.id]
		o := v.doc.Paths.Find(op.path).GetOperation(op.method)
		public := o.Security != nil && len(*o.Security) == 0
		if !slices.ContainsFunc(statuses, func(s int) bool { return s/100 == 2 }) {
			t.Errorf("%s %s (%s): no 2xx answer validated (got %v)", op.method, op.path, op.id, statuses)
		}
		if !public && !slices.ContainsFunc(statuses, func(s int) bool { return s/100 == 4 }) {
			t.Errorf("%s %s (%s): no 4xx answer validated (got %v)", op.method, op.path, op.id, statuses)
		}
	}
	t.Logf("%d operations, answers validated: %s", len(v.seen), fmt.Sprint(v.seen))
}
