package dashboard

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

// shownSecret is a signing secret shown once, after a create, rotation or
// reveal, or a new API key. It crosses the redirect sealed in a short-lived cookie, so it is
// never in a URL and a reload does not show it again.
type shownSecret struct {
	For      string     `json:"e"` // the endpoint the secret belongs to, or "keys"
	Kind     string     `json:"k"` // created, rotated, revealed; api-key
	Secret   string     `json:"s"`
	Name     string     `json:"n,omitempty"` // api-key: the key's name
	OldUntil *time.Time `json:"o,omitempty"` // rotated: when the old secret stops signing
	Expires  int64      `json:"x"`
}

func (h *Handler) showSecretOnce(c *call, s shownSecret) {
	s.Expires = time.Now().Add(5 * time.Minute).Unix()
	b, _ := json.Marshal(s)
	v := base64.RawURLEncoding.EncodeToString(h.flashBox.Seal(b))
	http.SetCookie(c.w, h.cookie(c.r, flashCookie, v, time.Now().Add(5*time.Minute)))
}

// takeSecret returns the secret waiting to be shown for an endpoint or key, once.
func (h *Handler) takeSecret(c *call, forID string) *shownSecret {
	ck, err := c.r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(c.w, h.cookie(c.r, flashCookie, "", time.Time{}))
	sealed, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return nil
	}
	b, err := h.flashBox.Open(sealed)
	if err != nil {
		return nil
	}
	var s shownSecret
	if json.Unmarshal(b, &s) != nil || s.For != forID || time.Now().Unix() > s.Expires {
		return nil
	}
	return &s
}

type confirmView struct {
	base
	Endpoint *hookd.Endpoint
	Overlaps []overlapChoice
}

type overlapChoice struct {
	Seconds  int
	Label    string
	Selected bool
}

func (h *Handler) confirmPage(c *call, page, title string, overlaps []overlapChoice) error {
	e, err := h.store.Endpoint(c.r.Context(), c.tenant.ID, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	v := &confirmView{Endpoint: e, Overlaps: overlaps}
	v.Title, v.Tenant, v.Nav = title+" "+e.Name, c.tenant, "tenant"
	h.render(c.w, c.r, c.who, 200, page, v)
	return nil
}

// overlaps are the rotation choices: how long the old secret keeps signing.
var overlaps = []overlapChoice{
	{0, "Stop the old secret now", false},
	{3600, "1 hour", false},
	{86400, "24 hours (recommended)", true},
	{3 * 86400, "3 days", false},
	{7 * 86400, "7 days", false},
}

func (h *Handler) rotatePage(c *call) error {
	return h.confirmPage(c, "rotate", "Rotate the secret of", overlaps)
}

func (h *Handler) deletePage(c *call) error {
	return h.confirmPage(c, "delete", "Delete", nil)
}

func (h *Handler) rotateSecret(c *call) error {
	id := c.r.PathValue("id")
	seconds, err := strconv.Atoi(c.r.PostFormValue("overlap_seconds"))
	valid := err == nil
	if valid {
		valid = false
		for _, o := range overlaps {
			valid = valid || o.Seconds == seconds
		}
	}
	if !valid {
		return hookd.Invalid("overlap_seconds", "choose how long the old secret keeps working")
	}
	secret, until, err := service.RotateSecret(c.r.Context(), h.store, c.tenant.ID, id, "", time.Duration(seconds)*time.Second)
	if err != nil {
		return err
	}
	h.showSecretOnce(c, shownSecret{For: id, Kind: "rotated", Secret: secret, OldUntil: &until})
	return c.redirect(endpointURL(c.tenant.ID, id))
}

func (h *Handler) revealSecret(c *call) error {
	id := c.r.PathValue("id")
	secret, err := service.RevealSecret(c.r.Context(), h.store, h.cfg.API.AllowSecretReveal, c.tenant.ID, id)
	if err != nil {
		return err
	}
	h.showSecretOnce(c, shownSecret{For: id, Kind: "revealed", Secret: secret})
	return c.redirect(endpointURL(c.tenant.ID, id))
}
