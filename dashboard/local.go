package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

// "Develop locally": an endpoint owner mints a CLI token for hookd listen
// (shown once, with the command line), lists and revokes tokens, and sees
// the tenant's local sessions apart from its endpoints, each with "Send
// test event". The rules are the API's (service.MintCLIToken and the rest).

type localView struct {
	base
	Tokens   []*hookd.APIKey
	Sessions []service.LocalSession
	Types    []string // what "Send test event" offers
	Created  *shownSecret
	Command  string // the created token's command lines
	Trigger  string
	Now      time.Time
	Errors   map[string]string
	Name     string
}

func localURL(tenant string) string { return tenantURL(tenant) + "/local" }

func (h *Handler) localPage(c *call) error {
	v := &localView{Errors: map[string]string{}}
	v.Created = h.takeSecret(c, "local:"+c.tenant.ID)
	return h.renderLocal(c, http.StatusOK, v)
}

func (h *Handler) renderLocal(c *call, status int, v *localView) error {
	ctx := c.r.Context()
	var err error
	if v.Tokens, err = service.CLITokens(ctx, h.store, c.tenant.ID); err != nil {
		return err
	}
	if v.Sessions, err = service.LocalSessions(ctx, h.store, c.tenant.ID); err != nil {
		return err
	}
	types, err := h.store.EventTypes(ctx)
	if err != nil {
		return err
	}
	for _, t := range types {
		if !t.Archived {
			v.Types = append(v.Types, t.Name)
		}
	}
	if v.Created != nil {
		server, example := h.cfg.API.PublicBase(c.r), "<event-type>"
		if len(v.Types) > 0 {
			example = v.Types[0]
		}
		v.Command = service.ListenCommand(server, c.tenant.ID, v.Created.Secret)
		v.Trigger = service.TriggerCommand(server, c.tenant.ID, v.Created.Secret, example)
	}
	v.Now, v.Title, v.Nav, v.Tenant = time.Now(), "Develop locally", "local", c.tenant
	h.render(c.w, c.r, c.who, status, "local", v)
	return nil
}

func (h *Handler) mintCLIToken(c *call) error {
	name := strings.TrimSpace(c.r.PostFormValue("name"))
	k, secret, err := service.MintCLIToken(c.r.Context(), h.store, c.tenant.ID, name, time.Now())
	if v := (&localView{Errors: map[string]string{}, Name: name}); fieldErrors(err, v.Errors, "name") {
		return h.renderLocal(c, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	h.showSecretOnce(c, shownSecret{For: "local:" + c.tenant.ID, Kind: "cli-token", Secret: secret, Name: k.Name})
	return c.redirect(localURL(c.tenant.ID))
}

func (h *Handler) revokeCLIToken(c *call) error {
	if err := service.RevokeCLIToken(c.r.Context(), h.store, c.tenant.ID, c.r.PathValue("id")); err != nil {
		return err
	}
	return h.redirectDone(c, localURL(c.tenant.ID), "token-revoked", "")
}

// testSession sends "Send test event" to a local session.
func (h *Handler) testSession(c *call) error {
	id := c.r.PathValue("id")
	if _, err := service.SessionEndpoint(c.r.Context(), h.store, c.tenant.ID, id); err != nil {
		return err
	}
	name := c.r.PostFormValue("event_type")
	if err := h.sendTestEvent(c, id, name); err != nil {
		return err
	}
	return h.redirectDone(c, localURL(c.tenant.ID)+"#session-"+url.PathEscape(id), "session-test", name)
}
