package service

import (
	"context"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// VisibleTenants lists one page of the tenants key may see: every tenant,
// or, for a tenant-scoped key, its own only.
func VisibleTenants(ctx context.Context, store hookd.TenantStore, key *hookd.APIKey, p hookd.Page) ([]*hookd.Tenant, error) {
	if key.TenantID == "" {
		return store.Tenants(ctx, hookd.TenantFilter{}, p)
	}
	t, err := store.Tenant(ctx, key.TenantID)
	if err != nil || p.Cursor != "" {
		return nil, err
	}
	return []*hookd.Tenant{t}, nil
}

// NewTenant validates a new tenant: id is the operator's own (nil: one is
// generated) and must be a valid id; the name is required; maxInFlight is
// its own in-flight cap (nil: the deployment default). The API and the
// dashboard both apply it.
func NewTenant(id *string, name string, maxInFlight *int) (*hookd.Tenant, error) {
	var v hookd.Validation
	t := &hookd.Tenant{ID: ids.New(ids.Tenant), Name: name}
	if maxInFlight != nil {
		hookd.CheckTenantMaxInFlight(&v, "max_in_flight", *maxInFlight)
		t.MaxInFlight = *maxInFlight
	}
	if id != nil {
		if !hookd.ValidID(*id) {
			v.Add("id", "must be 1-128 letters, digits, '_', '.', ':' or '-', starting with a letter or digit")
		}
		t.ID = *id
	}
	hookd.CheckName(&v, "name", t.Name)
	return t, v.Err()
}
