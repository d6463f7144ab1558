package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hookd/hookd"
)

// CreateTenant stores a tenant under the id the caller chose.
func (db *DB) CreateTenant(ctx context.Context, t *hookd.Tenant) error {
	now := db.now()
	res, err := db.write.ExecContext(ctx,
		`INSERT INTO tenants (id, name, max_in_flight, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		t.ID, t.Name, ownCap(t.MaxInFlight), ms(now), ms(now))
	if err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return hookd.Errorf(hookd.ECONFLICT, "tenant %q already exists", t.ID)
	}
	t.CreatedAt, t.UpdatedAt = fromMs(ms(now)), fromMs(ms(now))
	return nil
}

const tenantColumns = `id, name, COALESCE(max_in_flight, 0), created_at, updated_at`

// ownCap is a tenant's max_in_flight column: NULL for the deployment default.
func ownCap(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}

func scanTenant(row interface{ Scan(...any) error }) (*hookd.Tenant, error) {
	var t hookd.Tenant
	var created, updated int64
	if err := row.Scan(&t.ID, &t.Name, &t.MaxInFlight, &created, &updated); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = fromMs(created), fromMs(updated)
	return &t, nil
}

// Tenant reads one tenant.
func (db *DB) Tenant(ctx context.Context, id string) (*hookd.Tenant, error) {
	t, err := scanTenant(db.read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("tenant", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read tenant: %w", err)
	}
	return t, nil
}

// Tenants lists tenants by id. Operators choose tenant ids (their own
// customer ids), so creation order and id order differ: id order is the
// one a cursor can follow.
func (db *DB) Tenants(ctx context.Context, f hookd.TenantFilter, p hookd.Page) ([]*hookd.Tenant, error) {
	q := hookd.LikePattern(f.Search)
	rows, err := db.read.QueryContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE (? = '' OR id > ?)
		AND (? = '' OR id LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\') ORDER BY id LIMIT ?`,
		p.Cursor, p.Cursor, q, q+"%", "%"+q+"%", p.Size())
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return collect(rows, scanTenant, "list tenants")
}

// UpdateTenant changes a tenant's name or in-flight cap.
func (db *DB) UpdateTenant(ctx context.Context, id string, u hookd.TenantUpdate) (*hookd.Tenant, error) {
	var name, cap any // NULL keeps the column
	if u.Name != nil {
		name = *u.Name
	}
	if u.MaxInFlight != nil {
		cap = ownCap(*u.MaxInFlight)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE tenants SET name = COALESCE(?, name),
		max_in_flight = CASE WHEN ? THEN ? ELSE max_in_flight END, updated_at = ? WHERE id = ?`,
		name, u.MaxInFlight != nil, cap, ms(db.now()), id)
	if err != nil {
		return nil, fmt.Errorf("update tenant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, notFound("tenant", id)
	}
	return db.Tenant(ctx, id)
}

// DeleteTenant removes a tenant; foreign keys cascade to all it owns.
func (db *DB) DeleteTenant(ctx context.Context, id string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM tenants WHERE id = ?`, id)
	db.keys.Invalidate() // the tenant's keys went with it
	if err != nil {
		return fmt.Errorf("delete tenant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("tenant", id)
	}
	return nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error), what string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
