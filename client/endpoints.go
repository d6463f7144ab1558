package client

import (
	"context"
	"encoding/json"
	"iter"
	"time"
)

// CreateEndpoint creates an endpoint of a tenant; the answer holds its
// signing secret, once.
func (c *Client) CreateEndpoint(ctx context.Context, tenant string, in EndpointCreate) (*CreatedEndpoint, error) {
	return create[CreatedEndpoint](ctx, c, path("v1", "tenants", tenant, "endpoints"), in)
}

// Endpoint reads one endpoint.
func (c *Client) Endpoint(ctx context.Context, tenant, id string) (*Endpoint, error) {
	return get[Endpoint](ctx, c, endpointPath(tenant, id))
}

// UpdateEndpoint changes the fields given.
func (c *Client) UpdateEndpoint(ctx context.Context, tenant, id string, in EndpointUpdate) (*Endpoint, error) {
	return send[Endpoint](ctx, c, "PATCH", endpointPath(tenant, id), in, true)
}

// DeleteEndpoint deletes an endpoint with its deliveries.
func (c *Client) DeleteEndpoint(ctx context.Context, tenant, id string) error {
	return c.do(ctx, call{method: "DELETE", path: endpointPath(tenant, id), idempotent: true}, nil)
}

// ListEndpoints reads one page of a tenant's endpoints.
func (c *Client) ListEndpoints(ctx context.Context, tenant string, opts ListOptions) (*Page[Endpoint], error) {
	return list[Endpoint](ctx, c, path("v1", "tenants", tenant, "endpoints"), opts.query())
}

// AllEndpoints iterates over every endpoint of a tenant.
func (c *Client) AllEndpoints(ctx context.Context, tenant string) iter.Seq2[Endpoint, error] {
	return all(ctx, ListOptions{Limit: 500}, func(ctx context.Context, o ListOptions) (*Page[Endpoint], error) {
		return c.ListEndpoints(ctx, tenant, o)
	})
}

// EnableEndpoint enables an endpoint: its paused deliveries resume.
func (c *Client) EnableEndpoint(ctx context.Context, tenant, id string) (*Endpoint, error) {
	return send[Endpoint](ctx, c, "POST", endpointPath(tenant, id)+"/enable", nil, true)
}

// DisableEndpoint disables an endpoint: its deliveries wait, paused.
func (c *Client) DisableEndpoint(ctx context.Context, tenant, id string) (*Endpoint, error) {
	return send[Endpoint](ctx, c, "POST", endpointPath(tenant, id)+"/disable", nil, true)
}

// TestEndpoint sends a test event of eventType (its example as data) to
// the endpoint now.
func (c *Client) TestEndpoint(ctx context.Context, tenant, id, eventType string) (*DeliveryDetail, error) {
	return send[DeliveryDetail](ctx, c, "POST", endpointPath(tenant, id)+"/test", map[string]string{"event_type": eventType}, false)
}

// FilterTest is a sample event for TestFilter: Payload is its event.data;
// without one the example of EventType is used. Filter "" tests the
// endpoint's own filter.
type FilterTest struct {
	Filter    string          `json:"filter,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
	EventType string          `json:"event_type,omitempty"`
	Channels  []string        `json:"channels,omitempty"`
}

// FilterResult is a filter's verdict on a sample; Error says why it could
// not decide (at fan-out: no delivery).
type FilterResult struct {
	Matches bool   `json:"matches"`
	Error   string `json:"error,omitempty"`
}

// TestFilter evaluates a content filter on a sample event; a filter that
// does not compile is an ErrInvalid naming field filter.
func (c *Client) TestFilter(ctx context.Context, tenant, id string, in FilterTest) (*FilterResult, error) {
	return send[FilterResult](ctx, c, "POST", endpointPath(tenant, id)+"/filter/test", in, false)
}

// TransformationTest is a sample for TestTransformation: Payload is the
// request body; without one the envelope of EventType's example is used.
// Transformation "" tests the endpoint's own.
type TransformationTest struct {
	Transformation string          `json:"transformation,omitempty"`
	Payload        json.RawMessage `json:"payload,omitempty"`
	EventType      string          `json:"event_type,omitempty"`
}

// TransformationResult is the request a transformation would send for a
// sample, that it cancels it, or Error, why it failed (in a delivery: the
// attempt fails).
type TransformationResult struct {
	Body      json.RawMessage   `json:"body,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	URL       string            `json:"url,omitempty"`
	Cancelled bool              `json:"cancelled"`
	Error     string            `json:"error,omitempty"`
}

