package hookd

import (
	"context"
	"time"
)

// Store is the one persistence contract. The sqlite and postgres packages
// implement it and both pass the storetest suite; no behaviour lives in one
// store only. Methods return *Error values with ENOTFOUND, ECONFLICT or
// EINVALID where the caller can act on them, and wrapped errors otherwise.
// Every method that takes a tenant id scopes its work to that tenant: an
// object of another tenant is ENOTFOUND.
type Store interface {
	TenantStore
	EventTypeStore
	EndpointStore
	EventStore
	DeliveryStore
	QueueStore
	APIKeyStore
	MaintenanceStore
	Close() error
}

// TenantStore keeps tenants.
type TenantStore interface {
	CreateTenant(ctx context.Context, t *Tenant) error // ECONFLICT when the id is taken
	Tenant(ctx context.Context, id string) (*Tenant, error)
	Tenants(ctx context.Context, f TenantFilter, p Page) ([]*Tenant, error) // by id, ascending
	UpdateTenant(ctx context.Context, id string, u TenantUpdate) (*Tenant, error)
	// DeleteTenant removes the tenant and everything it owns.
	DeleteTenant(ctx context.Context, id string) error
}

// EventTypeStore keeps the catalogue.
type EventTypeStore interface {
	CreateEventType(ctx context.Context, et *EventType) error // ECONFLICT when the name is taken
	EventType(ctx context.Context, name string) (*EventType, error)
	EventTypes(ctx context.Context) ([]*EventType, error)
	// UpdateEventType reads the type, lets change edit it (description,
	// schema, example, deprecated, archived) and stores the result, in one
	// transaction: nothing is stored when change fails, and its error is
	// returned. ENOTFOUND for an unknown name.
	UpdateEventType(ctx context.Context, name string, change func(*EventType) error) (*EventType, error)
}

// EndpointStore keeps endpoints and their signing secrets.
type EndpointStore interface {
	// CreateEndpoint stores e (its ID and times are set) with its first
	// signing secret. EINVALID when a subscribed type is not in the catalogue.
	CreateEndpoint(ctx context.Context, e *Endpoint, secret string) error
	Endpoint(ctx context.Context, tenantID, id string) (*Endpoint, error)
	// EndpointByUID finds the tenant's endpoint with that uid. CreateEndpoint
	// and UpdateEndpoint are ECONFLICT for a uid another endpoint has.
	EndpointByUID(ctx context.Context, tenantID, uid string) (*Endpoint, error)
	// Endpoints and CountEndpoints leave out KindLocal ones: those are
	// LocalSessions, newest first, at most limit.
	Endpoints(ctx context.Context, tenantID string, p Page) ([]*Endpoint, error)
	CountEndpoints(ctx context.Context, tenantID string) (int, error)
	LocalSessions(ctx context.Context, tenantID string, limit int) ([]*Endpoint, error)
	UpdateEndpoint(ctx context.Context, tenantID, id string, u EndpointUpdate) (*Endpoint, error)
	// DeleteEndpoint takes an endpoint out of every list, count, fan-out
	// and action (ENOTFOUND from then on) but keeps it, marked, with its
	// deliveries and attempts, readable until Purge removes them and then
	// it. Its waiting deliveries fail with DeletedEndpointError; one in
	// flight keeps its lease and its result is dropped; replaying any of
	// them is ECONFLICT.
	DeleteEndpoint(ctx context.Context, tenantID, id string) error
	// DeleteEndpointsByURLPrefix removes every endpoint, of any tenant, whose
	// URL starts with prefix, and says how many (stale listen sessions).
	DeleteEndpointsByURLPrefix(ctx context.Context, prefix string) (int, error)
	// EnableEndpoint makes its paused deliveries due now and resets its
	// failure count.
	EnableEndpoint(ctx context.Context, tenantID, id string) (*Endpoint, error)
	// DisableEndpoint pauses its pending and retrying deliveries (test
	// deliveries excepted). reason is one of the Disabled* constants.
	DisableEndpoint(ctx context.Context, tenantID, id, reason string) (*Endpoint, error)
	// Secrets returns the endpoint's valid signing secrets, newest first.
	Secrets(ctx context.Context, tenantID, id string) ([]string, error)
	// RotateSecret makes secret the endpoint's newest signing secret; the
	// ones valid until now stay valid for overlap more (0: they end now).
	RotateSecret(ctx context.Context, tenantID, id, secret string, overlap time.Duration) error
}

// EventStore keeps events. Publishing is the outbox: the event and one
// delivery per subscribed endpoint commit together, or nothing does.
type EventStore interface {
	// PublishEvents stores every event and its deliveries in one
	// transaction. An event whose idempotency key was seen before with the
	// same RequestHash is returned with Duplicate set and creates nothing; with
	// another hash, the whole call fails with ECONFLICT. EINVALID when a type
	// is not in the catalogue; ENOTFOUND when the tenant does not exist.
	// With an offer (non-nil), the same transaction leases to the
	// publishing node what it reserves of the new deliveries, as
	// PlanHandOff picks, and sets offer.Jobs when the publish commits.
	PublishEvents(ctx context.Context, tenantID string, events []NewEvent, offer *HandOff) ([]PublishResult, error)
	// PublishTestEvent stores a test event with one delivery to one endpoint,
	// due at once even when the endpoint is disabled. ERATELIMITED when the
	// endpoint or its tenant sent too many lately (CheckTestEventRate).
	PublishTestEvent(ctx context.Context, tenantID, endpointID string, ev NewEvent) (*Delivery, error)
	Event(ctx context.Context, tenantID, id string) (*Event, error)
	// Events lists a tenant's events (test events excepted) that match f,
	// by id, descending; generated ids sort by time.
	Events(ctx context.Context, tenantID string, f EventFilter, p Page) ([]*Event, error)
}

