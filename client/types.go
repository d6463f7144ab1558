package client

import (
	"encoding/json"
	"time"
)

// The API's objects, as /openapi.json describes them.

// Tenant is one of your customers: endpoints, events and deliveries belong to one.
type Tenant struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	MaxInFlight int       `json:"max_in_flight"` // the cap in force (its own, or the deployment's)
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// TenantCreate creates a tenant. ID is generated (ten_...) when empty.
type TenantCreate struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name"`
	MaxInFlight int    `json:"max_in_flight,omitempty"` // 0: the deployment's default
}

// TenantUpdate changes the fields given. DefaultMaxInFlight drops the
// tenant's own cap (MaxInFlight is then ignored).
type TenantUpdate struct {
	Name               *string
	MaxInFlight        *int
	DefaultMaxInFlight bool
}

// MarshalJSON writes the given fields; max_in_flight null restores the default.
func (u TenantUpdate) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if u.Name != nil {
		m["name"] = *u.Name
	}
	switch {
	case u.DefaultMaxInFlight:
		m["max_in_flight"] = nil
	case u.MaxInFlight != nil:
		m["max_in_flight"] = *u.MaxInFlight
	}
	return json.Marshal(m)
}

// EventType is an entry of the event catalogue.
type EventType struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema,omitempty"`  // JSON Schema of data; nil when not set
	Example     json.RawMessage `json:"example,omitempty"` // example data; nil when not set
	Deprecated  bool            `json:"deprecated"`        // flagged in pickers, still published
	Archived    bool            `json:"archived"`          // no new subscriptions, still published
	CreatedAt   time.Time       `json:"created_at"`
}

// EventTypeCreate adds a type to the catalogue.
type EventTypeCreate struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"`
	Deprecated  bool            `json:"deprecated,omitempty"`
	Archived    bool            `json:"archived,omitempty"`
}

// EventTypeUpdate edits a type: nil fields are kept; a Schema or Example
// of JSON null (json.RawMessage("null")) removes it.
type EventTypeUpdate struct {
	Description *string         `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"`
	Deprecated  *bool           `json:"deprecated,omitempty"`
	Archived    *bool           `json:"archived,omitempty"`
}

