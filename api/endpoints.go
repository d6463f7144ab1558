package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

// maskedValue stands for a custom header value in every answer. Sent back
// unchanged in a PATCH, it keeps the stored value.
const maskedValue = "********"

// endpointInput is the body of a create or a PATCH; nil means absent.
type endpointInput struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	URL         *string            `json:"url"`
	EventTypes  *[]string          `json:"event_types"`
	Channels    *[]string          `json:"channels"`
	Filter      *string            `json:"filter"`
	Ordering    *string            `json:"ordering"` // a PATCH may only repeat it
	Headers     *map[string]string `json:"headers"`
	Enabled     *bool              `json:"enabled"`
	// RetrySchedule: absent keeps, null restores the deployment default,
	// [] means a single attempt.
	RetrySchedule  json.RawMessage `json:"retry_schedule"`
	TimeoutSeconds *int            `json:"timeout_seconds"`
	MaxInFlight    *int            `json:"max_in_flight"`
	RateLimit      *int            `json:"rate_limit_per_second"`
	// SignatureScheme "" (or absent on create) means the deployment's.
	SignatureScheme *string `json:"signature_scheme"`
	// Transformation "" removes it.
	Transformation *string `json:"transformation"`
	egressInput
	destinationInput
}

// endpointView is an endpoint as the API shows it.
type endpointView struct {
	*hookd.Endpoint
	Status          string            `json:"status"`
	Headers         map[string]string `json:"headers"`
	RetrySchedule   []string          `json:"retry_schedule"`
	TimeoutSeconds  int               `json:"timeout_seconds"`
	Enabled         bool              `json:"enabled"`
	SignatureScheme string            `json:"signature_scheme"`
	egressView
	destinationView
}

func (s *Server) view(e *hookd.Endpoint) endpointView {
	v := endpointView{Endpoint: e, Status: e.Status(), Enabled: e.Enabled, Headers: make(map[string]string, len(e.Headers))}
	for k := range e.Headers {
		v.Headers[k] = maskedValue
	}
	schedule, timeout := e.RetrySchedule, e.Timeout
	if schedule == nil {
		schedule = s.cfg.DefaultSchedule
	}
	if timeout == 0 {
		timeout = s.cfg.DefaultTimeout
	}
	v.RetrySchedule, v.TimeoutSeconds = schedule.Strings(), int(timeout/time.Second)
	v.SignatureScheme = e.SignatureScheme
	if v.SignatureScheme == "" {
		v.SignatureScheme = string(s.cfg.SignatureScheme)
	}
	v.egressView = viewEgress(e.Egress)
	v.destinationView = viewDestination(e)
	return v
}

// check reads the fields present in the input into u and checks them with
// the one endpoint rule (service.CheckEndpoint).
func (s *Server) check(in *endpointInput, u *hookd.EndpointUpdate) error {
	var v hookd.Validation
	u.Name = in.Name
	u.Description = in.Description
	u.URL = in.URL
	u.EventTypes = in.EventTypes
	u.Channels = in.Channels
	u.Filter = in.Filter
	u.Ordering = in.Ordering
	u.Transformation = in.Transformation
	u.Headers = in.Headers
	if len(in.RetrySchedule) > 0 {
		var schedule hookd.Schedule // nil: the deployment default
		if !isJSONNull(in.RetrySchedule) {
			var steps []string
			if err := json.Unmarshal(in.RetrySchedule, &steps); err != nil {
				v.Add("retry_schedule", `must be a list of durations like ["1m","5m"], or null for the deployment default`)
			} else if schedule, err = hookd.ScheduleFromStrings(steps); err != nil {
				v.Add("retry_schedule", "%v", err)
			}
		}
		u.RetrySchedule = &schedule
	}
	if in.TimeoutSeconds != nil {
		d := hookd.CheckTimeout(&v, "timeout_seconds", int64(*in.TimeoutSeconds))
		u.Timeout = &d
	}
	u.MaxInFlight = in.MaxInFlight
	u.RateLimit = in.RateLimit
	u.SignatureScheme = in.SignatureScheme
	readEgress(&v, &in.egressInput, u)
	readDestination(&v, &in.destinationInput, u)
	service.CheckEndpoint(&v, u, s.cfg.EndpointRules())
	return v.Err()
}

