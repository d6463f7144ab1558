package client

import (
	"context"
	"iter"
)

// DeliveryQuery filters a tenant's deliveries; empty fields match all.
type DeliveryQuery struct {
	ListOptions
	Endpoint string // an endpoint id
	Event    string // an event id
	Status   string // pending, retrying, delivered, failed, paused
}

// ListDeliveries reads one page of a tenant's deliveries, newest first.
func (c *Client) ListDeliveries(ctx context.Context, tenant string, q DeliveryQuery) (*Page[Delivery], error) {
	v := q.query()
	for k, s := range map[string]string{"endpoint": q.Endpoint, "event": q.Event, "status": q.Status} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return list[Delivery](ctx, c, path("v1", "tenants", tenant, "deliveries"), v)
}

// AllDeliveries iterates over every delivery q matches.
func (c *Client) AllDeliveries(ctx context.Context, tenant string, q DeliveryQuery) iter.Seq2[Delivery, error] {
	return all(ctx, q.ListOptions, func(ctx context.Context, o ListOptions) (*Page[Delivery], error) {
		q.ListOptions = o
		return c.ListDeliveries(ctx, tenant, q)
	})
}

// Delivery reads one delivery with its attempts.
func (c *Client) Delivery(ctx context.Context, tenant, id string) (*DeliveryDetail, error) {
	return get[DeliveryDetail](ctx, c, path("v1", "tenants", tenant, "deliveries", id))
}

// Attempts reads a delivery's attempt log, oldest first.
func (c *Client) Attempts(ctx context.Context, tenant, deliveryID string) ([]Attempt, error) {
	d, err := c.Delivery(ctx, tenant, deliveryID)
	if err != nil {
		return nil, err
	}
	return d.Attempts, nil
}

// Replay sends a delivery again, whatever its state (409 while one is in flight).
func (c *Client) Replay(ctx context.Context, tenant, id string) (*DeliveryDetail, error) {
	return send[DeliveryDetail](ctx, c, "POST", path("v1", "tenants", tenant, "deliveries", id, "replay"), nil, false)
}
