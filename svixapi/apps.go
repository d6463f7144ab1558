package svixapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
	"github.com/hookd/hookd/service"
)

// An application is a tenant. A tenant's id is the application's id; when
// the caller chose it (a Svix uid, or a native tenant id) it is also its uid,
// so both address it. rateLimit and metadata are not kept (docs/svix.md).
type appIn struct {
	Name *string `json:"name"`
	UID  *string `json:"uid"`
}

type appOut struct {
	ID        string            `json:"id"`
	UID       *string           `json:"uid,omitempty"`
	Name      string            `json:"name"`
	Metadata  map[string]string `json:"metadata"`
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
}

func viewApp(t *hookd.Tenant) appOut {
	out := appOut{ID: t.ID, Name: t.Name, Metadata: map[string]string{}, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if !strings.HasPrefix(t.ID, ids.Tenant+"_") {
		out.UID = &out.ID
	}
	return out
}

// newApp validates a new application as service.NewTenant does, naming the
// fields as Svix does.
func newApp(in appIn, id *string) (*hookd.Tenant, error) {
	name := ""
	if in.Name != nil {
		name = *in.Name
	}
	if id == nil {
		id = in.UID
	}
	t, err := service.NewTenant(id, name, nil)
	return t, hookd.RenameField(err, "id", "uid")
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) error {
	var in appIn
	if err := decode(w, r, &in, 64<<10); err != nil {
		return err
	}
	t, err := newApp(in, nil)
	if err != nil {
		return err
	}
	if in.UID != nil && r.URL.Query().Get("get_if_exists") == "true" {
		found, err := s.store.Tenant(r.Context(), *in.UID)
		if err == nil {
			writeJSON(w, http.StatusOK, viewApp(found))
			return nil
		}
		if hookd.ErrorCode(err) != hookd.ENOTFOUND {
			return err
		}
	}
	if err := s.store.CreateTenant(r.Context(), t); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewApp(t))
	return nil
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	tenants, err := service.VisibleTenants(r.Context(), s.store, caller(r), p)
	if err != nil {
		return err
	}
	tenants, next := cut(tenants, p, func(t *hookd.Tenant) string { return t.ID })
	out := make([]appOut, len(tenants))
	for i, t := range tenants {
		out[i] = viewApp(t)
	}
	writeJSON(w, http.StatusOK, listOf(out, next))
	return nil
}

// app reads the path's application: 404 in Svix's words when absent.
func (s *Server) app(r *http.Request) (*hookd.Tenant, error) {
	id := r.PathValue("app_id")
	t, err := s.store.Tenant(r.Context(), id)
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return nil, appNotFound(id)
	}
	return t, err
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) error {
	t, err := s.app(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewApp(t))
	return nil
}

// putApp updates the application, or creates it with the path's id as its
// uid, as Svix's PUT does.
func (s *Server) putApp(w http.ResponseWriter, r *http.Request) error {
	var in appIn
	if err := decode(w, r, &in, 64<<10); err != nil {
		return err
	}
	id := r.PathValue("app_id")
	t, err := newApp(in, &id)
	if err != nil {
		return err
	}
	updated, err := s.store.UpdateTenant(r.Context(), id, hookd.TenantUpdate{Name: &t.Name})
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		if err := s.store.CreateTenant(r.Context(), t); err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, viewApp(t))
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewApp(updated))
	return nil
}

func (s *Server) patchApp(w http.ResponseWriter, r *http.Request) error {
	var in appIn
	if err := decode(w, r, &in, 64<<10); err != nil {
		return err
	}
	if in.UID != nil && *in.UID != r.PathValue("app_id") {
		return hookd.Invalid("uid", "cannot be changed: it is the application's id in hookd")
	}
	if in.Name == nil {
		return s.getApp(w, r)
	}
	var v hookd.Validation
	hookd.CheckName(&v, "name", *in.Name)
	if err := v.Err(); err != nil {
		return err
	}
	t, err := s.store.UpdateTenant(r.Context(), r.PathValue("app_id"), hookd.TenantUpdate{Name: in.Name})
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return appNotFound(r.PathValue("app_id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewApp(t))
	return nil
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	err := s.store.DeleteTenant(r.Context(), r.PathValue("app_id"))
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return appNotFound(r.PathValue("app_id"))
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
