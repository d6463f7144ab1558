package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

func TestCatalogueEdit(t *testing.T) {
	e := newEnv(t, nil)
	must(t, e.store.CreateEventType(t.Context(), &hookd.EventType{Name: "contact.deleted", Description: "Gone."}))
	named := e.endpoint("a", "Named hook", nil)
	types := []string{"contact.created"}
	_, err := e.store.UpdateEndpoint(t.Context(), "a", named.ID, hookd.EndpointUpdate{EventTypes: &types})
	must(t, err)

	u := e.user().signedInWithKey(e.adminKey)
	const edit = "/dashboard/event-types/contact.created/edit"
	csrf := u.csrf(edit)
	for field, form := range map[string]url.Values{
		"schema":  {"schema": {`{"type":"nonsense"}`}},
		"example": {"schema": {`{"type":"object","required":["id"]}`}, "example": {`{"name":"x"}`}},
	} {
		form.Set("csrf", csrf)
		form.Set("description", "changed")
		form.Set("archived", "on")
		if p := u.post(edit, form); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="et-`+field+`-error"`) {
			t.Errorf("bad %s: %d, want 422 with the field's error", field, p.status)
		}
	}
	if et, err := e.store.EventType(t.Context(), "contact.created"); err != nil || et.Description != "A contact was added." || et.Archived || et.Schema != nil {
		t.Errorf("refused edits changed the type: %+v, %v", et, err)
	}

	p := u.post(edit, url.Values{"csrf": {csrf}, "description": {"Added."}, "schema": {`{"type":"object"}`}, "example": {`{"id":"c_1"}`}, "archived": {"on"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.status, p.body)
	}
	et, err := e.store.EventType(t.Context(), "contact.created")
	if err != nil || et.Description != "Added." || !et.Archived || et.Deprecated || string(et.Schema) != `{"type":"object"}` {
		t.Errorf("saved type: %+v, %v", et, err)
	}
	if p := u.get("/dashboard/event-types"); !strings.Contains(p.body, "archived") || !strings.Contains(p.body, edit) {
		t.Errorf("catalogue does not flag the archived type or link its edit form")
	}
	if p := u.post("/dashboard/event-types/contact.deleted/edit", url.Values{"csrf": {csrf}, "description": {"Gone."}, "deprecated": {"on"}}); p.status != http.StatusSeeOther {
		t.Fatalf("deprecate: %d", p.status)
	}

	box := func(name string) string { return `name="event_types" value="` + name + `"` }
	add := u.get("/dashboard/t/a/endpoints/new")
	if strings.Contains(add.body, box("contact.created")) || !strings.Contains(add.body, box("contact.deleted")) || !strings.Contains(add.body, "deprecated") {
		t.Errorf("add-endpoint picker: the archived type is offered, or the deprecated one is missing or unflagged")
	}
	// An endpoint subscribed to it by name still sees (and keeps) its own.
	if p := u.get(endpointURL("a", named.ID) + "/edit"); !strings.Contains(p.body, box("contact.created")) {
		t.Errorf("the edit form of an endpoint subscribed to the archived type does not show it")
	}
	if p := u.get(endpointURL("a", e.epA.ID) + "/edit"); strings.Contains(p.body, box("contact.created")) {
		t.Errorf("the edit form of an endpoint of every type offers the archived type")
	}
	if p := u.get("/dashboard/event-types/no.such/edit"); p.status != http.StatusNotFound {
		t.Errorf("edit form of an unknown type: %d", p.status)
	}
	// Tenants' sessions do not reach the catalogue.
	if p := e.user().signedIn("a", hookd.RoleAdmin).get(edit); p.status != http.StatusNotFound {
		t.Errorf("a portal session opened the catalogue editor: %d", p.status)
	}
}

func TestTenantSearch(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedInWithKey(e.adminKey)
	p := u.get("/dashboard/tenants?q=" + url.QueryEscape("tenant b"))
	if p.status != 200 || !strings.Contains(p.body, `href="/dashboard/t/b"`) || strings.Contains(p.body, `href="/dashboard/t/a"`) {
		t.Errorf("search by name part: %d, want tenant b only", p.status)
	}
	if p := u.get("/dashboard/tenants?q=zzz"); !strings.Contains(p.body, "No tenant matches") {
		t.Errorf("search without matches does not say so")
	}
}

// TestFormField: an error's field names the form input it is shown on.
func TestFormField(t *testing.T) {
	for field, want := range map[string]string{"name": "name", "headers.X-Api-Key": "headers", "headers.a.b": "headers",
		"config.url": "config.url", "auth.type": "auth.type", "config.brokers[1]": "config.brokers", "schema/properties/id": "schema"} {
		if got := formField(field); got != want {
			t.Errorf("formField(%q) = %q, want %q", field, got, want)
		}
	}
}
