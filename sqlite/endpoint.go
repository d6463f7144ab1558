package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// CreateEndpoint stores an endpoint and its first signing secret.
func (db *DB) CreateEndpoint(ctx context.Context, e *hookd.Endpoint, secret string) error {
	now := db.now()
	id := ids.New(ids.Endpoint)
	headers, err := db.box.SealJSON(e.Headers)
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	egress, err := db.box.SealOmitZero(e.Egress)
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	destination, err := db.box.SealOmitZero(e.Destination)
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	types, _ := json.Marshal(e.EventTypes)
	if e.Kind == "" {
		e.Kind = hookd.KindWebhook
	}
	err = db.inTx(ctx, "create endpoint", func(ctx context.Context, tx *sql.Tx) error {
		if err := db.tenantExists(ctx, tx, e.TenantID); err != nil {
			return err
		}
		if err := db.checkEventTypes(ctx, tx, "event_types", e.EventTypes, nil); err != nil {
			return err
		}
		if err := uidFree(ctx, tx, e.TenantID, e.UID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO endpoints (id, tenant_id, name, description, url, event_types, headers,
			enabled, disabled_reason, retry_schedule, timeout_ms, signature_scheme, max_in_flight, rate_limit, failures_since,
			created_at, updated_at, channels, uid, filter, ordering, kind, live, transformation, egress, destination)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, e.TenantID, e.Name, e.Description, e.URL, string(types), headers,
			e.Enabled, nullString(e.DisabledReason), scheduleToJSON(e.RetrySchedule), e.Timeout.Milliseconds(),
			e.SignatureScheme, e.MaxInFlight, e.RateLimit, ms(now), ms(now), ms(now), jsonList(e.Channels), nullString(e.UID), e.Filter,
			e.Ordering, e.Kind, e.Live, e.Transformation, egress, destination); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO endpoint_secrets (endpoint_id, secret, created_at) VALUES (?, ?, ?)`,
			id, db.box.Seal([]byte(secret)), ms(now))
		return err
	})
	if err != nil {
		return err
	}
	e.ID, e.CreatedAt, e.UpdatedAt = id, fromMs(ms(now)), fromMs(ms(now))
	if e.Channels == nil {
		e.Channels = []string{}
	}
	return nil
}

const endpointColumns = `id, tenant_id, name, description, url, event_types, headers, enabled, COALESCE(disabled_reason, ''),
	retry_schedule, timeout_ms, signature_scheme, max_in_flight, rate_limit, failure_count, last_success_at, last_failure_at, created_at, updated_at,
	channels, COALESCE(uid, ''), filter, ordering, kind, live, transformation, egress, destination`

func (db *DB) scanEndpoint(row interface{ Scan(...any) error }) (*hookd.Endpoint, error) {
	var e hookd.Endpoint
	var types, channels string
	var headers, egress, destination []byte
	var schedule sql.NullString
	var timeoutMs, created, updated int64
	var success, failure sql.NullInt64
	if err := row.Scan(&e.ID, &e.TenantID, &e.Name, &e.Description, &e.URL, &types, &headers, &e.Enabled,
		&e.DisabledReason, &schedule, &timeoutMs, &e.SignatureScheme, &e.MaxInFlight, &e.RateLimit, &e.FailureCount, &success, &failure,
		&created, &updated, &channels, &e.UID, &e.Filter, &e.Ordering, &e.Kind, &e.Live, &e.Transformation, &egress, &destination); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(types), &e.EventTypes); err != nil {
		return nil, fmt.Errorf("event types: %w", err)
	}
	if err := json.Unmarshal([]byte(channels), &e.Channels); err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	var err error
	if e.Headers, err = db.box.OpenHeaders(headers); err != nil {
		return nil, err
	}
	if err := db.box.OpenJSON(egress, &e.Egress); err != nil {
		return nil, fmt.Errorf("egress: %w", err)
	}
	if err := db.box.OpenJSON(destination, &e.Destination); err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	if e.RetrySchedule, err = scheduleFromJSON(schedule); err != nil {
		return nil, err
	}
	e.Timeout = time.Duration(timeoutMs) * time.Millisecond
	e.LastSuccessAt, e.LastFailureAt = nullTime(success), nullTime(failure)
	e.CreatedAt, e.UpdatedAt = fromMs(created), fromMs(updated)
	return &e, nil
}

// Endpoint reads one endpoint of a tenant.
func (db *DB) Endpoint(ctx context.Context, tenantID, id string) (*hookd.Endpoint, error) {
	return db.endpoint(ctx, db.read.QueryRowContext, tenantID, id)
}

type queryRowFunc func(ctx context.Context, query string, args ...any) *sql.Row

func (db *DB) endpoint(ctx context.Context, query queryRowFunc, tenantID, id string) (*hookd.Endpoint, error) {
	e, err := db.scanEndpoint(query(ctx, `SELECT `+endpointColumns+` FROM endpoints WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("endpoint", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read endpoint: %w", err)
	}
	return e, nil
}

// EndpointByUID reads the tenant's endpoint with that uid.
func (db *DB) EndpointByUID(ctx context.Context, tenantID, uid string) (*hookd.Endpoint, error) {
	e, err := db.scanEndpoint(db.read.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM endpoints WHERE tenant_id = ? AND uid = ?`, tenantID, uid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "endpoint with uid %q not found", uid)
	}
	if err != nil {
		return nil, fmt.Errorf("read endpoint by uid: %w", err)
	}
	return e, nil
}

// uidFree refuses a uid another endpoint of the tenant has. The write
// transaction is the only one, so the check holds until it commits.
func uidFree(ctx context.Context, tx *sql.Tx, tenantID, uid, self string) error {
	if uid == "" {
		return nil
	}
	var other string
	err := tx.QueryRowContext(ctx, `SELECT id FROM endpoints WHERE tenant_id = ? AND uid = ? AND id <> ?`, tenantID, uid, self).Scan(&other)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check uid: %w", err)
	}
	return hookd.Errorf(hookd.ECONFLICT, "endpoint %s already has uid %q", other, uid)
}

// Endpoints lists a tenant's endpoints, newest first (local sessions apart).
func (db *DB) Endpoints(ctx context.Context, tenantID string, p hookd.Page) ([]*hookd.Endpoint, error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT `+endpointColumns+` FROM endpoints WHERE tenant_id = ? AND deleted_at IS NULL AND kind <> 'local' AND (? = '' OR id < ?) ORDER BY id DESC LIMIT ?`,
		tenantID, p.Cursor, p.Cursor, p.Size())
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	return collect(rows, db.scanEndpoint, "list endpoints")
}

// LocalSessions lists a tenant's hookd listen endpoints, newest first.
func (db *DB) LocalSessions(ctx context.Context, tenantID string, limit int) ([]*hookd.Endpoint, error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT `+endpointColumns+` FROM endpoints WHERE tenant_id = ? AND deleted_at IS NULL AND kind = 'local' ORDER BY id DESC LIMIT ?`,
		tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("list local sessions: %w", err)
	}
	return collect(rows, db.scanEndpoint, "list local sessions")
}

// CountEndpoints counts a tenant's endpoints (local sessions apart).
func (db *DB) CountEndpoints(ctx context.Context, tenantID string) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM endpoints WHERE tenant_id = ? AND deleted_at IS NULL AND kind <> 'local'`, tenantID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count endpoints: %w", err)
	}
	return n, nil
}

// UpdateEndpoint applies the set fields of u.
func (db *DB) UpdateEndpoint(ctx context.Context, tenantID, id string, u hookd.EndpointUpdate) (*hookd.Endpoint, error) {
	var out *hookd.Endpoint
	err := db.inTx(ctx, "update endpoint", func(ctx context.Context, tx *sql.Tx) error {
		e, err := db.endpoint(ctx, tx.QueryRowContext, tenantID, id)
		if err != nil {
			return err
		}
		kept := e.EventTypes
		if err := hookd.CheckOrderingKept(e, u); err != nil {
			return err
		}
		if err := hookd.CheckDestinationKept(e, u); err != nil {
			return err
		}
		e.Apply(u)
		if u.EventTypes != nil {
			if err := db.checkEventTypes(ctx, tx, "event_types", e.EventTypes, kept); err != nil {
				return err
			}
		}
		if err := uidFree(ctx, tx, tenantID, e.UID, id); err != nil {
			return err
		}
		headers, err := db.box.SealJSON(e.Headers)
		if err != nil {
			return err
		}
		egress, err := db.box.SealOmitZero(e.Egress)
		if err != nil {
			return err
		}
		destination, err := db.box.SealOmitZero(e.Destination)
		if err != nil {
			return err
		}
		types, _ := json.Marshal(e.EventTypes)
		e.UpdatedAt = fromMs(ms(db.now()))
		if _, err := tx.ExecContext(ctx, `UPDATE endpoints SET name = ?, description = ?, url = ?, event_types = ?, headers = ?,
			retry_schedule = ?, timeout_ms = ?, signature_scheme = ?, max_in_flight = ?, rate_limit = ?, updated_at = ?, channels = ?,
			uid = ?, filter = ?, transformation = ?, egress = ?, destination = ? WHERE id = ?`,
			e.Name, e.Description, e.URL, string(types), headers, scheduleToJSON(e.RetrySchedule),
			e.Timeout.Milliseconds(), e.SignatureScheme, e.MaxInFlight, e.RateLimit, ms(e.UpdatedAt), jsonList(e.Channels),
			nullString(e.UID), e.Filter, e.Transformation, egress, destination, id); err != nil {
			return err
		}
		out = e
		return nil
	})
	return out, err
}

// DeleteEndpoint marks an endpoint deleted (see hookd.EndpointStore).
func (db *DB) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	return db.inTx(ctx, "delete endpoint", func(ctx context.Context, tx *sql.Tx) error {
		now := ms(db.now())
		res, err := tx.ExecContext(ctx, `UPDATE endpoints SET deleted_at = ?, uid = NULL, updated_at = ?
			WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL`, now, now, tenantID, id)
		if err != nil {
			return fmt.Errorf("delete endpoint: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("endpoint", id)
		}
		// Waiting deliveries fail now; one in flight keeps its lease (the
		// tenant's cap counts it until it ends) and its result is dropped.
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'failed', last_error = ?, finished_at = ?, updated_at = ?,
			next_attempt_at = CASE WHEN lease_token IS NULL THEN NULL ELSE next_attempt_at END
			WHERE endpoint_id = ? AND status IN ('pending', 'retrying', 'paused')`, hookd.DeletedEndpointError, now, now, id); err != nil {
			return fmt.Errorf("fail deliveries of deleted endpoint: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recover_jobs WHERE endpoint_id = ?`, id); err != nil {
			return fmt.Errorf("drop recover jobs of deleted endpoint: %w", err)
		}
		return nil
	})
}

