package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hookd/hookd"
)

// CreateEventType adds a type to the catalogue.
func (db *DB) CreateEventType(ctx context.Context, et *hookd.EventType) error {
	now := db.now()
	res, err := db.write.ExecContext(ctx,
		`INSERT INTO event_types (name, description, schema, example, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		et.Name, et.Description, nullJSON(et.Schema), nullJSON(et.Example), ms(now))
	if err != nil {
		return fmt.Errorf("create event type: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return hookd.Errorf(hookd.ECONFLICT, "event type %q already exists", et.Name)
	}
	et.CreatedAt = fromMs(ms(now))
	return nil
}

func scanEventType(row interface{ Scan(...any) error }) (*hookd.EventType, error) {
	var et hookd.EventType
	var schema, example sql.NullString
	var created int64
	if err := row.Scan(&et.Name, &et.Description, &schema, &example, &created); err != nil {
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
	et, err := scanEventType(db.read.QueryRowContext(ctx,
		`SELECT name, description, schema, example, created_at FROM event_types WHERE name = ?`, name))
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
	rows, err := db.read.QueryContext(ctx, `SELECT name, description, schema, example, created_at FROM event_types ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list event types: %w", err)
	}
	return collect(rows, scanEventType, "list event types")
}

// checkEventTypes fails with EINVALID when a subscribed type is not in the catalogue.
func (db *DB) checkEventTypes(ctx context.Context, tx *sql.Tx, field string, types []string) error {
	for _, t := range types {
		if t == hookd.AllEventTypes {
			continue
		}
		var one int
		err := db.queryRow(ctx, tx, qEventTypeExists, t).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return hookd.NotInCatalogue(field, t)
		}
		if err != nil {
			return fmt.Errorf("check event type: %w", err)
		}
	}
	return nil
}
