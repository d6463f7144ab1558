package postgres

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

// CreateEventType adds a type to the catalogue.
func (db *DB) CreateEventType(ctx context.Context, et *hookd.EventType) error {
	now := ts(db.now())
	tag, err := db.pool.Exec(ctx,
		`INSERT INTO event_types (name, description, schema, example, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
		et.Name, et.Description, nullJSON(et.Schema), nullJSON(et.Example), now)
	if err != nil {
		return db.fail("create event type", err)
	}
	if tag.RowsAffected() == 0 {
		return hookd.Errorf(hookd.ECONFLICT, "event type %q already exists", et.Name)
	}
	et.CreatedAt = now
	return nil
}

const eventTypeColumns = `name, description, schema, example, created_at`

func scanEventType(row pgx.Row) (*hookd.EventType, error) {
	var et hookd.EventType
	var schema, example *string
	if err := row.Scan(&et.Name, &et.Description, &schema, &example, &et.CreatedAt); err != nil {
		return nil, err
	}
	if schema != nil {
		et.Schema = json.RawMessage(*schema)
	}
	if example != nil {
		et.Example = json.RawMessage(*example)
	}
	return &et, nil
}

// EventType reads one catalogue entry.
func (db *DB) EventType(ctx context.Context, name string) (*hookd.EventType, error) {
	et, err := scanEventType(db.pool.QueryRow(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("event type", name)
	}
	return et, db.fail("read event type", err)
}

// EventTypes lists the catalogue by name.
func (db *DB) EventTypes(ctx context.Context) ([]*hookd.EventType, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+eventTypeColumns+` FROM event_types ORDER BY name`)
	out, err := collect(rows, err, func(r pgx.Rows) (*hookd.EventType, error) { return scanEventType(r) })
	return out, db.fail("list event types", err)
}

// checkEventTypes fails with EINVALID when a subscribed type is not in the catalogue.
func checkEventTypes(ctx context.Context, tx pgx.Tx, field string, types []string) error {
	var missing string
	err := tx.QueryRow(ctx, `SELECT t FROM unnest($1::text[]) AS t
		WHERE t <> $2 AND NOT EXISTS (SELECT 1 FROM event_types WHERE name = t) LIMIT 1`, types, hookd.AllEventTypes).Scan(&missing)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return hookd.NotInCatalogue(field, missing)
}

func nullJSON(b json.RawMessage) *string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	return &s
}
