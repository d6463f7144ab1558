package hookd

import (
	"context"
	"errors"
	"time"
)

// LongCallFactor is how many times the store deadline the calls that may
// work through many rows get: maintenance batches (purge, bulk recover),
// deleting a tenant or endpoint with its history, an endpoint's statistics.
const LongCallFactor = 12

// WithDeadlines returns store with a deadline on every call: d, or
// LongCallFactor×d for the long ones. It is the one place calls get their
// deadline, so no caller (API, dashboard, engine, maintenance) can forget
// one: a database that stops answering, or a network that silently drops
// its packets, then costs a caller at most d, and the call fails with
// EUNAVAILABLE (the API's 503) instead of hanging. A caller's own, shorter
// deadline still applies. A write that runs out of time may still have
// committed (its answer was lost), as with any timeout; publishers retry
// with the same idempotency key.
//
// Every Store method is listed here, not promoted from an embedded Store,
// so that a new method cannot pass without a deadline (it does not compile
// until added). Wakeups is a stream, not a call, and keeps no deadline.
func WithDeadlines(store Store, d time.Duration) Store {
	return &bounded{s: store, d: d}
}

type bounded struct {
	s Store
	d time.Duration
}

var (
	_ Waker   = (*bounded)(nil)
	_ Readier = (*bounded)(nil)
)

// callLength says which deadline a call gets.
type callLength bool

const (
	normalCall callLength = false
	longCall   callLength = true
)

func within[T any](b *bounded, ctx context.Context, l callLength, fn func(context.Context) (T, error)) (T, error) {
	d := b.d
	if l == longCall {
		d *= LongCallFactor
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := fn(ctx)
	return v, timedOut(ctx, start, err)
}

func doWithin(b *bounded, ctx context.Context, l callLength, fn func(context.Context) error) error {
	_, err := within(b, ctx, l, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return err
}

// timedOut turns the failure of a call whose deadline passed into
// EUNAVAILABLE, saying how long the database had; domain errors (not
// found, conflict...) stay as they are.
func timedOut(ctx context.Context, start time.Time, err error) error {
	if err == nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	if code := ErrorCode(err); code != EINTERNAL && code != EUNAVAILABLE {
		return err
	}
	deadline, _ := ctx.Deadline()
	return Unavailable(err, "the database did not answer within %s; try again shortly",
		deadline.Sub(start).Round(time.Millisecond))
}

// Unavailable is an EUNAVAILABLE error whose message callers see, with
// cause, which only logs show (err.Error() carries both).
func Unavailable(cause error, format string, args ...any) error {
	return &unavailable{domain: Errorf(EUNAVAILABLE, format, args...), cause: cause}
}

type unavailable struct {
	domain *Error
	cause  error
}

func (u *unavailable) Error() string   { return u.domain.Message + ": " + u.cause.Error() }
func (u *unavailable) Unwrap() []error { return []error{u.domain, u.cause} }

func (b *bounded) Close() error { return b.s.Close() }

// Wakeups are the store's, or none (a closed channel) when it has none.
func (b *bounded) Wakeups(ctx context.Context) <-chan struct{} {
	if w, ok := b.s.(Waker); ok {
		return w.Wakeups(ctx)
	}
	none := make(chan struct{})
	close(none)
	return none
}

// Ready is the store's readiness, or its ping when it has no more to say.
func (b *bounded) Ready(ctx context.Context) error {
	return doWithin(b, ctx, normalCall, func(ctx context.Context) error {
		if r, ok := b.s.(Readier); ok {
			return r.Ready(ctx)
		}
		return b.s.Ping(ctx)
	})
}

func (b *bounded) Ping(ctx context.Context) error { return doWithin(b, ctx, normalCall, b.s.Ping) }

func (b *bounded) CreateTenant(ctx context.Context, t *Tenant) error {
	return doWithin(b, ctx, normalCall, func(ctx context.Context) error { return b.s.CreateTenant(ctx, t) })
}

func (b *bounded) Tenant(ctx context.Context, id string) (*Tenant, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*Tenant, error) { return b.s.Tenant(ctx, id) })
}

func (b *bounded) Tenants(ctx context.Context, f TenantFilter, p Page) ([]*Tenant, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) ([]*Tenant, error) { return b.s.Tenants(ctx, f, p) })
}

func (b *bounded) UpdateTenant(ctx context.Context, id string, u TenantUpdate) (*Tenant, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*Tenant, error) { return b.s.UpdateTenant(ctx, id, u) })
}

