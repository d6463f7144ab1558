// Package hookd holds the domain of the hookd webhook delivery platform: its
// types, the Store contract that every database implementation satisfies, and
// the rules that do not depend on any I/O. Everything else imports it; it
// imports nothing of ours.
package hookd

import (
	"encoding/json"
	"strings"
	"time"
)

// Tenant is one customer of the operator. Every endpoint, event and delivery
// belongs to exactly one tenant.
type Tenant struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// MaxInFlight bounds the tenant's requests in flight at once, across
	// every endpoint, worker and node; 0 means the deployment's default
	// (the API shows the value in force).
	MaxInFlight int       `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// TenantUpdate holds the fields a PATCH may change; nil means unchanged.
type TenantUpdate struct {
	Name *string
	// MaxInFlight 0 restores the deployment default.
	MaxInFlight *int
}

// EventType is one entry of the operator's catalogue.
type EventType struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	// Example is the data a test event of this type sends.
	Example json.RawMessage `json:"example,omitempty"`
	// Deprecated types are still published and chosen, flagged in pickers.
	Deprecated bool `json:"deprecated"`
	// Archived types are still published to the endpoints subscribed to
	// them, but no endpoint can newly subscribe to one.
	Archived  bool      `json:"archived"`
	CreatedAt time.Time `json:"created_at"`
}

// Disabled reasons.
const (
	DisabledManual = "manual" // someone disabled it, or created it disabled
	DisabledAuto   = "auto"   // too many permanently failed deliveries in a row
	DisabledGone   = "gone"   // the receiver answered 410 Gone
)

// AllEventTypes subscribes an endpoint to every type, including later ones.
const AllEventTypes = "*"

// Endpoint is a customer's receiving URL and how to deliver to it.
type Endpoint struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	// UID is the caller's own id for the endpoint, unique in its tenant
	// ("": none); the Svix-compatible API addresses endpoints by it.
	UID         string `json:"uid,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description"`
	URL         string `json:"url"`
	// EventTypes holds the subscribed types, or just AllEventTypes.
	EventTypes []string `json:"event_types"`
	// Channels, when not empty, narrow the subscription to events that
	// carry one of them (still of a subscribed type).
	Channels []string `json:"channels"`
	// Filter, when not empty, is a CEL expression (package filter) an event
	// must pass to be delivered here.
	Filter string `json:"filter,omitempty"`
	// Ordering is OrderingFIFO or "" (none); chosen at create.
	Ordering string `json:"ordering,omitempty"`
	// Transformation, when not empty, is JavaScript (package transform)
	// run on each delivery before it is signed and sent.
	Transformation string `json:"transformation,omitempty"`
	// Headers are sent with every request; their values are secrets to the
	// API (masked when read back) and encrypted at rest.
	Headers        map[string]string `json:"headers"`
	Enabled        bool              `json:"-"`
	DisabledReason string            `json:"disabled_reason,omitempty"`
	// RetrySchedule and Timeout override the deployment defaults when set.
	RetrySchedule Schedule      `json:"-"`
	Timeout       time.Duration `json:"-"`
	// SignatureScheme overrides the deployment's scheme when not empty.
	SignatureScheme string `json:"-"`
	// MaxInFlight bounds the requests to this endpoint in flight at once,
	// across every worker and node.
	MaxInFlight int `json:"max_in_flight"`
	// RateLimit bounds requests per second to this endpoint, across every
	// worker and node; 0 means no limit.
	RateLimit     int        `json:"rate_limit_per_second"`
	FailureCount  int        `json:"failure_count"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	LastFailureAt *time.Time `json:"last_failure_at"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	// Kind is KindWebhook, or KindLocal for a hookd listen session's
	// endpoint ("" on create: KindWebhook). Live lets a local session have
	// the tenant's real events too (TestOnly).
	Kind string `json:"-"`
	Live bool   `json:"-"`

	// Egress holds auth, client certificate and proxy (shown masked).
	Egress Egress `json:"-"`
	// Destination is the broker a non-webhook endpoint publishes to (nil:
	// a webhook, at URL). Its type is chosen at create; URL then shows the
	// broker (Destination.DisplayURL).
	Destination *Destination `json:"-"`
}

// Kinds of endpoint.
const (
	KindWebhook = "webhook" // a receiver on the network, or a broker destination
	// KindLocal is a hookd listen session's endpoint: listed apart (local
	// sessions), not counted toward the tenant's endpoint limit.
	KindLocal = "local"
)

// MaxLocalSessions bounds a tenant's hookd listen sessions at once; they do
// not count toward its endpoint limit, so they have their own.
const MaxLocalSessions = 20

// TestOnly reports whether an endpoint of that kind takes test events only
// (triggered ones, "Send test event"), never the tenant's published events:
// a local session that did not ask for them (--live).
func TestOnly(kind string, live bool) bool { return kind == KindLocal && !live }

// Subscribes reports whether the endpoint wants events of the given type.
func (e *Endpoint) Subscribes(eventType string) bool {
	return Subscribed(e.EventTypes, eventType)
}

// Status is "active" or "disabled", as shown to users.
func (e *Endpoint) Status() string {
	if e.Enabled {
		return "active"
	}
	return "disabled"
}

// EndpointUpdate holds the fields a PATCH may change; nil means unchanged.
type EndpointUpdate struct {
	UID           *string // "" removes it
	Name          *string
	Description   *string
	URL           *string
	EventTypes    *[]string
	Channels      *[]string // empty: every event of the subscribed types
	Filter        *string   // "": no content filter
	Ordering      *string   // only at create: CheckOrderingKept
	Headers       *map[string]string
	RetrySchedule *Schedule // a nil Schedule restores the deployment default; an empty one means no retries
	Timeout       *time.Duration
	MaxInFlight   *int
	RateLimit     *int
	// SignatureScheme "" restores the deployment default.
	SignatureScheme *string
	// Transformation "" removes it.
	Transformation *string
	// Egress settings: a zero value removes one.
	Auth                 *EndpointAuth
	TLSClientCertificate *TLSClientCertificate
	ProxyURL             *string
	// Destination replaces the broker's config and credentials; its type
	// is chosen at create (CheckDestinationKept). Nil leaves it alone.
	Destination *Destination
}

// Apply sets the fields u holds.
func (e *Endpoint) Apply(u EndpointUpdate) {
	set(&e.UID, u.UID)
	set(&e.Name, u.Name)
	set(&e.Description, u.Description)
	set(&e.URL, u.URL)
	set(&e.EventTypes, u.EventTypes)
	set(&e.Channels, u.Channels)
	set(&e.Filter, u.Filter)
	set(&e.Ordering, u.Ordering)
	set(&e.Transformation, u.Transformation)
	set(&e.Headers, u.Headers)
	set(&e.RetrySchedule, u.RetrySchedule)
	set(&e.Timeout, u.Timeout)
	set(&e.MaxInFlight, u.MaxInFlight)
	set(&e.RateLimit, u.RateLimit)
	set(&e.SignatureScheme, u.SignatureScheme)
	if u.Destination != nil {
		e.Destination = u.Destination
	}
	set(&e.Egress.Auth, u.Auth)
	set(&e.Egress.TLSClientCertificate, u.TLSClientCertificate)
	set(&e.Egress.ProxyURL, u.ProxyURL)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Event is one published event. Payload holds the exact bytes every delivery
// sends: the publisher's own payload, or the default envelope around data.
type Event struct {
	ID        string          `json:"id"`
	TenantID  string          `json:"tenant_id"`
	Type      string          `json:"type"`
	Channels  []string        `json:"channels"`
	Payload   json.RawMessage `json:"payload"`
	Test      bool            `json:"test"`
	CreatedAt time.Time       `json:"created_at"`
	// Deliveries is how many deliveries the publish created.
	Deliveries int `json:"deliveries"`
}

// NewEvent is one event to publish.
type NewEvent struct {
	ID             string // the publisher's id; generated when empty
	IdempotencyKey string // dedupes publishes; defaults to ID when given
	Type           string
	Channels       []string // fan-out also goes to endpoints with one of them (CheckChannels)
	Payload        []byte   // the exact bytes to send
	// Data is what content filters see as event.data: the envelope's data;
	// nil when the payload was sent as is (filters then see the payload).
	Data []byte
	// RequestHash fingerprints the publish request, so that reusing a key
	// for a different request is a conflict rather than a silent success.
	RequestHash string
	CreatedAt   time.Time
	// TraceParent is the publish span's W3C trace context, kept with the
	// event so its attempts' spans link to it; "" when tracing is off.
	TraceParent string
}

// PublishResult is what publishing one event did.
type PublishResult struct {
	ID         string `json:"id"`
	Deliveries int    `json:"deliveries"`
	// Duplicate is true when the key was seen before and nothing was created.
	Duplicate bool `json:"duplicate,omitempty"`
}

// Delivery statuses.
const (
	StatusPending   = "pending"   // not attempted yet
	StatusRetrying  = "retrying"  // attempted, failed, another attempt scheduled
	StatusDelivered = "delivered" // a 2xx answer was received
	StatusFailed    = "failed"    // every attempt failed; permanent
	StatusPaused    = "paused"    // its endpoint is disabled; resumes on enable
	StatusCancelled = "cancelled" // its endpoint's transformation cancelled it: no request; final
)

// ValidStatus reports whether s is a delivery status.
func ValidStatus(s string) bool {
	switch s {
	case StatusPending, StatusRetrying, StatusDelivered, StatusFailed, StatusPaused, StatusCancelled:
		return true
	}
	return false
}

// Delivery is one event for one endpoint.
type Delivery struct {
	ID             string     `json:"id"`
	TenantID       string     `json:"tenant_id"`
	EventID        string     `json:"event_id"`
	EventType      string     `json:"event_type"`
	EndpointID     string     `json:"endpoint_id"`
	Status         string     `json:"status"`
	Test           bool       `json:"test"`
	Attempts       int        `json:"attempt_count"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	LastAttemptAt  *time.Time `json:"last_attempt_at"`
	LastStatusCode int        `json:"last_status_code,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	LastDuration   Millis     `json:"last_duration_ms,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// AttemptLog is filled only when one delivery is read with its attempts.
	AttemptLog []Attempt `json:"-"`
	// WaitingFor is, for a waiting delivery of a FIFO endpoint, the id of
	// the endpoint's head delivery it waits behind; "" otherwise.
	WaitingFor string `json:"waiting_for,omitempty"`
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	ID             string            `json:"id"`
	DeliveryID     string            `json:"delivery_id"`
	Number         int               `json:"number"`
	At             time.Time         `json:"at"`
	URL            string            `json:"url"`
	RequestHeaders map[string]string `json:"request_headers"`
	StatusCode     int               `json:"status_code,omitempty"`
	Duration       Millis            `json:"duration_ms"`
	Error          string            `json:"error,omitempty"`
	ResponseBody   string            `json:"response_body"`
	// ResponseHeaders are the answer's headers as StorableHeaders keeps
	// them: bounded, since a receiver chooses them.
	ResponseHeaders map[string]string `json:"response_headers"`
}

