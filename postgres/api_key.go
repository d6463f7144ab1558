package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// CreateAPIKey stores a key's hash; k.ID and k.CreatedAt are set.
func (db *DB) CreateAPIKey(ctx context.Context, k *hookd.APIKey) error {
	now := ts(db.now())
	id := ids.New(ids.APIKey)
	err := db.inTx(ctx, "create api key", func(tx pgx.Tx) error {
		if k.TenantID != "" {
			if err := tenantExists(ctx, tx, k.TenantID); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO api_keys (id, name, role, tenant_id, prefix, hash, created_at, expires_at) VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, $7, $8)`,
			id, k.Name, k.Role, k.TenantID, k.Prefix, k.Hash, now, k.ExpiresAt)
		return err
	})
	if err != nil {
		return err
	}
	k.ID, k.CreatedAt = id, now
	if k.ExpiresAt != nil {
		t := ts(*k.ExpiresAt).UTC() // as read back
		k.ExpiresAt = &t
	}
	return nil
}

const apiKeyColumns = `id, name, role, COALESCE(tenant_id, ''), prefix, hash, created_at, last_used_at, expires_at`

func scanAPIKey(row pgx.Row) (*hookd.APIKey, error) {
	var k hookd.APIKey
	return &k, row.Scan(&k.ID, &k.Name, &k.Role, &k.TenantID, &k.Prefix, &k.Hash, &k.CreatedAt, &k.LastUsedAt, &k.ExpiresAt)
}

// APIKeyByHash finds a key by the hash of its secret, from the key cache
// when it can (keycache). Every write that could change or remove a key
// sends keysChannel's NOTIFY in its transaction (delivered on commit), which
// voids the cache of every listening node, and this node's at once; while
// this node is not listening (Wakeups not running, or its connection down)
// the cache serves nothing.
func (db *DB) APIKeyByHash(ctx context.Context, hash []byte) (*hookd.APIKey, error) {
	return db.keys.Lookup(ctx, (*keySource)(db), hash, db.now())
}

// keySource is the database under the key cache.
type keySource DB

func (s *keySource) KeyByHash(ctx context.Context, hash []byte) (*hookd.APIKey, error) {
	db := (*DB)(s)
	k, err := scanAPIKey(db.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "api key not found")
	}
	if err != nil {
		return nil, db.fail("read api key", err)
	}
	return k, nil
}

func (s *keySource) TouchKey(ctx context.Context, id string, now time.Time) (time.Time, bool, error) {
	db := (*DB)(s)
	now = ts(now)
	if _, err := db.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, now, id); err != nil {
		return time.Time{}, false, db.fail("record api key use", err)
	}
	return now, true, nil
}

// keysChannel is the NOTIFY channel that announces a key changed or went.
const keysChannel = "hookd_keys"

// keysChanged is sent inside a transaction that changes or removes keys:
// NOTIFY is delivered on commit, so no node can hear of a change that is
// rolled back, nor miss one that committed while it listened.
const keysChanged = `SELECT pg_notify('` + keysChannel + `', '')`

// changeKeys runs fn, which changes or removes keys, in a transaction that
// tells every node so, and voids this node's cache once it committed.
func (db *DB) changeKeys(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	err := db.inTx(ctx, what, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, keysChanged); err != nil {
			return fmt.Errorf("notify key change: %w", err)
		}
		return nil
	})
	// Also on error: a commit whose answer was lost may have happened.
	db.keys.Invalidate()
	return err
}

// APIKeys lists keys, newest first; tenantID "" lists every key.
func (db *DB) APIKeys(ctx context.Context, tenantID string, p hookd.Page) ([]*hookd.APIKey, error) {
	rows, err := db.pool.Query(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE ($1 = '' OR tenant_id = $1) AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`,
		tenantID, p.Cursor, p.Size())
	out, err := collect(rows, err, func(r pgx.Rows) (*hookd.APIKey, error) { return scanAPIKey(r) })
	return out, db.fail("list api keys", err)
}

// APIKey reads one key.
func (db *DB) APIKey(ctx context.Context, id string) (*hookd.APIKey, error) {
	k, err := scanAPIKey(db.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("api key", id)
	}
	return k, db.fail("read api key", err)
}

// DeleteAPIKey revokes a key, keeping at least one deployment-wide admin.
// Deleting one locks every deployment-wide admin key first, so two nodes
// deleting the last two at once cannot both succeed.
func (db *DB) DeleteAPIKey(ctx context.Context, id string) error {
	return db.changeKeys(ctx, "delete api key", func(tx pgx.Tx) error {
		var role string
		var scoped bool
		err := tx.QueryRow(ctx, `SELECT role, tenant_id IS NOT NULL FROM api_keys WHERE id = $1`, id).Scan(&role, &scoped)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("api key", id)
		}
		if err != nil {
			return err
		}
		if role == hookd.RoleAdmin && !scoped {
			rows, err := tx.Query(ctx, `SELECT id FROM api_keys WHERE role = 'admin' AND tenant_id IS NULL ORDER BY id FOR UPDATE`)
			admins, err := collect(rows, err, func(r pgx.Rows) (string, error) {
				var s string
				return s, r.Scan(&s)
			})
			if err != nil {
				return err
			}
			if len(admins) <= 1 {
				return hookd.Errorf(hookd.ECONFLICT, "api key %q is the last deployment-wide admin key; create another before deleting it", id)
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM api_keys WHERE id = $1`, id)
		if err == nil && tag.RowsAffected() == 0 {
			return notFound("api key", id) // deleted meanwhile
		}
		return err
	})
}

// CountAPIKeys counts every key.
func (db *DB) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys`).Scan(&n)
	return n, db.fail("count api keys", err)
}
