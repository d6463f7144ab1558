package dashboard

import (
	"net/http"
	"strings"

	"github.com/hookd/hookd"
)

// The operator's actions on one tenant: rename it, and delete it after
// typing its id, since a delete takes every endpoint and delivery with it.

type tenantDeleteView struct {
	base
	Error string
}

func (h *Handler) renameTenant(c *call) error {
	name := strings.TrimSpace(c.r.PostFormValue("name"))
	var v hookd.Validation
	hookd.CheckName(&v, "name", name)
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := h.store.UpdateTenant(c.r.Context(), c.tenant.ID, hookd.TenantUpdate{Name: &name}); err != nil {
		return err
	}
	return h.redirectDone(c, tenantURL(c.tenant.ID), "tenant-renamed", "")
}

func (h *Handler) tenantDeletePage(c *call) error {
	return h.renderTenantDelete(c, http.StatusOK, "")
}

func (h *Handler) renderTenantDelete(c *call, status int, msg string) error {
	v := &tenantDeleteView{Error: msg}
	v.Title, v.Tenant, v.Nav = "Delete "+c.tenant.Name, c.tenant, "tenants"
	h.render(c.w, c.r, c.who, status, "tenant_delete", v)
	return nil
}

func (h *Handler) deleteTenant(c *call) error {
	if strings.TrimSpace(c.r.PostFormValue("confirm")) != c.tenant.ID {
		return h.renderTenantDelete(c, http.StatusUnprocessableEntity,
			"Type the tenant's id, "+c.tenant.ID+", to confirm. Nothing was deleted.")
	}
	if err := h.store.DeleteTenant(c.r.Context(), c.tenant.ID); err != nil {
		return err
	}
	return h.redirectDone(c, Prefix+"/tenants", "tenant-deleted", "")
}
