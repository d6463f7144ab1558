package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

// CreateTenant stores a tenant under the id the caller chose.
func (db *DB) CreateTenant(ctx context.Context, t *hookd.Tenant) error {
	now := ts(db.now())
	tag, err := db.pool.Exec(ctx,
		`INSERT INTO tenants (id, name, max_in_flight, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING`,
		t.ID, t.Name, ownCap(t.MaxInFlight), now)
	if err != nil {
		return db.fail("create tenant", err)
	}
	if tag.RowsAffected() == 0 {
		return hookd.Errorf(hookd.ECONFLICT, "tenant %q already exists", t.ID)
	}
	t.CreatedAt, t.UpdatedAt = now, now
	return nil
}

const tenantColumns = `id, name, coalesce(max_in_flight, 0), created_at, updated_at`

// ownCap is a tenant's max_in_flight column: NULL for the deployment default.
func ownCap(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}

func scanTenant(row pgx.Row) (*hookd.Tenant, error) {
	var t hookd.Tenant
	return &t, row.Scan(&t.ID, &t.Name, &t.MaxInFlight, &t.CreatedAt, &t.UpdatedAt)
}

// Tenant reads one tenant.
func (db *DB) Tenant(ctx context.Context, id string) (*hookd.Tenant, error) {
	t, err := scanTenant(db.pool.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("tenant", id)
	}
	return t, db.fail("read tenant", err)
}

// Tenants lists tenants by id (the order a cursor can follow).
func (db *DB) Tenants(ctx context.Context, f hookd.TenantFilter, p hookd.Page) ([]*hookd.Tenant, error) {
	q := hookd.LikePattern(f.Search)
	rows, err := db.pool.Query(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE ($1 = '' OR id > $1)
		AND ($3 = '' OR id ILIKE $4 OR name ILIKE $5) ORDER BY id LIMIT $2`, p.Cursor, p.Size(), q, q+"%", "%"+q+"%")
	out, err := collect(rows, err, func(r pgx.Rows) (*hookd.Tenant, error) { return scanTenant(r) })
	return out, db.fail("list tenants", err)
}

// UpdateTenant changes a tenant's name or in-flight cap.
func (db *DB) UpdateTenant(ctx context.Context, id string, u hookd.TenantUpdate) (*hookd.Tenant, error) {
	var cap *int
	if u.MaxInFlight != nil {
		cap = ownCap(*u.MaxInFlight)
	}
	t, err := scanTenant(db.pool.QueryRow(ctx, `UPDATE tenants SET name = coalesce($1, name),
		max_in_flight = CASE WHEN $2 THEN $3 ELSE max_in_flight END, updated_at = $4 WHERE id = $5 RETURNING `+tenantColumns,
		u.Name, u.MaxInFlight != nil, cap, ts(db.now()), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("tenant", id)
	}
	return t, db.fail("update tenant", err)
}

// DeleteTenant removes a tenant; foreign keys cascade to all it owns.
func (db *DB) DeleteTenant(ctx context.Context, id string) error {
	// Its keys go with it: see changeKeys.
	return db.changeKeys(ctx, "delete tenant", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM tenants WHERE id = $1`, id)
		if err == nil && tag.RowsAffected() == 0 {
			return notFound("tenant", id)
		}
		return err
	})
}

func tenantExists(ctx context.Context, tx pgx.Tx, id string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("tenant", id)
	}
	return err
}
