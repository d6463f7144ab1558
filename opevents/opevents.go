// Package opevents tells the operator what happens to its customers'
// endpoints: endpoint.disabled, endpoint.enabled and delivery.failed events,
// so it can email or message the customer as hosted services do. They are
// ordinary hookd events of a reserved tenant, delivered to the operator's
// URL by the same engine: signed, retried and logged like any other. The
// stores write them (Builder, a hookd.OpEvents) in the transaction of the
// change they report, so a crash loses none.
package opevents

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
	"github.com/hookd/hookd/internal/jsonx"
	"github.com/hookd/hookd/signature"
)

// Tenant holds the operational endpoint and events. Its id cannot be chosen
// through the API (ids start with a letter or digit), so it cannot clash.
const Tenant = "_hookd"

// Event types.
const (
	EndpointDisabled = "endpoint.disabled"
	EndpointEnabled  = "endpoint.enabled"
	DeliveryFailed   = "delivery.failed"
)

var catalogue = []hookd.EventType{
	{Name: EndpointDisabled, Description: "hookd disabled a customer's endpoint: reason auto (too many failures in a row), gone (410) or manual.",
		Example: json.RawMessage(`{"tenant_id":"acme","endpoint_id":"ep_01JD6Z3K8Q9V7R2M4N5P6S7T8W","endpoint_name":"CRM sync","url":"https://acme.example/hooks","reason":"auto","failure_count":5}`)},
	{Name: EndpointEnabled, Description: "A customer's endpoint was enabled again; its paused deliveries are going out.",
		Example: json.RawMessage(`{"tenant_id":"acme","endpoint_id":"ep_01JD6Z3K8Q9V7R2M4N5P6S7T8W","endpoint_name":"CRM sync","url":"https://acme.example/hooks"}`)},
	{Name: DeliveryFailed, Description: "A delivery used every attempt of its schedule and failed for good.",
		Example: json.RawMessage(`{"tenant_id":"acme","endpoint_id":"ep_01JD6Z3K8Q9V7R2M4N5P6S7T8W","delivery_id":"dlv_01JD6Z3K8Q9V7R2M4N5P6S7T8X","event_id":"evt_01JD6Z3K8Q9V7R2M4N5P6S7T8Y","event_type":"contact.created","attempts":8,"last_status_code":500}`)},
}

// Builder builds the events (hookd.OpEvents). Stores opened with it write
// each one in the transaction of the change it reports.
type Builder struct{}

var _ hookd.OpEvents = Builder{}

// ForURL is what to open the store with for --operational-webhook-url:
// the Builder, or nil (nothing written) when no URL is configured.
func ForURL(url string) hookd.OpEvents {
	if url == "" {
		return nil
	}
	return Builder{}
}

// Setup prepares the reserved tenant, its event types and its one endpoint
// for url, signed with secret. With url empty it disables an endpoint set up
// before (the store then has no Builder, so nothing more is written).
func Setup(ctx context.Context, store hookd.Store, url, secret string, allowPrivate bool) error {
	existing, err := endpoint(ctx, store)
	if err != nil {
		return err
	}
	if url == "" {
		if existing != nil && existing.Enabled {
			if _, err := store.DisableEndpoint(ctx, Tenant, existing.ID, hookd.DisabledManual); err != nil {
				return fmt.Errorf("disable the operational webhook: %w", err)
			}
		}
		return nil
	}
	var v hookd.Validation
	hookd.CheckEndpointURL(&v, "--operational-webhook-url", url, allowPrivate)
	if err := v.Err(); err != nil {
		return err
	}
	if err := signature.ValidateSecret(secret); err != nil {
		return fmt.Errorf("--operational-webhook-secret must be a whsec_ secret (make one with: hookd sign --help, or echo whsec_$(openssl rand -base64 32)): %w", err)
	}
	if err := ensureCatalogue(ctx, store); err != nil {
		return err
	}
	if existing == nil {
		ep := &hookd.Endpoint{TenantID: Tenant, Name: "operational webhook", URL: url, EventTypes: []string{hookd.AllEventTypes},
			Headers: map[string]string{}, Enabled: true, MaxInFlight: hookd.DefaultMaxInFlight,
			Description: "hookd's own events about customers' endpoints (--operational-webhook-url)."}
		if err := store.CreateEndpoint(ctx, ep, secret); err != nil {
			return fmt.Errorf("create the operational webhook: %w", err)
		}
		return nil
	}
	return update(ctx, store, existing, url, secret)
}

func ensureCatalogue(ctx context.Context, store hookd.Store) error {
	err := store.CreateTenant(ctx, &hookd.Tenant{ID: Tenant, Name: "hookd operational events"})
	if err != nil && hookd.ErrorCode(err) != hookd.ECONFLICT {
		return fmt.Errorf("create the operational tenant: %w", err)
	}
	for _, et := range catalogue {
		if err := store.CreateEventType(ctx, &et); err != nil && hookd.ErrorCode(err) != hookd.ECONFLICT {
			return fmt.Errorf("create event type %s: %w", et.Name, err)
		}
	}
	return nil
}