// TestTransformation runs a transformation on a sample; a script that does
// not compile is an ErrInvalid naming field transformation.
func (c *Client) TestTransformation(ctx context.Context, tenant, id string, in TransformationTest) (*TransformationResult, error) {
	return send[TransformationResult](ctx, c, "POST", endpointPath(tenant, id)+"/transformation/test", in, false)
}

// RotateSecret gives the endpoint a new secret; the old ones keep signing
// beside it for overlap (negative: the server's default, 24 h; 0: stop now).
func (c *Client) RotateSecret(ctx context.Context, tenant, id string, overlap time.Duration) (*RotatedSecret, error) {
	var in any
	if overlap >= 0 {
		in = map[string]int64{"overlap_seconds": int64(overlap / time.Second)}
	}
	return send[RotatedSecret](ctx, c, "POST", endpointPath(tenant, id)+"/rotate-secret", in, false)
}

// RevealSecret reads the endpoint's newest secret (when the server allows it).
func (c *Client) RevealSecret(ctx context.Context, tenant, id string) (string, error) {
	s, err := get[struct {
		SigningSecret string `json:"signing_secret"`
	}](ctx, c, endpointPath(tenant, id)+"/secret")
	if err != nil {
		return "", err
	}
	return s.SigningSecret, nil
}

// EndpointStats reads an endpoint's last 24 hours.
func (c *Client) EndpointStats(ctx context.Context, tenant, id string) (*EndpointStats, error) {
	return get[EndpointStats](ctx, c, endpointPath(tenant, id)+"/stats")
}

// Recover starts replaying, in the background, every failed delivery of the
// endpoint created in [since, until); a zero until means now.
func (c *Client) Recover(ctx context.Context, tenant, id string, since, until time.Time) (*RecoverJob, error) {
	in := map[string]time.Time{}
	if !since.IsZero() { // else the server names the missing field
		in["since"] = since
	}
	if !until.IsZero() {
		in["until"] = until
	}
	return send[RecoverJob](ctx, c, "POST", endpointPath(tenant, id)+"/recover", in, false)
}

// ListRecoverJobs reads one page of a tenant's recover jobs, newest first;
// endpoint, when not empty, narrows them to one endpoint's.
func (c *Client) ListRecoverJobs(ctx context.Context, tenant, endpoint string, opts ListOptions) (*Page[RecoverJob], error) {
	q := opts.query()
	if endpoint != "" {
		q.Set("endpoint", endpoint)
	}
	return list[RecoverJob](ctx, c, path("v1", "tenants", tenant, "recover-jobs"), q)
}

// RecoverJob reads a recover job's progress.
func (c *Client) RecoverJob(ctx context.Context, tenant, id string) (*RecoverJob, error) {
	return get[RecoverJob](ctx, c, path("v1", "tenants", tenant, "recover-jobs", id))
}

// CreatePortalLink returns a signed link that opens the tenant's dashboard.
func (c *Client) CreatePortalLink(ctx context.Context, tenant string, in PortalLinkCreate) (*PortalLink, error) {
	return send[PortalLink](ctx, c, "POST", path("v1", "tenants", tenant, "portal-links"), in, true)
}

func endpointPath(tenant, id string) string { return path("v1", "tenants", tenant, "endpoints", id) }
