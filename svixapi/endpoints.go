package svixapi

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/signature"
)

// endpointName names the endpoints this API creates, in hookd's
// dashboard: their uid, or this.
const endpointName = "Svix endpoint"

// endpointIn is Svix's EndpointIn, EndpointUpdate and EndpointPatch; nil
// means absent. metadata and version are not kept (docs/svix.md).
type endpointIn struct {
	URL         *string            `json:"url"`
	Description *string            `json:"description"`
	UID         *string            `json:"uid"`
	Disabled    *bool              `json:"disabled"`
	FilterTypes *[]string          `json:"filterTypes"`
	Channels    *[]string          `json:"channels"`
	RateLimit   *int               `json:"rateLimit"`
	Secret      *string            `json:"secret"`
	Headers     *map[string]string `json:"headers"`
}

type endpointOut struct {
	ID          string            `json:"id"`
	URL         string            `json:"url"`
	Description string            `json:"description"`
	UID         *string           `json:"uid,omitempty"`
	Disabled    bool              `json:"disabled"`
	FilterTypes []string          `json:"filterTypes,omitempty"`
	Channels    []string          `json:"channels,omitempty"`
	RateLimit   *int              `json:"rateLimit,omitempty"`
	Metadata    map[string]string `json:"metadata"`
	Version     int               `json:"version"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
}

func viewEndpoint(e *hookd.Endpoint) endpointOut {
	out := endpointOut{ID: e.ID, URL: e.URL, Description: e.Description, Disabled: !e.Enabled, Channels: e.Channels,
		Metadata: map[string]string{}, Version: 1, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if e.UID != "" {
		out.UID = &e.UID
	}
	if !slices.Contains(e.EventTypes, hookd.AllEventTypes) {
		out.FilterTypes = e.EventTypes
	}
	if e.RateLimit > 0 {
		out.RateLimit = &e.RateLimit
	}
	return out
}

// svixNames renames the endpoint fields Svix names otherwise.
func svixNames(err error) error {
	err = hookd.RenameField(err, "event_types", "filterTypes")
	return hookd.RenameField(err, "rate_limit_per_second", "rateLimit")
}

// check reads the fields present into u and checks them with the one
// endpoint rule (service.CheckEndpoint), in Svix's field names; full (a
// create or a PUT) makes the absent ones their defaults, as Svix's PUT
// replaces. stored is the endpoint updated (nil on create): a broker
// endpoint's derived URL, absent or sent back as read (Svix's PUT requires
// one), is no change; any other is refused by the store
// (hookd.CheckDestinationKept). Svix creates webhooks only.
func (s *Server) check(in *endpointIn, u *hookd.EndpointUpdate, full bool, stored *hookd.Endpoint) error {
	var v hookd.Validation
	if stored != nil && stored.Destination != nil && (in.URL == nil || *in.URL == stored.URL) {
		in.URL = nil
	} else if full && in.URL == nil {
		in.URL = new(string) // the URL check says it is required
	}
	if full {
		if in.Description == nil {
			in.Description = new(string)
		}
		if in.FilterTypes == nil {
			in.FilterTypes = &[]string{}
		}
		if in.Channels == nil {
			in.Channels = &[]string{}
		}
		if in.RateLimit == nil {
			in.RateLimit = new(int)
		}
	}
	u.URL = in.URL
	u.Description = in.Description
	u.UID = in.UID
	if in.FilterTypes != nil {
		types := *in.FilterTypes
		if len(types) == 0 { // Svix: no filter is every type
			types = []string{hookd.AllEventTypes}
		}
		u.EventTypes = &types
	}
	u.Channels = in.Channels
	u.RateLimit = in.RateLimit
	if in.Secret != nil {
		if err := signature.ValidateSecret(*in.Secret); err != nil {
			v.Add("secret", "%v", err)
		}
	}
	u.Headers = in.Headers
	service.CheckEndpoint(&v, u, s.cfg.EndpointRules())
	return svixNames(v.Err())
}

// endpoint reads the path's endpoint by id, or else by uid.
func (s *Server) endpoint(ctx context.Context, r *http.Request) (*hookd.Endpoint, error) {
	tenantID, id := r.PathValue("app_id"), r.PathValue("endpoint_id")
	e, err := s.store.Endpoint(ctx, tenantID, id)
	if hookd.ErrorCode(err) != hookd.ENOTFOUND {
		return e, err
	}
	if e, err = s.store.EndpointByUID(ctx, tenantID, id); hookd.ErrorCode(err) != hookd.ENOTFOUND {
		return e, err
	}
	if _, err := s.app(r); err != nil {
		return nil, err
	}
	return nil, hookd.Errorf(hookd.ENOTFOUND, "endpoint %q not found", id)
}

func (s *Server) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in endpointIn
	if err := decode(w, r, &in, 256<<10); err != nil {
		return err
	}
	var u hookd.EndpointUpdate
	if err := s.check(&in, &u, true, nil); err != nil {
		return err
	}
	t, err := s.app(r)
	if err != nil {
		return err
	}
	// Svix's receivers verify Standard Webhooks signatures, whatever the
	// deployment's default scheme.
	e := service.NewEndpoint(t.ID, s.cfg.EndpointRules())
	e.Name, e.SignatureScheme = endpointName, string(signature.Standard)
	e.Apply(u)
	if e.UID != "" && len(e.UID) <= hookd.MaxNameLength { // uids are ASCII
		e.Name = e.UID
	}
	if in.Disabled != nil && *in.Disabled {
		e.Enabled, e.DisabledReason = false, hookd.DisabledManual
	}
	secret := ""
	if in.Secret != nil {
		secret = *in.Secret
	}
	if _, err := service.CreateEndpoint(r.Context(), s.store, e, secret, s.cfg.MaxEndpointsPerTenant); err != nil {
		return svixNames(err)
	}
	writeJSON(w, http.StatusCreated, viewEndpoint(e))
	return nil
}

func (s *Server) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	t, err := s.app(r)
	if err != nil {
		return err
	}
	eps, err := s.store.Endpoints(r.Context(), t.ID, p)
	if err != nil {
		return err
	}
	eps, next := cut(eps, p, func(e *hookd.Endpoint) string { return e.ID })
	out := make([]endpointOut, len(eps))
	for i, e := range eps {
		out[i] = viewEndpoint(e)
	}
	writeJSON(w, http.StatusOK, listOf(out, next))
	return nil
}

func (s *Server) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewEndpoint(e))
	return nil
}

func (s *Server) putEndpoint(w http.ResponseWriter, r *http.Request) error {
	return s.updateEndpoint(w, r, true)
}

func (s *Server) patchEndpoint(w http.ResponseWriter, r *http.Request) error {
	return s.updateEndpoint(w, r, false)
}

// updateEndpoint applies a PUT (full) or PATCH. Everything is validated
// before anything is written; disabled is applied last, by the store's
// own enable and disable (which pause and resume deliveries).
func (s *Server) updateEndpoint(w http.ResponseWriter, r *http.Request, full bool) error {
	var in endpointIn
	if err := decode(w, r, &in, 256<<10); err != nil {
		return err
	}
	if in.Secret != nil {
		return hookd.Invalid("secret", "change the secret with .../secret/rotate")
	}
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	var u hookd.EndpointUpdate
	if err := s.check(&in, &u, full, e); err != nil {
		return err
	}
	if e, err = s.store.UpdateEndpoint(r.Context(), e.TenantID, e.ID, u); err != nil {
		return svixNames(err)
	}
	if full && in.Disabled == nil {
		in.Disabled = new(bool)
	}
	if in.Disabled != nil && *in.Disabled == e.Enabled {
		if *in.Disabled {
			e, err = s.store.DisableEndpoint(r.Context(), e.TenantID, e.ID, hookd.DisabledManual)
		} else {
			e, err = s.store.EnableEndpoint(r.Context(), e.TenantID, e.ID)
		}
		if err != nil {
			return err
		}
		s.notify()
	}
	writeJSON(w, http.StatusOK, viewEndpoint(e))
	return nil
}

func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteEndpoint(r.Context(), e.TenantID, e.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
