package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hookd/hookd"
)

// Option configures the store at Open.
type Option func(*DB)

// WithOpEvents makes the store write the operational events b builds in the
// transaction of each change they report; nil writes none.
func WithOpEvents(b hookd.OpEvents) Option { return func(db *DB) { db.ops = b } }

// opEvents writes, in tx, the events about the deliveries it failed and the
// endpoints it disabled or enabled (their ids; read as tx leaves them).
func (db *DB) opEvents(ctx context.Context, tx *sql.Tx, failed []*hookd.AttemptResult, changed []string) error {
	if db.ops == nil || len(failed)+len(changed) == 0 {
		return nil
	}
	eps := make([]*hookd.Endpoint, len(changed))
	for i, id := range changed {
		e, err := db.scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM endpoints WHERE id = ?`, id))
		if err != nil {
			return fmt.Errorf("read endpoint %s: %w", id, err)
		}
		eps[i] = e
	}
	return hookd.WriteOpEvents(db.ops, failed, eps, db.now(), func(tenantID string, events []hookd.NewEvent) error {
		p, err := db.beginPublish(ctx, tx, tenantID)
		if err == nil {
			_, _, err = p.publishAll(events, nil)
		}
		return err
	})
}
