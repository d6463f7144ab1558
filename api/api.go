// Package api is hookd's REST API: routing, authentication, input
// validation, and the mapping of domain errors to HTTP answers.
package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/buildinfo"
	"github.com/hookd/hookd/listen"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/signature"
)

// Config holds the deployment settings the API enforces.
type Config struct {
	AllowPrivateTargets   bool
	MaxPayloadBytes       int64 // per event
	MaxBatchBodyBytes     int64 // a whole batch request
	MaxEndpointsPerTenant int
	// MaxEndpointInFlight bounds an endpoint's max_in_flight; 0:
	// hookd.DefaultMaxEndpointInFlight of the default worker count.
	MaxEndpointInFlight int
	// TenantMaxInFlight is the in-flight cap of tenants without their own
	// (as the dispatchers apply it), shown on them; 0:
	// hookd.DefaultTenantMaxInFlight of the default worker count.
	TenantMaxInFlight int
	MaxBatchEvents    int
	// ReservedHeaderPrefixes are lower-case header-name prefixes that custom
	// endpoint headers may not use, because hookd signs with them.
	ReservedHeaderPrefixes []string
	DefaultSchedule        hookd.Schedule
	DefaultTimeout         time.Duration
	// SignatureScheme is the deployment's default, shown on endpoints
	// without their own.
	SignatureScheme signature.Scheme
	// AllowSecretReveal lets admin keys read an endpoint's current secret.
	AllowSecretReveal bool
	// ListenHub carries deliveries to hookd listen sessions; nil on nodes
	// without delivery workers.
	ListenHub *listen.Hub
	// Metrics serves GET /metrics (Prometheus); nil answers 404.
	Metrics http.Handler
	// PortalKey signs portal links (POST .../portal-links); without it
	// the route answers 503. PublicURL is the base of those links; empty:
	// the scheme and host of the request.
	PortalKey []byte
	PublicURL string
	// Maintenance is kicked when a recover job is created; nil on nodes
	// without workers (those pick jobs up on their next pass).
	Maintenance interface{ Kick() }
}

// EndpointRules are the settings endpoints are checked against.
func (c Config) EndpointRules() service.EndpointRules {
	return service.EndpointRules{AllowPrivateTargets: c.AllowPrivateTargets, ReservedHeaderPrefixes: c.ReservedHeaderPrefixes,
		MaxInFlight: c.MaxEndpointInFlight}
}

// HandOffer is a hookd.Notifier that also sends a publish's new deliveries at
// once (dispatch.Dispatcher): Offer before Store.PublishEvents, Hand after
// it, whatever its outcome.
type HandOffer interface {
	Offer() *hookd.HandOff // nil: no room
	Hand(offer *hookd.HandOff) int
}

// Server serves the API.
type Server struct {
	store    hookd.Store
	notifier hookd.Notifier
	cfg      Config
	logger   *slog.Logger
	mux      *http.ServeMux
	routes   []string // "METHOD /path" of every route, for the OpenAPI check

	schemaCache schemaCache
}

// New builds the API over store. notifier may be nil.
func New(store hookd.Store, notifier hookd.Notifier, cfg Config, logger *slog.Logger) *Server {
	if cfg.MaxPayloadBytes <= 0 {
		cfg.MaxPayloadBytes = 1 << 20
	}
	if cfg.MaxBatchEvents <= 0 {
		cfg.MaxBatchEvents = 1000
	}
	if cfg.MaxBatchBodyBytes <= 0 {
		cfg.MaxBatchBodyBytes = 32 << 20
	}
	if cfg.MaxEndpointsPerTenant <= 0 {
		cfg.MaxEndpointsPerTenant = 100
	}
	if cfg.MaxEndpointInFlight <= 0 {
		cfg.MaxEndpointInFlight = hookd.DefaultMaxEndpointInFlight(hookd.DefaultWorkers)
	}
	if cfg.TenantMaxInFlight <= 0 {
		cfg.TenantMaxInFlight = hookd.DefaultTenantMaxInFlight(hookd.DefaultWorkers)
	}
	if cfg.DefaultSchedule == nil {
		cfg.DefaultSchedule = hookd.DefaultSchedule
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = 30 * time.Second
	}
	if cfg.SignatureScheme == "" {
		cfg.SignatureScheme = signature.Standard
	}
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{store: store, notifier: notifier, cfg: cfg, logger: logger, mux: http.NewServeMux()}
	s.registerRoutes()
	return s
}

// ServeHTTP serves the API. Requests no route matches get a problem body:
// 404, or 405 with the Allow header the router sets.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.mux.ServeHTTP(&unrouted{ResponseWriter: w, s: s, r: r}, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// unrouted replaces the router's plain-text 404 and 405 answers.
type unrouted struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	written bool
}

func (u *unrouted) WriteHeader(status int) {
	if u.written {
		return
	}
	u.written = true
	u.ResponseWriter.Header().Del("X-Content-Type-Options")
	if status == http.StatusMethodNotAllowed {
		u.s.writeProblem(u.ResponseWriter, status, "method_not_allowed",
			fmt.Sprintf("%s is not allowed on %s; allowed: %s", u.r.Method, u.r.URL.Path, u.ResponseWriter.Header().Get("Allow")))
		return
	}
	u.s.writeError(u.ResponseWriter, u.r, hookd.Errorf(hookd.ENOTFOUND, "no such route: %s %s", u.r.Method, u.r.URL.Path))
}

