package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/hookd/hookd"
)

// CreateEventType adds a type to the catalogue.
func (db *DB) CreateEventType(ctx context.Context, et *hookd.EventType) error {
	now := db.now()
	res, err := db.write.ExecContext(ctx,
		`INSERT INTO event_types (name, description, schema, example, deprecated, archived, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, et.Name, et.Description, nullJSON(et.Schema), nullJSON(et.Example), et.Deprecated, et.Archived, ms(now))
	if err != nil {
		return fmt.Errorf("create event type: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return hookd.Errorf(hookd.ECONFLICT, "event type %q already exists", et.Name)
	}
	et.CreatedAt = fromMs(ms(now))
	return nil
}

const eventTypeColumns = `name, description, schema, example, deprecated, archived, created_at`

func scanEventType(row interface{ Scan(...any) error }) (*hookd.EventType, error) {
	var et hookd.EventType
	var schema, example sql.NullString
	var created int64
	if err := row.Scan(&et.Name, &et.Description, &schema, &example, &et.Deprecated, &et.Archived, &created); err != nil {
		return nil, err
	}
	if schema.Valid {
		et.Schema = []byte(schema.String)
	}
	if example.Valid {
		et.Example = []byte(example.String)
	}
	et.CreatedAt = fromMs(created)
	return &et, nil
}

// EventType reads one catalogue entry.
func (db *DB) EventType(ctx context.Context, name string) (*hookd.EventType, error) {
	et, err := scanEventType(db.read.QueryRowContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("event type", name)
	}
	if err != nil {
		return nil, fmt.Errorf("read event type: %w", err)
	}
	return et, nil
}

// EventTypes lists the catalogue by name.
func (db *DB) EventTypes(ctx context.Context) ([]*hookd.EventType, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list event types: %w", err)
	}
	return collect(rows, scanEventType, "list event types")
}

// UpdateEventType edits one catalogue entry through change.
func (db *DB) UpdateEventType(ctx context.Context, name string, change func(*hookd.EventType) error) (*hookd.EventType, error) {
	var out *hookd.EventType
	err := db.inTx(ctx, "update event type", func(ctx context.Context, tx *sql.Tx) error {
		et, err := scanEventType(tx.QueryRowContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name = ?`, name))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("event type", name)
		}
		if err != nil {
			return err
		}
		if err := change(et); err != nil {
			return err
		}
		et.Name = name
		if _, err := tx.ExecContext(ctx, `UPDATE event_types SET description = ?, schema = ?, example = ?, deprecated = ?, archived = ?
			WHERE name = ?`, et.Description, nullJSON(et.Schema), nullJSON(et.Example), et.Deprecated, et.Archived, name); err != nil {
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
func (db *DB) checkEventTypes(ctx context.Context, tx *sql.Tx, field string, types, kept []string) error {
	for _, t := range types {
		if t == hookd.AllEventTypes {
			continue
		}
		var archived bool
		err := tx.QueryRowContext(ctx, `SELECT archived FROM event_types WHERE name = ?`, t).Scan(&archived)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return hookd.NotInCatalogue(field, t)
		case err != nil:
			return fmt.Errorf("check event type: %w", err)
		case archived && !slices.Contains(kept, t):
			return hookd.ArchivedType(field, t)
		}
	}
	return nil
}
