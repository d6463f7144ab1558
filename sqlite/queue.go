package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// candidate is an endpoint with due work and room for more requests.
type candidate struct {
	id        string
	tenantID  string
	room      int
	timeoutMs int64
	take      int
	// rateLimit is requests per second (0: none); tokens is what its bucket
	// holds now.
	rateLimit int
	tokens    float64
}

// ClaimDeliveries leases due deliveries, at most MaxInFlight per endpoint
// and per tenant, sharing the batch fairly between tenants and then
// endpoints (hookd.ShareClaims), so no one's backlog crowds the others out.
func (db *DB) ClaimDeliveries(ctx context.Context, now time.Time, limit int, leaseGrace time.Duration, tenantMaxInFlight int) ([]*hookd.Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	var jobs []*hookd.Job
	err := db.inLeaseTx(ctx, "claim deliveries", func(ctx context.Context, tx *sql.Tx) error {
		cands, err := db.dueEndpoints(ctx, tx, ms(now))
		if err != nil {
			return err
		}
		loads, err := db.tenantLoads(ctx, tx, cands, ms(now), tenantMaxInFlight)
		if err != nil {
			return err
		}
		share(cands, loads, limit)
		token := newLeaseToken()
		ep := map[string]*hookd.Job{}
		for _, c := range cands {
			if c.take == 0 {
				continue
			}
			timeout := time.Duration(c.timeoutMs) * time.Millisecond
			if timeout == 0 {
				timeout = hookd.DefaultTimeout // see hookd.DefaultTimeout: the dispatcher pads its grace
			}
			leaseEnd := ms(now.Add(timeout + leaseGrace))
			rows, err := db.query(ctx, tx, qLease, token, leaseEnd, c.id, ms(now), c.take)
			if err != nil {
				return fmt.Errorf("lease: %w", err)
			}
			claimed, err := collect(rows, func(row interface{ Scan(...any) error }) (*hookd.Job, error) {
				// The event's payload comes with the lease, in the same statement.
				j := &hookd.Job{EndpointID: c.id, LeaseToken: token}
				var created sql.NullInt64
				if err := row.Scan(&j.DeliveryID, &j.TenantID, &j.EventID, &j.EventType, &j.Test, &j.Attempt, &j.RunAttempt,
					&j.Payload, &created); err != nil {
					return nil, err
				}
				if !created.Valid {
					return nil, fmt.Errorf("read event %s: not found", j.EventID)
				}
				j.Attempt++
				j.RunAttempt++
				j.CreatedAt = fromMs(created.Int64)
				return j, nil
			}, "lease")
			if err != nil {
				return err
			}
			for _, j := range claimed {
				if err := db.fillJob(ctx, tx, j, ep); err != nil {
					return err
				}
			}
			jobs = append(jobs, claimed...)
			if c.rateLimit > 0 {
				if _, err := db.exec(ctx, tx, qSpendTokens, c.tokens-float64(len(claimed)), ms(now), c.id); err != nil {
					return fmt.Errorf("spend rate tokens: %w", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

func newLeaseToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (db *DB) dueEndpoints(ctx context.Context, tx *sql.Tx, now int64) ([]*candidate, error) {
	rows, err := db.query(ctx, tx, qDueEndpoints, now)
	if err != nil {
		return nil, fmt.Errorf("find due endpoints: %w", err)
	}
	cands, err := collect(rows, func(row interface{ Scan(...any) error }) (*candidate, error) {
		var c candidate
		var updated int64
		if err := row.Scan(&c.id, &c.tenantID, &c.room, &c.timeoutMs, &c.rateLimit, &c.tokens, &updated); err != nil {
			return nil, err
		}
		if c.rateLimit > 0 {
			c.tokens = hookd.RefillTokens(c.tokens, c.rateLimit, time.Duration(now-updated)*time.Millisecond)
			c.room = min(c.room, int(c.tokens))
		}
		return &c, nil
	}, "find due endpoints")
	if err != nil {
		return nil, err
	}
	// Endpoints out of tokens wait for the next claim.
	return slices.DeleteFunc(cands, func(c *candidate) bool { return c.room <= 0 }), nil
}

// tenantLoads reads the cap and live leases of each tenant with a candidate.
func (db *DB) tenantLoads(ctx context.Context, tx *sql.Tx, cands []*candidate, now int64, tenantMaxInFlight int) (map[string]hookd.TenantLoad, error) {
	loads := map[string]hookd.TenantLoad{}
	for _, c := range cands {
		if _, ok := loads[c.tenantID]; ok {
			continue
		}
		var own, held int
		if err := db.queryRow(ctx, tx, qTenantLoad, c.tenantID, now).Scan(&own, &held); err != nil {
			return nil, fmt.Errorf("read tenant load: %w", err)
		}
		loads[c.tenantID] = hookd.NewTenantLoad(held, own, tenantMaxInFlight)
	}
	return loads, nil
}

// share splits limit between the candidates (hookd.ShareClaims).
func share(cands []*candidate, loads map[string]hookd.TenantLoad, limit int) {
	in := make([]hookd.ClaimCandidate, len(cands))
	for i, c := range cands {
		in[i] = hookd.ClaimCandidate{TenantID: c.tenantID, Room: c.room}
	}
	for i, take := range hookd.ShareClaims(in, loads, limit) {
		cands[i].take = take
	}
}

// fillJob adds the endpoint's delivery settings, reading each endpoint once
// per claim.
func (db *DB) fillJob(ctx context.Context, tx *sql.Tx, j *hookd.Job, endpoints map[string]*hookd.Job) error {
	ep, ok := endpoints[j.EndpointID]
	if !ok {
		ep = &hookd.Job{}
		var headers []byte
		var schedule sql.NullString
		var timeoutMs int64
		if err := db.queryRow(ctx, tx, qJobEndpoint, j.EndpointID).
			Scan(&ep.URL, &headers, &schedule, &timeoutMs, &ep.SignatureScheme); err != nil {
			return fmt.Errorf("read endpoint %s: %w", j.EndpointID, err)
		}
		var err error
		if ep.Headers, err = db.box.OpenHeaders(headers); err != nil {
			return err
		}
		if ep.RetrySchedule, err = scheduleFromJSON(schedule); err != nil {
			return err
		}
		ep.Timeout = time.Duration(timeoutMs) * time.Millisecond
		if ep.Secrets, err = db.validSecrets(ctx, tx, j.EndpointID); err != nil {
			return err
		}
		endpoints[j.EndpointID] = ep
	}
	j.URL, j.Headers, j.RetrySchedule, j.Timeout, j.Secrets = ep.URL, ep.Headers, ep.RetrySchedule, ep.Timeout, ep.Secrets
	j.SignatureScheme = ep.SignatureScheme
	return nil
}

func (db *DB) validSecrets(ctx context.Context, tx *sql.Tx, endpointID string) ([]string, error) {
	rows, err := db.query(ctx, tx, qValidSecrets, endpointID, ms(db.now()))
	if err != nil {
		return nil, fmt.Errorf("read secrets: %w", err)
	}
	return db.openSecrets(rows)
}

func (db *DB) openSecrets(rows *sql.Rows) ([]string, error) {
	return collect(rows, func(row interface{ Scan(...any) error }) (string, error) {
		var sealed []byte
		if err := row.Scan(&sealed); err != nil {
			return "", err
		}
		plain, err := db.box.Open(sealed)
		return string(plain), err
	}, "read secrets")
}

// RecordAttempts stores attempts and applies their outcomes in one
// transaction, with the operational events of what it failed and disabled.
func (db *DB) RecordAttempts(ctx context.Context, results []hookd.AttemptResult) ([]string, error) {
	var disabled []string
	err := db.inQueueTx(ctx, "record attempts", func(ctx context.Context, tx *sql.Tx) error {
		disabled = disabled[:0]
		b := &recordBatch{db: db, ctx: ctx, tx: tx, enabled: map[string]bool{}, success: map[string]int64{}}
		for i := range results {
			ids, err := db.record(ctx, tx, b, &results[i])
			if err != nil {
				return err
			}
			disabled = append(disabled, ids...)
		}
		if err := b.flushAll(); err != nil {
			return err
		}
		return db.opEvents(ctx, tx, b.failed, disabled)
	})
	return disabled, err
}

// recordBatch is what one RecordAttempts transaction reads and writes once
// per endpoint rather than once per result: whether the endpoint is enabled,
// and its health after a run of successes (each success overwrites the
// same columns, so only the last of a run needs writing; it is written
// before any other change to the endpoint's health, and at the end).
type recordBatch struct {
	db      *DB
	ctx     context.Context
	tx      *sql.Tx
	enabled map[string]bool
	success map[string]int64 // endpoint: time of its last success not yet written
	// failed are the results that failed their delivery for good.
	failed []*hookd.AttemptResult
}

func (b *recordBatch) isEnabled(endpointID string) (bool, error) {
	if enabled, ok := b.enabled[endpointID]; ok {
		return enabled, nil
	}
	var enabled bool
	if err := b.db.queryRow(b.ctx, b.tx, qEndpointEnabled, endpointID).Scan(&enabled); err != nil {
		return false, fmt.Errorf("read endpoint: %w", err)
	}
	b.enabled[endpointID] = enabled
	return enabled, nil
}

// flush writes an endpoint's pending success.
func (b *recordBatch) flush(endpointID string) error {
	at, ok := b.success[endpointID]
	if !ok {
		return nil
	}
	delete(b.success, endpointID)
	if _, err := b.db.exec(b.ctx, b.tx, qHealthSuccess, at, at, endpointID); err != nil {
		return fmt.Errorf("update endpoint health: %w", err)
	}
	return nil
}

func (b *recordBatch) flushAll() error {
	for id := range b.success {
		if err := b.flush(id); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) record(ctx context.Context, tx *sql.Tx, b *recordBatch, r *hookd.AttemptResult) ([]string, error) {
	j, a := r.Job, &r.Attempt
	at := ms(a.At)
	headers, _ := json.Marshal(a.RequestHeaders)
	res, err := db.exec(ctx, tx, qInsertAttempt, ids.NewAt(ids.Attempt, a.At), j.DeliveryID, a.Number, at, a.URL, string(headers),
		a.StatusCode, time.Duration(a.Duration).Milliseconds(), a.Error, a.ResponseBody, j.EndpointID)
	if err != nil {
		return nil, fmt.Errorf("insert attempt: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil // the delivery is gone
	}
	enabled, err := b.isEnabled(j.EndpointID)
	if err != nil {
		return nil, err
	}
	gone := r.Outcome.Gone && !j.Test && enabled
	status, next, finished := hookd.StatusDelivered, any(nil), any(at)
	switch {
	case r.Outcome.Success:
	case gone || (!enabled && !j.Test && !r.NextAttemptAt.IsZero()):
		status, finished = hookd.StatusPaused, nil
	case r.NextAttemptAt.IsZero():
		status = hookd.StatusFailed
	default:
		status, next, finished = hookd.StatusRetrying, ms(r.NextAttemptAt), nil
	}
	res, err = db.exec(ctx, tx, qRecordDelivery, status, next, at, a.StatusCode, a.Error, time.Duration(a.Duration).Milliseconds(),
		finished, ms(db.now()), j.DeliveryID, j.LeaseToken)
	if err != nil {
		return nil, fmt.Errorf("update delivery: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 && status == hookd.StatusFailed {
		b.failed = append(b.failed, r)
	}
	if n == 0 || j.Test {
		// A stale claim (the lease ran out and the delivery moved on) keeps
		// its attempt in the log but changes nothing else; test deliveries
		// never touch endpoint health.
		return nil, nil
	}
	return db.applyHealth(ctx, tx, b, j.EndpointID, status, gone, at)
}

// applyHealth updates the endpoint's counters after an attempt, disabling it
// on 410 Gone or after AutoDisableAfter permanent failures of distinct events.
func (db *DB) applyHealth(ctx context.Context, tx *sql.Tx, b *recordBatch, endpointID, status string, gone bool, at int64) ([]string, error) {
	if status == hookd.StatusDelivered {
		b.success[endpointID] = at
		return nil, nil
	}
	if err := b.flush(endpointID); err != nil {
		return nil, err
	}
	var err error
	switch status {
	case hookd.StatusFailed:
		_, err = db.exec(ctx, tx, qHealthFailed, at, endpointID)
	default:
		_, err = db.exec(ctx, tx, qHealthRetrying, at, endpointID)
	}
	if err != nil {
		return nil, fmt.Errorf("update endpoint health: %w", err)
	}
	reason := ""
	if gone {
		reason = hookd.DisabledGone
	} else if status == hookd.StatusFailed {
		var streak int
		if err := db.queryRow(ctx, tx, qFailureStreak, endpointID, hookd.AutoDisableAfter).Scan(&streak); err != nil {
			return nil, fmt.Errorf("count failure streak: %w", err)
		}
		if streak >= hookd.AutoDisableAfter {
			reason = hookd.DisabledAuto
		}
	}
	if reason == "" {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?`,
		reason, at, endpointID); err != nil {
		return nil, fmt.Errorf("disable endpoint: %w", err)
	}
	if err := pauseDeliveries(ctx, tx, endpointID, at); err != nil {
		return nil, err
	}
	b.enabled[endpointID] = false
	return []string{endpointID}, nil
}

// ReleaseDeliveries hands claimed deliveries back without an attempt.
func (db *DB) ReleaseDeliveries(ctx context.Context, jobs []*hookd.Job) error {
	now := ms(db.now())
	return db.inLeaseTx(ctx, "release deliveries", func(ctx context.Context, tx *sql.Tx) error {
		for _, j := range jobs {
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_token = NULL,
				next_attempt_at = CASE WHEN status = 'paused' THEN NULL ELSE ? END WHERE id = ? AND lease_token = ?`,
				now, j.DeliveryID, j.LeaseToken); err != nil {
				return err
			}
		}
		return nil
	})
}

// NextDueAt returns when the earliest waiting delivery becomes claimable:
// the earliest of each waiting endpoint's, from deliveries_due.
func (db *DB) NextDueAt(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	if err := db.read.QueryRowContext(ctx, qWaiting+` SELECT MIN((SELECT MIN(d.next_attempt_at) FROM deliveries d
		WHERE d.endpoint_id = w.endpoint_id AND d.status IN ('pending', 'retrying'))) FROM waiting w
		WHERE w.endpoint_id IS NOT NULL`).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromMs(next.Int64), true, nil
}
