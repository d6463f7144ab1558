package svixapi

import (
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/token"
	"github.com/hookd/hookd/service"
)

// portalIn is Svix's AppPortalAccessIn; featureFlags and application are
// not used (docs/svix.md).
type portalIn struct {
	Expiry   *int64 `json:"expiry"` // seconds
	ReadOnly *bool  `json:"readOnly"`
}

type portalOut struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// portalAccess answers a hookd portal link: the dashboard for the one
// application, as admin, or as viewer when readOnly.
func (s *Server) portalAccess(w http.ResponseWriter, r *http.Request) error {
	var in portalIn
	if r.ContentLength != 0 {
		if err := decode(w, r, &in, 4<<10); err != nil {
			return err
		}
	}
	var v hookd.Validation
	ttl := service.PortalLinkTTL(&v, "expiry", in.Expiry)
	if err := v.Err(); err != nil {
		return err
	}
	role := hookd.RoleAdmin
	if in.ReadOnly != nil && *in.ReadOnly {
		role = hookd.RoleViewer
	}
	link, tok, _, err := s.native.PortalLink(r, token.Portal{Tenant: r.PathValue("app_id"), Role: role}, ttl)
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return appNotFound(r.PathValue("app_id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, portalOut{URL: link, Token: tok})
	return nil
}
