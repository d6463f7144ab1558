package dashboard

import (
	"context"
	"html/template"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/token"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/signature"
)

// card is one endpoint on the tenant page.
type card struct {
	E        *hookd.Endpoint
	Spark    template.HTML
	LastTest *hookd.Delivery // tests never touch health: their outcome shows here
}

type tenantView struct {
	base
	Cards  []card
	CanAdd bool // under the endpoint limit
	Max    int
}

// endpoints lists every endpoint of the tenant (at most the limit, in pages).
func (h *Handler) endpoints(ctx context.Context, tenantID string) ([]*hookd.Endpoint, error) {
	var all []*hookd.Endpoint
	p := hookd.Page{Limit: 200}
	for {
		eps, err := h.store.Endpoints(ctx, tenantID, p)
		if err != nil {
			return nil, err
		}
		all = append(all, eps...)
		if len(eps) < p.Limit {
			return all, nil
		}
		p.Cursor = eps[len(eps)-1].ID
	}
}

func (h *Handler) tenantView(c *call) error {
	ctx := c.r.Context()
	eps, err := h.endpoints(ctx, c.tenant.ID)
	if err != nil {
		return err
	}
	v := &tenantView{Max: h.cfg.API.MaxEndpointsPerTenant, CanAdd: len(eps) < h.cfg.API.MaxEndpointsPerTenant}
	now := time.Now()
	for _, e := range eps {
		st, err := h.lastDay(ctx, c.tenant.ID, e.ID, now)
		if err != nil {
			return err
		}
		v.Cards = append(v.Cards, card{E: e, Spark: sparkline(st.Hours), LastTest: st.LastTest})
	}
	v.Title, v.Tenant, v.Nav = c.who.TenantName(c.tenant), c.tenant, "tenant"
	h.render(c.w, c.r, c.who, 200, "tenant", v)
	return nil
}

type endpointView struct {
	base
	Endpoint  *hookd.Endpoint
	Log       *deliveryLog
	Spark     template.HTML
	Schedule  string // effective retry schedule
	Timeout   string // effective timeout
	Scheme    string // effective signature scheme
	Defaults  map[string]bool
	TestTypes []string
	Secret    *shownSecret
	CanReveal bool
	Recover   *recoverPanel        // bulk recover: the form and the latest jobs
	Stats     *hookd.EndpointStats // the last 24 hours: attempts (the chart) and deliveries by status
	DayCounts []statusCount        // deliveries of the last 24 hours by status
}

type statusCount struct {
	Status string
	N      int
}