// DeleteEndpointsByURLPrefix removes the endpoints whose URL starts with prefix.
func (db *DB) DeleteEndpointsByURLPrefix(ctx context.Context, prefix string) (int, error) {
	var n int64
	err := db.inTx(ctx, "delete endpoints by url", func(ctx context.Context, tx *sql.Tx) error {
		if err := db.keepLeases(ctx, tx, `substr(e.url, 1, length(?)) = ?`, prefix, prefix); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM endpoints WHERE substr(url, 1, length(?1)) = ?1`, prefix)
		if err != nil {
			return fmt.Errorf("delete endpoints by url: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// EnableEndpoint re-enables an endpoint, makes its paused deliveries due now
// and starts a new failure streak; its operational event commits with it.
func (db *DB) EnableEndpoint(ctx context.Context, tenantID, id string) (*hookd.Endpoint, error) {
	now := ms(db.now())
	var out *hookd.Endpoint
	err := db.inTx(ctx, "enable endpoint", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE endpoints SET enabled = 1, disabled_reason = NULL, failure_count = 0,
			failures_since = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL`, now, now, tenantID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("endpoint", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET
			status = CASE WHEN attempts > 0 THEN 'retrying' ELSE 'pending' END,
			next_attempt_at = CASE WHEN lease_token IS NULL THEN ? ELSE next_attempt_at END,
			updated_at = ?
			WHERE endpoint_id = ? AND status = 'paused'`, now, now, id); err != nil {
			return err
		}
		if err := db.opEvents(ctx, tx, nil, []string{id}); err != nil {
			return err
		}
		out, err = db.endpoint(ctx, tx.QueryRowContext, tenantID, id)
		return err
	})
	return out, err
}

// DisableEndpoint disables an endpoint and pauses its waiting deliveries;
// its operational event commits with it.
func (db *DB) DisableEndpoint(ctx context.Context, tenantID, id, reason string) (*hookd.Endpoint, error) {
	var out *hookd.Endpoint
	err := db.inTx(ctx, "disable endpoint", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL`,
			reason, ms(db.now()), tenantID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("endpoint", id)
		}
		if err := pauseDeliveries(ctx, tx, id, ms(db.now())); err != nil {
			return err
		}
		if err := db.opEvents(ctx, tx, nil, []string{id}); err != nil {
			return err
		}
		out, err = db.endpoint(ctx, tx.QueryRowContext, tenantID, id)
		return err
	})
	return out, err
}

