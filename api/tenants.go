package api

import (
	"encoding/json"
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

type tenantInput struct {
	ID   *string `json:"id"`
	Name *string `json:"name"`
	// MaxInFlight: absent keeps (on create: the default), null restores
	// the deployment default.
	MaxInFlight json.RawMessage `json:"max_in_flight"`
}

// tenantView is a tenant as the API shows it: with the cap in force.
type tenantView struct {
	*hookd.Tenant
	MaxInFlight int `json:"max_in_flight"`
}

func (s *Server) tenantView(t *hookd.Tenant) tenantView {
	v := tenantView{Tenant: t, MaxInFlight: t.MaxInFlight}
	if v.MaxInFlight == 0 {
		v.MaxInFlight = s.cfg.TenantMaxInFlight
	}
	return v
}

// maxInFlight reads the max_in_flight of a tenant input: given says it was
// sent; n is nil for null (the deployment default).
func (in *tenantInput) maxInFlight() (given bool, n *int, err error) {
	if len(in.MaxInFlight) == 0 || isJSONNull(in.MaxInFlight) {
		return len(in.MaxInFlight) > 0, nil, nil
	}
	n = new(int)
	if err := json.Unmarshal(in.MaxInFlight, n); err != nil {
		return true, nil, hookd.Invalid("max_in_flight", "must be a whole number, or null for the deployment default")
	}
	return true, n, nil
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
	_, maxInFlight, err := in.maxInFlight()
	if err != nil {
		return err
	}
	t, err := service.NewTenant(in.ID, name, maxInFlight)
	if err != nil {
		return err
	}
	if err := s.store.CreateTenant(r.Context(), t); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.tenantView(t))
	return nil
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	tenants, err := service.VisibleTenants(r.Context(), s.store, caller(r), p)
	if err != nil {
		return err
	}
	views := make([]tenantView, len(tenants))
	for i, t := range tenants {
		views[i] = s.tenantView(t)
	}
	writeJSON(w, http.StatusOK, paged(views, p, func(v tenantView) string { return v.ID }))
	return nil
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := s.store.Tenant(r.Context(), r.PathValue("tenant"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.tenantView(t))
	return nil
}

func (s *Server) updateTenant(w http.ResponseWriter, r *http.Request) error {
	var in tenantInput
	if err := decode(w, r, &in, 64<<10); err != nil {
		return err
	}
	given, maxInFlight, err := in.maxInFlight()
	if err != nil {
		return err
	}
	var v hookd.Validation
	if in.ID != nil {
		v.Add("id", "cannot be changed")
	}
	u := hookd.TenantUpdate{Name: in.Name}
	if in.Name != nil {
		hookd.CheckName(&v, "name", *in.Name)
	} else if !given {
		v.Add("name", "is required (unless max_in_flight is given)")
	}
	if maxInFlight != nil {
		hookd.CheckTenantMaxInFlight(&v, "max_in_flight", *maxInFlight)
		u.MaxInFlight = maxInFlight
	} else if given {
		u.MaxInFlight = new(int) // 0: the deployment default
	}
	if err := v.Err(); err != nil {
		return err
	}
	t, err := s.store.UpdateTenant(r.Context(), r.PathValue("tenant"), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.tenantView(t))
	return nil
}

func (s *Server) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteTenant(r.Context(), r.PathValue("tenant")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
