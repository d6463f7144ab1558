package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// EndpointStats counts an endpoint's deliveries and attempts since a time.
func (db *DB) EndpointStats(ctx context.Context, tenantID, id string, since time.Time) (*hookd.EndpointStats, error) {
	if _, err := db.Endpoint(ctx, tenantID, id); err != nil {
		return nil, err
	}
	since = since.Truncate(time.Hour)
	st := &hookd.EndpointStats{EndpointID: id, Since: since.UTC(), Counts: map[string]int{}}
	var b pgx.Batch
	// Delivery ids sort by creation time, so the id index bounds the range.
	b.Queue(`SELECT status, count(*) FROM deliveries WHERE endpoint_id = $1 AND id >= $2 GROUP BY status`,
		id, ids.Floor(ids.Delivery, since)).Query(func(rows pgx.Rows) error {
		_, err := collect(rows, nil, func(r pgx.Rows) (struct{}, error) {
			var status string
			var n int
			err := r.Scan(&status, &n)
			st.Counts[status] = n
			return struct{}{}, err
		})
		return err
	})
	byHour := map[time.Time]hookd.HourlyStat{}
	b.Queue(`SELECT date_trunc('hour', at, 'UTC'), count(*), count(*) FILTER (WHERE status_code BETWEEN 200 AND 299)
		FROM attempts WHERE endpoint_id = $1 AND at >= $2 GROUP BY 1`, id, since).Query(func(rows pgx.Rows) error {
		_, err := collect(rows, nil, func(r pgx.Rows) (struct{}, error) {
			var hour time.Time
			var h hookd.HourlyStat
			err := r.Scan(&hour, &h.Attempts, &h.Succeeded)
			byHour[hour] = h
			return struct{}{}, err
		})
		return err
	})
	b.Queue(`SELECT `+deliveryColumns+` FROM deliveries WHERE endpoint_id = $1 AND test ORDER BY created_at DESC, id DESC LIMIT 1`, // deliveries_tests
		id).Query(func(rows pgx.Rows) error {
		ds, err := collect(rows, nil, func(r pgx.Rows) (*hookd.Delivery, error) { return scanDelivery(r) })
		if len(ds) > 0 {
			st.LastTest = ds[0]
		}
		return err
	})
	if err := db.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, db.fail("endpoint stats", err)
	}
	st.FillHours(db.now(), byHour)
	return st, nil
}

