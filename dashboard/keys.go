package dashboard

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

// The operator's API keys: create one with a role and a tenant scope (its
// secret shown once), list them, revoke one.

type keysView struct {
	base
	Keys    []*hookd.APIKey
	Older   string // URL of the next page
	Form    service.KeyRequest
	Errors  map[string]string
	Created *shownSecret // the key just made, shown once
	Roles   []string
}

func (h *Handler) apiKeys(c *call) error {
	v := &keysView{Errors: map[string]string{}, Form: service.KeyRequest{Role: hookd.RolePublisher}}
	v.Created = h.takeSecret(c, "keys")
	return h.renderKeys(c, http.StatusOK, v)
}

func (h *Handler) renderKeys(c *call, status int, v *keysView) error {
	p := hookd.Page{Limit: 101, Cursor: c.r.URL.Query().Get("cursor")}
	keys, err := h.store.APIKeys(c.r.Context(), c.who.Tenant, p)
	if err != nil {
		return err
	}
	if len(keys) == p.Limit {
		keys = keys[:p.Limit-1]
		v.Older = Prefix + "/keys?cursor=" + url.QueryEscape(keys[len(keys)-1].ID)
	}
	v.Keys, v.Title, v.Nav = keys, "API keys", "keys"
	v.Roles = []string{hookd.RolePublisher, hookd.RoleViewer, hookd.RoleAdmin}
	h.render(c.w, c.r, c.who, status, "keys", v)
	return nil
}

func (h *Handler) createAPIKey(c *call) error {
	v := &keysView{Errors: map[string]string{}}
	v.Form = service.KeyRequest{Name: strings.TrimSpace(c.r.PostFormValue("name")), Role: c.r.PostFormValue("role"),
		Tenant: strings.TrimSpace(c.r.PostFormValue("tenant"))}
	k, secret, err := service.CreateKey(c.r.Context(), h.store, c.who.Tenant, v.Form)
	if fieldErrors(err, v.Errors, "name") {
		return h.renderKeys(c, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	h.showSecretOnce(c, shownSecret{For: "keys", Kind: "api-key", Secret: secret, Name: k.Name})
	return c.redirect(Prefix + "/keys")
}

type revokeView struct {
	base
	Key *hookd.APIKey
}

// revokePage asks before revoking: a revoked key stops working at once,
// for every program that uses it.
func (h *Handler) revokePage(c *call) error {
	k, err := h.store.APIKey(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return err
	}
	v := &revokeView{Key: k}
	v.Title, v.Nav = "Revoke "+k.Name, "keys"
	h.render(c.w, c.r, c.who, http.StatusOK, "revoke", v)
	return nil
}

func (h *Handler) revokeAPIKey(c *call) error {
	k, err := h.store.APIKey(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := h.store.DeleteAPIKey(c.r.Context(), k.ID); err != nil {
		return err
	}
	return h.redirectDone(c, Prefix+"/keys", "key-revoked", "")
}