// Endpoint is a URL of a tenant that receives the event types it subscribes to.
type Endpoint struct {
	ID              string            `json:"id"`
	TenantID        string            `json:"tenant_id"`
	Name            string            `json:"name"`
	Description     string            `json:"description"`
	URL             string            `json:"url"`
	EventTypes      []string          `json:"event_types"`
	Filter          string            `json:"filter,omitempty"`   // CEL content filter; "" none
	Ordering        string            `json:"ordering,omitempty"` // "fifo"; "" none
	Headers         map[string]string `json:"headers"`            // values masked
	Status          string            `json:"status"`             // "active" or "disabled"
	Enabled         bool              `json:"enabled"`
	DisabledReason  string            `json:"disabled_reason,omitempty"`
	RetrySchedule   []string          `json:"retry_schedule"`
	TimeoutSeconds  int               `json:"timeout_seconds"`
	MaxInFlight     int               `json:"max_in_flight"`
	RateLimit       int               `json:"rate_limit_per_second"`
	SignatureScheme string            `json:"signature_scheme"`
	FailureCount    int               `json:"failure_count"`
	LastSuccessAt   *time.Time        `json:"last_success_at"`
	LastFailureAt   *time.Time        `json:"last_failure_at"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
	// Transformation is JavaScript run on each delivery; "" none.
	Transformation string `json:"transformation,omitempty"`
	// Type is where deliveries go: "webhook" (at URL) or a broker,
	// "rabbitmq", "redis", "nats" or "kafka", whose Config and Credentials
	// (password masked) are shown and whose URL is derived from them
	// (docs/destinations.md).
	Type        string          `json:"type"`
	Config      json.RawMessage `json:"config,omitempty"`
	Credentials *Credentials    `json:"credentials,omitempty"`
}

// Credentials log in to a broker. Read back, the password is MaskedSecret;
// sent back so (same username), the stored one is kept.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// MaskedSecret stands for a stored secret in what the server shows.
const MaskedSecret = "********"

// EndpointCreate creates an endpoint; zero values take the server's defaults.
type EndpointCreate struct {
	Name            string            `json:"name"`
	Description     string            `json:"description,omitempty"`
	URL             string            `json:"url"`
	EventTypes      []string          `json:"event_types,omitempty"` // default ["*"]
	Filter          string            `json:"filter,omitempty"`      // a CEL expression; default none
	Ordering        string            `json:"ordering,omitempty"`    // "fifo", at create only
	Headers         map[string]string `json:"headers,omitempty"`
	Enabled         *bool             `json:"enabled,omitempty"`       // default true
	RetrySchedule   []string          `json:"retry_schedule,omitzero"` // nil: the default; empty: one attempt
	TimeoutSeconds  int               `json:"timeout_seconds,omitempty"`
	MaxInFlight     int               `json:"max_in_flight,omitempty"`
	RateLimit       int               `json:"rate_limit_per_second,omitempty"`
	SignatureScheme string            `json:"signature_scheme,omitempty"`
	// Transformation is JavaScript run on each delivery; default none.
	Transformation string `json:"transformation,omitempty"`
	// Type is a broker's (default webhook), chosen here for good; a broker
	// endpoint has Config (its type's keys, e.g. redis {"url","stream"}),
	// maybe Credentials, and no URL.
	Type        string          `json:"type,omitempty"`
	Config      json.RawMessage `json:"config,omitempty"`
	Credentials *Credentials    `json:"credentials,omitempty"`
}

// EndpointUpdate changes the fields given (nil: unchanged).
// DefaultRetrySchedule restores the deployment's schedule;
// RemoveCredentials drops a broker endpoint's credentials.
type EndpointUpdate struct {
	Name                 *string            `json:"name,omitempty"`
	Description          *string            `json:"description,omitempty"`
	URL                  *string            `json:"url,omitempty"`
	EventTypes           *[]string          `json:"event_types,omitempty"`
	Filter               *string            `json:"filter,omitempty"` // "": remove the filter
	Headers              *map[string]string `json:"headers,omitempty"`
	RetrySchedule        *[]string          `json:"retry_schedule,omitempty"`
	DefaultRetrySchedule bool               `json:"-"`
	TimeoutSeconds       *int               `json:"timeout_seconds,omitempty"`
	MaxInFlight          *int               `json:"max_in_flight,omitempty"`
	RateLimit            *int               `json:"rate_limit_per_second,omitempty"`
	SignatureScheme      *string            `json:"signature_scheme,omitempty"`
	// Transformation "" removes it.
	Transformation *string `json:"transformation,omitempty"`
	// Config replaces a broker endpoint's config (a password read back
	// masked is kept); Credentials replace its credentials.
	Config            json.RawMessage `json:"config,omitempty"`
	Credentials       *Credentials    `json:"credentials,omitempty"`
	RemoveCredentials bool            `json:"-"`
}

// CreatedEndpoint is a new endpoint with its signing secret, shown only here.
type CreatedEndpoint struct {
	Endpoint      Endpoint `json:"endpoint"`
	SigningSecret string   `json:"signing_secret"`
}

// RotatedSecret is an endpoint's new secret and when the old ones stop signing.
type RotatedSecret struct {
	SigningSecret      string    `json:"signing_secret"`
	OldSecretExpiresAt time.Time `json:"old_secret_expires_at"`
}

// Event is a published event.
type Event struct {
	ID         string          `json:"id"`
	TenantID   string          `json:"tenant_id"`
	Type       string          `json:"type"`
	Payload    json.RawMessage `json:"payload"` // the exact body every delivery sends
	Test       bool            `json:"test"`
	CreatedAt  time.Time       `json:"created_at"`
	Deliveries int             `json:"deliveries"`
}

// PublishResult is what a publish created.
type PublishResult struct {
	ID         string `json:"id"`
	Deliveries int    `json:"deliveries"`
	// Duplicate: the same request was published before (by idempotency
	// key or id); nothing new was created.
	Duplicate bool `json:"duplicate,omitempty"`
}

// Delivery is one event to one endpoint.
type Delivery struct {
	ID             string     `json:"id"`
	TenantID       string     `json:"tenant_id"`
	EventID        string     `json:"event_id"`
	EventType      string     `json:"event_type"`
	EndpointID     string     `json:"endpoint_id"`
	Status         string     `json:"status"` // pending, retrying, delivered, failed, paused
	Test           bool       `json:"test"`
	AttemptCount   int        `json:"attempt_count"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	LastAttemptAt  *time.Time `json:"last_attempt_at"`
	LastStatusCode int        `json:"last_status_code,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	LastDurationMS int64      `json:"last_duration_ms,omitempty"`
	WaitingFor     string     `json:"waiting_for,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// DeliveryDetail is a delivery with its attempt log, oldest first.
type DeliveryDetail struct {
	Delivery
	Attempts []Attempt `json:"attempts"`
}

// Attempt is one request of a delivery.
type Attempt struct {
	ID             string            `json:"id"`
	DeliveryID     string            `json:"delivery_id"`
	Number         int               `json:"number"`
	At             time.Time         `json:"at"`
	URL            string            `json:"url"`
	RequestHeaders map[string]string `json:"request_headers"`
	StatusCode     int               `json:"status_code,omitempty"`
	DurationMS     int64             `json:"duration_ms"`
	Error          string            `json:"error,omitempty"`
	ResponseBody   string            `json:"response_body"`
}

// EndpointStats are an endpoint's last 24 hours.
type EndpointStats struct {
	EndpointID  string         `json:"endpoint_id"`
	Since       time.Time      `json:"since"`
	Counts      map[string]int `json:"counts"`
	Attempts    int            `json:"attempts"`
	Succeeded   int            `json:"succeeded"`
	SuccessRate *float64       `json:"success_rate"`
	Hours       []HourlyStat   `json:"hours"`
}

// HourlyStat is one hour of EndpointStats.
type HourlyStat struct {
	Hour        time.Time `json:"hour"`
	Attempts    int       `json:"attempts"`
	Succeeded   int       `json:"succeeded"`
	SuccessRate *float64  `json:"success_rate"`
}

// RecoverJob replays an endpoint's failed deliveries in the background.
type RecoverJob struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"tenant_id"`
	EndpointID string    `json:"endpoint_id"`
	Since      time.Time `json:"since"`
	Until      time.Time `json:"until"`
	Status     string    `json:"status"` // running, done
	Total      int       `json:"total"`
	Done       int       `json:"done"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// PortalLink opens a tenant's dashboard until it expires.
type PortalLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PortalLinkCreate asks for a portal link; zero values take the defaults
// (15 minutes, admin).
type PortalLinkCreate struct {
	ExpiresIn   time.Duration `json:"-"`
	Role        string        `json:"role,omitempty"`         // "admin" or "viewer"
	ReturnURL   string        `json:"return_url,omitempty"`   // where "back" and sign-out go
	DisplayName string        `json:"display_name,omitempty"` // shown instead of the tenant's name
	ReadOnly    []string      `json:"read_only,omitempty"`    // secret_reveal, endpoint_delete, endpoint_create, test_event
}

// APIKey is a key's record (never the key itself).
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	TenantID   string     `json:"tenant_id,omitempty"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"` // CLI tokens
}

