package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookd/hookd"
)

const deliveryColumns = `id, tenant_id, event_id, event_type, endpoint_id, status, test, attempts, lease_token IS NOT NULL,
	next_attempt_at, last_attempt_at, COALESCE(last_status_code, 0), COALESCE(last_error, ''), COALESCE(last_duration_ms, 0),
	created_at, updated_at, ` + headColumn

// headColumn is a waiting FIFO delivery's head (hookd.Delivery.Behind), empty for others.
const headColumn = `COALESCE(CASE WHEN seq IS NOT NULL AND status IN ('pending', 'retrying') THEN (SELECT h.id FROM deliveries h
	WHERE h.endpoint_id = deliveries.endpoint_id AND h.seq IS NOT NULL AND h.status IN ('pending', 'retrying') ORDER BY h.seq LIMIT 1) END, '')`

func scanDelivery(row interface{ Scan(...any) error }) (*hookd.Delivery, error) {
	var d hookd.Delivery
	var leased bool
	var next, last sql.NullInt64
	var durationMs, created, updated int64
	var head string
	if err := row.Scan(&d.ID, &d.TenantID, &d.EventID, &d.EventType, &d.EndpointID, &d.Status, &d.Test, &d.Attempts,
		&leased, &next, &last, &d.LastStatusCode, &d.LastError, &durationMs, &created, &updated, &head); err != nil {
		return nil, err
	}
	d.Behind(head)
	// While leased, next_attempt_at is the lease's end, not a scheduled attempt.
	if !leased {
		d.NextAttemptAt = nullTime(next)
	}
	d.LastAttemptAt = nullTime(last)
	d.LastDuration = hookd.Millis(time.Duration(durationMs) * time.Millisecond)
	d.CreatedAt, d.UpdatedAt = fromMs(created), fromMs(updated)
	return &d, nil
}

// Deliveries lists deliveries matching f, newest first.
func (db *DB) Deliveries(ctx context.Context, f hookd.DeliveryFilter, p hookd.Page) ([]*hookd.Delivery, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE tenant_id = ? AND (? = '' OR endpoint_id = ?) AND (? = '' OR event_id = ?) AND (? = '' OR status = ?)
		AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		f.TenantID, f.EndpointID, f.EndpointID, f.EventID, f.EventID, f.Status, f.Status, p.Cursor, p.Cursor, p.Size())
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return collect(rows, scanDelivery, "list deliveries")
}

// Delivery reads one delivery with its attempts.
func (db *DB) Delivery(ctx context.Context, tenantID, id string) (*hookd.Delivery, error) {
	d, err := scanDelivery(db.read.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("delivery", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read delivery: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, delivery_id, number, at, url, request_headers, status_code, duration_ms,
		error, response_body, response_headers FROM attempts WHERE delivery_id = ? ORDER BY number, at`, id)
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	d.AttemptLog, err = collect(rows, scanAttempt, "read attempts")
	if err != nil {
		return nil, err
	}
	if d.AttemptLog == nil {
		d.AttemptLog = []hookd.Attempt{}
	}
	return d, nil
}

func scanAttempt(row interface{ Scan(...any) error }) (hookd.Attempt, error) {
	var a hookd.Attempt
	var at, durationMs int64
	var headers, answer string
	if err := row.Scan(&a.ID, &a.DeliveryID, &a.Number, &at, &a.URL, &headers, &a.StatusCode, &durationMs, &a.Error, &a.ResponseBody,
		&answer); err != nil {
		return a, err
	}
	a.At = fromMs(at)
	a.Duration = hookd.Millis(time.Duration(durationMs) * time.Millisecond)
	if err := json.Unmarshal([]byte(headers), &a.RequestHeaders); err != nil {
		return a, err
	}
	return a, json.Unmarshal([]byte(answer), &a.ResponseHeaders)
}

// ReplayDelivery makes a delivery due at once with a fresh retry schedule.
func (db *DB) ReplayDelivery(ctx context.Context, tenantID, id string) (*hookd.Delivery, error) {
	now := ms(db.now())
	err := db.inTx(ctx, "replay delivery", func(ctx context.Context, tx *sql.Tx) error {
		var leased, enabled, test, deleted bool
		var next sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT d.lease_token IS NOT NULL, d.next_attempt_at, e.enabled, d.test, e.deleted_at IS NOT NULL
			FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id WHERE d.tenant_id = ? AND d.id = ?`, tenantID, id).
			Scan(&leased, &next, &enabled, &test, &deleted)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("delivery", id)
		}
		if err != nil {
			return err
		}
		if deleted {
			return hookd.ErrDeletedEndpoint(id)
		}
		if leased && next.Valid && next.Int64 > now {
			return hookd.Errorf(hookd.ECONFLICT, "delivery %q is being attempted right now; replay it when the attempt ends", id)
		}
		status, due := hookd.StatusPending, any(now)
		if !enabled && !test {
			status, due = hookd.StatusPaused, nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, run_attempts = 0, next_attempt_at = ?, lease_token = NULL,
			finished_at = NULL, updated_at = ? WHERE id = ?`, status, due, now, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return db.Delivery(ctx, tenantID, id)
}
