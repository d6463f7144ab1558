// Package dashboard is hookd's web dashboard: server-rendered pages over the
// Store, for operators (signed in with an API key: every tenant and the
// event-type catalogue) and for their customers (signed in through a portal
// link: one tenant's endpoints and deliveries). Every action is a plain form
// that works without JavaScript; htmx (vendored, embedded) only refreshes
// the delivery log while it is open. It enforces the same rules as the REST
// API: the root package's validation, roles, tenant scope, limits.
package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/api"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/internal/token"
	"github.com/hookd/hookd/service"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is the path the dashboard is served under.
const Prefix = "/dashboard"

// DefaultSessionTTL is how long a sign-in lasts.
const DefaultSessionTTL = 12 * time.Hour

// Config holds the dashboard's settings.
type Config struct {
	// API is the configuration the REST API runs with, defaults filled in
	// (api.Server.Config): the dashboard enforces the same rules (private
	// targets, limits, reserved headers, secret reveal) and verifies portal
	// links with its PortalKey.
	API api.Config
	// SessionKey signs session cookies and seals one-time secrets shown
	// after a redirect; 32 bytes, e.g. derived from the encryption key.
	SessionKey []byte
	// SessionTTL is how long a sign-in lasts; default DefaultSessionTTL.
	SessionTTL time.Duration
	// FrameAncestors is the CSP frame-ancestors source list: who may embed
	// the dashboard in a frame. Default "'self'".
	FrameAncestors string
	// Brand is the deployment's name, logo, favicon and colour (LoadBrand);
	// the zero Brand is hookd's own.
	Brand Brand
}

// Handler serves the dashboard.
type Handler struct {
	store    hookd.Store
	notifier hookd.Notifier
	cfg      Config
	logger   *slog.Logger
	mux      *http.ServeMux
	pages    map[string]*template.Template
	static   map[string]string // file name → content hash, for cache busting
	flashBox *secretbox.Box    // seals one-time secrets carried across a redirect
}

// New builds the dashboard. notifier (the dispatcher) may be nil.
func New(store hookd.Store, notifier hookd.Notifier, cfg Config, logger *slog.Logger) (*Handler, error) {
	if len(cfg.SessionKey) < 32 {
		return nil, errors.New("dashboard: session key must be at least 32 bytes")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.FrameAncestors == "" {
		cfg.FrameAncestors = "'self'"
	}
	if strings.ContainsAny(cfg.FrameAncestors, ";,\r\n") {
		return nil, fmt.Errorf("dashboard frame ancestors %q: give space-separated sources such as https://app.example.com", cfg.FrameAncestors)
	}
	if u := cfg.API.PublicURL; u != "" {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" || parsed.RawQuery != "" || parsed.Fragment != "" {
			return nil, fmt.Errorf("public URL %q must be an absolute http(s) URL without query, like https://hooks.example.com", u)
		}
	}
	if logger == nil {
		logger = slog.Default()
	}
	box, err := secretbox.New(deriveKey(cfg.SessionKey, "flash"))
	if err != nil {
		return nil, err
	}
	h := &Handler{store: store, notifier: notifier, cfg: cfg, logger: logger, mux: http.NewServeMux(), flashBox: box}
	if err := h.loadStatic(); err != nil {
		return nil, err
	}
	if err := h.loadTemplates(); err != nil {
		return nil, err
	}
	h.routes()
	return h, nil
}

// Mount returns a handler that serves the dashboard under /dashboard,
// redirects / to it, and hands every other request to next (the API).
func (h *Handler) Mount(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			http.Redirect(w, r, Prefix, http.StatusFound)
		case p == Prefix || strings.HasPrefix(p, Prefix+"/"):
			h.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// ServeHTTP serves a dashboard request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src "+h.cfg.Brand.imgSources()+"; "+
		"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors "+h.cfg.FrameAncestors)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}

// handler is a page body; a returned error becomes an error page.
type handler func(c *call) error

