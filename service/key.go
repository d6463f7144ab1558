package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"github.com/hookd/hookd"
)

// KeyPrefix starts every API key, so leaked keys are easy to recognise and scan for.
const KeyPrefix = "hk_"

// NewKey returns a new API key and its hash; only the hash is stored.
func NewKey() (key string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	key = KeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return key, HashKey(key)
}

// HashKey hashes a key for storage and lookup. Keys carry 256 random bits,
// so a fast hash is enough: there is nothing to brute-force.
func HashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// DisplayPrefix is the part of a key that lists show, to tell keys apart.
func DisplayPrefix(key string) string {
	return key[:min(len(key), len(KeyPrefix)+6)]
}

// KeyRequest is what a new API key is asked for with.
type KeyRequest struct {
	Name   string
	Role   string // admin, publisher or viewer
	Tenant string // scope; "" for every tenant
}

// CreateKey checks a key request made under the caller's tenant scope (""
// for an operator) and stores the key, returning it with its secret, which
// is shown this once. The API and the dashboard create keys through it.
func CreateKey(ctx context.Context, store hookd.Store, scope string, in KeyRequest) (*hookd.APIKey, string, error) {
	var v hookd.Validation
	hookd.CheckName(&v, "name", in.Name)
	switch in.Role {
	case hookd.RoleAdmin, hookd.RolePublisher, hookd.RoleViewer:
	default:
		v.Add("role", "must be admin, publisher or viewer")
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	// A tenant-scoped admin makes keys for its own tenant only.
	if scope != "" {
		if in.Tenant == "" {
			in.Tenant = scope
		}
		if in.Tenant != scope {
			return nil, "", hookd.Errorf(hookd.EFORBIDDEN, "this key is scoped to another tenant")
		}
	}
	if in.Tenant != "" {
		if !hookd.ValidID(in.Tenant) { // no such tenant can exist; the store is not asked
			return nil, "", hookd.Invalid("tenant", "tenant %q does not exist", in.Tenant)
		}
		_, err := store.Tenant(ctx, in.Tenant)
		if hookd.ErrorCode(err) == hookd.ENOTFOUND {
			return nil, "", hookd.Invalid("tenant", "tenant %q does not exist", in.Tenant)
		}
		if err != nil {
			return nil, "", err
		}
	}
	key, hash := NewKey()
	k := &hookd.APIKey{Name: in.Name, Role: in.Role, TenantID: in.Tenant, Prefix: DisplayPrefix(key), Hash: hash}
	if err := store.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, key, nil
}