// Millis is a duration shown in JSON as whole milliseconds.
type Millis time.Duration

// MarshalJSON writes the duration in milliseconds.
func (m Millis) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(m).Milliseconds())
}

// Roles of API keys.
const (
	RoleAdmin     = "admin"     // everything, including keys
	RolePublisher = "publisher" // publish events only
	RoleViewer    = "viewer"    // read only
	// RoleDeveloper is a CLI token's (a short-lived key for one tenant):
	// hookd listen, hookd trigger and retries of its local sessions, nothing else.
	RoleDeveloper = "developer"
)

// APIKey is a credential. Only its hash is stored; the key itself is shown
// once, when it is created.
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	TenantID   string     `json:"tenant_id,omitempty"` // empty: every tenant
	Prefix     string     `json:"prefix"`              // the first characters, to recognise it
	Hash       []byte     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// ExpiresAt, when set, is when the key stops working (CLI tokens).
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Expired reports whether the key no longer works at now.
func (k *APIKey) Expired(now time.Time) bool { return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) }

// Page asks for one page of a list, newest first.
type Page struct {
	Limit  int
	Cursor string // the id of the last item of the previous page
}

// EventFilter narrows an event list: one type, and created in [Since, Until)
// (a zero time leaves that side open).
type EventFilter struct {
	Type  string
	Since time.Time
	Until time.Time
}

