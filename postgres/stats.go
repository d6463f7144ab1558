package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// qEmptiedStats names the tables retention empties whose statistics
// PostgreSQL took while they were (nearly) empty and that now hold ten
// times as many rows: an analyze or vacuum right after a purge records 0
// rows over the pages the dead rows still fill, and until the next analyze
// the planner plans every statement for an empty table, joins by key read
// the whole table per row (BENCHMARKS.md part 7: 2,803 deliveries/s fell to
// 412 for the minute autovacuum took). Tables never analyzed (reltuples -1)
// are left alone: the planner estimates them from their size, which holds.
const qEmptiedStats = `SELECT c.relname FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
	WHERE c.oid = ANY(ARRAY['deliveries'::regclass, 'events'::regclass, 'attempts'::regclass])
	AND c.reltuples >= 0 AND s.n_live_tup >= 1000 AND c.reltuples < s.n_live_tup / 10
	ORDER BY c.relname`

// refreshEmptiedStats analyzes the tables qEmptiedStats names, so the
// statistics of an emptied table last a purge tick, not until autovacuum
// comes back. Each analyze gives up after 100 ms waiting for its lock (a
// vacuum of the table holds it); the next tick tries again.
func (db *DB) refreshEmptiedStats(ctx context.Context) error {
	rows, err := db.pool.Query(ctx, qEmptiedStats)
	if err != nil {
		return fmt.Errorf("read table statistics: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("read table statistics: %w", err)
	}
	for _, table := range tables {
		err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{BeginQuery: "BEGIN; SET LOCAL lock_timeout = '100ms'"}, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "ANALYZE "+pgx.Identifier{table}.Sanitize())
			return err
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "55P03" { // lock_not_available
			continue
		}
		if err != nil {
			return fmt.Errorf("analyze %s: %w", table, err)
		}
	}
	return nil
}
