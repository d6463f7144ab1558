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
		`INSERT INTO tenants (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3) ON CONFLICT (id) DO NOTHING`,
		t.ID, t.Name, now)
	if err != nil {
		return db.fail("create tenant", err)
	}
	if tag.RowsAffected() == 0 {
		return hookd.Errorf(hookd.ECONFLICT, "tenant %q already exists", t.ID)
	}
	t.CreatedAt, t.UpdatedAt = now, now
	return nil
}

const tenantColumns = `id, name, created_at, updated_at`

func scanTenant(row pgx.Row) (*hookd.Tenant, error) {
	var t hookd.Tenant
	return &t, row.Scan(&t.ID, &t.Name, &t.CreatedAt, &t.UpdatedAt)
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
func (db *DB) Tenants(ctx context.Context, p hookd.Page) ([]*hookd.Tenant, error) {
	rows, err := db.pool.Query(ctx,
		`SELECT `+tenantColumns+` FROM tenants WHERE ($1 = '' OR id > $1) ORDER BY id LIMIT $2`, p.Cursor, p.Size())
	out, err := collect(rows, err, func(r pgx.Rows) (*hookd.Tenant, error) { return scanTenant(r) })
	return out, db.fail("list tenants", err)
}

// RenameTenant changes a tenant's name.
func (db *DB) RenameTenant(ctx context.Context, id, name string) (*hookd.Tenant, error) {
	t, err := scanTenant(db.pool.QueryRow(ctx, `UPDATE tenants SET name = $1, updated_at = $2 WHERE id = $3 RETURNING `+tenantColumns,
		name, ts(db.now()), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("tenant", id)
	}
	return t, db.fail("rename tenant", err)
}

// DeleteTenant removes a tenant; foreign keys cascade to all it owns.
func (db *DB) DeleteTenant(ctx context.Context, id string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM tenants WHERE id = $1`, id)
	if err != nil {
		return db.fail("delete tenant", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("tenant", id)
	}
	return nil
}

func tenantExists(ctx context.Context, tx pgx.Tx, id string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("tenant", id)
	}
	return err
}
