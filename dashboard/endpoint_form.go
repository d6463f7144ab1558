package dashboard

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/signature"
)

// endpointForm is the add and edit form, with what was entered and what is
// wrong with it.
type endpointForm struct {
	base
	Endpoint    *hookd.Endpoint // editing; nil when adding
	Name        string
	URL         string
	Description string
	Subscribe   string // subscribeAll, subscribeChosen, or "" until the user chooses
	Types       []typeChoice
	Headers     []headerRow
	Filter      string
	// The filter's Test button: its sample and type, and what it found.
	FilterSample  string
	FilterType    string
	FilterOutcome *filterOutcome
	Schedule      string
	Timeout       string
	Scheme        string
	MaxInFlight   string
	RateLimit     string
	Ordering      string            // hookd.OrderingFIFO or ""; chosen when adding only
	Errors        map[string]string // field → message ("form": the whole form)
	// Deployment defaults, shown as placeholders.
	DefaultSchedule string
	DefaultTimeout  int
	DefaultScheme   string
	Schemes         []string
	// MaxInFlightLimit is the deployment's bound on max_in_flight.
	MaxInFlightLimit int
	// Transformation and its Test button: sample, type, what it made.
	Transformation   string
	TransformSample  string
	TransformType    string
	TransformOutcome *transformOutcome
	Egress           egressForm
	Dest             destForm
}

// The form's two explicit subscriptions: every type (including later ones),
// or only the ticked types. Neither is preselected on a new endpoint.
const (
	subscribeAll    = "all"
	subscribeChosen = "chosen"
)

// The picker's summary phrases; app.js reads them from the page's data-*
// attributes to keep the summary true as boxes are ticked.
const (
	summaryAll  = "Receives every event type, including types added later."
	summaryNone = "No event types chosen yet."
	summaryOnly = "Receives only: "
)

// Summary says what the endpoint will receive, as the form stands.
func (f *endpointForm) Summary() string {
	if f.Subscribe == subscribeAll {
		return summaryAll
	}
	var names []string
	for _, t := range f.Types {
		if t.Checked {
			names = append(names, t.Name)
		}
	}
	if len(names) == 0 {
		return summaryNone
	}
	return summaryOnly + strings.Join(names, ", ") + "."
}

// SummaryPhrases are the summary's fixed parts, for the script.
func (f *endpointForm) SummaryPhrases() [3]string {
	return [3]string{summaryAll, summaryNone, summaryOnly}
}

type typeChoice struct {
	Name, Description    string
	Checked              bool
	Deprecated, Archived bool // flagged; an archived one is listed only for an endpoint that has it
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
	f.Egress, f.Dest = newEgressForm(e), newDestForm(e)
	types, err := h.store.EventTypes(c.r.Context())
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		// Archived types take no new subscriptions (the store refuses them);
		// an endpoint subscribed by name keeps seeing its own.
		if t.Archived && (e == nil || !contains(e.EventTypes, t.Name)) {
			continue
		}
		f.Types = append(f.Types, typeChoice{Name: t.Name, Description: t.Description, Deprecated: t.Deprecated, Archived: t.Archived})
	}
	if e == nil {
		f.Title = "Add endpoint"
		f.MaxInFlight, f.RateLimit = strconv.Itoa(hookd.NewEndpointMaxInFlight(h.cfg.API.MaxEndpointInFlight)), "0"
		f.Headers = []headerRow{{}, {}}
		return f, nil
	}
	f.Title = "Edit " + e.Name
	f.Name, f.URL, f.Description, f.Scheme, f.Filter = e.Name, e.URL, e.Description, e.SignatureScheme, e.Filter
	f.Transformation = e.Transformation
	f.Subscribe = subscribeChosen
	if contains(e.EventTypes, hookd.AllEventTypes) {
		f.Subscribe = subscribeAll
	}
	for i := range f.Types {
		f.Types[i].Checked = f.Subscribe == subscribeChosen && e.Subscribes(f.Types[i].Name)
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
	f.Ordering = e.Ordering
	return f, nil
}

// readSubscription reads the explicit choice between every type and the
// ticked ones. A form that says "all" while types are ticked is refused
// rather than guessed at: subscribing to everything by mistake sends a
// customer events they never chose.
func readSubscription(r *http.Request, f *endpointForm, v *hookd.Validation) []string {
	chosen := r.PostForm["event_types"]
	f.Subscribe = r.PostFormValue("subscribe")
	for i := range f.Types {
		f.Types[i].Checked = contains(chosen, f.Types[i].Name)
	}
	switch {
	case f.Subscribe == subscribeAll && len(chosen) > 0:
		v.Add("event_types", "you chose all event types and also ticked some: choose all, or only the ticked ones")
	case f.Subscribe == subscribeAll:
		return []string{hookd.AllEventTypes}
	case f.Subscribe != subscribeChosen:
		v.Add("event_types", "choose all event types, or only the ones you tick")
	case len(chosen) == 0:
		v.Add("event_types", "tick at least one event type, or choose all event types")
	case contains(chosen, hookd.AllEventTypes):
		v.Add("event_types", "tick event types by name")
	default:
		return chosen
	}
	return nil
}

// readForm reads the posted form into f and checks it with the API's one
// endpoint rule (service.CheckEndpoint), returning the change to store.
func (h *Handler) readForm(c *call, f *endpointForm) (hookd.EndpointUpdate, error) {
	r := c.r
	var v hookd.Validation
	var u hookd.EndpointUpdate
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.URL = strings.TrimSpace(r.PostFormValue("url"))
	f.Description = strings.TrimSpace(r.PostFormValue("description"))
	u.Name, u.Description = &f.Name, &f.Description

	if types := readSubscription(r, f, &v); types != nil {
		u.EventTypes = &types
	}

	f.Filter = strings.TrimSpace(r.PostFormValue("filter"))
	u.Filter = &f.Filter

	f.Transformation = strings.TrimSpace(r.PostFormValue("transformation"))
	u.Transformation = &f.Transformation

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

	u.MaxInFlight = formInt(&v, r, "max_in_flight", &f.MaxInFlight, hookd.NewEndpointMaxInFlight(h.cfg.API.MaxEndpointInFlight))
	u.RateLimit = formInt(&v, r, "rate_limit_per_second", &f.RateLimit, 0)

	f.Scheme = r.PostFormValue("signature_scheme")
	u.SignatureScheme = &f.Scheme
	if f.Endpoint == nil { // an endpoint keeps the ordering it was added with
		f.Ordering = r.PostFormValue("ordering")
		u.Ordering = &f.Ordering
	}
	if !readDestination(r, f, &u, &v) { // a webhook: its URL and egress
		u.URL = &f.URL
		readEgress(r, f, &u)
	}
	service.CheckEndpoint(&v, &u, h.cfg.API.EndpointRules())
	return u, v.Err()
}

// formInt reads a whole-number field (empty: def) into *shown; nil when it
// is not one.
func formInt(v *hookd.Validation, r *http.Request, field string, shown *string, def int) *int {
	*shown = strings.TrimSpace(r.PostFormValue(field))
	n := def
	if *shown != "" {
		var err error
		if n, err = strconv.Atoi(*shown); err != nil {
			v.Add(field, "must be a whole number")
			return nil
		}
	}
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
