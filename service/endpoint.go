// Package service holds what each action does, once, for every front-end:
// the REST API (api/), the Svix-compatible API (svixapi/) and the dashboard
// (dashboard/) parse their own input and call these functions, so a rule
// lives in one place. It knows nothing of HTTP and imports none of them.
package service

import (
	"context"
	"regexp"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/filter"
	"github.com/hookd/hookd/signature"
	"github.com/hookd/hookd/transform"
)

// EndpointRules are the deployment's settings an endpoint is checked against.
type EndpointRules struct {
	AllowPrivateTargets bool
	// ReservedHeaderPrefixes are lower-case header-name prefixes hookd signs
	// with, which custom headers may not use.
	ReservedHeaderPrefixes []string
	// MaxInFlight bounds an endpoint's max_in_flight (--max-endpoint-in-flight).
	MaxInFlight int
}

var uidPattern = regexp.MustCompile(`^[a-zA-Z0-9\-_.]{1,256}$`)

// ValidUID reports whether s can be an endpoint's uid (Svix's pattern, which
// its message ids follow too).
func ValidUID(s string) bool { return uidPattern.MatchString(s) }

// CheckEndpoint validates the fields u holds, adding each problem to v under
// the native API's field name (a front-end with other names renames them).
// A front-end parses its input into u, adding to v what it cannot parse
// (retry schedules and timeouts arrive parsed), then calls it before saving
// anything. It normalises the signature scheme's spelling.
func CheckEndpoint(v *hookd.Validation, u *hookd.EndpointUpdate, rules EndpointRules) {
	if u.Name != nil {
		hookd.CheckName(v, "name", *u.Name)
	}
	if u.Description != nil {
		hookd.CheckDescription(v, "description", *u.Description)
	}
	if u.Destination != nil {
		hookd.CheckBrokerEndpoint(v, u)
	} else if u.URL != nil {
		hookd.CheckEndpointURL(v, "url", *u.URL, rules.AllowPrivateTargets)
	}
	if u.UID != nil && !ValidUID(*u.UID) {
		v.Add("uid", "must be 1-256 letters, digits, '-', '_' or '.'")
	}
	if u.EventTypes != nil {
		hookd.CheckEventTypes(v, "event_types", *u.EventTypes)
	}
	if u.Channels != nil {
		hookd.CheckChannels(v, "channels", *u.Channels)
	}
	if u.Filter != nil {
		filter.Check(v, "filter", *u.Filter)
	}
	if u.Ordering != nil {
		hookd.CheckOrdering(v, "ordering", *u.Ordering)
	}
	if u.Transformation != nil {
		transform.Check(v, "transformation", *u.Transformation)
	}
	if u.Headers != nil {
		hookd.CheckHeaders(v, "headers", *u.Headers, rules.ReservedHeaderPrefixes)
	}
	if u.MaxInFlight != nil {
		hookd.CheckMaxInFlight(v, "max_in_flight", *u.MaxInFlight, rules.MaxInFlight)
	}
	if u.RateLimit != nil {
		hookd.CheckRateLimit(v, "rate_limit_per_second", *u.RateLimit)
	}
	if u.SignatureScheme != nil && *u.SignatureScheme != "" {
		parsed, err := signature.ParseScheme(*u.SignatureScheme)
		if err != nil {
			v.Add("signature_scheme", "must be standard, timestamped or body (or empty for the deployment's default)")
		}
		scheme := string(parsed)
		u.SignatureScheme = &scheme
	}
	hookd.CheckEgress(v, *u, rules.AllowPrivateTargets, time.Now())
}

// CheckEndpointRoom refuses a new endpoint when the tenant has the most
// allowed. (Checked before the insert, not in its transaction: concurrent
// creates can pass it together, which the limit tolerates.)
func CheckEndpointRoom(ctx context.Context, store hookd.EndpointStore, tenantID string, most int) error {
	n, err := store.CountEndpoints(ctx, tenantID)
	if err != nil {
		return err
	}
	if n >= most {
		return hookd.Errorf(hookd.ECONFLICT, "tenant %q already has %d endpoints, the most allowed", tenantID, n)
	}
	return nil
}

// NewEndpoint is a new endpoint of the tenant before its fields are
// applied: enabled, with the deployment's default concurrency, no headers
// and no channels.
func NewEndpoint(tenantID string, rules EndpointRules) *hookd.Endpoint {
	return &hookd.Endpoint{TenantID: tenantID, Enabled: true, MaxInFlight: hookd.NewEndpointMaxInFlight(rules.MaxInFlight),
		Headers: map[string]string{}, Channels: []string{}}
}

// CreateEndpoint stores e (checked by CheckEndpoint) with secret, a new one
// when "", if its tenant has room for one more of at most most endpoints,
// and returns the secret.
func CreateEndpoint(ctx context.Context, store hookd.EndpointStore, e *hookd.Endpoint, secret string, most int) (string, error) {
	if err := CheckEndpointRoom(ctx, store, e.TenantID, most); err != nil {
		return "", err
	}
	if secret == "" {
		var err error
		if secret, err = signature.NewSecret(); err != nil {
			return "", err
		}
	}
	return secret, store.CreateEndpoint(ctx, e, secret)
}
