package dashboard

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/hookd/hookd"
)

// eventsView is the tenant-wide event log: newest first, filtered by type
// and a time range (in UTC), with a search box for ids.
type eventsView struct {
	base
	Events []*hookd.Event
	Query  string // the search box as sent
	Type   string
	Since  string // datetime-local values, read as UTC
	Until  string
	Types  []string
	Older  string            // URL of the next (older) page, or ""
	Errors map[string]string // by field: type, since, until
	// Missing says what the search looked for and did not find.
	Missing string
}

func eventsURL(tenant string) string { return tenantURL(tenant) + "/events" }
func eventURL(tenant, id string) string {
	return eventsURL(tenant) + "/" + url.PathEscape(id)
}

// eventsPage lists the tenant's events. A search for an event id opens its
// event page and one for a delivery id its delivery page; anything else
// filters by type.
func (h *Handler) eventsPage(c *call) error {
	ctx := c.r.Context()
	q := c.r.URL.Query()
	v := &eventsView{Query: strings.TrimSpace(q.Get("q")), Type: q.Get("type"), Since: q.Get("since"), Until: q.Get("until"), Errors: map[string]string{}}
	v.Title, v.Tenant, v.Nav = "Events", c.tenant, "events"
	if v.Query != "" {
		to, err := h.find(c, v.Query)
		if err != nil {
			return err
		}
		if to != "" {
			http.Redirect(c.w, c.r, to, http.StatusSeeOther)
			return nil
		}
		if strings.HasPrefix(v.Query, "evt_") || strings.HasPrefix(v.Query, "dlv_") || !hookd.ValidID(v.Query) {
			v.Missing = v.Query
		} else {
			v.Type = v.Query
		}
	}
	types, err := h.store.EventTypes(ctx)
	if err != nil {
		return err
	}
	for _, t := range types {
		v.Types = append(v.Types, t.Name)
	}
	var val hookd.Validation
	f := hookd.CheckEventFilter(&val, v.Type, utcInput(v.Since), utcInput(v.Until))
	if err := val.Err(); err != nil {
		fieldErrors(err, v.Errors, "type")
		h.render(c.w, c.r, c.who, http.StatusUnprocessableEntity, "events", v)
		return nil
	}
	p := hookd.Page{Limit: logPage + 1, Cursor: q.Get("cursor")}
	evs, err := h.store.Events(ctx, c.tenant.ID, f, p)
	if err != nil {
		return err
	}
	if len(evs) == p.Limit {
		evs = evs[:logPage]
		params := url.Values{"type": {v.Type}, "since": {v.Since}, "until": {v.Until}, "cursor": {evs[len(evs)-1].ID}}
		v.Older = eventsURL(c.tenant.ID) + "?" + params.Encode()
	}
	v.Events = evs
	h.render(c.w, c.r, c.who, http.StatusOK, "events", v)
	return nil
}

// find returns the page of the event or delivery with id s in the call's
// tenant, or "" when there is none.
func (h *Handler) find(c *call, s string) (string, error) {
	ctx := c.r.Context()
	if strings.HasPrefix(s, "dlv_") {
		d, err := h.store.Delivery(ctx, c.tenant.ID, s)
		if hookd.ErrorCode(err) == hookd.ENOTFOUND {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return deliveryURL(c.tenant.ID, d.ID), nil
	}
	// Publishers may choose their own event ids, so any text may be one.
	ev, err := h.store.Event(ctx, c.tenant.ID, s)
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return eventURL(c.tenant.ID, ev.ID), nil
}

// utcInput turns a datetime-local value ("2026-12-02T10:00", seconds
// optional) into RFC 3339 in UTC; anything else passes unchanged, for
// CheckEventFilter to refuse.
func utcInput(s string) string {
	switch len(s) {
	case len("2006-01-02T15:04"):
		return s + ":00Z"
	case len("2006-01-02T15:04:05"):
		return s + "Z"
	}
	return s
}

// eventRow is one delivery of an event, with its endpoint (nil when deleted).
type eventRow struct {
	D        *hookd.Delivery
	Endpoint *hookd.Endpoint
}

type eventView struct {
	base
	Event *hookd.Event
	Rows  []eventRow
}

// eventPage shows an event's payload and its delivery to every endpoint.
func (h *Handler) eventPage(c *call) error {
	ctx := c.r.Context()
	ev, err := h.store.Event(ctx, c.tenant.ID, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	ds, err := h.store.Deliveries(ctx, hookd.DeliveryFilter{TenantID: c.tenant.ID, EventID: ev.ID}, hookd.Page{Limit: hookd.MaxPageSize})
	if err != nil {
		return err
	}
	v := &eventView{Event: ev}
	for _, d := range ds {
		e, err := h.store.Endpoint(ctx, c.tenant.ID, d.EndpointID)
		if err != nil && hookd.ErrorCode(err) != hookd.ENOTFOUND {
			return err
		}
		v.Rows = append(v.Rows, eventRow{D: d, Endpoint: e})
	}
	v.Title, v.Tenant, v.Nav = "Event "+ev.ID, c.tenant, "events"
	h.render(c.w, c.r, c.who, http.StatusOK, "event", v)
	return nil
}
