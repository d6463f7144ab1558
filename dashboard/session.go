package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/token"
	"github.com/hookd/hookd/service"
)

// Cookie names. The session cookie is signed (stateless): it says who
// signed in and holds the CSRF token every form must echo.
const (
	sessionCookie = "hookd_session"
	loginCookie   = "hookd_login" // double-submit token of the sign-in form
	flashCookie   = "hookd_secret"
	endedCookie   = "hookd_portal" // where a portal session's "back" goes, kept after it ends
)

// endedTTL is how long a browser remembers where a portal session came from,
// to show its session-ended page after the session itself has expired.
const endedTTL = 30 * 24 * time.Hour

// Ways of signing in.
const (
	viaKey    = "key"    // an API key (operators)
	viaPortal = "portal" // a portal link (one tenant's customer)
)

// sessionClaims is what the session cookie holds.
type sessionClaims struct {
	Via    string `json:"v"`
	KeyID  string `json:"k,omitempty"` // viaKey: the key, read again on every request
	Tenant string `json:"t,omitempty"` // viaPortal: the tenant
	Role   string `json:"r,omitempty"` // viaPortal: admin or viewer
	// viaPortal: the link's options (token.Portal's)
	ReturnURL   string   `json:"u,omitempty"`
	DisplayName string   `json:"n,omitempty"`
	ReadOnly    []string `json:"ro,omitempty"`
	CSRF        string   `json:"c"`
}

// principal is who is signed in, as a page sees it.
type principal struct {
	Via    string
	Name   string // what the header shows: the key's name, or the tenant
	Role   string
	Tenant string // "" sees every tenant (an operator)
	CSRF   string
	Portal token.Portal // viaPortal: the link's options
}

// Allows reports whether the session may use feature (a token.Features
// entry); only a portal link turns features off.
func (p *principal) Allows(feature string) bool { return p.Portal.Allows(feature) }

// TenantName is what the pages call t: the link's display name, if any.
func (p *principal) TenantName(t *hookd.Tenant) string {
	if p.Portal.DisplayName != "" {
		return p.Portal.DisplayName
	}
	return t.Name
}

// Operator reports whether the session sees every tenant.
func (p *principal) Operator() bool { return p.Tenant == "" }

// CanManage reports whether the session may change things.
func (p *principal) CanManage() bool { return p.Role == hookd.RoleAdmin }

var errNoSession = errors.New("no session")

// session reads and checks the session cookie. A session opened with an API
// key lasts only as long as the key: it is looked up on every request, so
// revoking the key signs its sessions out, and its role and scope apply.
func (h *Handler) session(r *http.Request) (*principal, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errNoSession
	}
	var s sessionClaims
	if err := token.Open(h.cfg.SessionKey, ck.Value, time.Now(), &s); err != nil || s.CSRF == "" {
		return nil, errNoSession
	}
	switch s.Via {
	case viaKey:
		k, err := h.store.APIKey(r.Context(), s.KeyID)
		if err != nil || k.Role == hookd.RolePublisher {
			return nil, errNoSession
		}
		return &principal{Via: viaKey, Name: k.Name, Role: k.Role, Tenant: k.TenantID, CSRF: s.CSRF}, nil
	case viaPortal:
		if s.Tenant == "" || (s.Role != hookd.RoleAdmin && s.Role != hookd.RoleViewer) {
			return nil, errNoSession
		}
		p := token.Portal{Tenant: s.Tenant, Role: s.Role, ReturnURL: s.ReturnURL, DisplayName: s.DisplayName, ReadOnly: s.ReadOnly}
		return &principal{Via: viaPortal, Name: s.Tenant, Role: s.Role, Tenant: s.Tenant, CSRF: s.CSRF, Portal: p}, nil
	}
	return nil, errNoSession
}

// startSession sets a new session cookie.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, s sessionClaims) error {
	s.CSRF = randomToken()
	expires := time.Now().Add(h.cfg.SessionTTL)
	v, err := token.Sign(h.cfg.SessionKey, s, expires)
	if err != nil {
		return err
	}
	http.SetCookie(w, h.cookie(r, sessionCookie, v, expires))
	return nil
}

// cookie makes a dashboard cookie: HTTP-only, SameSite=Lax, limited to the
// dashboard's path, and Secure whenever the dashboard is reached over TLS.
func (h *Handler) cookie(r *http.Request, name, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: Prefix, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" || strings.HasPrefix(h.cfg.API.PublicURL, "https://")}
	if expires.IsZero() {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	return c
}

// checkCSRF checks the token a form (field csrf) or an htmx request
// (header X-CSRF-Token) sends against the session's.
func (h *Handler) checkCSRF(r *http.Request, who *principal) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(who.CSRF)) == 1
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// deriveKey makes a sub-key of the session key for another purpose.
func deriveKey(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("hookd dashboard " + label))
	return m.Sum(nil)
}

type loginView struct {
	base
	Next  string
	Error string
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.renderLogin(w, r, http.StatusOK, "")
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := randomToken()
	http.SetCookie(w, h.cookie(r, loginCookie, tok, time.Now().Add(time.Hour)))
	v := &loginView{Next: localNext(r.FormValue("next")), Error: msg}
	v.Title, v.CSRF = "Sign in", tok
	h.render(w, r, nil, status, "login", v)
}

