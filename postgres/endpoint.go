package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// CreateEndpoint stores an endpoint and its first signing secret.
func (db *DB) CreateEndpoint(ctx context.Context, e *hookd.Endpoint, secret string) error {
	now := ts(db.now())
	id := ids.New(ids.Endpoint)
	headers, err := db.box.SealJSON(e.Headers)
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	if e.Kind == "" {
		e.Kind = hookd.KindWebhook
	}
	egress, err := db.box.SealOmitZero(e.Egress)
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	destination, err := db.box.SealOmitZero(e.Destination)
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	err = db.inTx(ctx, "create endpoint", func(tx pgx.Tx) error {
		if err := tenantExists(ctx, tx, e.TenantID); err != nil {
			return err
		}
		if err := checkEventTypes(ctx, tx, "event_types", e.EventTypes, nil); err != nil {
			return err
		}
		if err := uidFree(ctx, tx, e.TenantID, e.UID, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO endpoints (id, tenant_id, name, description, url, event_types, headers,
			enabled, disabled_reason, retry_schedule, timeout_ms, signature_scheme, max_in_flight, rate_limit, failures_since,
			created_at, updated_at, channels, uid, filter, ordering, kind, live, transformation, egress, destination)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, ''), $10, $11, $12, $13, $14, $15, $15, $15, $16, NULLIF($17, ''), $18, $19, $20, $21, $22, $23, $24)`,
			id, e.TenantID, e.Name, e.Description, e.URL, e.EventTypes, headers,
			e.Enabled, e.DisabledReason, scheduleMs(e.RetrySchedule), e.Timeout.Milliseconds(),
			e.SignatureScheme, e.MaxInFlight, e.RateLimit, now, list(e.Channels), e.UID, e.Filter,
			e.Ordering, e.Kind, e.Live, e.Transformation, egress, destination); err != nil {
			return uidTaken(err, e.UID)
		}
		_, err := tx.Exec(ctx, `INSERT INTO endpoint_secrets (endpoint_id, secret, created_at) VALUES ($1, $2, $3)`,
			id, db.box.Seal([]byte(secret)), now)
		return err
	})
	if err != nil {
		return err
	}
	e.ID, e.CreatedAt, e.UpdatedAt, e.Channels = id, now, now, list(e.Channels)
	return nil
}

// EndpointByUID reads the tenant's endpoint with that uid.
func (db *DB) EndpointByUID(ctx context.Context, tenantID, uid string) (*hookd.Endpoint, error) {
	e, err := db.scanEndpoint(db.pool.QueryRow(ctx, `SELECT `+endpointColumns+` FROM endpoints WHERE tenant_id = $1 AND uid = $2`, tenantID, uid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "endpoint with uid %q not found", uid)
	}
	if err != nil {
		return nil, db.fail("read endpoint by uid", err)
	}
	return e, nil
}

// uidFree refuses a uid another endpoint of the tenant has; two
// transactions racing past it meet the unique index (uidTaken).
func uidFree(ctx context.Context, tx pgx.Tx, tenantID, uid, self string) error {
	if uid == "" {
		return nil
	}
	var other string
	err := tx.QueryRow(ctx, `SELECT id FROM endpoints WHERE tenant_id = $1 AND uid = $2 AND id <> $3`, tenantID, uid, self).Scan(&other)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check uid: %w", err)
	}
	return hookd.Errorf(hookd.ECONFLICT, "endpoint %s already has uid %q", other, uid)
}

// uidTaken turns the unique index's refusal into ECONFLICT.
func uidTaken(err error, uid string) error {
	if isUniqueViolation(err) {
		return hookd.Errorf(hookd.ECONFLICT, "another endpoint already has uid %q", uid)
	}
	return err
}

// list is s, or an empty list for nil (pgx sends nil as NULL).
func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const endpointColumns = `id, tenant_id, name, description, url, event_types, headers, enabled, COALESCE(disabled_reason, ''),
	retry_schedule, timeout_ms, signature_scheme, max_in_flight, rate_limit, failure_count, last_success_at, last_failure_at,
	created_at, updated_at, channels, coalesce(uid, ''), filter, ordering, kind, live, transformation, egress, destination`

func (db *DB) scanEndpoint(row pgx.Row) (*hookd.Endpoint, error) {
	var e hookd.Endpoint
	var headers, egress, destination []byte
	var schedule []int64
	var timeoutMs int64
	if err := row.Scan(&e.ID, &e.TenantID, &e.Name, &e.Description, &e.URL, &e.EventTypes, &headers, &e.Enabled,
		&e.DisabledReason, &schedule, &timeoutMs, &e.SignatureScheme, &e.MaxInFlight, &e.RateLimit, &e.FailureCount,
		&e.LastSuccessAt, &e.LastFailureAt, &e.CreatedAt, &e.UpdatedAt, &e.Channels, &e.UID, &e.Filter, &e.Ordering, &e.Kind, &e.Live, &e.Transformation, &egress, &destination); err != nil {
		return nil, err
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
	e.RetrySchedule = scheduleFromMs(schedule)
	e.Timeout = time.Duration(timeoutMs) * time.Millisecond
	return &e, nil
}

// Endpoint reads one endpoint of a tenant.
func (db *DB) Endpoint(ctx context.Context, tenantID, id string) (*hookd.Endpoint, error) {
	e, err := db.endpoint(ctx, db.pool, tenantID, id, "")
	return e, db.fail("read endpoint", err)
}

// endpoint reads one endpoint through q; lock is "" or a locking clause.
func (db *DB) endpoint(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, tenantID, id, lock string) (*hookd.Endpoint, error) {
	e, err := db.scanEndpoint(q.QueryRow(ctx, `SELECT `+endpointColumns+` FROM endpoints WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL `+lock, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("endpoint", id)
	}
	return e, err
}

// Endpoints lists a tenant's endpoints, newest first (local sessions apart).
func (db *DB) Endpoints(ctx context.Context, tenantID string, p hookd.Page) ([]*hookd.Endpoint, error) {
	rows, err := db.pool.Query(ctx,
		`SELECT `+endpointColumns+` FROM endpoints WHERE tenant_id = $1 AND deleted_at IS NULL AND kind <> 'local' AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`,
		tenantID, p.Cursor, p.Size())
	out, err := collect(rows, err, func(r pgx.Rows) (*hookd.Endpoint, error) { return db.scanEndpoint(r) })
	return out, db.fail("list endpoints", err)
}

// LocalSessions lists a tenant's hookd listen endpoints, newest first.
func (db *DB) LocalSessions(ctx context.Context, tenantID string, limit int) ([]*hookd.Endpoint, error) {
	rows, err := db.pool.Query(ctx,
		`SELECT `+endpointColumns+` FROM endpoints WHERE tenant_id = $1 AND deleted_at IS NULL AND kind = 'local' ORDER BY id DESC LIMIT $2`,
		tenantID, limit)
	out, err := collect(rows, err, func(r pgx.Rows) (*hookd.Endpoint, error) { return db.scanEndpoint(r) })
	return out, db.fail("list local sessions", err)
}

// CountEndpoints counts a tenant's endpoints (local sessions apart).
func (db *DB) CountEndpoints(ctx context.Context, tenantID string) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM endpoints WHERE tenant_id = $1 AND deleted_at IS NULL AND kind <> 'local'`, tenantID).Scan(&n)
	return n, db.fail("count endpoints", err)
}

