package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	// Delivery ids sort by creation time, so the id index bounds the range.
	rows, err := db.read.QueryContext(ctx, `SELECT status, COUNT(*) FROM deliveries
		WHERE endpoint_id = ? AND id >= ? GROUP BY status`, id, ids.Floor(ids.Delivery, since))
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	if _, err := collect(rows, func(row interface{ Scan(...any) error }) (struct{}, error) {
		var status string
		var n int
		err := row.Scan(&status, &n)
		st.Counts[status] = n
		return struct{}{}, err
	}, "count deliveries"); err != nil {
		return nil, err
	}
	const hourMs = int64(time.Hour / time.Millisecond)
	rows, err = db.read.QueryContext(ctx, `SELECT at / ?1, COUNT(*), SUM(status_code BETWEEN 200 AND 299) FROM attempts
		WHERE endpoint_id = ?2 AND at >= ?3 GROUP BY at / ?1`, hourMs, id, ms(since))
	if err != nil {
		return nil, fmt.Errorf("count attempts: %w", err)
	}
	byHour := map[time.Time]hookd.HourlyStat{}
	if _, err := collect(rows, func(row interface{ Scan(...any) error }) (struct{}, error) {
		var hour int64
		var h hookd.HourlyStat
		err := row.Scan(&hour, &h.Attempts, &h.Succeeded)
		byHour[fromMs(hour*hourMs)] = h
		return struct{}{}, err
	}, "count attempts"); err != nil {
		return nil, err
	}
	st.FillHours(db.now(), byHour)
	rows, err = db.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE endpoint_id = ? AND test = 1 ORDER BY created_at DESC, id DESC LIMIT 1`, id) // deliveries_tests
	if err != nil {
		return nil, fmt.Errorf("read the last test delivery: %w", err)
	}
	ds, err := collect(rows, scanDelivery, "read the last test delivery")
	if err != nil {
		return nil, err
	}
	if len(ds) > 0 {
		st.LastTest = ds[0]
	}
	return st, nil
}

// CreateRecoverJob counts the endpoint's failed deliveries in the window and
// records a job to replay them.
func (db *DB) CreateRecoverJob(ctx context.Context, tenantID, endpointID string, since, until time.Time) (*hookd.RecoverJob, error) {
	now := db.now()
	job := &hookd.RecoverJob{ID: ids.New(ids.Recover), TenantID: tenantID, EndpointID: endpointID,
		Since: fromMs(ms(since)), Until: fromMs(ms(until)), Status: hookd.RecoverRunning,
		CreatedAt: fromMs(ms(now)), UpdatedAt: fromMs(ms(now))}
	err := db.inTx(ctx, "create recover job", func(ctx context.Context, tx *sql.Tx) error {
		if _, err := db.endpoint(ctx, tx.QueryRowContext, tenantID, endpointID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE endpoint_id = ? AND status = 'failed'
			AND id >= ? AND id < ?`, endpointID, ids.Floor(ids.Delivery, since), ids.Floor(ids.Delivery, until)).Scan(&job.Total); err != nil {
			return err
		}
		if job.Total == 0 {
			job.Status = hookd.RecoverDone
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO recover_jobs (id, tenant_id, endpoint_id, since, until, status, total, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, job.ID, tenantID, endpointID, ms(since), ms(until), job.Status, job.Total, ms(now), ms(now))
		return err
	})
	if err != nil {
		return nil, err
	}
	return job, nil
}

const recoverJobColumns = `id, tenant_id, endpoint_id, since, until, status, total, done, created_at, updated_at`

func scanRecoverJob(row interface{ Scan(...any) error }) (*hookd.RecoverJob, error) {
	var j hookd.RecoverJob
	var since, until, created, updated int64
	if err := row.Scan(&j.ID, &j.TenantID, &j.EndpointID, &since, &until, &j.Status, &j.Total, &j.Done, &created, &updated); err != nil {
		return nil, err
	}
	j.Since, j.Until, j.CreatedAt, j.UpdatedAt = fromMs(since), fromMs(until), fromMs(created), fromMs(updated)
	return &j, nil
}