func (u *unrouted) Write(b []byte) (int, error) {
	if !u.written {
		u.WriteHeader(http.StatusNotFound)
	}
	return len(b), nil // the router's own text is dropped
}

// Routes lists every "METHOD /path" the API serves.
func (s *Server) Routes() []string { return s.routes }

// Config returns the settings the API runs with, defaults filled in (the
// dashboard enforces the same).
func (s *Server) Config() Config { return s.cfg }

// handler is a route body; a returned error becomes a problem answer.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) registerRoutes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /metrics", s.serveMetrics)
	s.routes = append(s.routes, "GET /readyz", "GET /metrics")
	s.mux.HandleFunc("GET /openapi.json", serveOpenAPI)
	s.routes = append(s.routes, "GET /healthz", "GET /openapi.json")

	s.handle("POST /v1/event-types", Operate, s.createEventType)
	s.handle("GET /v1/event-types", Read, s.listEventTypes)
	s.handle("GET /v1/event-types/{name}", Read, s.getEventType)
	s.handle("PATCH /v1/event-types/{name}", Operate, s.updateEventType)

	s.handle("POST /v1/tenants", Operate, s.createTenant)
	s.handle("GET /v1/tenants", Read, s.listTenants)
	s.handle("GET /v1/tenants/{tenant}", Read, s.getTenant)
	s.handle("PATCH /v1/tenants/{tenant}", Operate, s.updateTenant)
	s.handle("DELETE /v1/tenants/{tenant}", Operate, s.deleteTenant)

	s.handle("POST /v1/tenants/{tenant}/endpoints", Manage, s.createEndpoint)
	s.handle("GET /v1/tenants/{tenant}/endpoints", Read, s.listEndpoints)
	s.handle("GET /v1/tenants/{tenant}/endpoints/{id}", Read, s.getEndpoint)
	s.handle("PATCH /v1/tenants/{tenant}/endpoints/{id}", Manage, s.updateEndpoint)
	s.handle("DELETE /v1/tenants/{tenant}/endpoints/{id}", Manage, s.deleteEndpoint)
	s.handle("POST /v1/tenants/{tenant}/endpoints/{id}/enable", Manage, s.enableEndpoint)
	s.handle("POST /v1/tenants/{tenant}/endpoints/{id}/disable", Manage, s.disableEndpoint)
	s.handle("POST /v1/tenants/{tenant}/endpoints/{id}/test", Manage, s.testEndpoint)
	s.handle("POST /v1/tenants/{tenant}/endpoints/{id}/filter/test", Manage, s.testFilter)
	s.handle("POST /v1/tenants/{tenant}/endpoints/{id}/rotate-secret", Manage, s.rotateSecret)
	s.handle("GET /v1/tenants/{tenant}/endpoints/{id}/stats", Read, s.endpointStats)
	s.handle("POST /v1/tenants/{tenant}/endpoints/{id}/recover", Manage, s.recoverEndpoint)
	s.handle("GET /v1/tenants/{tenant}/recover-jobs", Read, s.listRecoverJobs)
	s.handle("GET /v1/tenants/{tenant}/recover-jobs/{id}", Read, s.getRecoverJob)
	s.handle("GET /v1/tenants/{tenant}/endpoints/{id}/secret", Manage, s.revealSecret)
	s.handle("POST /v1/tenants/{tenant}/listen", Manage, s.listen)
	s.handle("POST /v1/tenants/{tenant}/listen/{session}/results", Manage, s.listenResult)
	s.handle("POST /v1/tenants/{tenant}/portal-links", Manage, s.createPortalLink)

	s.handle("POST /v1/tenants/{tenant}/events", Publish, s.publishEvent)
	s.handle("POST /v1/tenants/{tenant}/events/batch", Publish, s.publishBatch)
	s.handle("GET /v1/tenants/{tenant}/events", Read, s.listEvents)
	s.handle("GET /v1/tenants/{tenant}/events/{id}", Read, s.getEvent)
	s.handle("GET /v1/tenants/{tenant}/events/{id}/deliveries", Read, s.listEventDeliveries)

	s.handle("GET /v1/tenants/{tenant}/deliveries", Read, s.listDeliveries)
	s.handle("GET /v1/tenants/{tenant}/deliveries/{id}", Read, s.getDelivery)
	s.handle("POST /v1/tenants/{tenant}/deliveries/{id}/replay", Manage, s.replayDelivery)

	s.handle("POST /v1/api-keys", Manage, s.createAPIKey)
	s.handle("GET /v1/api-keys", Read, s.listAPIKeys)
	s.handle("GET /v1/api-keys/{id}", Read, s.getAPIKey)
	s.handle("DELETE /v1/api-keys/{id}", Manage, s.deleteAPIKey)
}

// handle registers an authenticated route. The caller's role must allow
// act; on /v1/tenants/{tenant}/... its scope must cover that tenant.
func (s *Server) handle(pattern string, act Action, h handler) {
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := Authorize(caller(r), act, r.PathValue("tenant")); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := service.CheckURLText(r.URL); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.store.Ping(r.Context()); err != nil {
		s.writeError(w, r, hookd.Errorf(hookd.EUNAVAILABLE, "database unreachable"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": buildinfo.Get().Version})
}

func (s *Server) notify() {
	if s.notifier != nil {
		s.notifier.Notify()
	}
}