// UpdateEndpoint applies the set fields of u.
func (db *DB) UpdateEndpoint(ctx context.Context, tenantID, id string, u hookd.EndpointUpdate) (*hookd.Endpoint, error) {
	var out *hookd.Endpoint
	err := db.inTx(ctx, "update endpoint", func(tx pgx.Tx) error {
		e, err := db.endpoint(ctx, tx, tenantID, id, "FOR UPDATE")
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
			if err := checkEventTypes(ctx, tx, "event_types", e.EventTypes, kept); err != nil {
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
		e.UpdatedAt = ts(db.now())
		if _, err := tx.Exec(ctx, `UPDATE endpoints SET name = $1, description = $2, url = $3, event_types = $4, headers = $5,
			retry_schedule = $6, timeout_ms = $7, signature_scheme = $8, max_in_flight = $9, rate_limit = $10, updated_at = $11,
			channels = $13, uid = NULLIF($14, ''), filter = $15, transformation = $16, egress = $17, destination = $18 WHERE id = $12`,
			e.Name, e.Description, e.URL, e.EventTypes, headers, scheduleMs(e.RetrySchedule),
			e.Timeout.Milliseconds(), e.SignatureScheme, e.MaxInFlight, e.RateLimit, e.UpdatedAt, id, list(e.Channels), e.UID, e.Filter, e.Transformation, egress, destination); err != nil {
			return uidTaken(err, e.UID)
		}
		out = e
		return nil
	})
	return out, err
}

// DeleteEndpoint marks an endpoint deleted (see hookd.EndpointStore). The
// endpoint row is locked first, then its deliveries: every writer's order.
func (db *DB) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	now := ts(db.now())
	return db.inTx(ctx, "delete endpoint", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE endpoints SET deleted_at = $1, uid = NULL, updated_at = $1
			WHERE tenant_id = $2 AND id = $3 AND deleted_at IS NULL`, now, tenantID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("endpoint", id)
		}
		if err := failDeletedWaiting(ctx, tx, `endpoint_id = $3`, now, hookd.DeletedEndpointError, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recover_jobs WHERE endpoint_id = $1`, id); err != nil {
			return fmt.Errorf("drop recover jobs of deleted endpoint: %w", err)
		}
		return nil
	})
}