// call is one request to a signed-in page.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	who    *principal
	tenant *hookd.Tenant // set on /dashboard/t/{tenant}/... pages
}

func (h *Handler) routes() {
	h.mux.HandleFunc("GET "+Prefix+"/static/{file}", h.serveStatic)
	h.mux.HandleFunc("GET "+Prefix+"/brand/{file}", h.serveBrand)
	h.mux.HandleFunc("GET "+Prefix+"/login", h.loginPage)
	h.mux.HandleFunc("POST "+Prefix+"/login", h.login)
	h.mux.HandleFunc("GET "+Prefix+"/portal", h.portal)
	h.mux.HandleFunc("GET "+Prefix+"/ended", h.endedRoute)
	h.mux.HandleFunc("GET "+Prefix+"/{$}", h.home)
	h.mux.HandleFunc("GET "+Prefix, h.home)
	h.mux.HandleFunc(Prefix+"/", h.notFound)

	h.page("POST "+Prefix+"/logout", h.logout)
	h.page("GET "+Prefix+"/tenants", h.operator(h.tenants))
	h.page("POST "+Prefix+"/tenants", h.operator(h.admin(h.createTenant)))
	h.page("GET "+Prefix+"/keys", h.operator(h.admin(h.apiKeys)))
	h.page("POST "+Prefix+"/keys", h.operator(h.admin(h.createAPIKey)))
	h.page("GET "+Prefix+"/keys/{id}/revoke", h.operator(h.admin(h.revokePage)))
	h.page("POST "+Prefix+"/keys/{id}/revoke", h.operator(h.admin(h.revokeAPIKey)))
	h.page("GET "+Prefix+"/event-types", h.operator(h.eventTypes))
	h.page("POST "+Prefix+"/event-types", h.operator(h.admin(h.createEventType)))
	h.page("GET "+Prefix+"/event-types/{name}/edit", h.operator(h.admin(h.editEventTypePage)))
	h.page("POST "+Prefix+"/event-types/{name}/edit", h.operator(h.admin(h.updateEventType)))

	t := Prefix + "/t/{tenant}"
	h.page("GET "+t, h.inTenant(h.tenantView))
	h.page("POST "+t+"/rename", h.inTenant(h.operator(h.admin(h.renameTenant))))
	h.page("GET "+t+"/delete", h.inTenant(h.operator(h.admin(h.tenantDeletePage))))
	h.page("POST "+t+"/delete", h.inTenant(h.operator(h.admin(h.deleteTenant))))
	h.page("GET "+t+"/endpoints/new", h.inTenant(h.admin(h.feature(token.EndpointCreate, h.newEndpoint))))
	h.page("POST "+t+"/endpoints", h.inTenant(h.admin(h.feature(token.EndpointCreate, h.createEndpoint))))
	h.page("POST "+t+"/endpoints/filter-test", h.inTenant(h.admin(h.testFilter)))
	ep := t + "/endpoints/{id}"
	h.page("GET "+ep, h.inTenant(h.endpointPage))
	h.page("GET "+ep+"/log", h.inTenant(h.deliveryLog))
	h.page("GET "+ep+"/edit", h.inTenant(h.admin(h.editEndpoint)))
	h.page("POST "+ep+"/edit", h.inTenant(h.admin(h.updateEndpoint)))
	h.page("POST "+ep+"/filter-test", h.inTenant(h.admin(h.testFilter)))
	h.page("POST "+ep+"/enable", h.inTenant(h.admin(h.enableEndpoint)))
	h.page("POST "+ep+"/disable", h.inTenant(h.admin(h.disableEndpoint)))
	h.page("POST "+ep+"/test", h.inTenant(h.admin(h.feature(token.TestEvent, h.testEndpoint))))
	h.page("GET "+ep+"/recover", h.inTenant(h.recoverFragment))
	h.page("POST "+ep+"/recover", h.inTenant(h.admin(h.startRecover)))
	h.page("GET "+ep+"/rotate", h.inTenant(h.admin(h.rotatePage)))
	h.page("POST "+ep+"/rotate", h.inTenant(h.admin(h.rotateSecret)))
	h.page("POST "+ep+"/reveal", h.inTenant(h.admin(h.feature(token.SecretReveal, h.revealSecret))))
	h.page("GET "+ep+"/delete", h.inTenant(h.admin(h.feature(token.EndpointDelete, h.deletePage))))
	h.page("POST "+ep+"/delete", h.inTenant(h.admin(h.feature(token.EndpointDelete, h.deleteEndpoint))))
	h.page("GET "+t+"/events", h.inTenant(h.eventsPage))
	h.page("GET "+t+"/events/{id}", h.inTenant(h.eventPage))
	h.page("GET "+t+"/deliveries/{id}", h.inTenant(h.deliveryPage))
	h.page("POST "+t+"/deliveries/{id}/replay", h.inTenant(h.admin(h.replayDelivery)))
}

