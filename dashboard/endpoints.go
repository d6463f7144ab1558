package dashboard

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/api"
	"github.com/hookd/hookd/signature"
)

// card is one endpoint on the tenant page.
type card struct {
	E     *hookd.Endpoint
	Spark template.HTML
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
		v.Cards = append(v.Cards, card{E: e, Spark: sparkline(st.Hours)})
	}
	v.Title, v.Tenant, v.Nav = c.tenant.Name, c.tenant, "tenant"
	h.render(c.w, c.r, c.who, 200, "tenant", v)
	return nil
}

// shownSecret is a signing secret shown once, after a create, rotation or
// reveal. It crosses the redirect sealed in a short-lived cookie, so it is
// never in a URL and a reload does not show it again.
type shownSecret struct {
	EndpointID string     `json:"e"`
	Kind       string     `json:"k"` // created, rotated, revealed
	Secret     string     `json:"s"`
	OldUntil   *time.Time `json:"o,omitempty"` // rotated: when the old secret stops signing
	Expires    int64      `json:"x"`
}

func (h *Handler) showSecretOnce(c *call, s shownSecret) {
	s.Expires = time.Now().Add(5 * time.Minute).Unix()
	b, _ := json.Marshal(s)
	v := base64.RawURLEncoding.EncodeToString(h.flashBox.Seal(b))
	http.SetCookie(c.w, h.cookie(c.r, flashCookie, v, time.Now().Add(5*time.Minute)))
}

// takeSecret returns the secret waiting to be shown for an endpoint, once.
func (h *Handler) takeSecret(c *call, endpointID string) *shownSecret {
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
	if json.Unmarshal(b, &s) != nil || s.EndpointID != endpointID || time.Now().Unix() > s.Expires {
		return nil
	}
	return &s
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
	DayCounts []statusCount // deliveries of the last 24 hours by status
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
	v := &endpointView{Endpoint: e, Defaults: map[string]bool{}, CanReveal: h.cfg.API.AllowSecretReveal && c.who.CanManage()}
	if v.Log, err = h.readLog(c, e); err != nil {
		return err
	}
	st, err := h.lastDay(ctx, c.tenant.ID, e.ID, time.Now())
	if err != nil {
		return err
	}
	v.Spark = sparkline(st.Hours)
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

// endpointForm is the add and edit form, with what was entered and what is
// wrong with it.
type endpointForm struct {
	base
	Endpoint    *hookd.Endpoint // editing; nil when adding
	Name        string
	URL         string
	Description string
	AllTypes    bool
	Types       []typeChoice
	Headers     []headerRow
	Schedule    string
	Timeout     string
	Scheme      string
	MaxInFlight string
	RateLimit   string
	Errors      map[string]string // field → message ("form": the whole form)
	// Deployment defaults, shown as placeholders.
	DefaultSchedule string
	DefaultTimeout  int
	DefaultScheme   string
	Schemes         []string
	// MaxInFlightLimit is the deployment's bound on max_in_flight.
	MaxInFlightLimit int
}

type typeChoice struct {
	Name, Description string
	Checked           bool
}

// headerRow is one custom header. A saved value is never sent back to the
// browser: its field stays empty, and empty means "keep".
type headerRow struct {
	Name  string
	Value string
	Saved bool
}

// Action is where the form posts.
func (f *endpointForm) Action() string {
	if f.Endpoint != nil {
		return endpointURL(f.Tenant.ID, f.Endpoint.ID) + "/edit"
	}
	return tenantURL(f.Tenant.ID) + "/endpoints"
}

// newForm prepares the form, filled from e when editing.
func (h *Handler) newForm(c *call, e *hookd.Endpoint) (*endpointForm, error) {
	f := &endpointForm{Endpoint: e, Errors: map[string]string{},
		DefaultSchedule: strings.Join(h.cfg.API.DefaultSchedule.Strings(), ", "),
		DefaultTimeout:  int(h.cfg.API.DefaultTimeout / time.Second),
		DefaultScheme:   string(h.cfg.API.SignatureScheme),
		Schemes:         []string{string(signature.Standard), string(signature.Timestamped), string(signature.Body)},

		MaxInFlightLimit: h.cfg.API.MaxEndpointInFlight,
	}
	f.Tenant, f.Nav = c.tenant, "tenant"
	types, err := h.store.EventTypes(c.r.Context())
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		f.Types = append(f.Types, typeChoice{Name: t.Name, Description: t.Description})
	}
	if e == nil {
		f.Title, f.AllTypes = "Add endpoint", true
		f.MaxInFlight, f.RateLimit = strconv.Itoa(hookd.NewEndpointMaxInFlight(h.cfg.API.MaxEndpointInFlight)), "0"
		f.Headers = []headerRow{{}, {}}
		return f, nil
	}
	f.Title = "Edit " + e.Name
	f.Name, f.URL, f.Description, f.Scheme = e.Name, e.URL, e.Description, e.SignatureScheme
	f.AllTypes = contains(e.EventTypes, hookd.AllEventTypes)
	for i := range f.Types {
		f.Types[i].Checked = !f.AllTypes && e.Subscribes(f.Types[i].Name)
	}
	names := make([]string, 0, len(e.Headers))
	for k := range e.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		f.Headers = append(f.Headers, headerRow{Name: k, Saved: true})
	}
	f.Headers = append(f.Headers, headerRow{})
	if e.RetrySchedule != nil {
		f.Schedule = strings.Join(e.RetrySchedule.Strings(), ", ")
		if len(e.RetrySchedule) == 0 {
			f.Schedule = "none"
		}
	}
	if e.Timeout > 0 {
		f.Timeout = strconv.Itoa(int(e.Timeout / time.Second))
	}
	f.MaxInFlight, f.RateLimit = strconv.Itoa(e.MaxInFlight), strconv.Itoa(e.RateLimit)
	return f, nil
}