func (h *Handler) endpointPage(c *call) error {
	ctx := c.r.Context()
	e, err := h.store.Endpoint(ctx, c.tenant.ID, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	v := &endpointView{Endpoint: e, Defaults: map[string]bool{}, CanReveal: h.cfg.API.AllowSecretReveal && c.who.CanManage() && c.who.Allows(token.SecretReveal)}
	if v.Log, err = h.readLog(c, e); err != nil {
		return err
	}
	if v.Recover, err = h.readRecover(c, e); err != nil {
		return err
	}
	st, err := h.lastDay(ctx, c.tenant.ID, e.ID, time.Now())
	if err != nil {
		return err
	}
	v.Stats, v.Spark = st, sparkline(st.Hours)
	for _, status := range logStatuses {
		if n := st.Counts[status]; n > 0 {
			v.DayCounts = append(v.DayCounts, statusCount{status, n})
		}
	}
	schedule, timeout, scheme := e.RetrySchedule, e.Timeout, e.SignatureScheme
	if schedule == nil {
		schedule, v.Defaults["schedule"] = h.cfg.API.DefaultSchedule, true
	}
	if timeout == 0 {
		timeout, v.Defaults["timeout"] = h.cfg.API.DefaultTimeout, true
	}
	if scheme == "" {
		scheme, v.Defaults["scheme"] = string(h.cfg.API.SignatureScheme), true
	}
	v.Schedule = strings.Join(schedule.Strings(), ", ")
	if len(schedule) == 0 {
		v.Schedule = "no retries"
	}
	v.Timeout, v.Scheme = hookd.FormatDuration(timeout), scheme
	for _, t := range v.Log.Types {
		if e.Subscribes(t) {
			v.TestTypes = append(v.TestTypes, t)
		}
	}
	if len(v.TestTypes) == 0 {
		v.TestTypes = v.Log.Types // any catalogue type may be sent as a test
	}
	v.Secret = h.takeSecret(c, e.ID)
	v.Title, v.Tenant, v.Nav = e.Name, c.tenant, "tenant"
	h.render(c.w, c.r, c.who, 200, "endpoint", v)
	return nil
}

func (h *Handler) newEndpoint(c *call) error {
	f, err := h.newForm(c, nil)
	if err != nil {
		return err
	}
	h.render(c.w, c.r, c.who, 200, "endpoint_form", f)
	return nil
}

func (h *Handler) createEndpoint(c *call) error {
	ctx := c.r.Context()
	f, err := h.newForm(c, nil)
	if err != nil {
		return err
	}
	u, err := h.readForm(c, f)
	if err == nil {
		var n int
		if n, err = h.store.CountEndpoints(ctx, c.tenant.ID); err == nil && n >= h.cfg.API.MaxEndpointsPerTenant {
			err = hookd.Errorf(hookd.ECONFLICT, "this account already has %d endpoints, the most allowed", n)
		}
	}
	var secret string
	if err == nil {
		secret, err = signature.NewSecret()
	}
	e := &hookd.Endpoint{TenantID: c.tenant.ID, Enabled: true, MaxInFlight: hookd.NewEndpointMaxInFlight(h.cfg.API.MaxEndpointInFlight)}
	if err == nil {
		e.Apply(u)
		err = h.store.CreateEndpoint(ctx, e, secret)
	}
	if err != nil {
		if h.formError(c, f, err) {
			return nil
		}
		return err
	}
	h.showSecretOnce(c, shownSecret{For: e.ID, Kind: "created", Secret: secret})
	return c.redirect(endpointURL(c.tenant.ID, e.ID))
}

func (h *Handler) editEndpoint(c *call) error {
	e, err := h.store.Endpoint(c.r.Context(), c.tenant.ID, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	f, err := h.newForm(c, e)
	if err != nil {
		return err
	}
	h.render(c.w, c.r, c.who, 200, "endpoint_form", f)
	return nil
}

func (h *Handler) updateEndpoint(c *call) error {
	ctx := c.r.Context()
	e, err := h.store.Endpoint(ctx, c.tenant.ID, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	f, err := h.newForm(c, e)
	if err != nil {
		return err
	}
	u, err := h.readForm(c, f)
	if err == nil {
		_, err = h.store.UpdateEndpoint(ctx, c.tenant.ID, e.ID, u)
	}
	if err != nil {
		if h.formError(c, f, err) {
			return nil
		}
		return err
	}
	return h.redirectDone(c, endpointURL(c.tenant.ID, e.ID), "saved", "")
}

// back is where an endpoint action returns to: the tenant page when the
// form says so, else the endpoint page.
func back(c *call, id string) string {
	if c.r.PostFormValue("back") == "tenant" {
		return tenantURL(c.tenant.ID)
	}
	return endpointURL(c.tenant.ID, id)
}

func (h *Handler) enableEndpoint(c *call) error {
	e, err := h.store.EnableEndpoint(c.r.Context(), c.tenant.ID, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	h.notify()
	return h.redirectDone(c, back(c, e.ID), "enabled", "")
}

func (h *Handler) disableEndpoint(c *call) error {
	e, err := h.store.DisableEndpoint(c.r.Context(), c.tenant.ID, c.r.PathValue("id"), hookd.DisabledManual)
	if err != nil {
		return err
	}
	h.notify() // its operational event, written with it, is due
	return h.redirectDone(c, back(c, e.ID), "disabled", "")
}

func (h *Handler) testEndpoint(c *call) error {
	ctx := c.r.Context()
	name := c.r.PostFormValue("event_type")
	et, err := h.store.EventType(ctx, name)
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return hookd.NotInCatalogue("event_type", name)
	}
	if err != nil {
		return err
	}
	ev, err := service.TestEvent(et, time.Now())
	if err != nil {
		return err
	}
	id := c.r.PathValue("id")
	if _, err := h.store.PublishTestEvent(ctx, c.tenant.ID, id, ev); err != nil {
		return err
	}
	h.notify()
	return h.redirectDone(c, endpointURL(c.tenant.ID, id)+"#deliveries", "test", name)
}

func (h *Handler) deleteEndpoint(c *call) error {
	if err := h.store.DeleteEndpoint(c.r.Context(), c.tenant.ID, c.r.PathValue("id")); err != nil {
		return err
	}
	return h.redirectDone(c, tenantURL(c.tenant.ID), "deleted", "")
}
