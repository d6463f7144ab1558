package client

import (
	"context"
	"iter"
)

// Tenants, the event-type catalogue and API keys: the deployment's own objects.

// CreateTenant creates a tenant. Creates are not retried after a 503 or a
// lost connection: a repeat of one that committed would be a 409.
func (c *Client) CreateTenant(ctx context.Context, in TenantCreate) (*Tenant, error) {
	return create[Tenant](ctx, c, "/v1/tenants", in)
}

// Tenant reads one tenant.
func (c *Client) Tenant(ctx context.Context, id string) (*Tenant, error) {
	return get[Tenant](ctx, c, path("v1", "tenants", id))
}

// UpdateTenant changes a tenant's name or in-flight cap.
func (c *Client) UpdateTenant(ctx context.Context, id string, in TenantUpdate) (*Tenant, error) {
	return send[Tenant](ctx, c, "PATCH", path("v1", "tenants", id), in, true)
}

// DeleteTenant deletes a tenant with everything it holds.
func (c *Client) DeleteTenant(ctx context.Context, id string) error {
	return c.do(ctx, call{method: "DELETE", path: path("v1", "tenants", id), idempotent: true}, nil)
}

// ListTenants reads one page of tenants, oldest first.
func (c *Client) ListTenants(ctx context.Context, opts ListOptions) (*Page[Tenant], error) {
	return list[Tenant](ctx, c, "/v1/tenants", opts.query())
}

// AllTenants iterates over every tenant the key can see.
func (c *Client) AllTenants(ctx context.Context) iter.Seq2[Tenant, error] {
	return all(ctx, ListOptions{Limit: 500}, c.ListTenants)
}

// CreateEventType adds a type to the catalogue (409 if it exists).
func (c *Client) CreateEventType(ctx context.Context, in EventTypeCreate) (*EventType, error) {
	return create[EventType](ctx, c, "/v1/event-types", in)
}

// EventType reads one type of the catalogue.
func (c *Client) EventType(ctx context.Context, name string) (*EventType, error) {
	return get[EventType](ctx, c, path("v1", "event-types", name))
}

// UpdateEventType edits a type of the catalogue.
func (c *Client) UpdateEventType(ctx context.Context, name string, in EventTypeUpdate) (*EventType, error) {
	return send[EventType](ctx, c, "PATCH", path("v1", "event-types", name), in, true)
}

// EventTypes reads the whole catalogue (one answer: it is not paged).
func (c *Client) EventTypes(ctx context.Context) ([]EventType, error) {
	p, err := list[EventType](ctx, c, "/v1/event-types", nil)
	if err != nil {
		return nil, err
	}
	return p.Data, nil
}

// CreateAPIKey creates a key; the answer holds the key itself, once.
func (c *Client) CreateAPIKey(ctx context.Context, in APIKeyCreate) (*CreatedAPIKey, error) {
	return create[CreatedAPIKey](ctx, c, "/v1/api-keys", in)
}

// APIKey reads one key's record.
func (c *Client) APIKey(ctx context.Context, id string) (*APIKey, error) {
	return get[APIKey](ctx, c, path("v1", "api-keys", id))
}

// DeleteAPIKey revokes a key.
func (c *Client) DeleteAPIKey(ctx context.Context, id string) error {
	return c.do(ctx, call{method: "DELETE", path: path("v1", "api-keys", id), idempotent: true}, nil)
}

// ListAPIKeys reads one page of keys.
func (c *Client) ListAPIKeys(ctx context.Context, opts ListOptions) (*Page[APIKey], error) {
	return list[APIKey](ctx, c, "/v1/api-keys", opts.query())
}

// AllAPIKeys iterates over every key the caller can see.
func (c *Client) AllAPIKeys(ctx context.Context) iter.Seq2[APIKey, error] {
	return all(ctx, ListOptions{Limit: 500}, c.ListAPIKeys)
}

// get reads one object.
func get[T any](ctx context.Context, c *Client, p string) (*T, error) {
	out := new(T)
	if err := c.do(ctx, call{method: "GET", path: p, idempotent: true}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// create posts in and decodes the created object.
func create[T any](ctx context.Context, c *Client, p string, in any) (*T, error) {
	return send[T](ctx, c, "POST", p, in, false)
}

// send sends in (nil: no body) and decodes the answer.
func send[T any](ctx context.Context, c *Client, method, p string, in any, idempotent bool) (*T, error) {
	cl := call{method: method, path: p, idempotent: idempotent}
	if in != nil {
		b, err := jsonBody(in)
		if err != nil {
			return nil, err
		}
		cl.body = b
	}
	out := new(T)
	if err := c.do(ctx, cl, out); err != nil {
		return nil, err
	}
	return out, nil
}
