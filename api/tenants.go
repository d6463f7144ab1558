package api

import (
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

type tenantInput struct {
	ID   *string `json:"id"`
	Name *string `json:"name"`
}

func (s *Server) createTenant(w http.ResponseWriter, r *http.Request) error {
	var in tenantInput
	if err := decode(w, r, &in, 64<<10); err != nil {
		return err
	}
	name := ""
	if in.Name != nil {
		name = *in.Name
	}
	t, err := NewTenant(in.ID, name)
	if err != nil {
		return err
	}
	if err := s.store.CreateTenant(r.Context(), t); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	var tenants []*hookd.Tenant
	if scope := caller(r).TenantID; scope != "" {
		// A tenant-scoped key sees its own tenant only.
		t, err := s.store.Tenant(r.Context(), scope)
		if err != nil {
			return err
		}
		if p.Cursor == "" {
			tenants = []*hookd.Tenant{t}
		}
	} else if tenants, err = s.store.Tenants(r.Context(), p); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paged(tenants, p, func(t *hookd.Tenant) string { return t.ID }))
	return nil
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := s.store.Tenant(r.Context(), r.PathValue("tenant"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) updateTenant(w http.ResponseWriter, r *http.Request) error {
	var in tenantInput
	if err := decode(w, r, &in, 64<<10); err != nil {
		return err
	}
	var v hookd.Validation
	if in.ID != nil {
		v.Add("id", "cannot be changed")
	}
	if in.Name == nil {
		v.Add("name", "is required")
	} else {
		hookd.CheckName(&v, "name", *in.Name)
	}
	if err := v.Err(); err != nil {
		return err
	}
	t, err := s.store.RenameTenant(r.Context(), r.PathValue("tenant"), *in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteTenant(r.Context(), r.PathValue("tenant")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// NewTenant validates a new tenant: id is the operator's own (nil: one is
// generated) and must be a valid id; the name is required. The API and the
// dashboard both apply it.
func NewTenant(id *string, name string) (*hookd.Tenant, error) {
	var v hookd.Validation
	t := &hookd.Tenant{ID: ids.New(ids.Tenant), Name: name}
	if id != nil {
		if !hookd.ValidID(*id) {
			v.Add("id", "must be 1-128 letters, digits, '_', '.', ':' or '-', starting with a letter or digit")
		}
		t.ID = *id
	}
	hookd.CheckName(&v, "name", t.Name)
	return t, v.Err()
}