// readForm reads the posted form into f and checks it with the same rules
// as the API, returning the change to store.
func (h *Handler) readForm(c *call, f *endpointForm) (hookd.EndpointUpdate, error) {
	r := c.r
	var v hookd.Validation
	var u hookd.EndpointUpdate
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.URL = strings.TrimSpace(r.PostFormValue("url"))
	f.Description = strings.TrimSpace(r.PostFormValue("description"))
	hookd.CheckName(&v, "name", f.Name)
	hookd.CheckEndpointURL(&v, "url", f.URL, h.cfg.API.AllowPrivateTargets)
	hookd.CheckDescription(&v, "description", f.Description)
	u.Name, u.URL, u.Description = &f.Name, &f.URL, &f.Description

	chosen := r.PostForm["event_types"]
	f.AllTypes = false
	for _, t := range chosen {
		if t == hookd.AllEventTypes {
			f.AllTypes = true
		}
	}
	types := chosen
	if f.AllTypes {
		types = []string{hookd.AllEventTypes}
	}
	for i := range f.Types {
		f.Types[i].Checked = !f.AllTypes && contains(chosen, f.Types[i].Name)
	}
	if len(types) == 0 {
		v.Add("event_types", "choose at least one event type, or all of them")
	} else {
		hookd.CheckEventTypes(&v, "event_types", types)
	}
	u.EventTypes = &types

	headers := map[string]string{}
	names, values := r.PostForm["header_name"], r.PostForm["header_value"]
	f.Headers = nil
	for i, name := range names {
		name = strings.TrimSpace(name)
		value := ""
		if i < len(values) {
			value = values[i]
		}
		if name == "" {
			continue
		}
		stored, saved := "", false
		if f.Endpoint != nil {
			stored, saved = f.Endpoint.Headers[name]
		}
		f.Headers = append(f.Headers, headerRow{Name: name, Value: value, Saved: saved && value == ""})
		switch {
		case hasHeader(headers, name):
			v.Add("headers."+name, "is listed twice")
		case value == "" && saved:
			headers[name] = stored // empty keeps the saved value
		case value == "":
			v.Add("headers."+name, "needs a value")
		default:
			headers[name] = value
		}
	}
	f.Headers = append(f.Headers, headerRow{})
	hookd.CheckHeaders(&v, "headers", headers, h.cfg.API.ReservedHeaderPrefixes)
	u.Headers = &headers

	f.Schedule = strings.TrimSpace(r.PostFormValue("retry_schedule"))
	var schedule hookd.Schedule // nil: the deployment's
	switch strings.ToLower(f.Schedule) {
	case "":
	case "none", "0":
		schedule = hookd.Schedule{}
	default:
		steps := strings.FieldsFunc(f.Schedule, func(r rune) bool { return r == ',' || r == ' ' })
		s, err := hookd.ScheduleFromStrings(steps)
		if err != nil {
			v.Add("retry_schedule", "%v", err)
		}
		schedule = s
	}
	u.RetrySchedule = &schedule

	f.Timeout = strings.TrimSpace(r.PostFormValue("timeout_seconds"))
	var timeout time.Duration // 0: the deployment's
	if f.Timeout != "" {
		n, err := strconv.ParseInt(f.Timeout, 10, 64)
		if err != nil {
			v.Add("timeout_seconds", "must be a whole number of seconds")
		} else {
			timeout = hookd.CheckTimeout(&v, "timeout_seconds", n)
		}
	}
	u.Timeout = &timeout

	maxInFlight := h.cfg.API.MaxEndpointInFlight
	u.MaxInFlight = formInt(&v, r, "max_in_flight", &f.MaxInFlight, hookd.NewEndpointMaxInFlight(maxInFlight),
		func(v *hookd.Validation, field string, n int) { hookd.CheckMaxInFlight(v, field, n, maxInFlight) })
	u.RateLimit = formInt(&v, r, "rate_limit_per_second", &f.RateLimit, 0, hookd.CheckRateLimit)

	f.Scheme = r.PostFormValue("signature_scheme")
	if f.Scheme != "" {
		if _, err := signature.ParseScheme(f.Scheme); err != nil {
			v.Add("signature_scheme", "must be standard, timestamped or body (or the default)")
		}
	}
	u.SignatureScheme = &f.Scheme
	return u, v.Err()
}