// DeliveryStore reads and replays deliveries.
type DeliveryStore interface {
	Deliveries(ctx context.Context, f DeliveryFilter, p Page) ([]*Delivery, error)
	// Delivery returns one delivery with its attempts, oldest first.
	Delivery(ctx context.Context, tenantID, id string) (*Delivery, error)
	// ReplayDelivery resets the delivery to be attempted at once with a fresh
	// retry schedule (paused if its endpoint is disabled). ECONFLICT while an
	// attempt of it is in flight.
	ReplayDelivery(ctx context.Context, tenantID, id string) (*Delivery, error)
}

// Job is a claimed delivery with everything needed to send it.
type Job struct {
	DeliveryID string
	TenantID   string
	EventID    string
	EventType  string
	EndpointID string
	Test       bool
	// Attempt is this attempt's number over the delivery's life (1-based);
	// RunAttempt counts from the delivery's creation or last replay and
	// indexes the retry schedule.
	Attempt    int
	RunAttempt int
	Payload    []byte
	CreatedAt  time.Time // the event's
	// TraceParent is the publish's trace context (NewEvent.TraceParent).
	TraceParent string

	URL           string
	Headers       map[string]string
	Secrets       []string // newest first
	RetrySchedule Schedule // nil: the deployment default
	Timeout       time.Duration
	// SignatureScheme is the endpoint's override; "" means the deployment's.
	SignatureScheme string
	// Egress is the endpoint's auth, client certificate and proxy.
	Egress Egress
	// Destination is the endpoint's broker; nil for a webhook (URL).
	Destination *Destination
	// Transformation is the endpoint's script ("" for none).
	Transformation string
	// LeaseToken identifies this claim; a result is applied only while the
	// claim is still this one.
	LeaseToken string
}

// AttemptResult is a finished attempt and the delivery's next state.
type AttemptResult struct {
	Job     *Job
	Attempt Attempt
	Outcome Outcome
	// NextAttemptAt is when to try again; zero when the delivery is done
	// (delivered, or failed permanently).
	NextAttemptAt time.Time
}

// QueueStore is the delivery queue the dispatcher drives.
type QueueStore interface {
	// ClaimDeliveries leases up to limit due deliveries to one worker, never
	// letting an endpoint have more than its MaxInFlight leased at once, nor
	// a tenant more than its MaxInFlight (tenantMaxInFlight for tenants
	// without their own; 0: no bound), and sharing the batch between
	// tenants and endpoints as ShareClaims does. A lease lasts the
	// endpoint's timeout plus leaseGrace; when it runs out (the worker died)
	// the delivery is due again.
	ClaimDeliveries(ctx context.Context, now time.Time, limit int, leaseGrace time.Duration, tenantMaxInFlight int) ([]*Job, error)
	// RecordAttempts stores attempts and applies their outcomes in one
	// transaction: delivery state, endpoint counters, auto-disable. It
	// returns the ids of endpoints it disabled.
	RecordAttempts(ctx context.Context, results []AttemptResult) (disabled []string, err error)
	// ReleaseDeliveries gives claimed deliveries back unattempted (shutdown).
	ReleaseDeliveries(ctx context.Context, jobs []*Job) error
	// NextDueAt returns the earliest time a delivery becomes claimable, or
	// false when none is waiting.
	NextDueAt(ctx context.Context) (time.Time, bool, error)
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
}

// MaintenanceStore holds the background work on stored deliveries.
type MaintenanceStore interface {
	// EndpointStats counts the endpoint's deliveries and attempts since a
	// time, attempts by hour.
	EndpointStats(ctx context.Context, tenantID, id string, since time.Time) (*EndpointStats, error)
	// CreateRecoverJob starts a bulk replay of the endpoint's failed
	// deliveries created in [since, until); Total is counted now.
	CreateRecoverJob(ctx context.Context, tenantID, endpointID string, since, until time.Time) (*RecoverJob, error)
	RecoverJob(ctx context.Context, tenantID, id string) (*RecoverJob, error)
	// RecoverJobs lists a tenant's jobs, newest first: one endpoint's, or
	// every endpoint's when endpointID is empty.
	RecoverJobs(ctx context.Context, tenantID, endpointID string, p Page) ([]*RecoverJob, error)
	// RunRecoverJob replays the job's next batch (at most limit deliveries)
	// and returns its progress; Status is RecoverDone after the last.
	RunRecoverJob(ctx context.Context, id string, limit int) (*RecoverJob, error)
	// RunningRecoverJobs lists unfinished jobs, to resume after a restart.
	RunningRecoverJobs(ctx context.Context) ([]*RecoverJob, error)
	// Purge removes, at most limit of each, delivered and failed
	// deliveries finished before cutoff, paused ones created before it (with
	// their attempts), events older than cutoff with no deliveries left,
	// and endpoints deleted before cutoff with no deliveries left.
	Purge(ctx context.Context, cutoff time.Time, limit int) (Purged, error)
}

// APIKeyStore keeps API keys by hash.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// APIKeyByHash finds a key for authentication and records its use.
	APIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
	APIKeys(ctx context.Context, tenantID string, p Page) ([]*APIKey, error) // "" lists every key
	APIKey(ctx context.Context, id string) (*APIKey, error)
	// DeleteAPIKey revokes a key; ECONFLICT for the last deployment-wide
	// admin key, without which nobody could manage tenants or keys.
	DeleteAPIKey(ctx context.Context, id string) error
	CountAPIKeys(ctx context.Context) (int, error)
}

// AutoDisableAfter is how many permanently failed deliveries of distinct
// events in a row disable an endpoint.
const AutoDisableAfter = 5