// CreateRecoverJob counts the endpoint's failed deliveries in the window and
// records a job to replay them.
func (db *DB) CreateRecoverJob(ctx context.Context, tenantID, endpointID string, since, until time.Time) (*hookd.RecoverJob, error) {
	now := ts(db.now())
	job := &hookd.RecoverJob{ID: ids.New(ids.Recover), TenantID: tenantID, EndpointID: endpointID,
		Since: ts(since).UTC(), Until: ts(until).UTC(), Status: hookd.RecoverRunning, CreatedAt: now, UpdatedAt: now}
	err := db.inTx(ctx, "create recover job", func(tx pgx.Tx) error {
		if _, err := db.endpoint(ctx, tx, tenantID, endpointID, ""); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE endpoint_id = $1 AND status = 'failed'
			AND id >= $2 AND id < $3`, endpointID, ids.Floor(ids.Delivery, since), ids.Floor(ids.Delivery, until)).Scan(&job.Total); err != nil {
			return err
		}
		if job.Total == 0 {
			job.Status = hookd.RecoverDone
		}
		_, err := tx.Exec(ctx, `INSERT INTO recover_jobs (id, tenant_id, endpoint_id, since, until, status, total, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, job.ID, tenantID, endpointID, job.Since, job.Until, job.Status, job.Total, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return job, nil
}

const recoverJobColumns = `id, tenant_id, endpoint_id, since, until, status, total, done, created_at, updated_at`

func scanRecoverJob(row pgx.Row) (*hookd.RecoverJob, error) {
	var j hookd.RecoverJob
	return &j, row.Scan(&j.ID, &j.TenantID, &j.EndpointID, &j.Since, &j.Until, &j.Status, &j.Total, &j.Done, &j.CreatedAt, &j.UpdatedAt)
}

// RecoverJob reads one job of a tenant.
func (db *DB) RecoverJob(ctx context.Context, tenantID, id string) (*hookd.RecoverJob, error) {
	j, err := scanRecoverJob(db.pool.QueryRow(ctx, `SELECT `+recoverJobColumns+` FROM recover_jobs WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("recover job", id)
	}
	return j, db.fail("read recover job", err)
}

// RecoverJobs lists a tenant's recover jobs, newest first.
func (db *DB) RecoverJobs(ctx context.Context, tenantID, endpointID string, p hookd.Page) ([]*hookd.RecoverJob, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+recoverJobColumns+` FROM recover_jobs
		WHERE tenant_id = $1 AND ($2 = '' OR endpoint_id = $2) AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT $4`,
		tenantID, endpointID, p.Cursor, p.Size())
	out, err := collect(rows, err, func(r pgx.Rows) (*hookd.RecoverJob, error) { return scanRecoverJob(r) })
	return out, db.fail("list recover jobs", err)
}

// RunRecoverJob replays the job's next batch of failed deliveries, each
// exactly as ReplayDelivery would, and advances the job past them. The job's
// row lock keeps two nodes from running the same batch.
func (db *DB) RunRecoverJob(ctx context.Context, id string, limit int) (*hookd.RecoverJob, error) {
	var out *hookd.RecoverJob
	now := ts(db.now())
	err := db.inTx(ctx, "run recover job", func(tx pgx.Tx) error {
		var cursor, endpointID, status string
		var since, until time.Time
		err := tx.QueryRow(ctx, `SELECT endpoint_id, since, until, cursor, status FROM recover_jobs WHERE id = $1 FOR UPDATE`, id).
			Scan(&endpointID, &since, &until, &cursor, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("recover job", id)
		}
		if err != nil {
			return err
		}
		if status == hookd.RecoverRunning {
			if cursor == "" {
				cursor = ids.Floor(ids.Delivery, since)
			}
			// Endpoint before deliveries, the lock order of every writer.
			var enabled bool
			if err := tx.QueryRow(ctx, `SELECT enabled FROM endpoints WHERE id = $1 FOR NO KEY UPDATE`, endpointID).Scan(&enabled); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `UPDATE deliveries SET
				status = CASE WHEN $1 THEN 'pending' ELSE 'paused' END,
				next_attempt_at = CASE WHEN $1 THEN $2::timestamptz END,
				run_attempts = 0, lease_token = NULL, finished_at = NULL, updated_at = $2
				WHERE id IN (SELECT id FROM deliveries WHERE endpoint_id = $3 AND status = 'failed' AND id > $4 AND id < $5
					ORDER BY id LIMIT $6)
				RETURNING id`, enabled, now, endpointID, cursor, ids.Floor(ids.Delivery, until), limit)
			replayed, err := collect(rows, err, func(r pgx.Rows) (string, error) {
				var id string
				return id, r.Scan(&id)
			})
			if err != nil {
				return err
			}
			for _, r := range replayed {
				cursor = max(cursor, r)
			}
			if len(replayed) < limit {
				status = hookd.RecoverDone
			}
			if _, err := tx.Exec(ctx, `UPDATE recover_jobs SET done = LEAST(total, done + $1), cursor = $2, status = $3,
				updated_at = $4 WHERE id = $5`, len(replayed), cursor, status, now, id); err != nil {
				return err
			}
		}
		out, err = scanRecoverJob(tx.QueryRow(ctx, `SELECT `+recoverJobColumns+` FROM recover_jobs WHERE id = $1`, id))
		return err
	})
	if err == nil && out.Done > 0 {
		db.announce()
	}
	return out, err
}

// RunningRecoverJobs lists the jobs not finished yet.
func (db *DB) RunningRecoverJobs(ctx context.Context) ([]*hookd.RecoverJob, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+recoverJobColumns+` FROM recover_jobs WHERE status = 'running' ORDER BY id`)
	out, err := collect(rows, err, func(r pgx.Rows) (*hookd.RecoverJob, error) { return scanRecoverJob(r) })
	return out, db.fail("list recover jobs", err)
}

// Purge removes one batch of deliveries and events past retention. Each
// statement reads only what it may remove, in a shape the planner cannot
// turn around: the batch is chosen once (an array the statement then looks
// up by key), through partial indexes and per-row lookups written as
// LATERAL subqueries with a LIMIT, which cannot become joins. With
// statistics taken while a table held only dead rows (an analyze after a
// purge, before vacuum) the planner took deliveries for empty and either
// compared every event with every delivery (5.5 s for 10,000 events) or
// scanned the whole table, probing the batch per row; and a purge that
// finds nothing must not read the history, which grows for the retention
// period (docs/scaling.md, "Retention"). Its transaction (purgeTx)
// forbids sequential scans: with fresh statistics of a table whose
// deliveries were all one endpoint's, the planner looked for another
// endpoint's first delivery by reading the table from the start. Then it
// refreshes the statistics of a table analyzed while a purge had emptied it
// (refreshEmptiedStats).
func (db *DB) Purge(ctx context.Context, cutoff time.Time, limit int) (hookd.Purged, error) {
	var p hookd.Purged
	err := pgx.BeginTxFunc(ctx, db.pool, purgeTx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qPurgeDeliveries, ts(cutoff), ids.Floor(ids.Delivery, cutoff), limit)
		if err != nil {
			return err
		}
		p.Deliveries = int(tag.RowsAffected())
		tag, err = tx.Exec(ctx, qPurgeEvents, ts(cutoff), limit)
		if err != nil {
			return err
		}
		p.Events = int(tag.RowsAffected())
		// A publish that read its subscribers before a delete committed may
		// have queued a delivery to the endpoint after it: fail those too.
		if err := failDeletedWaiting(ctx, tx, qDeletedEndpointsWaiting, ts(db.now()), hookd.DeletedEndpointError); err != nil {
			return err
		}
		tag, err = tx.Exec(ctx, qPurgeEndpoints, ts(cutoff), limit)
		if err != nil {
			return err
		}
		p.Endpoints = int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return p, db.fail("purge", err)
	}
	return p, db.fail("purge", db.refreshEmptiedStats(ctx))
}

// purgeTx begins the purge's transaction: index scans only, as the claim's
// (indexScanTx, for the same dead index entries), and no sequential scan
// where an index serves. A forbidden scan still costs 10^10 in the plan
// (endpoints has no index on deleted_at), which would compile the purge's
// every statement with JIT: 0.3-0.5 s per tick in a soak. So no JIT.
var purgeTx = pgx.TxOptions{BeginQuery: "BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off; SET LOCAL jit = off"}

// The purge's statements (Purge), named for TestPurgeReadsOnlyWhatItRemoves.
const (
	// qPurgeDeliveries: $1 the cutoff, $2 the smallest delivery id made at
	// it (a paused delivery has no finished_at: its age is its id's), $3
	// the batch.
	qPurgeDeliveries = `DELETE FROM deliveries WHERE id = ANY(ARRAY(
		SELECT id FROM deliveries WHERE status IN ('delivered', 'failed') AND finished_at < $1 -- deliveries_finished
		UNION ALL
		SELECT id FROM deliveries WHERE status = 'cancelled' AND finished_at < $1 -- deliveries_cancelled
		UNION ALL
		SELECT id FROM deliveries WHERE status = 'paused' AND id < $2 -- deliveries_paused_by_id
		LIMIT $3))`
	// qPurgeEvents: events past the cutoff ($1) whose deliveries are gone.
	// Events have no index on id alone; the batch is their row addresses.
	qPurgeEvents = `DELETE FROM events WHERE ctid = ANY(ARRAY(
		SELECT e.ctid FROM events e
		LEFT JOIN LATERAL (SELECT 1 AS one FROM deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id LIMIT 1) d ON true
		WHERE e.created_at < $1 AND d.one IS NULL
		LIMIT $2))`
	// qDeletedEndpointsWaiting selects for failDeletedWaiting the deliveries
	// still waiting on deleted endpoints, by endpoint through the due and
	// paused partial indexes.
	qDeletedEndpointsWaiting = `id = ANY(ARRAY(SELECT w.id FROM endpoints e CROSS JOIN LATERAL (
		SELECT id FROM deliveries WHERE endpoint_id = e.id AND status IN ('pending', 'retrying') AND lease_token IS NULL -- deliveries_due
		UNION ALL
		SELECT id FROM deliveries WHERE endpoint_id = e.id AND status = 'paused' AND lease_token IS NULL -- deliveries_paused
		) w WHERE e.deleted_at IS NOT NULL))`
	// qPurgeEndpoints: endpoints deleted before the cutoff ($1) that no
	// delivery refers to any more.
	qPurgeEndpoints = `DELETE FROM endpoints WHERE id = ANY(ARRAY(
		SELECT e.id FROM endpoints e
		LEFT JOIN LATERAL (SELECT 1 AS one FROM deliveries d WHERE d.endpoint_id = e.id LIMIT 1) d ON true
		WHERE e.deleted_at < $1 AND d.one IS NULL
		LIMIT $2))`
)