func (b *bounded) DeleteTenant(ctx context.Context, id string) error {
	return doWithin(b, ctx, longCall, func(ctx context.Context) error { return b.s.DeleteTenant(ctx, id) })
}

func (b *bounded) CreateEventType(ctx context.Context, et *EventType) error {
	return doWithin(b, ctx, normalCall, func(ctx context.Context) error { return b.s.CreateEventType(ctx, et) })
}

func (b *bounded) EventType(ctx context.Context, name string) (*EventType, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*EventType, error) { return b.s.EventType(ctx, name) })
}

func (b *bounded) EventTypes(ctx context.Context) ([]*EventType, error) {
	return within(b, ctx, normalCall, b.s.EventTypes)
}

func (b *bounded) UpdateEventType(ctx context.Context, name string, change func(*EventType) error) (*EventType, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*EventType, error) { return b.s.UpdateEventType(ctx, name, change) })
}

func (b *bounded) CreateEndpoint(ctx context.Context, e *Endpoint, secret string) error {
	return doWithin(b, ctx, normalCall, func(ctx context.Context) error { return b.s.CreateEndpoint(ctx, e, secret) })
}

func (b *bounded) Endpoint(ctx context.Context, tenantID, id string) (*Endpoint, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*Endpoint, error) { return b.s.Endpoint(ctx, tenantID, id) })
}

func (b *bounded) Endpoints(ctx context.Context, tenantID string, p Page) ([]*Endpoint, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) ([]*Endpoint, error) { return b.s.Endpoints(ctx, tenantID, p) })
}

func (b *bounded) LocalSessions(ctx context.Context, tenantID string, limit int) ([]*Endpoint, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) ([]*Endpoint, error) { return b.s.LocalSessions(ctx, tenantID, limit) })
}

func (b *bounded) CountEndpoints(ctx context.Context, tenantID string) (int, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (int, error) { return b.s.CountEndpoints(ctx, tenantID) })
}

func (b *bounded) UpdateEndpoint(ctx context.Context, tenantID, id string, u EndpointUpdate) (*Endpoint, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*Endpoint, error) { return b.s.UpdateEndpoint(ctx, tenantID, id, u) })
}

func (b *bounded) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	return doWithin(b, ctx, longCall, func(ctx context.Context) error { return b.s.DeleteEndpoint(ctx, tenantID, id) })
}

func (b *bounded) DeleteEndpointsByURLPrefix(ctx context.Context, prefix string) (int, error) {
	return within(b, ctx, longCall, func(ctx context.Context) (int, error) { return b.s.DeleteEndpointsByURLPrefix(ctx, prefix) })
}

func (b *bounded) EnableEndpoint(ctx context.Context, tenantID, id string) (*Endpoint, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*Endpoint, error) { return b.s.EnableEndpoint(ctx, tenantID, id) })
}

func (b *bounded) DisableEndpoint(ctx context.Context, tenantID, id, reason string) (*Endpoint, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*Endpoint, error) { return b.s.DisableEndpoint(ctx, tenantID, id, reason) })
}

func (b *bounded) Secrets(ctx context.Context, tenantID, id string) ([]string, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) ([]string, error) { return b.s.Secrets(ctx, tenantID, id) })
}

func (b *bounded) RotateSecret(ctx context.Context, tenantID, id, secret string, overlap time.Duration) error {
	return doWithin(b, ctx, normalCall, func(ctx context.Context) error { return b.s.RotateSecret(ctx, tenantID, id, secret, overlap) })
}

func (b *bounded) PublishEvents(ctx context.Context, tenantID string, events []NewEvent, offer *HandOff) ([]PublishResult, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) ([]PublishResult, error) {
		return b.s.PublishEvents(ctx, tenantID, events, offer)
	})
}

func (b *bounded) PublishTestEvent(ctx context.Context, tenantID, endpointID string, ev NewEvent) (*Delivery, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*Delivery, error) {
		return b.s.PublishTestEvent(ctx, tenantID, endpointID, ev)
	})
}

func (b *bounded) Event(ctx context.Context, tenantID, id string) (*Event, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*Event, error) { return b.s.Event(ctx, tenantID, id) })
}

func (b *bounded) EndpointByUID(ctx context.Context, tenantID, uid string) (*Endpoint, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*Endpoint, error) { return b.s.EndpointByUID(ctx, tenantID, uid) })
}

func (b *bounded) Events(ctx context.Context, tenantID string, f EventFilter, p Page) ([]*Event, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) ([]*Event, error) { return b.s.Events(ctx, tenantID, f, p) })
}