// login signs in with an API key. Admin and viewer keys may; a key scoped
// to one tenant sees only that tenant.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ck, err := r.Cookie(loginCookie)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		h.renderLogin(w, r, http.StatusForbidden, "The sign-in form was too old or not sent from this page. Try again.")
		return
	}
	key := strings.TrimSpace(r.PostFormValue("api_key"))
	if key == "" {
		h.renderLogin(w, r, http.StatusUnprocessableEntity, "Enter an API key.")
		return
	}
	k, err := h.store.APIKeyByHash(r.Context(), service.HashKey(key))
	switch {
	case hookd.ErrorCode(err) == hookd.ENOTFOUND:
		h.renderLogin(w, r, http.StatusUnauthorized, "That API key is not valid.")
		return
	case err != nil:
		h.logger.Error("dashboard sign-in failed", "err", err)
		h.renderLogin(w, r, http.StatusInternalServerError, "Signing in failed on our side; it has been logged.")
		return
	case k.Role == hookd.RolePublisher:
		h.renderLogin(w, r, http.StatusForbidden, "A publisher key can only publish events; sign in with an admin or viewer key.")
		return
	}
	if err := h.startSession(w, r, sessionClaims{Via: viaKey, KeyID: k.ID}); err != nil {
		h.logger.Error("dashboard sign-in failed", "err", err)
		h.renderLogin(w, r, http.StatusInternalServerError, "Signing in failed on our side; it has been logged.")
		return
	}
	http.SetCookie(w, h.cookie(r, loginCookie, "", time.Time{}))
	http.SetCookie(w, h.cookie(r, endedCookie, "", time.Time{})) // an operator now, not a portal customer
	next := localNext(r.PostFormValue("next"))
	if next == "" {
		next = Prefix
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(c *call) error {
	http.SetCookie(c.w, h.cookie(c.r, sessionCookie, "", time.Time{}))
	if c.who.Via == viaPortal {
		return c.redirect(Prefix + "/ended")
	}
	return h.redirectDone(c, Prefix+"/login", "signed-out", "")
}

// portal signs in through a portal link: GET /dashboard/portal?token=...
func (h *Handler) portal(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in this URL
	if len(h.cfg.API.PortalKey) == 0 {
		h.errorPage(w, r, nil, http.StatusServiceUnavailable, "Portal links are not configured on this server.")
		return
	}
	var p token.Portal
	err := token.Open(h.cfg.API.PortalKey, r.URL.Query().Get("token"), time.Now(), &p)
	switch {
	case errors.Is(err, token.ErrExpired):
		// The claims are authentic: the page can lead back to the app.
		h.endedPage(w, r, http.StatusUnauthorized, ended{ReturnURL: p.ReturnURL, Name: p.DisplayName},
			"This link has expired. Open the dashboard again from the app that gave you the link to get a new one.")
		return
	case err != nil || (p.Role != hookd.RoleAdmin && p.Role != hookd.RoleViewer):
		h.endedPage(w, r, http.StatusUnauthorized, h.lastPortal(r),
			"This link is not valid. Open the dashboard again from the app that gave you the link.")
		return
	}
	back := ended{ReturnURL: p.ReturnURL, Name: p.DisplayName}
	if _, err := h.store.Tenant(r.Context(), p.Tenant); err != nil {
		h.endedPage(w, r, http.StatusNotFound, back, "The account this link was made for no longer exists.")
		return
	}
	if err := h.rememberPortal(w, r, back); err != nil {
		h.logger.Error("dashboard portal sign-in failed", "err", err)
		h.errorPage(w, r, nil, http.StatusInternalServerError, "Signing in failed on our side; it has been logged.")
		return
	}
	claims := sessionClaims{Via: viaPortal, Tenant: p.Tenant, Role: p.Role, ReturnURL: p.ReturnURL, DisplayName: p.DisplayName, ReadOnly: p.ReadOnly}
	if err := h.startSession(w, r, claims); err != nil {
		h.logger.Error("dashboard portal sign-in failed", "err", err)
		h.errorPage(w, r, nil, http.StatusInternalServerError, "Signing in failed on our side; it has been logged.")
		return
	}
	http.Redirect(w, r, tenantURL(p.Tenant), http.StatusSeeOther)
}

// redirectToLogin sends a request without a session to sign in, or, when
// this browser came through a portal link, to the session-ended page: a
// customer has no API key to sign in with.
func (h *Handler) redirectToLogin(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(endedCookie); err == nil {
		http.Redirect(w, r, Prefix+"/ended", http.StatusSeeOther)
		return
	}
	to := Prefix + "/login"
	if next := localNext(r.URL.RequestURI()); next != "" && next != Prefix && next != Prefix+"/" {
		to += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// localNext keeps a post-sign-in destination only when it is a dashboard
// page of this server (no open redirect).
func localNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, Prefix+"/login") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" || (u.Path != Prefix && !strings.HasPrefix(u.Path, Prefix+"/")) {
		return ""
	}
	return next
}