// failDeletedWaiting fails the waiting deliveries where selects ($1 is
// now, $2 the error, then args). One in flight keeps its lease (the
// tenant's cap counts it until it ends); its result is dropped.
func failDeletedWaiting(ctx context.Context, tx pgx.Tx, where string, now time.Time, msg string, args ...any) error {
	_, err := tx.Exec(ctx, failDeletedWaitingStatement(where), append([]any{now, msg}, args...)...)
	if err != nil {
		return fmt.Errorf("fail deliveries of deleted endpoints: %w", err)
	}
	return nil
}

// failDeletedWaitingStatement is failDeletedWaiting's UPDATE for where.
func failDeletedWaitingStatement(where string) string {
	return `UPDATE deliveries SET status = 'failed', last_error = $2, finished_at = $1, updated_at = $1,
		next_attempt_at = CASE WHEN lease_token IS NULL THEN NULL ELSE next_attempt_at END
		WHERE ` + where + ` AND status IN ('pending', 'retrying', 'paused')`
}

// DeleteEndpointsByURLPrefix removes the endpoints whose URL starts with prefix.
func (db *DB) DeleteEndpointsByURLPrefix(ctx context.Context, prefix string) (int, error) {
	n, err := db.deleteEndpoints(ctx, "delete endpoints by url", `starts_with(e.url, $1)`, prefix)
	return int(n), err
}

// EnableEndpoint re-enables an endpoint, makes its paused deliveries due now
// and starts a new failure streak; its operational event commits with it.
func (db *DB) EnableEndpoint(ctx context.Context, tenantID, id string) (*hookd.Endpoint, error) {
	now := ts(db.now())
	var out *hookd.Endpoint
	err := db.inTx(ctx, "enable endpoint", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE endpoints SET enabled = true, disabled_reason = NULL, failure_count = 0,
			failures_since = $1, updated_at = $1 WHERE tenant_id = $2 AND id = $3 AND deleted_at IS NULL`, now, tenantID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("endpoint", id)
		}
		if _, err := tx.Exec(ctx, `UPDATE deliveries SET
			status = CASE WHEN attempts > 0 THEN 'retrying' ELSE 'pending' END,
			next_attempt_at = CASE WHEN lease_token IS NULL THEN $1 ELSE next_attempt_at END,
			updated_at = $1
			WHERE endpoint_id = $2 AND status = 'paused'`, now, id); err != nil {
			return err
		}
		if err := db.opEvents(ctx, tx, nil, []string{id}); err != nil {
			return err
		}
		out, err = db.endpoint(ctx, tx, tenantID, id, "")
		return err
	})
	if err == nil {
		db.announce()
	}
	return out, err
}

// DisableEndpoint disables an endpoint and pauses its waiting deliveries;
// its operational event commits with it.
func (db *DB) DisableEndpoint(ctx context.Context, tenantID, id, reason string) (*hookd.Endpoint, error) {
	now := ts(db.now())
	var out *hookd.Endpoint
	err := db.inTx(ctx, "disable endpoint", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE endpoints SET enabled = false, disabled_reason = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4 AND deleted_at IS NULL`,
			reason, now, tenantID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("endpoint", id)
		}
		// Test deliveries still go out. One in flight keeps its lease, so
		// its result still lands.
		if _, err := tx.Exec(ctx, `UPDATE deliveries SET status = 'paused',
			next_attempt_at = CASE WHEN lease_token IS NULL THEN NULL ELSE next_attempt_at END, updated_at = $1
			WHERE endpoint_id = $2 AND status IN ('pending', 'retrying') AND NOT test`, now, id); err != nil {
			return fmt.Errorf("pause deliveries: %w", err)
		}
		if err := db.opEvents(ctx, tx, nil, []string{id}); err != nil {
			return err
		}
		out, err = db.endpoint(ctx, tx, tenantID, id, "")
		return err
	})
	if err == nil && db.ops != nil {
		db.announce() // its operational event is due
	}
	return out, err
}

