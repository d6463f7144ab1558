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
		`INSERT INTO event_types (name, description, schema, example, deprecated, archived, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (name) DO NOTHING`, et.Name, et.Description, nullJSON(et.Schema), nullJSON(et.Example), et.Deprecated, et.Archived, now)
	if err != nil {
		return db.fail("create event type", err)
	}
	if tag.RowsAffected() == 0 {
		return hookd.Errorf(hookd.ECONFLICT, "event type %q already exists", et.Name)
	}
	et.CreatedAt = now
	return nil
}

const eventTypeColumns = `name, description, schema, example, deprecated, archived, created_at`

func scanEventType(row pgx.Row) (*hookd.EventType, error) {
	var et hookd.EventType
	var schema, example *string
	if err := row.Scan(&et.Name, &et.Description, &schema, &example, &et.Deprecated, &et.Archived, &et.CreatedAt); err != nil {
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

// UpdateEventType edits one catalogue entry through change.
func (db *DB) UpdateEventType(ctx context.Context, name string, change func(*hookd.EventType) error) (*hookd.EventType, error) {
	var out *hookd.EventType
	err := db.inTx(ctx, "update event type", func(tx pgx.Tx) error {
		et, err := scanEventType(tx.QueryRow(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name = $1 FOR UPDATE`, name))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("event type", name)
		}
		if err != nil {
			return err
		}
		if err := change(et); err != nil {
			return err
		}
		et.Name = name
		if _, err := tx.Exec(ctx, `UPDATE event_types SET description = $2, schema = $3, example = $4, deprecated = $5, archived = $6
			WHERE name = $1`, name, et.Description, nullJSON(et.Schema), nullJSON(et.Example), et.Deprecated, et.Archived); err != nil {
			return err
		}
		out = et
		return nil
	})
	return out, err
}

// checkEventTypes fails with EINVALID when a subscribed type is not in the
// catalogue, or is archived and not among kept (the endpoint's subscription
// before this change, which stays valid).
func checkEventTypes(ctx context.Context, tx pgx.Tx, field string, types, kept []string) error {
	var name string
	var known bool
	err := tx.QueryRow(ctx, `SELECT t, et.name IS NOT NULL FROM unnest($1::text[]) AS t
		LEFT JOIN event_types et ON et.name = t
		WHERE t <> $2 AND (et.name IS NULL OR (et.archived AND t <> ALL(coalesce($3::text[], '{}'))))
		ORDER BY et.name IS NOT NULL LIMIT 1`, types, hookd.AllEventTypes, kept).Scan(&name, &known)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return err
	case known:
		return hookd.ArchivedType(field, name)
	}
	return hookd.NotInCatalogue(field, name)
}

func nullJSON(b json.RawMessage) *string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	return &s
}
