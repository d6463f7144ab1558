// Package svixapi serves a Svix-compatible API under /api/v1/, so code
// written against Svix's API and its official SDKs works with hookd by
// changing the server URL and the token (a hookd API key). It is a front end
// like api and dashboard: the same store, the same rules (authentication,
// roles and tenant scope of api, the root package's validation and publish
// algorithm), only Svix's shapes on the wire. docs/svix.md maps one onto
// the other.
package svixapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/api"
	"github.com/hookd/hookd/service"
)

// Prefix is the path every route of this API starts with.
const Prefix = "/api/v1/"

// Server serves the Svix-compatible routes.
type Server struct {
	native   *api.Server // portal links, and the configuration it enforces
	store    hookd.Store
	notifier hookd.Notifier
	cfg      api.Config
	logger   *slog.Logger
	mux      *http.ServeMux
	routes   []string
}

// New builds the API over store, enforcing native's configuration.
// notifier may be nil.
func New(native *api.Server, store hookd.Store, notifier hookd.Notifier, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{native: native, store: store, notifier: notifier, cfg: native.Config(), logger: logger, mux: http.NewServeMux()}
	s.registerRoutes()
	return s
}

// Routes lists every "METHOD /path" served, for the OpenAPI check.
func (s *Server) Routes() []string { return s.routes }

// ServeHTTP serves the API; unknown routes get Svix's 404 body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.writeError(w, r, hookd.Errorf(hookd.ENOTFOUND, "no such route: %s %s", r.Method, r.URL.Path))
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) registerRoutes() {
	s.mux.HandleFunc("GET /openapi-svix.json", serveOpenAPI)
	s.routes = append(s.routes, "GET /openapi-svix.json")

	s.handle("GET /api/v1/app", api.Read, s.listApps)
	s.handle("POST /api/v1/app", api.Operate, s.createApp)
	s.handle("GET /api/v1/app/{app_id}", api.Read, s.getApp)
	s.handle("PUT /api/v1/app/{app_id}", api.Operate, s.putApp)
	s.handle("PATCH /api/v1/app/{app_id}", api.Operate, s.patchApp)
	s.handle("DELETE /api/v1/app/{app_id}", api.Operate, s.deleteApp)

	s.handle("GET /api/v1/event-type", api.Read, s.listEventTypes)
	s.handle("POST /api/v1/event-type", api.Operate, s.createEventType)
	s.handle("GET /api/v1/event-type/{event_type_name}", api.Read, s.getEventType)

	s.handle("GET /api/v1/app/{app_id}/endpoint", api.Read, s.listEndpoints)
	s.handle("POST /api/v1/app/{app_id}/endpoint", api.Manage, s.createEndpoint)
	s.handle("GET /api/v1/app/{app_id}/endpoint/{endpoint_id}", api.Read, s.getEndpoint)
	s.handle("PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}", api.Manage, s.putEndpoint)
	s.handle("PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}", api.Manage, s.patchEndpoint)
	s.handle("DELETE /api/v1/app/{app_id}/endpoint/{endpoint_id}", api.Manage, s.deleteEndpoint)
	s.handle("GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers", api.Read, s.getHeaders)
	s.handle("PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers", api.Manage, s.putHeaders)
	s.handle("PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers", api.Manage, s.patchHeaders)
	s.handle("GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret", api.Manage, s.getSecret)
	s.handle("POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate", api.Manage, s.rotateSecret)
	s.handle("POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/recover", api.Manage, s.recoverEndpoint)
	s.handle("GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/stats", api.Read, s.endpointStats)

	s.handle("GET /api/v1/app/{app_id}/msg", api.Read, s.listMessages)
	s.handle("POST /api/v1/app/{app_id}/msg", api.Publish, s.createMessage)
	s.handle("GET /api/v1/app/{app_id}/msg/{msg_id}", api.Read, s.getMessage)

	s.handle("GET /api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}", api.Read, s.attemptsByEndpoint)
	s.handle("GET /api/v1/app/{app_id}/attempt/msg/{msg_id}", api.Read, s.attemptsByMessage)
	s.handle("GET /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}", api.Read, s.getAttempt)
	s.handle("POST /api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend", api.Manage, s.resend)

	s.handle("POST /api/v1/auth/app-portal-access/{app_id}", api.Manage, s.portalAccess)
}

// handler is a route body; a returned error becomes Svix's error answer.
type handler func(w http.ResponseWriter, r *http.Request) error

type keyCtx struct{}

// handle registers an authenticated route. Authentication, roles and scope
// are api's; an application outside a scoped key's tenant is not found
// (Svix's answer for another environment's objects), not forbidden.
func (s *Server) handle(pattern string, act api.Action, h handler) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		key, err := api.Authenticate(r, s.store)
		if err == nil {
			err = s.authorize(key, act, r.PathValue("app_id"))
		}
		if err == nil {
			err = service.CheckURLText(r.URL)
		}
		if err == nil {
			err = h(w, r.WithContext(context.WithValue(r.Context(), keyCtx{}, key)))
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) authorize(key *hookd.APIKey, act api.Action, appID string) error {
	if appID != "" && key.TenantID != "" && appID != key.TenantID {
		return appNotFound(appID)
	}
	return api.Authorize(key, act, appID)
}

func caller(r *http.Request) *hookd.APIKey { return r.Context().Value(keyCtx{}).(*hookd.APIKey) }

func appNotFound(id string) error {
	return hookd.Errorf(hookd.ENOTFOUND, "application %q not found", id)
}

func (s *Server) notify() {
	if s.notifier != nil {
		s.notifier.Notify()
	}
}

// Mount serves this API's paths (/api/v1/..., /openapi-svix.json) and
// sends every other request to next.
func (s *Server) Mount(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, Prefix) || r.URL.Path == "/openapi-svix.json" {
			s.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
