package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

func TestUpdateEventType(t *testing.T) {
	db, _ := testDB(t)
	key, hash := service.NewKey()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.CreateAPIKey(t.Context(), &hookd.APIKey{Name: "admin", Role: hookd.RoleAdmin, Prefix: service.DisplayPrefix(key), Hash: hash}))
	must(db.CreateTenant(t.Context(), &hookd.Tenant{ID: "acme", Name: "Acme"}))
	s := New(db, nil, Config{}, nil)
	call := func(method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+key)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	const path = "/v1/event-types/order.paid"
	if w := call("POST", "/v1/event-types", `{"name":"order.paid","description":"Paid.","schema":{"type":"object","required":["id"]},"example":{"id":"o_1"}}`); w.Code != 201 {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	stored := func() *hookd.EventType {
		t.Helper()
		et, err := db.EventType(t.Context(), "order.paid")
		must(err)
		return et
	}
	before := stored()

	for body, field := range map[string]string{
		`{"schema":{"type":"nonsense"}}`:                      "schema",
		`{"schema":[1]}`:                                      "schema",
		`{"schema":{"type":"object","required":["amount"]}}`:  "example", // the kept example fails the new schema
		`{"example":{"other":1}}`:                             "example",
		`{"description":"` + strings.Repeat("d", 2001) + `"}`: "description",
	} {
		if w := call("PATCH", path, body); w.Code != 422 || !strings.Contains(w.Body.String(), `"field":"`+field) {
			t.Errorf("PATCH %s: %d %s, want 422 naming %s", body, w.Code, w.Body, field)
		}
	}
	for body, status := range map[string]int{`{"name":"renamed"}`: 422, `{"archived":"yes"}`: 422, `[`: 400} {
		if w := call("PATCH", path, body); w.Code != status {
			t.Errorf("PATCH %s: %d, want %d", body, w.Code, status)
		}
	}
	if got := stored(); got.Description != before.Description || string(got.Schema) != string(before.Schema) || got.Archived {
		t.Errorf("refused PATCHes changed the type: %+v", got)
	}
	if w := call("PATCH", "/v1/event-types/nobody.knows", `{"archived":true}`); w.Code != 404 {
		t.Errorf("PATCH of an unknown type: %d, want 404", w.Code)
	}

	w := call("PATCH", path, `{"description":"Paid in full.","schema":null,"example":{"any":true},"deprecated":true}`)
	var got hookd.EventType
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &got) != nil || got.Description != "Paid in full." || got.Schema != nil ||
		string(got.Example) != `{"any":true}` || !got.Deprecated || got.Archived {
		t.Errorf("PATCH: %d %s", w.Code, w.Body)
	}
	if et := stored(); et.Description != "Paid in full." || et.Schema != nil || !et.Deprecated {
		t.Errorf("stored after PATCH: %+v", et)
	}

	// Archived: an endpoint already subscribed keeps it, a new one cannot choose it.
	ep := `{"name":"Hook","url":"https://example.com/h","event_types":["order.paid"]}`
	if w := call("POST", "/v1/tenants/acme/endpoints", ep); w.Code != 201 {
		t.Fatalf("endpoint before archiving: %d %s", w.Code, w.Body)
	}
	if w := call("PATCH", path, `{"archived":true}`); w.Code != 200 || !strings.Contains(w.Body.String(), `"archived":true`) {
		t.Fatalf("archive: %d %s", w.Code, w.Body)
	}
	if w := call("POST", "/v1/tenants/acme/endpoints", ep); w.Code != 422 || !strings.Contains(w.Body.String(), "archived") ||
		!strings.Contains(w.Body.String(), `"field":"event_types"`) {
		t.Errorf("endpoint subscribing to an archived type: %d %s, want 422", w.Code, w.Body)
	}
	if n, err := db.CountEndpoints(t.Context(), "acme"); err != nil || n != 1 {
		t.Errorf("%d endpoints after the refusal, want 1 (%v)", n, err)
	}
	if w := call("POST", "/v1/tenants/acme/events", `{"type":"order.paid","data":{}}`); w.Code != http.StatusAccepted {
		t.Errorf("publishing an archived type: %d %s, want 202", w.Code, w.Body)
	}
}
