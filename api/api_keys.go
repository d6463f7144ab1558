package api

import (
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

type apiKeyInput struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Tenant   string `json:"tenant"`
	TenantID string `json:"tenant_id"` // the same as tenant, named as keys show it
}

type createdKey struct {
	APIKey *hookd.APIKey `json:"api_key"`
	Key    string        `json:"key"`
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var in apiKeyInput
	if err := decode(w, r, &in, 16<<10); err != nil {
		return err
	}
	var v hookd.Validation
	switch {
	case in.Tenant == "":
		in.Tenant = in.TenantID
	case in.TenantID != "" && in.TenantID != in.Tenant:
		v.Add("tenant_id", "differs from tenant; give one of them")
	}
	if err := v.Err(); err != nil {
		return err
	}
	k, key, err := service.CreateKey(r.Context(), s.store, caller(r).TenantID, service.KeyRequest{Name: in.Name, Role: in.Role, Tenant: in.Tenant})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdKey{APIKey: k, Key: key})
	return nil
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	keys, err := s.store.APIKeys(r.Context(), caller(r).TenantID, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paged(keys, p, func(k *hookd.APIKey) string { return k.ID }))
	return nil
}

// visibleKey reads a key the caller may see: a scoped caller sees its
// tenant's keys only, and another tenant's key does not exist for it.
func (s *Server) visibleKey(r *http.Request) (*hookd.APIKey, error) {
	k, err := s.store.APIKey(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if scope := caller(r).TenantID; scope != "" && k.TenantID != scope {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "api key %q not found", k.ID)
	}
	return k, nil
}

func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.visibleKey(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

func (s *Server) deleteAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.visibleKey(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAPIKey(r.Context(), k.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