const qValidSecrets = `SELECT endpoint_id, secret FROM endpoint_secrets
	WHERE endpoint_id = ANY($1) AND (expires_at IS NULL OR expires_at > $2) ORDER BY endpoint_id, id DESC`

// Secrets returns the endpoint's valid signing secrets, newest first.
func (db *DB) Secrets(ctx context.Context, tenantID, id string) ([]string, error) {
	if _, err := db.Endpoint(ctx, tenantID, id); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, qValidSecrets, []string{id}, ts(db.now()))
	secrets, err := db.openSecrets(rows, err)
	return secrets[id], db.fail("read secrets", err)
}

// openSecrets reads qValidSecrets rows: each endpoint's secrets, newest first.
func (db *DB) openSecrets(rows pgx.Rows, err error) (map[string][]string, error) {
	out := map[string][]string{}
	_, err = collect(rows, err, func(r pgx.Rows) (struct{}, error) {
		var id string
		var sealed []byte
		if err := r.Scan(&id, &sealed); err != nil {
			return struct{}{}, err
		}
		plain, err := db.box.Open(sealed)
		if err != nil {
			return struct{}{}, fmt.Errorf("open secret: %w", err)
		}
		out[id] = append(out[id], string(plain))
		return struct{}{}, nil
	})
	return out, err
}

// RotateSecret adds a new newest secret; the valid ones expire after overlap.
func (db *DB) RotateSecret(ctx context.Context, tenantID, id, secret string, overlap time.Duration) error {
	now := ts(db.now())
	end := now.Add(overlap)
	return db.inTx(ctx, "rotate secret", func(tx pgx.Tx) error {
		// The endpoint's row lock orders concurrent rotations.
		if _, err := db.endpoint(ctx, tx, tenantID, id, "FOR NO KEY UPDATE"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM endpoint_secrets WHERE endpoint_id = $1 AND expires_at <= $2`, id, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE endpoint_secrets SET expires_at = $1
			WHERE endpoint_id = $2 AND (expires_at IS NULL OR expires_at > $1)`, end, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO endpoint_secrets (endpoint_id, secret, created_at) VALUES ($1, $2, $3)`,
			id, db.box.Seal([]byte(secret)), now)
		return err
	})
}

// scheduleMs stores a schedule as milliseconds; nil (the deployment default)
// stays NULL, apart from an empty schedule (no retries).
func scheduleMs(s hookd.Schedule) []int64 {
	if s == nil {
		return nil
	}
	steps := make([]int64, len(s))
	for i, d := range s {
		steps[i] = d.Milliseconds()
	}
	return steps
}

func scheduleFromMs(steps []int64) hookd.Schedule {
	if steps == nil {
		return nil
	}
	s := make(hookd.Schedule, len(steps))
	for i, m := range steps {
		s[i] = time.Duration(m) * time.Millisecond
	}
	return s
}
