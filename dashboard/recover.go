package dashboard

import (
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

// Bulk recover on an endpoint's page: replay every failed delivery of a
// window, with the endpoint's jobs and their progress below the form.

// recoverPanel is the form and the endpoint's latest jobs.
type recoverPanel struct {
	Jobs    []*hookd.RecoverJob
	Live    bool   // a job is running: the panel refreshes itself
	URL     string // of the panel alone, for htmx
	Windows []recoverWindow
	Window  string // the chosen preset
	Error   string
}

type recoverWindow struct {
	Value, Label string
	Back         time.Duration
}

var recoverWindows = []recoverWindow{
	{"1h", "the last hour", time.Hour},
	{"6h", "the last 6 hours", 6 * time.Hour},
	{"24h", "the last 24 hours", 24 * time.Hour},
	{"72h", "the last 3 days", 72 * time.Hour},
	{"168h", "the last 7 days", 168 * time.Hour},
}

const recoverJobsShown = 10

func (h *Handler) readRecover(c *call, e *hookd.Endpoint) (*recoverPanel, error) {
	jobs, err := h.store.RecoverJobs(c.r.Context(), c.tenant.ID, e.ID, hookd.Page{Limit: recoverJobsShown})
	if err != nil {
		return nil, err
	}
	p := &recoverPanel{Jobs: jobs, URL: endpointURL(c.tenant.ID, e.ID) + "/recover", Windows: recoverWindows, Window: "24h"}
	for _, j := range jobs {
		p.Live = p.Live || j.Status == hookd.RecoverRunning
	}
	return p, nil
}

// recoverFragment is the panel alone, polled while a job runs.
func (h *Handler) recoverFragment(c *call) error {
	e, err := h.store.Endpoint(c.r.Context(), c.tenant.ID, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := h.readRecover(c, e)
	if err != nil {
		return err
	}
	v := &endpointView{Endpoint: e, Recover: p}
	v.Tenant, v.Who, v.CSRF = c.tenant, c.who, c.who.CSRF
	h.write(c.w, http.StatusOK, "endpoint", "recover", v)
	return nil
}

// startRecover starts a job for a preset window ending now, checked and
// started as the API does it.
func (h *Handler) startRecover(c *call) error {
	id := c.r.PathValue("id")
	window := c.r.PostFormValue("window")
	var since *time.Time
	for _, w := range recoverWindows {
		if w.Value == window {
			t := time.Now().Add(-w.Back)
			since = &t
		}
	}
	if since == nil {
		return hookd.Invalid("window", "choose one of the offered windows")
	}
	if _, err := service.StartRecover(c.r.Context(), h.store, h.cfg.API.Maintenance, c.tenant.ID, id, since, nil); err != nil {
		return err
	}
	return h.redirectDone(c, endpointURL(c.tenant.ID, id)+"#recover", "recover-started", "")
}
