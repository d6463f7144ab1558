package api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/token"
	"github.com/hookd/hookd/service"
)

// Bounds of a portal link's options: the link and the session cookie
// carry them (service.SignPortalLink bounds the whole token).
const (
	maxReturnURL   = 1024
	maxDisplayName = 100
)

type portalInput struct {
	ExpiresIn   *int64   `json:"expires_in"` // seconds
	Role        *string  `json:"role"`
	ReturnURL   string   `json:"return_url"`
	DisplayName string   `json:"display_name"`
	ReadOnly    []string `json:"read_only"`
}

type portalLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// createPortalLink returns a signed, short-lived URL that opens the
// dashboard for one tenant, as an admin or a read-only viewer. The
// operator's app hands it to its customer; nothing is stored.
func (s *Server) createPortalLink(w http.ResponseWriter, r *http.Request) error {
	if len(s.cfg.PortalKey) == 0 {
		return hookd.Errorf(hookd.EUNAVAILABLE, "portal links are not configured on this server")
	}
	var in portalInput
	if r.ContentLength != 0 {
		if err := decode(w, r, &in, 4<<10); err != nil {
			return err
		}
	}
	var v hookd.Validation
	ttl := service.PortalLinkTTL(&v, "expires_in", in.ExpiresIn)
	role := hookd.RoleAdmin
	if in.Role != nil {
		role = *in.Role
		if role != hookd.RoleAdmin && role != hookd.RoleViewer {
			v.Add("role", "must be admin (can change endpoints) or viewer (read only)")
		}
	}
	checkPortalOptions(&v, in)
	if err := v.Err(); err != nil {
		return err
	}
	p := token.Portal{Tenant: r.PathValue("tenant"), Role: role, ReturnURL: in.ReturnURL,
		DisplayName: strings.TrimSpace(in.DisplayName), ReadOnly: in.ReadOnly}
	link, _, expires, err := s.PortalLink(r, p, ttl)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, portalLink{URL: link, ExpiresAt: expires})
	return nil
}

// checkPortalOptions checks what a link asks of the portal's pages.
func checkPortalOptions(v *hookd.Validation, in portalInput) {
	if in.ReturnURL != "" && hookd.CheckText(v, "return_url", in.ReturnURL) {
		u, err := url.Parse(in.ReturnURL)
		switch {
		case len(in.ReturnURL) > maxReturnURL:
			v.Add("return_url", "must be at most %d bytes", maxReturnURL)
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil:
			v.Add("return_url", "must be an absolute http or https URL without credentials")
		}
	}
	if hookd.CheckText(v, "display_name", in.DisplayName) && len([]rune(in.DisplayName)) > maxDisplayName {
		v.Add("display_name", "must be at most %d characters", maxDisplayName)
	}
	for i, f := range in.ReadOnly {
		if !slices.Contains(token.Features, f) || slices.Index(in.ReadOnly, f) < i {
			v.Add("read_only", "%q is not a feature, or is listed twice; features: %s", f, strings.Join(token.Features, ", "))
			break
		}
	}
}

// PortalLink signs a link that opens the dashboard for p's tenant, which
// must exist, for ttl (service.SignPortalLink), and returns it with its
// token, on this server's public URL.
func (s *Server) PortalLink(r *http.Request, p token.Portal, ttl time.Duration) (link, tok string, expires time.Time, err error) {
	if tok, expires, err = service.SignPortalLink(r.Context(), s.store, s.cfg.PortalKey, p, ttl); err != nil {
		return "", "", time.Time{}, err
	}
	return s.publicBase(r) + token.PortalPath + "?token=" + url.QueryEscape(tok), tok, expires, nil
}

// publicBase is the URL users reach this server at: the configured public
// URL, or else the scheme and host this request came in on.
func (s *Server) publicBase(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