// formInt reads a whole-number field (empty: def) into *shown and checks it.
func formInt(v *hookd.Validation, r *http.Request, field string, shown *string, def int, check func(*hookd.Validation, string, int)) *int {
	*shown = strings.TrimSpace(r.PostFormValue(field))
	n := def
	if *shown != "" {
		var err error
		if n, err = strconv.Atoi(*shown); err != nil {
			v.Add(field, "must be a whole number")
			return nil
		}
	}
	check(v, field, n)
	return &n
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// formError shows err on the form when it is about the input, and reports
// whether it did.
func (h *Handler) formError(c *call, f *endpointForm, err error) bool {
	if !fieldErrors(err, f.Errors, "form") {
		return false
	}
	h.render(c.w, c.r, c.who, http.StatusUnprocessableEntity, "endpoint_form", f)
	return true
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
	h.showSecretOnce(c, shownSecret{EndpointID: e.ID, Kind: "created", Secret: secret})
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
	return c.redirect(endpointURL(c.tenant.ID, e.ID) + "?done=saved")
}

// back is where an endpoint action returns to: the tenant page when the
// form says so, else the endpoint page.
func back(c *call, id, done string) string {
	if c.r.PostFormValue("back") == "tenant" {
		return tenantURL(c.tenant.ID) + "?done=" + done
	}
	return endpointURL(c.tenant.ID, id) + "?done=" + done
}

func (h *Handler) enableEndpoint(c *call) error {
	e, err := h.store.EnableEndpoint(c.r.Context(), c.tenant.ID, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	h.notify()
	return c.redirect(back(c, e.ID, "enabled"))
}

func (h *Handler) disableEndpoint(c *call) error {
	e, err := h.store.DisableEndpoint(c.r.Context(), c.tenant.ID, c.r.PathValue("id"), hookd.DisabledManual)
	if err != nil {
		return err
	}
	h.notify() // its operational event, written with it, is due
	return c.redirect(back(c, e.ID, "disabled"))
}

func (h *Handler) testEndpoint(c *call) error {
	ctx := c.r.Context()
	name := c.r.PostFormValue("event_type")
	et, err := h.store.EventType(ctx, name)
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return hookd.Invalid("event_type", "event type %q is not in the catalogue", name)
	}
	if err != nil {
		return err
	}
	ev, err := api.TestEvent(et, time.Now())
	if err != nil {
		return err
	}
	id := c.r.PathValue("id")
	if _, err := h.store.PublishTestEvent(ctx, c.tenant.ID, id, ev); err != nil {
		return err
	}
	h.notify()
	return c.redirect(endpointURL(c.tenant.ID, id) + "?done=test#deliveries")
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
	secret, err := signature.NewSecret()
	if err != nil {
		return err
	}
	overlap := time.Duration(seconds) * time.Second
	if err := h.store.RotateSecret(c.r.Context(), c.tenant.ID, id, secret, overlap); err != nil {
		return err
	}
	until := time.Now().Add(overlap).UTC().Truncate(time.Second)
	h.showSecretOnce(c, shownSecret{EndpointID: id, Kind: "rotated", Secret: secret, OldUntil: &until})
	return c.redirect(endpointURL(c.tenant.ID, id))
}

func (h *Handler) revealSecret(c *call) error {
	if !h.cfg.API.AllowSecretReveal {
		return hookd.Errorf(hookd.EFORBIDDEN, "this server does not reveal secrets; rotate the secret to get a new one")
	}
	id := c.r.PathValue("id")
	secrets, err := h.store.Secrets(c.r.Context(), c.tenant.ID, id)
	if err != nil {
		return err
	}
	if len(secrets) == 0 {
		return hookd.Errorf(hookd.ENOTFOUND, "the endpoint has no valid secret; rotate it")
	}
	h.showSecretOnce(c, shownSecret{EndpointID: id, Kind: "revealed", Secret: secrets[0]})
	return c.redirect(endpointURL(c.tenant.ID, id))
}

func (h *Handler) deleteEndpoint(c *call) error {
	if err := h.store.DeleteEndpoint(c.r.Context(), c.tenant.ID, c.r.PathValue("id")); err != nil {
		return err
	}
	return c.redirect(tenantURL(c.tenant.ID) + "?done=deleted")
}