// TenantFilter narrows a tenant list. Search matches an id by prefix or a
// name by substring, ignoring ASCII case; "" matches every tenant.
type TenantFilter struct {
	Search string
}

// LikePattern escapes s for a SQL LIKE with ESCAPE '\': the stores'
// tenant search matches it as written, % and _ included.
func LikePattern(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// DeliveryFilter narrows a delivery list.
type DeliveryFilter struct {
	TenantID   string
	EndpointID string
	EventID    string
	Status     string
}

// Duration returns m as a time.Duration.
func (m Millis) Duration() time.Duration { return time.Duration(m) }

// EndpointStats summarises an endpoint's recent traffic, for charts.
type EndpointStats struct {
	EndpointID string    `json:"endpoint_id"`
	Since      time.Time `json:"since"`
	// Counts holds the deliveries created since Since, by current status.
	Counts map[string]int `json:"counts"`
	// Attempts and Succeeded count the attempts made since Since.
	Attempts    int          `json:"attempts"`
	Succeeded   int          `json:"succeeded"`
	SuccessRate *float64     `json:"success_rate"` // nil without attempts
	Hours       []HourlyStat `json:"hours"`        // oldest first, one per hour
	// LastTest is the endpoint's latest test delivery, at any time: tests
	// never touch its health, so this is where their outcome shows.
	LastTest *Delivery `json:"last_test"`
}

// HourlyStat is one hour of an endpoint's attempts.
type HourlyStat struct {
	Hour        time.Time `json:"hour"`
	Attempts    int       `json:"attempts"`
	Succeeded   int       `json:"succeeded"`
	SuccessRate *float64  `json:"success_rate"`
}

// RecoverJob replays, in the background, every failed delivery of one
// endpoint created in a time window.
type RecoverJob struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"tenant_id"`
	EndpointID string    `json:"endpoint_id"`
	Since      time.Time `json:"since"`
	Until      time.Time `json:"until"`
	Status     string    `json:"status"` // RecoverRunning or RecoverDone
	Total      int       `json:"total"`
	Done       int       `json:"done"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Recover job statuses.
const (
	RecoverRunning = "running"
	RecoverDone    = "done"
)

// Purged counts what one retention pass removed.
type Purged struct {
	Deliveries int `json:"deliveries"`
	Events     int `json:"events"`
	// Endpoints counts deleted endpoints removed once none of their
	// deliveries was left.
	Endpoints int `json:"endpoints"`
}

// FillHours lays st's hours out from st.Since to now, one per hour with the
// hours without attempts included, from the counted hours byHour (keyed by
// the hour's start in UTC), and totals them into st.
func (st *EndpointStats) FillHours(now time.Time, byHour map[time.Time]HourlyStat) {
	st.Hours = st.Hours[:0]
	st.Attempts, st.Succeeded = 0, 0
	for t := st.Since.UTC(); !t.After(now); t = t.Add(time.Hour) {
		h := byHour[t]
		h.Hour = t
		h.SuccessRate = ratio(h.Succeeded, h.Attempts)
		st.Attempts += h.Attempts
		st.Succeeded += h.Succeeded
		st.Hours = append(st.Hours, h)
	}
	st.SuccessRate = ratio(st.Succeeded, st.Attempts)
}

func ratio(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	r := float64(part) / float64(whole)
	return &r
}

// MaxPageSize is the largest page a list returns.
const MaxPageSize = 1000

// Size is the page's limit clamped to 1-1001 (50 when unset): up to
// MaxPageSize items, plus the one more a caller may ask for to learn whether
// another page follows.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return 50
	case p.Limit > MaxPageSize+1:
		return MaxPageSize + 1
	}
	return p.Limit
}
