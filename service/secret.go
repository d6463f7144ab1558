package service

import (
	"context"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/signature"
)

// Rotation overlap bounds: the old secret may keep signing for up to a week.
const (
	DefaultRotationOverlap = 24 * time.Hour
	MaxRotationOverlap     = 7 * 24 * time.Hour
)

// RotationOverlap checks how long, in seconds, an old secret keeps signing
// after a rotation (nil: the default), on field.
func RotationOverlap(v *hookd.Validation, field string, seconds *int64) time.Duration {
	if seconds == nil {
		return DefaultRotationOverlap
	}
	if *seconds < 0 || *seconds > int64(MaxRotationOverlap/time.Second) {
		v.Add(field, "must be between 0 and %d (7 days)", int64(MaxRotationOverlap/time.Second))
		return 0
	}
	return time.Duration(*seconds) * time.Second
}

// RotateSecret makes secret (a new one when "") the endpoint's at once; the
// old ones keep signing beside it for overlap, so receivers can switch
// without a gap. It returns the secret and when the old ones stop.
func RotateSecret(ctx context.Context, store hookd.EndpointStore, tenantID, endpointID, secret string, overlap time.Duration) (string, time.Time, error) {
	if secret == "" {
		var err error
		if secret, err = signature.NewSecret(); err != nil {
			return "", time.Time{}, err
		}
	}
	if err := store.RotateSecret(ctx, tenantID, endpointID, secret, overlap); err != nil {
		return "", time.Time{}, err
	}
	return secret, time.Now().Add(overlap).UTC().Truncate(time.Second), nil
}

// RevealSecret returns the endpoint's current signing secret where the
// deployment allows it (--allow-secret-reveal; EFORBIDDEN otherwise).
// Callers check the role.
func RevealSecret(ctx context.Context, store hookd.EndpointStore, allowed bool, tenantID, endpointID string) (string, error) {
	if !allowed {
		return "", hookd.Errorf(hookd.EFORBIDDEN, "this deployment does not reveal secrets (--allow-secret-reveal is off); rotate the secret to get a new one")
	}
	secrets, err := store.Secrets(ctx, tenantID, endpointID)
	if err != nil {
		return "", err
	}
	if len(secrets) == 0 {
		return "", hookd.Errorf(hookd.ENOTFOUND, "the endpoint has no valid secret; rotate it")
	}
	return secrets[0], nil
}
