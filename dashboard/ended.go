package dashboard

import (
	"net/http"
	"time"

	"github.com/hookd/hookd/internal/token"
)

// ended is where a portal session came from: what its session-ended page
// leads back to. Zero when unknown.
type ended struct {
	ReturnURL string `json:"u,omitempty"`
	Name      string `json:"n,omitempty"`
}

type endedView struct {
	base
	Status    int
	Message   string
	ReturnURL string
	AppName   string // the link's display name, or the deployment's brand
}

// rememberPortal keeps, in its own signed cookie that outlives the session,
// where a portal session goes back to.
func (h *Handler) rememberPortal(w http.ResponseWriter, r *http.Request, e ended) error {
	expires := time.Now().Add(endedTTL)
	v, err := token.Sign(h.endedKey(), e, expires)
	if err != nil {
		return err
	}
	http.SetCookie(w, h.cookie(r, endedCookie, v, expires))
	return nil
}

// lastPortal reads what rememberPortal kept, or zero.
func (h *Handler) lastPortal(r *http.Request) ended {
	var e ended
	if ck, err := r.Cookie(endedCookie); err == nil {
		if token.Open(h.endedKey(), ck.Value, time.Now(), &e) != nil {
			return ended{}
		}
	}
	return e
}

func (h *Handler) endedKey() []byte { return deriveKey(h.cfg.SessionKey, "portal ended") }

// endedRoute answers GET /dashboard/ended: where a portal session lands
// after sign-out or expiry.
func (h *Handler) endedRoute(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.endedPage(w, r, http.StatusOK, h.lastPortal(r), "You have been signed out, or your session has expired.")
}

// endedPage tells a portal customer that the session is over and leads
// back to the app that opened it, never to the API-key sign-in.
func (h *Handler) endedPage(w http.ResponseWriter, r *http.Request, status int, e ended, msg string) {
	v := &endedView{Status: status, Message: msg, ReturnURL: e.ReturnURL, AppName: e.Name}
	if v.AppName == "" {
		v.AppName = h.cfg.Brand.DisplayName()
	}
	v.Title = "Session ended"
	h.render(w, r, nil, status, "ended", v)
}