// APIKeyCreate creates a key; TenantID scopes it to one tenant.
type APIKeyCreate struct {
	Name     string `json:"name"`
	Role     string `json:"role"` // admin, publisher, viewer
	TenantID string `json:"tenant_id,omitempty"`
}

// CreatedAPIKey is a new key, shown only here.
type CreatedAPIKey struct {
	APIKey APIKey `json:"api_key"`
	Key    string `json:"key"`
}

// MarshalJSON writes the given fields; retry_schedule null when
// DefaultRetrySchedule, credentials null when RemoveCredentials.
func (u EndpointUpdate) MarshalJSON() ([]byte, error) {
	type fields EndpointUpdate // without this method
	b, err := json.Marshal(fields(u))
	if err != nil || !u.DefaultRetrySchedule && !u.RemoveCredentials {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if u.DefaultRetrySchedule {
		m["retry_schedule"] = json.RawMessage("null")
	}
	if u.RemoveCredentials {
		m["credentials"] = json.RawMessage("null")
	}
	return json.Marshal(m)
}

// MarshalJSON writes expires_in in seconds.
func (p PortalLinkCreate) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if p.ExpiresIn > 0 {
		m["expires_in"] = int64(p.ExpiresIn / time.Second)
	}
	if p.Role != "" {
		m["role"] = p.Role
	}
	if p.ReturnURL != "" {
		m["return_url"] = p.ReturnURL
	}
	if p.DisplayName != "" {
		m["display_name"] = p.DisplayName
	}
	if len(p.ReadOnly) > 0 {
		m["read_only"] = p.ReadOnly
	}
	return json.Marshal(m)
}
