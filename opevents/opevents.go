// Package opevents tells the operator what happens to its customers'
// endpoints: endpoint.disabled, endpoint.enabled and delivery.failed events,
// so it can email or message the customer as hosted services do. They are
// ordinary hookd events of a reserved tenant, delivered to the operator's
// URL by the same engine: signed, retried and logged like any other.
package opevents

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
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

// Notifier wakes the dispatcher.
type Notifier interface{ Notify() }

// Emitter publishes operational events; a nil Emitter does nothing, so
// callers need not check whether the feature is on.
type Emitter struct {
	store    hookd.Store
	notifier Notifier
	logger   *slog.Logger
}

// Setup prepares the reserved tenant, its event types and its one endpoint
// for url, signed with secret, and returns the emitter. With url empty it
// disables an endpoint set up before and returns nil.
func Setup(ctx context.Context, store hookd.Store, notifier Notifier, logger *slog.Logger, url, secret string, allowPrivate bool) (*Emitter, error) {
	existing, err := endpoint(ctx, store)
	if err != nil {
		return nil, err
	}
	if url == "" {
		if existing != nil && existing.Enabled {
			if _, err := store.DisableEndpoint(ctx, Tenant, existing.ID, hookd.DisabledManual); err != nil {
				return nil, fmt.Errorf("disable the operational webhook: %w", err)
			}
		}
		return nil, nil
	}
	var v hookd.Validation
	hookd.CheckEndpointURL(&v, "--operational-webhook-url", url, allowPrivate)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := signature.ValidateSecret(secret); err != nil {
		return nil, fmt.Errorf("--operational-webhook-secret must be a whsec_ secret (make one with: hookd sign --help, or echo whsec_$(openssl rand -base64 32)): %w", err)
	}
	if err := ensureCatalogue(ctx, store); err != nil {
		return nil, err
	}
	if existing == nil {
		ep := &hookd.Endpoint{TenantID: Tenant, Name: "operational webhook", URL: url, EventTypes: []string{hookd.AllEventTypes},
			Headers: map[string]string{}, Enabled: true, MaxInFlight: hookd.DefaultMaxInFlight,
			Description: "hookd's own events about customers' endpoints (--operational-webhook-url)."}
		if err := store.CreateEndpoint(ctx, ep, secret); err != nil {
			return nil, fmt.Errorf("create the operational webhook: %w", err)
		}
	} else if err := update(ctx, store, existing, url, secret); err != nil {
		return nil, err
	}
	return &Emitter{store: store, notifier: notifier, logger: logger}, nil
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

// EndpointDisabled reports that an endpoint was disabled.
func (e *Emitter) EndpointDisabled(ctx context.Context, tenantID, endpointID string) {
	e.aboutEndpoint(ctx, EndpointDisabled, tenantID, endpointID)
}

// EndpointEnabled reports that an endpoint was enabled.
func (e *Emitter) EndpointEnabled(ctx context.Context, tenantID, endpointID string) {
	e.aboutEndpoint(ctx, EndpointEnabled, tenantID, endpointID)
}

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

func (e *Emitter) aboutEndpoint(ctx context.Context, eventType, tenantID, endpointID string) {
	if e == nil || tenantID == Tenant {
		return // nothing configured, or about ourselves: no loops
	}
	ep, err := e.store.Endpoint(ctx, tenantID, endpointID)
	if err != nil {
		e.logger.Warn("operational event not sent", "type", eventType, "endpoint", endpointID, "err", err)
		return
	}
	e.publish(ctx, eventType, endpointData{TenantID: tenantID, EndpointID: ep.ID, EndpointName: ep.Name, URL: ep.URL,
		Reason: ep.DisabledReason, FailureCount: ep.FailureCount, LastFailureAt: ep.LastFailureAt, LastSuccessAt: ep.LastSuccessAt})
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

// DeliveryFailed reports a delivery that used every attempt.
func (e *Emitter) DeliveryFailed(ctx context.Context, job *hookd.Job, last hookd.Attempt) {
	if e == nil || job.TenantID == Tenant || job.Test {
		return
	}
	e.publish(ctx, DeliveryFailed, failedData{TenantID: job.TenantID, EndpointID: job.EndpointID, DeliveryID: job.DeliveryID,
		EventID: job.EventID, EventType: job.EventType, Attempts: job.Attempt, LastStatusCode: last.StatusCode, LastError: last.Error})
}

// publish stores the event; the engine delivers it. Failing to publish is
// logged, not returned: the change it reports has happened regardless.
func (e *Emitter) publish(ctx context.Context, eventType string, data any) {
	raw, err := json.Marshal(data)
	if err == nil {
		raw, err = jsonx.AppendNormalized(nil, raw)
	}
	if err != nil {
		e.logger.Error("operational event", "type", eventType, "err", err)
		return
	}
	now := time.Now()
	id := ids.NewAt(ids.Event, now)
	ev := hookd.NewEvent{ID: id, Type: eventType, Payload: jsonx.AppendEnvelope(nil, id, eventType, now, raw), RequestHash: id, CreatedAt: now}
	if _, err := e.store.PublishEvents(ctx, Tenant, []hookd.NewEvent{ev}); err != nil {
		e.logger.Error("operational event not sent", "type", eventType, "err", err)
		return
	}
	if e.notifier != nil {
		e.notifier.Notify()
	}
}
