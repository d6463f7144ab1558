package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// CreateAPIKey stores a key's hash; k.ID and k.CreatedAt are set.
func (db *DB) CreateAPIKey(ctx context.Context, k *hookd.APIKey) error {
	now := db.now()
	id := ids.New(ids.APIKey)
	return db.inTx(ctx, "create api key", func(ctx context.Context, tx *sql.Tx) error {
		if k.TenantID != "" {
			if err := db.tenantExists(ctx, tx, k.TenantID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO api_keys (id, name, role, tenant_id, prefix, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, k.Name, k.Role, nullString(k.TenantID), k.Prefix, k.Hash, ms(now), nullMs(k.ExpiresAt)); err != nil {
			return err
		}
		k.ID, k.CreatedAt = id, fromMs(ms(now))
		if k.ExpiresAt != nil {
			t := fromMs(ms(*k.ExpiresAt)) // as read back
			k.ExpiresAt = &t
		}
		return nil
	})
}

const apiKeyColumns = `id, name, role, COALESCE(tenant_id, ''), prefix, hash, created_at, last_used_at, expires_at`

// qKeyByHash authenticates every API request: prepared once (see Open).
const qKeyByHash = `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE hash = ?`

func scanAPIKey(row interface{ Scan(...any) error }) (*hookd.APIKey, error) {
	var k hookd.APIKey
	var created int64
	var used, expires sql.NullInt64
	if err := row.Scan(&k.ID, &k.Name, &k.Role, &k.TenantID, &k.Prefix, &k.Hash, &created, &used, &expires); err != nil {
		return nil, err
	}
	k.CreatedAt, k.LastUsedAt, k.ExpiresAt = fromMs(created), nullTime(used), nullTime(expires)
	return &k, nil
}

// APIKeyByHash finds a key by the hash of its secret, from the key cache
// when it can (keycache): every write that could change or remove a key
// invalidates it once committed (runGroup, DeleteTenant), and this process
// is the file's only writer.
func (db *DB) APIKeyByHash(ctx context.Context, hash []byte) (*hookd.APIKey, error) {
	return db.keys.Lookup(ctx, (*keySource)(db), hash, db.now())
}

// keySource is the database under the key cache.
type keySource DB

func (s *keySource) KeyByHash(ctx context.Context, hash []byte) (*hookd.APIKey, error) {
	k, err := scanAPIKey(s.keyByHash.QueryRowContext(ctx, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "api key not found")
	}
	if err != nil {
		return nil, fmt.Errorf("read api key: %w", err)
	}
	return k, nil
}

func (s *keySource) TouchKey(ctx context.Context, id string, now time.Time) (time.Time, bool, error) {
	_, err := s.write.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, ms(now), id)
	switch {
	case err == nil:
		return fromMs(ms(now)), true, nil
	case isFull(err):
		// On a full disk the key still works (reads go on); its use is
		// recorded once space returns.
		return time.Time{}, false, nil
	default:
		return time.Time{}, false, fmt.Errorf("record api key use: %w", err)
	}
}

// APIKeys lists keys, newest first; tenantID "" lists every key.
func (db *DB) APIKeys(ctx context.Context, tenantID string, p hookd.Page) ([]*hookd.APIKey, error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE (? = '' OR tenant_id = ?) AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		tenantID, tenantID, p.Cursor, p.Cursor, p.Size())
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return collect(rows, scanAPIKey, "list api keys")
}

// APIKey reads one key.
func (db *DB) APIKey(ctx context.Context, id string) (*hookd.APIKey, error) {
	k, err := scanAPIKey(db.read.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("api key", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read api key: %w", err)
	}
	return k, nil
}

// DeleteAPIKey revokes a key, keeping at least one deployment-wide admin.
func (db *DB) DeleteAPIKey(ctx context.Context, id string) error {
	return db.inTx(ctx, "delete api key", func(ctx context.Context, tx *sql.Tx) error {
		var role string
		var scoped bool
		err := tx.QueryRowContext(ctx, `SELECT role, tenant_id IS NOT NULL FROM api_keys WHERE id = ?`, id).Scan(&role, &scoped)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("api key", id)
		}
		if err != nil {
			return err
		}
		if role == hookd.RoleAdmin && !scoped {
			var others int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys WHERE role = 'admin' AND tenant_id IS NULL AND id <> ?`, id).Scan(&others); err != nil {
				return err
			}
			if others == 0 {
				return hookd.Errorf(hookd.ECONFLICT, "api key %q is the last deployment-wide admin key; create another before deleting it", id)
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id)
		return err
	})
}

// CountAPIKeys counts every key.
func (db *DB) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count api keys: %w", err)
	}
	return n, nil
}

func (db *DB) tenantExists(ctx context.Context, tx *sql.Tx, id string) error {
	var one int
	err := db.queryRow(ctx, tx, qTenantExists, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("tenant", id)
	}
	if err != nil {
		return fmt.Errorf("read tenant: %w", err)
	}
	return nil
}