// pauseDeliveries parks an endpoint's waiting deliveries. Test deliveries
// still go out. One in flight keeps its lease, so its result still lands.
func pauseDeliveries(ctx context.Context, tx *sql.Tx, endpointID string, now int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'paused',
		next_attempt_at = CASE WHEN lease_token IS NULL THEN NULL ELSE next_attempt_at END, updated_at = ?
		WHERE endpoint_id = ? AND status IN ('pending', 'retrying') AND test = 0`, now, endpointID)
	if err != nil {
		return fmt.Errorf("pause deliveries: %w", err)
	}
	return nil
}

// Secrets returns the endpoint's valid signing secrets, newest first.
func (db *DB) Secrets(ctx context.Context, tenantID, id string) ([]string, error) {
	if _, err := db.Endpoint(ctx, tenantID, id); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, qValidSecrets, id, ms(db.now()))
	if err != nil {
		return nil, fmt.Errorf("read secrets: %w", err)
	}
	return db.openSecrets(rows)
}

// RotateSecret adds a new newest secret; the valid ones expire after overlap.
func (db *DB) RotateSecret(ctx context.Context, tenantID, id, secret string, overlap time.Duration) error {
	now := db.now()
	end := ms(now.Add(overlap))
	return db.inTx(ctx, "rotate secret", func(ctx context.Context, tx *sql.Tx) error {
		if _, err := db.endpoint(ctx, tx.QueryRowContext, tenantID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM endpoint_secrets WHERE endpoint_id = ? AND expires_at <= ?`, id, ms(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE endpoint_secrets SET expires_at = ?
			WHERE endpoint_id = ? AND (expires_at IS NULL OR expires_at > ?)`, end, id, end); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO endpoint_secrets (endpoint_id, secret, created_at) VALUES (?, ?, ?)`,
			id, db.box.Seal([]byte(secret)), ms(now))
		return err
	})
}
