package dashboard

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

// Operator pages: every tenant, and the event-type catalogue.

type tenantsView struct {
	base
	Tenants []*hookd.Tenant
	Older   string // URL of the next page
	Search  string // id prefix or name part
	Form    struct{ ID, Name string }
	Errors  map[string]string
}

func (h *Handler) tenants(c *call) error {
	return h.renderTenants(c, http.StatusOK, &tenantsView{Errors: map[string]string{}})
}

func (h *Handler) renderTenants(c *call, status int, v *tenantsView) error {
	p := hookd.Page{Limit: 101, Cursor: c.r.URL.Query().Get("cursor")}
	v.Search = strings.TrimSpace(c.r.URL.Query().Get("q"))
	ts, err := h.store.Tenants(c.r.Context(), hookd.TenantFilter{Search: v.Search}, p)
	if err != nil {
		return err
	}
	if len(ts) == p.Limit {
		ts = ts[:p.Limit-1]
		v.Older = Prefix + "/tenants?" + url.Values{"cursor": {ts[len(ts)-1].ID}, "q": {v.Search}}.Encode()
	}
	v.Tenants, v.Title, v.Nav = ts, "Tenants", "tenants"
	h.render(c.w, c.r, c.who, status, "tenants", v)
	return nil
}

func (h *Handler) createTenant(c *call) error {
	v := &tenantsView{Errors: map[string]string{}}
	v.Form.ID = strings.TrimSpace(c.r.PostFormValue("id"))
	v.Form.Name = strings.TrimSpace(c.r.PostFormValue("name"))
	var id *string // empty: generated
	if v.Form.ID != "" {
		id = &v.Form.ID
	}
	t, err := service.NewTenant(id, v.Form.Name, nil)
	if err == nil {
		err = h.store.CreateTenant(c.r.Context(), t)
	}
	if fieldErrors(err, v.Errors, "id") {
		return h.renderTenants(c, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	return h.redirectDone(c, tenantURL(t.ID), "tenant", "")
}

type eventTypesView struct {
	base
	Types  []*hookd.EventType
	Form   eventTypeForm
	Errors map[string]string
}

// eventTypeForm is the add and edit forms of a catalogue entry.
type eventTypeForm struct {
	Name, Description, Schema, Example string
	Deprecated, Archived               bool
}

func readEventTypeForm(r *http.Request) eventTypeForm {
	return eventTypeForm{
		Name:        strings.TrimSpace(r.PostFormValue("name")),
		Description: strings.TrimSpace(r.PostFormValue("description")),
		Schema:      strings.TrimSpace(r.PostFormValue("schema")),
		Example:     strings.TrimSpace(r.PostFormValue("example")),
		Deprecated:  r.PostFormValue("deprecated") != "",
		Archived:    r.PostFormValue("archived") != "",
	}
}

// apply sets the form's fields on et (not its name); an empty schema or
// example removes it.
func (f eventTypeForm) apply(et *hookd.EventType) {
	et.Description, et.Deprecated, et.Archived = f.Description, f.Deprecated, f.Archived
	et.Schema, et.Example = nil, nil
	if f.Schema != "" {
		et.Schema = json.RawMessage(f.Schema)
	}
	if f.Example != "" {
		et.Example = json.RawMessage(f.Example)
	}
}

func (h *Handler) eventTypes(c *call) error {
	return h.renderEventTypes(c, http.StatusOK, &eventTypesView{Errors: map[string]string{}})
}

func (h *Handler) renderEventTypes(c *call, status int, v *eventTypesView) error {
	types, err := h.store.EventTypes(c.r.Context())
	if err != nil {
		return err
	}
	v.Types, v.Title, v.Nav = types, "Event types", "event-types"
	h.render(c.w, c.r, c.who, status, "event_types", v)
	return nil
}

// createEventType adds a type to the catalogue, checked as the API checks it.
func (h *Handler) createEventType(c *call) error {
	v := &eventTypesView{Errors: map[string]string{}, Form: readEventTypeForm(c.r)}
	et := &hookd.EventType{Name: v.Form.Name}
	v.Form.apply(et)
	err := service.CheckEventType(et)
	if err == nil {
		err = h.store.CreateEventType(c.r.Context(), et)
	}
	if fieldErrors(err, v.Errors, "name") {
		return h.renderEventTypes(c, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	return h.redirectDone(c, Prefix+"/event-types", "type-added", "")
}

type eventTypeEditView struct {
	base
	Form   eventTypeForm
	Errors map[string]string
}

// editEventTypePage shows a catalogue entry's edit form.
func (h *Handler) editEventTypePage(c *call) error {
	et, err := h.store.EventType(c.r.Context(), c.r.PathValue("name"))
	if err != nil {
		return err
	}
	f := eventTypeForm{Name: et.Name, Description: et.Description, Deprecated: et.Deprecated, Archived: et.Archived}
	if et.Schema != nil {
		f.Schema = prettyJSON(et.Schema)
	}
	if et.Example != nil {
		f.Example = prettyJSON(et.Example)
	}
	return h.renderEventTypeEdit(c, http.StatusOK, &eventTypeEditView{Form: f, Errors: map[string]string{}})
}

func (h *Handler) renderEventTypeEdit(c *call, status int, v *eventTypeEditView) error {
	v.Title, v.Nav = "Edit "+v.Form.Name, "event-types"
	h.render(c.w, c.r, c.who, status, "event_type_edit", v)
	return nil
}

// updateEventType saves the edit form, checked as the API's PATCH is.
func (h *Handler) updateEventType(c *call) error {
	v := &eventTypeEditView{Form: readEventTypeForm(c.r), Errors: map[string]string{}}
	v.Form.Name = c.r.PathValue("name")
	_, err := h.store.UpdateEventType(c.r.Context(), v.Form.Name, func(et *hookd.EventType) error {
		v.Form.apply(et)
		return service.CheckEventType(et)
	})
	if fieldErrors(err, v.Errors, "description") {
		return h.renderEventTypeEdit(c, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	return h.redirectDone(c, Prefix+"/event-types#type-"+url.PathEscape(v.Form.Name), "type-saved", "")
}

// fieldErrors puts a validation or conflict error's messages by field into
// errs (a conflict goes to field conflictField) and reports whether err was
// one of those.
func fieldErrors(err error, errs map[string]string, conflictField string) bool {
	var e *hookd.Error
	if !errors.As(err, &e) || (e.Code != hookd.EINVALID && e.Code != hookd.ECONFLICT) {
		return false
	}
	if len(e.Fields) == 0 {
		errs[conflictField] = e.Message
	}
	for _, f := range e.Fields {
		key := formField(f.Field)
		if errs[key] != "" {
			errs[key] += "; "
		}
		errs[key] += f.Message
	}
	return true
}

// formField is the form input a validation error's field names: a
// sub-form's field is its own (config.url, auth.type), but a header
// (headers.X-Api-Key) is the headers set, a list's item (config.brokers[1])
// its list and a place in a document (schema/properties) the document.
func formField(field string) string {
	field, _, _ = strings.Cut(field, "[")
	field, _, _ = strings.Cut(field, "/")
	if set, _, ok := strings.Cut(field, "."); ok && set == "headers" {
		return set
	}
	return field
}
