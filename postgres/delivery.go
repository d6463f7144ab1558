package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

const deliveryColumns = `id, tenant_id, event_id, event_type, endpoint_id, status, test, attempts, lease_token IS NOT NULL,
	next_attempt_at, last_attempt_at, COALESCE(last_status_code, 0), COALESCE(last_error, ''), COALESCE(last_duration_ms, 0),
	created_at, updated_at, ` + headColumn

// headColumn is a waiting FIFO delivery's head (hookd.Delivery.Behind), empty for others.
const headColumn = `coalesce(CASE WHEN seq IS NOT NULL AND status IN ('pending', 'retrying') THEN (SELECT h.id FROM deliveries h
	WHERE h.endpoint_id = deliveries.endpoint_id AND h.seq IS NOT NULL AND h.status IN ('pending', 'retrying') ORDER BY h.seq LIMIT 1) END, '')`

func scanDelivery(row pgx.Row) (*hookd.Delivery, error) {
	var d hookd.Delivery
	var leased bool
	var next *time.Time
	var durationMs int64
	var head string
	if err := row.Scan(&d.ID, &d.TenantID, &d.EventID, &d.EventType, &d.EndpointID, &d.Status, &d.Test, &d.Attempts,
		&leased, &next, &d.LastAttemptAt, &d.LastStatusCode, &d.LastError, &durationMs, &d.CreatedAt, &d.UpdatedAt, &head); err != nil {
		return nil, err
	}
	d.Behind(head)
	// While leased, next_attempt_at is the lease's end, not a scheduled attempt.
	if !leased {
		d.NextAttemptAt = next
	}
	d.LastDuration = hookd.Millis(time.Duration(durationMs) * time.Millisecond)
	return &d, nil
}

// Deliveries lists deliveries matching f, newest first.
func (db *DB) Deliveries(ctx context.Context, f hookd.DeliveryFilter, p hookd.Page) ([]*hookd.Delivery, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE tenant_id = $1 AND ($2 = '' OR endpoint_id = $2) AND ($3 = '' OR event_id = $3) AND ($4 = '' OR status = $4)
		AND ($5 = '' OR id < $5) ORDER BY id DESC LIMIT $6`,
		f.TenantID, f.EndpointID, f.EventID, f.Status, p.Cursor, p.Size())
	out, err := collect(rows, err, func(r pgx.Rows) (*hookd.Delivery, error) { return scanDelivery(r) })
	return out, db.fail("list deliveries", err)
}

// Delivery reads one delivery with its attempts.
func (db *DB) Delivery(ctx context.Context, tenantID, id string) (*hookd.Delivery, error) {
	d, err := scanDelivery(db.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("delivery", id)
	}
	if err != nil {
		return nil, db.fail("read delivery", err)
	}
	rows, err := db.pool.Query(ctx, `SELECT id, delivery_id, number, at, url, request_headers, status_code, duration_ms,
		error, response_body, response_headers FROM attempts WHERE delivery_id = $1 ORDER BY number, at`, id)
	d.AttemptLog, err = collect(rows, err, func(r pgx.Rows) (hookd.Attempt, error) {
		var a hookd.Attempt
		var durationMs int64
		err := r.Scan(&a.ID, &a.DeliveryID, &a.Number, &a.At, &a.URL, &a.RequestHeaders, &a.StatusCode, &durationMs, &a.Error, &a.ResponseBody,
			&a.ResponseHeaders)
		a.Duration = hookd.Millis(time.Duration(durationMs) * time.Millisecond)
		return a, err
	})
	if err != nil {
		return nil, db.fail("read attempts", err)
	}
	if d.AttemptLog == nil {
		d.AttemptLog = []hookd.Attempt{}
	}
	return d, nil
}

// ReplayDelivery makes a delivery due at once with a fresh retry schedule.
func (db *DB) ReplayDelivery(ctx context.Context, tenantID, id string) (*hookd.Delivery, error) {
	now := ts(db.now())
	err := db.inTx(ctx, "replay delivery", func(tx pgx.Tx) error {
		var leased, enabled, test, deleted bool
		var next *time.Time
		// The row lock keeps a claim from leasing it between check and update.
		err := tx.QueryRow(ctx, `SELECT d.lease_token IS NOT NULL, d.next_attempt_at, e.enabled, d.test, e.deleted_at IS NOT NULL
			FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id WHERE d.tenant_id = $1 AND d.id = $2 FOR UPDATE OF d`, tenantID, id).
			Scan(&leased, &next, &enabled, &test, &deleted)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("delivery", id)
		}
		if err != nil {
			return err
		}
		if deleted {
			return hookd.ErrDeletedEndpoint(id)
		}
		if leased && next != nil && next.After(now) {
			return hookd.Errorf(hookd.ECONFLICT, "delivery %q is being attempted right now; replay it when the attempt ends", id)
		}
		status, due := hookd.StatusPending, &now
		if !enabled && !test {
			status, due = hookd.StatusPaused, nil
		}
		_, err = tx.Exec(ctx, `UPDATE deliveries SET status = $1, run_attempts = 0, next_attempt_at = $2, lease_token = NULL,
			finished_at = NULL, updated_at = $3 WHERE id = $4`, status, due, now, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	db.announce()
	return db.Delivery(ctx, tenantID, id)
}
