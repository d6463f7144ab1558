package client

import (
	"context"
	"iter"
	"time"
)

// EventQuery filters a tenant's events; zero fields match all.
type EventQuery struct {
	ListOptions
	Type  string    // an event type
	Since time.Time // created at or after
	Until time.Time // created before
}

// ListEvents reads one page of a tenant's events, newest first, test events
// excepted.
func (c *Client) ListEvents(ctx context.Context, tenant string, q EventQuery) (*Page[Event], error) {
	v := q.query()
	if q.Type != "" {
		v.Set("type", q.Type)
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	return list[Event](ctx, c, path("v1", "tenants", tenant, "events"), v)
}

// AllEvents iterates over every event q matches.
func (c *Client) AllEvents(ctx context.Context, tenant string, q EventQuery) iter.Seq2[Event, error] {
	return all(ctx, q.ListOptions, func(ctx context.Context, o ListOptions) (*Page[Event], error) {
		q.ListOptions = o
		return c.ListEvents(ctx, tenant, q)
	})
}

// EventDeliveries reads one page of an event's deliveries: one per
// endpoint it went to, newest first.
func (c *Client) EventDeliveries(ctx context.Context, tenant, eventID string, o ListOptions) (*Page[Delivery], error) {
	return list[Delivery](ctx, c, path("v1", "tenants", tenant, "events", eventID, "deliveries"), o.query())
}
