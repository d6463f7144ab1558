package dashboard

import (
	"context"
	"net/url"
	"time"

	"github.com/hookd/hookd"
)

// Delivery log paging. The store filters by status; the event type is
// filtered here, reading at most logScan deliveries per page.
const (
	logPage = 50
	logScan = 5000
)

// deliveryLog is the delivery table of an endpoint page.
type deliveryLog struct {
	Rows   []*hookd.Delivery
	Status string // filter
	Type   string // filter
	Cursor string // this page starts after this id ("" first page)
	Older  string // URL of the next (older) page, or ""
	URL    string // this log's fragment URL, polled while it is the first page
	// Types and Statuses fill the filter form.
	Types    []string
	Statuses []string
}

// Live reports whether the log refreshes itself (only its first page does).
func (l *deliveryLog) Live() bool { return l.Cursor == "" }

var logStatuses = []string{hookd.StatusDelivered, hookd.StatusRetrying, hookd.StatusFailed, hookd.StatusPaused, hookd.StatusPending, hookd.StatusCancelled}

// readLog reads one page of an endpoint's deliveries, newest first, as the
// request's ?status=, ?type= and ?cursor= ask.
func (h *Handler) readLog(c *call, e *hookd.Endpoint) (*deliveryLog, error) {
	q := c.r.URL.Query()
	l := &deliveryLog{Status: q.Get("status"), Type: q.Get("type"), Cursor: q.Get("cursor"), Statuses: logStatuses}
	if l.Status != "" && !hookd.ValidStatus(l.Status) {
		l.Status = ""
	}
	types, err := h.store.EventTypes(c.r.Context())
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		l.Types = append(l.Types, t.Name)
	}
	f := hookd.DeliveryFilter{TenantID: c.tenant.ID, EndpointID: e.ID, Status: l.Status}
	rows, next, err := h.scanDeliveries(c.r.Context(), f, l.Type, l.Cursor)
	if err != nil {
		return nil, err
	}
	l.Rows = rows
	params := url.Values{}
	if l.Status != "" {
		params.Set("status", l.Status)
	}
	if l.Type != "" {
		params.Set("type", l.Type)
	}
	base := endpointURL(c.tenant.ID, e.ID)
	l.URL = base + "/log?" + params.Encode()
	if next != "" {
		params.Set("cursor", next)
		l.Older = base + "?" + params.Encode() + "#deliveries"
	}
	return l, nil
}

// scanDeliveries returns up to logPage deliveries after cursor whose event
// type is eventType (any when ""), and the cursor of the next page ("" when
// there is none).
func (h *Handler) scanDeliveries(ctx context.Context, f hookd.DeliveryFilter, eventType, cursor string) ([]*hookd.Delivery, string, error) {
	var out []*hookd.Delivery
	limit := logPage + 1
	if eventType != "" {
		limit = 500
	}
	for scanned := 0; ; {
		batch, err := h.store.Deliveries(ctx, f, hookd.Page{Limit: limit, Cursor: cursor})
		if err != nil {
			return nil, "", err
		}
		for _, d := range batch {
			scanned++
			cursor = d.ID
			if eventType != "" && d.EventType != eventType {
				continue
			}
			if out = append(out, d); len(out) > logPage {
				return out[:logPage], out[logPage-1].ID, nil
			}
		}
		if len(batch) < limit {
			return out, "", nil
		}
		if scanned >= logScan {
			return out, cursor, nil // more may match further back
		}
	}
}

// lastDay is the endpoint's traffic of the last 24 hours: deliveries by
// status, and attempts by hour.
func (h *Handler) lastDay(ctx context.Context, tenantID, endpointID string, now time.Time) (*hookd.EndpointStats, error) {
	return h.store.EndpointStats(ctx, tenantID, endpointID, now.Add(-23*time.Hour))
}

// deliveryLog serves the log alone: what htmx polls while the page is open.
func (h *Handler) deliveryLog(c *call) error {
	e, err := h.store.Endpoint(c.r.Context(), c.tenant.ID, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	l, err := h.readLog(c, e)
	if err != nil {
		return err
	}
	v := &endpointView{Endpoint: e, Log: l}
	v.Tenant, v.Who, v.CSRF = c.tenant, c.who, c.who.CSRF
	h.write(c.w, 200, "endpoint", "log", v)
	return nil
}

type deliveryView struct {
	base
	D        *hookd.Delivery
	Endpoint *hookd.Endpoint // nil when it was deleted
	Event    *hookd.Event    // nil when purged
	Final    bool            // delivered or failed: nothing more will happen by itself
}

func (h *Handler) deliveryPage(c *call) error {
	ctx := c.r.Context()
	d, err := h.store.Delivery(ctx, c.tenant.ID, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	v := &deliveryView{D: d, Final: d.Status == hookd.StatusDelivered || d.Status == hookd.StatusFailed || d.Status == hookd.StatusCancelled}
	if v.Endpoint, err = h.store.Endpoint(ctx, c.tenant.ID, d.EndpointID); err != nil && hookd.ErrorCode(err) != hookd.ENOTFOUND {
		return err
	}
	if v.Event, err = h.store.Event(ctx, c.tenant.ID, d.EventID); err != nil && hookd.ErrorCode(err) != hookd.ENOTFOUND {
		return err
	}
	v.Title, v.Tenant = "Delivery "+d.ID, c.tenant
	h.render(c.w, c.r, c.who, 200, "delivery", v)
	return nil
}

func (h *Handler) replayDelivery(c *call) error {
	d, err := h.store.ReplayDelivery(c.r.Context(), c.tenant.ID, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	h.notify()
	return h.redirectDone(c, deliveryURL(c.tenant.ID, d.ID), "replayed", "")
}