func (b *bounded) Deliveries(ctx context.Context, f DeliveryFilter, p Page) ([]*Delivery, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) ([]*Delivery, error) { return b.s.Deliveries(ctx, f, p) })
}

func (b *bounded) Delivery(ctx context.Context, tenantID, id string) (*Delivery, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*Delivery, error) { return b.s.Delivery(ctx, tenantID, id) })
}

func (b *bounded) ReplayDelivery(ctx context.Context, tenantID, id string) (*Delivery, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*Delivery, error) { return b.s.ReplayDelivery(ctx, tenantID, id) })
}

func (b *bounded) ClaimDeliveries(ctx context.Context, now time.Time, limit int, leaseGrace time.Duration, tenantMaxInFlight int) ([]*Job, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) ([]*Job, error) {
		return b.s.ClaimDeliveries(ctx, now, limit, leaseGrace, tenantMaxInFlight)
	})
}

func (b *bounded) RecordAttempts(ctx context.Context, results []AttemptResult) ([]string, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) ([]string, error) { return b.s.RecordAttempts(ctx, results) })
}

func (b *bounded) ReleaseDeliveries(ctx context.Context, jobs []*Job) error {
	return doWithin(b, ctx, normalCall, func(ctx context.Context) error { return b.s.ReleaseDeliveries(ctx, jobs) })
}

func (b *bounded) NextDueAt(ctx context.Context) (time.Time, bool, error) {
	var ok bool
	next, err := within(b, ctx, normalCall, func(ctx context.Context) (t time.Time, err error) {
		t, ok, err = b.s.NextDueAt(ctx)
		return t, err
	})
	return next, ok, err
}

func (b *bounded) EndpointStats(ctx context.Context, tenantID, id string, since time.Time) (*EndpointStats, error) {
	return within(b, ctx, longCall, func(ctx context.Context) (*EndpointStats, error) { return b.s.EndpointStats(ctx, tenantID, id, since) })
}

func (b *bounded) CreateRecoverJob(ctx context.Context, tenantID, endpointID string, since, until time.Time) (*RecoverJob, error) {
	return within(b, ctx, longCall, func(ctx context.Context) (*RecoverJob, error) {
		return b.s.CreateRecoverJob(ctx, tenantID, endpointID, since, until)
	})
}

func (b *bounded) RecoverJob(ctx context.Context, tenantID, id string) (*RecoverJob, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*RecoverJob, error) { return b.s.RecoverJob(ctx, tenantID, id) })
}

func (b *bounded) RecoverJobs(ctx context.Context, tenantID, endpointID string, p Page) ([]*RecoverJob, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) ([]*RecoverJob, error) {
		return b.s.RecoverJobs(ctx, tenantID, endpointID, p)
	})
}

func (b *bounded) RunRecoverJob(ctx context.Context, id string, limit int) (*RecoverJob, error) {
	return within(b, ctx, longCall, func(ctx context.Context) (*RecoverJob, error) { return b.s.RunRecoverJob(ctx, id, limit) })
}

func (b *bounded) RunningRecoverJobs(ctx context.Context) ([]*RecoverJob, error) {
	return within(b, ctx, normalCall, b.s.RunningRecoverJobs)
}

func (b *bounded) Purge(ctx context.Context, cutoff time.Time, limit int) (Purged, error) {
	return within(b, ctx, longCall, func(ctx context.Context) (Purged, error) { return b.s.Purge(ctx, cutoff, limit) })
}

func (b *bounded) CreateAPIKey(ctx context.Context, k *APIKey) error {
	return doWithin(b, ctx, normalCall, func(ctx context.Context) error { return b.s.CreateAPIKey(ctx, k) })
}

func (b *bounded) APIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*APIKey, error) { return b.s.APIKeyByHash(ctx, hash) })
}

func (b *bounded) APIKeys(ctx context.Context, tenantID string, p Page) ([]*APIKey, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) ([]*APIKey, error) { return b.s.APIKeys(ctx, tenantID, p) })
}

func (b *bounded) APIKey(ctx context.Context, id string) (*APIKey, error) {
	return within(b, ctx, normalCall, func(ctx context.Context) (*APIKey, error) { return b.s.APIKey(ctx, id) })
}

func (b *bounded) DeleteAPIKey(ctx context.Context, id string) error {
	return doWithin(b, ctx, normalCall, func(ctx context.Context) error { return b.s.DeleteAPIKey(ctx, id) })
}

func (b *bounded) CountAPIKeys(ctx context.Context) (int, error) {
	return within(b, ctx, normalCall, b.s.CountAPIKeys)
}