// RecoverJob reads one job of a tenant.
func (db *DB) RecoverJob(ctx context.Context, tenantID, id string) (*hookd.RecoverJob, error) {
	j, err := scanRecoverJob(db.read.QueryRowContext(ctx, `SELECT `+recoverJobColumns+` FROM recover_jobs WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("recover job", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read recover job: %w", err)
	}
	return j, nil
}

// RecoverJobs lists a tenant's recover jobs, newest first.
func (db *DB) RecoverJobs(ctx context.Context, tenantID, endpointID string, p hookd.Page) ([]*hookd.RecoverJob, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+recoverJobColumns+` FROM recover_jobs
		WHERE tenant_id = ? AND (? = '' OR endpoint_id = ?) AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		tenantID, endpointID, endpointID, p.Cursor, p.Cursor, p.Size())
	if err != nil {
		return nil, fmt.Errorf("list recover jobs: %w", err)
	}
	return collect(rows, scanRecoverJob, "list recover jobs")
}

// RunRecoverJob replays the job's next batch of failed deliveries, each
// exactly as ReplayDelivery would, and advances the job past them.
func (db *DB) RunRecoverJob(ctx context.Context, id string, limit int) (*hookd.RecoverJob, error) {
	var out *hookd.RecoverJob
	now := ms(db.now())
	err := db.inTx(ctx, "run recover job", func(ctx context.Context, tx *sql.Tx) error {
		var cursor string
		var since, until int64
		var endpointID, status string
		err := tx.QueryRowContext(ctx, `SELECT endpoint_id, since, until, cursor, status FROM recover_jobs WHERE id = ?`, id).
			Scan(&endpointID, &since, &until, &cursor, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("recover job", id)
		}
		if err != nil {
			return err
		}
		if status == hookd.RecoverRunning {
			if cursor == "" {
				cursor = ids.Floor(ids.Delivery, fromMs(since))
			}
			rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET
				status = CASE WHEN (SELECT enabled FROM endpoints WHERE id = ?1) THEN 'pending' ELSE 'paused' END,
				next_attempt_at = CASE WHEN (SELECT enabled FROM endpoints WHERE id = ?1) THEN ?2 ELSE NULL END,
				run_attempts = 0, lease_token = NULL, finished_at = NULL, updated_at = ?2
				WHERE id IN (SELECT id FROM deliveries WHERE endpoint_id = ?1 AND status = 'failed' AND id > ?3 AND id < ?4
					ORDER BY id LIMIT ?5)
				RETURNING id`, endpointID, now, cursor, ids.Floor(ids.Delivery, fromMs(until)), limit)
			if err != nil {
				return err
			}
			replayed, err := collect(rows, func(row interface{ Scan(...any) error }) (string, error) {
				var id string
				return id, row.Scan(&id)
			}, "replay")
			if err != nil {
				return err
			}
			for _, r := range replayed {
				cursor = max(cursor, r)
			}
			if len(replayed) < limit {
				status = hookd.RecoverDone
			}
			if _, err := tx.ExecContext(ctx, `UPDATE recover_jobs SET done = MIN(total, done + ?), cursor = ?, status = ?,
				updated_at = ? WHERE id = ?`, len(replayed), cursor, status, now, id); err != nil {
				return err
			}
		}
		out, err = scanRecoverJob(tx.QueryRowContext(ctx, `SELECT `+recoverJobColumns+` FROM recover_jobs WHERE id = ?`, id))
		return err
	})
	return out, err
}

// RunningRecoverJobs lists the jobs not finished yet.
func (db *DB) RunningRecoverJobs(ctx context.Context) ([]*hookd.RecoverJob, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+recoverJobColumns+` FROM recover_jobs WHERE status = 'running' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list recover jobs: %w", err)
	}
	return collect(rows, scanRecoverJob, "list recover jobs")
}

// Purge removes one batch of deliveries and events past retention. Each
// statement reads only what it may remove, through partial indexes and
// per-row lookups (TestPurgeReadsOnlyWhatItRemoves): a purge that finds
// nothing must not read the history, which grows for the retention period.
func (db *DB) Purge(ctx context.Context, cutoff time.Time, limit int) (hookd.Purged, error) {
	var p hookd.Purged
	err := db.inTx(ctx, "purge", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, qPurgeDeliveries, ms(cutoff), ids.Floor(ids.Delivery, cutoff), limit)
		if err != nil {
			return fmt.Errorf("purge deliveries: %w", err)
		}
		n, _ := res.RowsAffected()
		p.Deliveries = int(n)
		res, err = tx.ExecContext(ctx, qPurgeEvents, ms(cutoff), limit)
		if err != nil {
			return fmt.Errorf("purge events: %w", err)
		}
		n, _ = res.RowsAffected()
		p.Events = int(n)
		res, err = tx.ExecContext(ctx, qPurgeEndpoints, ms(cutoff), limit)
		if err != nil {
			return fmt.Errorf("purge deleted endpoints: %w", err)
		}
		n, _ = res.RowsAffected()
		p.Endpoints = int(n)
		return nil
	})
	return p, err
}

// The purge's statements (Purge).
const (
	// qPurgeDeliveries: ?1 the cutoff, ?2 the smallest delivery id made at
	// it (a paused delivery has no finished_at: its age is its id's), ?3
	// the batch.
	qPurgeDeliveries = `DELETE FROM deliveries WHERE id IN (
		SELECT id FROM deliveries WHERE status IN ('delivered', 'failed') AND finished_at < ?1 -- deliveries_finished
		UNION ALL
		SELECT id FROM deliveries WHERE status = 'cancelled' AND finished_at < ?1 -- deliveries_cancelled
		UNION ALL
		SELECT id FROM deliveries WHERE status = 'paused' AND id < ?2 -- deliveries_paused_by_id
		LIMIT ?3)`
	// qPurgeEvents: events past the cutoff whose deliveries are gone.
	qPurgeEvents = `DELETE FROM events WHERE rowid IN (
		SELECT e.rowid FROM events e WHERE e.created_at < ? AND NOT EXISTS (
			SELECT 1 FROM deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id)
		LIMIT ?)`
	// qPurgeEndpoints: endpoints deleted before the cutoff that no delivery
	// refers to any more.
	qPurgeEndpoints = `DELETE FROM endpoints WHERE id IN (
		SELECT e.id FROM endpoints e WHERE e.deleted_at < ? AND NOT EXISTS (
			SELECT 1 FROM deliveries d WHERE d.endpoint_id = e.id)
		LIMIT ?)`
)