// page registers a signed-in route: the session is checked, and on
// anything but GET the CSRF token too.
func (h *Handler) page(pattern string, fn handler) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		who, err := h.session(r)
		if err != nil {
			if r.Header.Get("HX-Request") == "true" {
				// A poll of an open page: send the whole page to sign-in
				// (or a portal's session-ended page) rather than swapping
				// the sign-in form into it.
				to := Prefix + "/login"
				if _, err := r.Cookie(endedCookie); err == nil {
					to = Prefix + "/ended"
				}
				w.Header().Set("HX-Redirect", to)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				h.redirectToLogin(w, r)
				return
			}
			if _, err := r.Cookie(endedCookie); err == nil {
				h.endedPage(w, r, http.StatusUnauthorized, h.lastPortal(r), "Your session has ended; nothing was changed.")
				return
			}
			h.errorPage(w, r, nil, http.StatusUnauthorized, "Your session has ended. Sign in again.")
			return
		}
		c := &call{w: w, r: r, who: who}
		if err := service.CheckURLText(r.URL); err != nil {
			h.fail(c, err)
			return
		}
		changes := r.Method != http.MethodGet && r.Method != http.MethodHead
		if changes {
			// Forms are small; an event type's example is the largest field.
			r.Body = http.MaxBytesReader(w, r.Body, h.cfg.API.MaxPayloadBytes+64<<10)
		}
		if changes && !h.checkCSRF(r, who) {
			h.errorPage(w, r, who, http.StatusForbidden,
				"This form was not sent from this dashboard page, or the page is too old (its security token is missing or wrong). Reload the page and try again.")
			return
		}
		if err := fn(c); err != nil {
			h.fail(c, err)
		}
	})
}

// operator limits a page to sessions that see every tenant.
func (h *Handler) operator(fn handler) handler {
	return func(c *call) error {
		if !c.who.Operator() {
			return hookd.Errorf(hookd.ENOTFOUND, "no such page")
		}
		return fn(c)
	}
}

// admin limits a page or action to the admin role.
func (h *Handler) admin(fn handler) handler {
	return func(c *call) error {
		if !c.who.CanManage() {
			return hookd.Errorf(hookd.EFORBIDDEN, "you can look but not change anything here (read-only access)")
		}
		return fn(c)
	}
}

// feature refuses an action the portal link turned off (its read_only list).
func (h *Handler) feature(name string, fn handler) handler {
	return func(c *call) error {
		if !c.who.Allows(name) {
			return hookd.Errorf(hookd.EFORBIDDEN, "this action is turned off for this portal")
		}
		return fn(c)
	}
}

// inTenant loads the tenant of the path. A session scoped to another tenant
// gets the same answer as for a tenant that does not exist.
func (h *Handler) inTenant(fn handler) handler {
	return func(c *call) error {
		id := c.r.PathValue("tenant")
		if c.who.Tenant != "" && c.who.Tenant != id {
			return hookd.Errorf(hookd.ENOTFOUND, "no such tenant")
		}
		t, err := h.store.Tenant(c.r.Context(), id)
		if err != nil {
			return err
		}
		c.tenant = t
		return fn(c)
	}
}

