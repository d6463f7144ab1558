package api

import (
	"context"
	"net/http"

	"github.com/hookd/hookd"
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
	k, key, err := CreateKey(r.Context(), s.store, caller(r).TenantID, KeyRequest{Name: in.Name, Role: in.Role, Tenant: in.Tenant})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdKey{APIKey: k, Key: key})
	return nil
}

// KeyRequest is what a new API key is asked for with.
type KeyRequest struct {
	Name   string
	Role   string // admin, publisher or viewer
	Tenant string // scope; "" for every tenant
}

// CreateKey checks a key request made under the caller's tenant scope (""
// for an operator) and stores the key, returning it with its secret, which
// is shown this once. The API and the dashboard create keys through it.
func CreateKey(ctx context.Context, store hookd.Store, scope string, in KeyRequest) (*hookd.APIKey, string, error) {
	var v hookd.Validation
	hookd.CheckName(&v, "name", in.Name)
	if _, ok := allowed[in.Role]; !ok || in.Role == hookd.RoleDeveloper {
		v.Add("role", "must be admin, publisher or viewer (developer keys are CLI tokens: POST /v1/tenants/{tenant}/cli-tokens)")
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	// A tenant-scoped admin makes keys for its own tenant only.
	if scope != "" {
		if in.Tenant == "" {
			in.Tenant = scope
		}
		if in.Tenant != scope {
			return nil, "", hookd.Errorf(hookd.EFORBIDDEN, "this key is scoped to another tenant")
		}
	}
	if in.Tenant != "" {
		if !hookd.ValidID(in.Tenant) { // no such tenant can exist; the store is not asked
			return nil, "", hookd.Invalid("tenant", "tenant %q does not exist", in.Tenant)
		}
		_, err := store.Tenant(ctx, in.Tenant)
		if hookd.ErrorCode(err) == hookd.ENOTFOUND {
			return nil, "", hookd.Invalid("tenant", "tenant %q does not exist", in.Tenant)
		}
		if err != nil {
			return nil, "", err
		}
	}
	key, hash := NewKey()
	k := &hookd.APIKey{Name: in.Name, Role: in.Role, TenantID: in.Tenant, Prefix: DisplayPrefix(key), Hash: hash}
	if err := store.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, key, nil
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