type createdEndpoint struct {
	Endpoint      endpointView `json:"endpoint"`
	SigningSecret string       `json:"signing_secret"`
}

func (s *Server) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	tenantID := r.PathValue("tenant")
	var in endpointInput
	if err := decode(w, r, &in, 256<<10); err != nil {
		return err
	}
	if in.Name == nil {
		in.Name = new(string)
	}
	if in.URL == nil && (in.Type == nil || *in.Type == hookd.DestinationWebhook) {
		in.URL = new(string) // the URL check says it is required; a broker's is derived
	}
	if in.EventTypes == nil {
		in.EventTypes = &[]string{hookd.AllEventTypes}
	}
	var u hookd.EndpointUpdate
	if err := s.check(&in, &u); err != nil {
		return err
	}
	e := service.NewEndpoint(tenantID, s.cfg.EndpointRules())
	e.Apply(u)
	if in.Enabled != nil && !*in.Enabled {
		e.Enabled, e.DisabledReason = false, hookd.DisabledManual
	}
	if _, err := s.store.Tenant(r.Context(), tenantID); err != nil {
		return err
	}
	secret, err := service.CreateEndpoint(r.Context(), s.store, e, "", s.cfg.MaxEndpointsPerTenant)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdEndpoint{Endpoint: s.view(e), SigningSecret: secret})
	return nil
}

func (s *Server) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	tenantID := r.PathValue("tenant")
	if _, err := s.store.Tenant(r.Context(), tenantID); err != nil {
		return err
	}
	eps, err := s.store.Endpoints(r.Context(), tenantID, p)
	if err != nil {
		return err
	}
	views := make([]endpointView, len(eps))
	for i, e := range eps {
		views[i] = s.view(e)
	}
	writeJSON(w, http.StatusOK, paged(views, p, func(v endpointView) string { return v.ID }))
	return nil
}

func (s *Server) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := s.store.Endpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(e))
	return nil
}

func (s *Server) updateEndpoint(w http.ResponseWriter, r *http.Request) error {
	tenantID, id := r.PathValue("tenant"), r.PathValue("id")
	var in endpointInput
	if err := decode(w, r, &in, 256<<10); err != nil {
		return err
	}
	if in.Enabled != nil {
		return hookd.Invalid("enabled", "use POST .../enable or .../disable")
	}
	current, err := s.store.Endpoint(r.Context(), tenantID, id)
	if err != nil {
		return err
	}
	if in.Headers != nil {
		// A masked value read back and sent again means "keep what is stored".
		for k, v := range *in.Headers {
			if v != maskedValue {
				continue
			}
			old, ok := current.Headers[k]
			if !ok {
				return hookd.Invalid("headers."+k, "%q stands for a stored value, and this header has none; send the real value", maskedValue)
			}
			(*in.Headers)[k] = old
		}
	}
	in.egressInput.stored, in.destinationInput.stored = &current.Egress, current
	if err := in.typeKept(); err != nil {
		return err
	}
	var u hookd.EndpointUpdate
	if err := s.check(&in, &u); err != nil {
		return err
	}
	e, err := s.store.UpdateEndpoint(r.Context(), tenantID, id, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(e))
	return nil
}

func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) enableEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := s.store.EnableEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.notify()
	writeJSON(w, http.StatusOK, s.view(e))
	return nil
}

func (s *Server) disableEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := s.store.DisableEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"), hookd.DisabledManual)
	if err != nil {
		return err
	}
	s.notify() // its operational event, written with it, is due
	writeJSON(w, http.StatusOK, s.view(e))
	return nil
}
