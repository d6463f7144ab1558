package service

import (
	"context"
	"fmt"
	"time"

	"github.com/hookd/hookd"
)

// Local development: CLI tokens (short-lived developer keys of one tenant)
// and the hookd listen sessions they open, listed apart from endpoints.

// CLITokenTTL is how long a CLI token works.
const CLITokenTTL = 24 * time.Hour

// MaxCLITokens bounds a tenant's unexpired CLI tokens.
const MaxCLITokens = 20

// maxTenantKeys bounds how many of a tenant's keys CLITokens reads.
const maxTenantKeys = 5000

// MintCLIToken makes a CLI token for the tenant: an API key of role
// developer that expires after CLITokenTTL, and removes the tenant's
// expired ones. The key is returned this once.
// The API and the dashboard's "Develop locally" page mint through it.
func MintCLIToken(ctx context.Context, store hookd.Store, tenantID, name string, now time.Time) (*hookd.APIKey, string, error) {
	if name == "" {
		name = "CLI token"
	}
	var v hookd.Validation
	hookd.CheckName(&v, "name", name)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	tokens, err := CLITokens(ctx, store, tenantID)
	if err != nil {
		return nil, "", err
	}
	// Expired tokens are removed here, so they cannot pile up.
	live := 0
	for _, k := range tokens {
		if !k.Expired(now) {
			live++
		} else if err := store.DeleteAPIKey(ctx, k.ID); err != nil && hookd.ErrorCode(err) != hookd.ENOTFOUND {
			return nil, "", err
		}
	}
	if live >= MaxCLITokens {
		return nil, "", hookd.Errorf(hookd.ECONFLICT, "this tenant has %d CLI tokens that still work, the most it may have; revoke one first", live)
	}
	key, hash := NewKey()
	expires := now.Add(CLITokenTTL)
	k := &hookd.APIKey{Name: name, Role: hookd.RoleDeveloper, TenantID: tenantID, Prefix: DisplayPrefix(key), Hash: hash, ExpiresAt: &expires}
	if err := store.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, key, nil
}

// CLITokens lists the tenant's CLI tokens, newest first, expired ones too
// (until revoked, or the next mint).
func CLITokens(ctx context.Context, store hookd.Store, tenantID string) ([]*hookd.APIKey, error) {
	if _, err := store.Tenant(ctx, tenantID); err != nil {
		return nil, err
	}
	var out []*hookd.APIKey
	p := hookd.Page{Limit: hookd.MaxPageSize}
	for read := 0; read < maxTenantKeys; read += p.Limit {
		keys, err := store.APIKeys(ctx, tenantID, p)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if k.Role == hookd.RoleDeveloper {
				out = append(out, k)
			}
		}
		if len(keys) < p.Limit {
			break
		}
		p.Cursor = keys[len(keys)-1].ID
	}
	return out, nil
}

// RevokeCLIToken deletes one of the tenant's CLI tokens; any other key,
// or another tenant's token, is ENOTFOUND.
func RevokeCLIToken(ctx context.Context, store hookd.Store, tenantID, id string) error {
	k, err := store.APIKey(ctx, id)
	if err == nil && (k.TenantID != tenantID || k.Role != hookd.RoleDeveloper) {
		err = hookd.Errorf(hookd.ENOTFOUND, "cli token %q not found", id)
	}
	if err != nil {
		return err
	}
	return store.DeleteAPIKey(ctx, k.ID)
}

// ListenCommand is the command line a CLI token is shown with.
func ListenCommand(server, tenantID, token string) string {
	return fmt.Sprintf("hookd listen --server %s --tenant %s --key %s --forward-to http://localhost:3000/webhooks", server, tenantID, token)
}

// TriggerCommand is the command line that sends a session an event.
func TriggerCommand(server, tenantID, token, eventType string) string {
	return fmt.Sprintf("hookd trigger %s --server %s --tenant %s --key %s", eventType, server, tenantID, token)
}

// LocalSession is a hookd listen session as the API and dashboard show it.
type LocalSession struct {
	ID         string    `json:"id"` // its endpoint's id
	Name       string    `json:"name"`
	EventTypes []string  `json:"event_types"`
	Live       bool      `json:"live"`
	CreatedAt  time.Time `json:"created_at"`
}

// LocalSessions lists the tenant's connected hookd listen sessions.
func LocalSessions(ctx context.Context, store hookd.Store, tenantID string) ([]LocalSession, error) {
	if _, err := store.Tenant(ctx, tenantID); err != nil {
		return nil, err
	}
	eps, err := store.LocalSessions(ctx, tenantID, hookd.MaxLocalSessions)
	if err != nil {
		return nil, err
	}
	out := make([]LocalSession, 0, len(eps))
	for _, e := range eps {
		out = append(out, LocalSession{ID: e.ID, Name: e.Name, EventTypes: e.EventTypes, Live: e.Live, CreatedAt: e.CreatedAt})
	}
	return out, nil
}

// SessionEndpoint reads an endpoint that must be one of the tenant's local
// sessions: a webhook endpoint is ENOTFOUND here.
func SessionEndpoint(ctx context.Context, store hookd.Store, tenantID, id string) (*hookd.Endpoint, error) {
	e, err := store.Endpoint(ctx, tenantID, id)
	if err == nil && e.Kind != hookd.KindLocal {
		err = hookd.Errorf(hookd.ENOTFOUND, "local session %q not found", id)
	}
	return e, err
}

// CheckSessionRoom refuses a new listen session past MaxLocalSessions
// (local sessions do not count toward the endpoint limit).
func CheckSessionRoom(ctx context.Context, store hookd.Store, tenantID string) error {
	eps, err := store.LocalSessions(ctx, tenantID, hookd.MaxLocalSessions)
	if err != nil {
		return err
	}
	if len(eps) >= hookd.MaxLocalSessions {
		return hookd.Errorf(hookd.ECONFLICT, "tenant %s has %d hookd listen sessions open, the most it may have", tenantID, len(eps))
	}
	return nil
}