// notFound answers paths no route matches.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	who, _ := h.session(r)
	h.errorPage(w, r, who, http.StatusNotFound, "There is no such page.")
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	who, err := h.session(r)
	switch {
	case err != nil:
		h.redirectToLogin(w, r)
	case who.Operator():
		http.Redirect(w, r, Prefix+"/tenants", http.StatusSeeOther)
	default:
		http.Redirect(w, r, tenantURL(who.Tenant), http.StatusSeeOther)
	}
}

// fail renders err as an error page.
func (h *Handler) fail(c *call, err error) {
	code := hookd.ErrorCode(err)
	status := map[string]int{
		hookd.EINVALID: http.StatusUnprocessableEntity, hookd.EMALFORMED: http.StatusBadRequest,
		hookd.ENOTFOUND: http.StatusNotFound, hookd.ECONFLICT: http.StatusConflict,
		hookd.EUNAUTHORIZED: http.StatusUnauthorized, hookd.EFORBIDDEN: http.StatusForbidden,
		hookd.ETOOLARGE: http.StatusRequestEntityTooLarge, hookd.EUNAVAILABLE: http.StatusServiceUnavailable,
		hookd.ERATELIMITED: http.StatusTooManyRequests,
	}[code]
	var e *hookd.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		c.w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfterSeconds()))
	}
	msg := err.Error()
	if status == 0 {
		h.logger.Error("dashboard request failed", "method", c.r.Method, "path", c.r.URL.Path, "err", err)
		status, msg = http.StatusInternalServerError, "Something went wrong on our side; it has been logged."
	}
	if status == http.StatusNotFound {
		msg = "There is no such page, or it belongs to a tenant you cannot see."
	}
	h.errorPage(c.w, c.r, c.who, status, msg)
}

type errorView struct {
	base
	Status  int
	Message string
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, who *principal, status int, msg string) {
	v := &errorView{Status: status, Message: msg}
	v.Title = http.StatusText(status)
	h.render(w, r, who, status, "error", v)
}

// render writes a page. Every view embeds base, filled here.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, who *principal, status int, name string, v viewer) {
	b := v.common()
	b.Who = who
	if who != nil {
		b.CSRF = who.CSRF
	}
	b.Notice = h.takeNotice(w, r)
	h.write(w, status, name, "layout", v)
}

// write executes one template of a page's set.
func (h *Handler) write(w http.ResponseWriter, status int, page, tmpl string, v any) {
	t, ok := h.pages[page]
	if !ok {
		panic("dashboard: no page " + page)
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, tmpl, v); err != nil {
		h.logger.Error("dashboard template failed", "page", page, "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}

// redirect answers a form post: see the result with a GET.
func (c *call) redirect(to string) error {
	http.Redirect(c.w, c.r, to, http.StatusSeeOther)
	return nil
}

func (h *Handler) notify() {
	if h.notifier != nil {
		h.notifier.Notify()
	}
}

// URLs of pages, built in one place.
func tenantURL(tenant string) string { return Prefix + "/t/" + url.PathEscape(tenant) }
func endpointURL(tenant, id string) string {
	return tenantURL(tenant) + "/endpoints/" + url.PathEscape(id)
}
func deliveryURL(tenant, id string) string {
	return tenantURL(tenant) + "/deliveries/" + url.PathEscape(id)
}

func (h *Handler) loadStatic() error {
	h.static = map[string]string{}
	return fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h.static[path.Base(p)] = hex.EncodeToString(sum[:6])
		return nil
	})
}

// serveStatic serves an embedded asset. Its URL carries the content hash
// (see staticURL), so it may be cached for long.
func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if _, ok := h.static[name]; !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.ServeFileFS(w, r, staticFS, "static/"+name)
}

// staticURL is the cache-busting URL of an asset.
func (h *Handler) staticURL(name string) string {
	return Prefix + "/static/" + name + "?v=" + h.static[name]
}
