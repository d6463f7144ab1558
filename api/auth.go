package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

type keyCtx struct{}

// authenticate resolves the bearer key; handlers read it with caller().
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := Authenticate(r, s.store)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyCtx{}, key)))
	})
}

// Authenticate finds the request's bearer key: EUNAUTHORIZED when it is
// missing or unknown. Every front end on API keys (this API, svixapi) uses it.
func Authenticate(r *http.Request, keys hookd.APIKeyStore) (*hookd.APIKey, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return nil, hookd.Errorf(hookd.EUNAUTHORIZED, "missing API key: send Authorization: Bearer <key>")
	}
	key, err := keys.APIKeyByHash(r.Context(), service.HashKey(strings.TrimSpace(token)))
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return nil, hookd.Errorf(hookd.EUNAUTHORIZED, "invalid API key")
	}
	return key, err
}

func caller(r *http.Request) *hookd.APIKey {
	return r.Context().Value(keyCtx{}).(*hookd.APIKey)
}

// Action is what a route does; each role allows a set of them.
type Action int

// Actions.
const (
	Read    Action = iota
	Publish        // publish events
	Manage         // change a tenant's objects (endpoints, deliveries, its keys)
	Operate        // change the deployment: tenants, the event catalogue
)

var allowed = map[string]map[Action]bool{
	hookd.RoleAdmin:     {Read: true, Publish: true, Manage: true, Operate: true},
	hookd.RolePublisher: {Publish: true},
	hookd.RoleViewer:    {Read: true},
}

// Authorize checks that the caller's role allows act and that its tenant
// scope covers the route: a scoped key works only under its own
// /v1/tenants/{tenant}/..., never operates the deployment (create, rename or
// delete tenants, change the catalogue), and sees only its tenant's keys
// (enforced by the key handlers).
func Authorize(k *hookd.APIKey, act Action, tenantID string) error {
	if !allowed[k.Role][act] {
		return hookd.Errorf(hookd.EFORBIDDEN, "a %s key cannot do this", k.Role)
	}
	if k.TenantID == "" {
		return nil
	}
	if act == Operate {
		return hookd.Errorf(hookd.EFORBIDDEN, "a key scoped to one tenant cannot change tenants or the event catalogue")
	}
	if tenantID != "" && tenantID != k.TenantID {
		return hookd.Errorf(hookd.EFORBIDDEN, "this key is scoped to another tenant")
	}
	return nil
}
