package service

import (
	"context"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/token"
)

// Portal link lifetimes: how long a link can be opened. The dashboard
// session it opens lasts on its own (see the dashboard package).
const (
	DefaultPortalLinkTTL = 15 * time.Minute
	MinPortalLinkTTL     = time.Minute
	MaxPortalLinkTTL     = 24 * time.Hour
)

// maxPortalToken bounds a link's token: the session cookie carries it, and
// a cookie is at most 4 KiB.
const maxPortalToken = 3500 // leaves room for the session cookie's own fields

// PortalLinkTTL checks a link's lifetime in seconds (nil: the default) on
// field. The seconds are checked before the conversion, which could overflow.
func PortalLinkTTL(v *hookd.Validation, field string, seconds *int64) time.Duration {
	if seconds == nil {
		return DefaultPortalLinkTTL
	}
	low, high := int64(MinPortalLinkTTL/time.Second), int64(MaxPortalLinkTTL/time.Second)
	if *seconds < low || *seconds > high {
		v.Add(field, "must be between %d and %d seconds", low, high)
		return 0
	}
	return time.Duration(*seconds) * time.Second
}

// SignPortalLink signs the token of a link that opens the dashboard for
// p's tenant, which must exist, for ttl. EUNAVAILABLE without a portal key.
func SignPortalLink(ctx context.Context, store hookd.TenantStore, key []byte, p token.Portal, ttl time.Duration) (tok string, expires time.Time, err error) {
	if len(key) == 0 {
		return "", time.Time{}, hookd.Errorf(hookd.EUNAVAILABLE, "portal links are not configured on this server")
	}
	if _, err := store.Tenant(ctx, p.Tenant); err != nil {
		return "", time.Time{}, err
	}
	expires = time.Now().Add(ttl).UTC().Truncate(time.Second)
	if tok, err = token.Sign(key, p, expires); err != nil {
		return "", time.Time{}, err
	}
	if len(tok) > maxPortalToken {
		return "", time.Time{}, hookd.Invalid("return_url", "with display_name, too long to fit in a link; use a shorter URL")
	}
	return tok, expires, nil
}