func endpoint(ctx context.Context, store hookd.Store) (*hookd.Endpoint, error) {
	eps, err := store.Endpoints(ctx, Tenant, hookd.Page{Limit: 1})
	if err != nil || len(eps) == 0 {
		return nil, err
	}
	return eps[0], nil
}

// update follows configuration changes: a new URL, a new secret (which
// replaces the old one at once), a re-enable after the flag came back.
func update(ctx context.Context, store hookd.Store, ep *hookd.Endpoint, url, secret string) error {
	if ep.URL != url {
		if _, err := store.UpdateEndpoint(ctx, Tenant, ep.ID, hookd.EndpointUpdate{URL: &url}); err != nil {
			return fmt.Errorf("update the operational webhook: %w", err)
		}
	}
	secrets, err := store.Secrets(ctx, Tenant, ep.ID)
	if err != nil {
		return err
	}
	if len(secrets) == 0 || secrets[0] != secret {
		if err := store.RotateSecret(ctx, Tenant, ep.ID, secret, 0); err != nil {
			return fmt.Errorf("set the operational webhook secret: %w", err)
		}
	}
	if !ep.Enabled && ep.DisabledReason == hookd.DisabledManual {
		if _, err := store.EnableEndpoint(ctx, Tenant, ep.ID); err != nil {
			return fmt.Errorf("enable the operational webhook: %w", err)
		}
	}
	return nil
}

// Tenant is the reserved tenant.
func (Builder) Tenant() string { return Tenant }

type endpointData struct {
	TenantID      string     `json:"tenant_id"`
	EndpointID    string     `json:"endpoint_id"`
	EndpointName  string     `json:"endpoint_name"`
	URL           string     `json:"url"`
	Reason        string     `json:"reason,omitempty"`
	FailureCount  int        `json:"failure_count"`
	LastFailureAt *time.Time `json:"last_failure_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
}

// EndpointChanged builds endpoint.disabled or endpoint.enabled about e.
func (Builder) EndpointChanged(e *hookd.Endpoint, now time.Time) (hookd.NewEvent, bool, error) {
	if e.TenantID == Tenant {
		return hookd.NewEvent{}, false, nil // about ourselves: no loops
	}
	eventType := EndpointEnabled
	if !e.Enabled {
		eventType = EndpointDisabled
	}
	return build(eventType, now, endpointData{TenantID: e.TenantID, EndpointID: e.ID, EndpointName: e.Name, URL: e.URL,
		Reason: e.DisabledReason, FailureCount: e.FailureCount, LastFailureAt: e.LastFailureAt, LastSuccessAt: e.LastSuccessAt})
}

type failedData struct {
	TenantID       string `json:"tenant_id"`
	EndpointID     string `json:"endpoint_id"`
	DeliveryID     string `json:"delivery_id"`
	EventID        string `json:"event_id"`
	EventType      string `json:"event_type"`
	Attempts       int    `json:"attempts"`
	LastStatusCode int    `json:"last_status_code,omitempty"`
	LastError      string `json:"last_error,omitempty"`
}

// DeliveryFailed builds delivery.failed about a delivery that used every
// attempt. A 410 ends one early: it is about the endpoint, reported as
// endpoint.disabled (gone). Test deliveries are the customer's own business.
func (Builder) DeliveryFailed(r *hookd.AttemptResult, now time.Time) (hookd.NewEvent, bool, error) {
	j := r.Job
	if j.TenantID == Tenant || j.Test || r.Outcome.Gone {
		return hookd.NewEvent{}, false, nil
	}
	return build(DeliveryFailed, now, failedData{TenantID: j.TenantID, EndpointID: j.EndpointID, DeliveryID: j.DeliveryID,
		EventID: j.EventID, EventType: j.EventType, Attempts: j.Attempt, LastStatusCode: r.Attempt.StatusCode, LastError: r.Attempt.Error})
}

// build makes the event: data in the default envelope, as a publish of it
// through the API would.
func build(eventType string, now time.Time, data any) (hookd.NewEvent, bool, error) {
	raw, err := json.Marshal(data)
	if err == nil {
		raw, err = jsonx.AppendNormalized(nil, raw)
	}
	if err != nil {
		return hookd.NewEvent{}, false, fmt.Errorf("operational event %s: %w", eventType, err)
	}
	id := ids.NewAt(ids.Event, now)
	return hookd.NewEvent{ID: id, Type: eventType, Payload: jsonx.AppendEnvelope(nil, id, eventType, now, raw), RequestHash: id, CreatedAt: now}, true, nil
}
