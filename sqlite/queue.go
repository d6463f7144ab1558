package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/hookd/hookd"
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
	fifo      bool // only its head may go (hookd.OrderingFIFO)
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
			leaseEnd := ms(hookd.LeaseEnd(now, time.Duration(c.timeoutMs)*time.Millisecond, leaseGrace))
			lease := qLease
			if c.fifo {
				lease = qLeaseHead
			}
			rows, err := db.query(ctx, tx, lease, token, leaseEnd, c.id, ms(now), c.take)
			if err != nil {
				return fmt.Errorf("lease: %w", err)
			}
			claimed, err := collect(rows, func(row interface{ Scan(...any) error }) (*hookd.Job, error) {
				// The event's payload comes with the lease, in the same statement.
				j := &hookd.Job{EndpointID: c.id, LeaseToken: token}
				var created sql.NullInt64
				if err := row.Scan(&j.DeliveryID, &j.TenantID, &j.EventID, &j.EventType, &j.Test, &j.Attempt, &j.RunAttempt,
					&j.Payload, &created, &j.TraceParent); err != nil {
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
		if err := row.Scan(&c.id, &c.tenantID, &c.room, &c.timeoutMs, &c.rateLimit, &c.tokens, &updated, &c.fifo); err != nil {
			return nil, err
		}
		c.room, c.tokens = hookd.EndpointLoad{Free: c.room, RateLimit: c.rateLimit, Tokens: c.tokens,
			SinceSpent: time.Duration(now-updated) * time.Millisecond}.Room()
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
		var headers, egress, destination []byte
		var schedule sql.NullString
		var timeoutMs int64
		if err := db.queryRow(ctx, tx, qJobEndpoint, j.EndpointID).
			Scan(&ep.URL, &headers, &schedule, &timeoutMs, &ep.SignatureScheme, &ep.Transformation, &egress, &destination); err != nil {
			return fmt.Errorf("read endpoint %s: %w", j.EndpointID, err)
		}
		var err error
		if ep.Headers, err = db.box.OpenHeaders(headers); err != nil {
			return err
		}
		if err := db.box.OpenJSON(egress, &ep.Egress); err != nil {
			return fmt.Errorf("endpoint %s egress: %w", j.EndpointID, err)
		}
		if err := db.box.OpenJSON(destination, &ep.Destination); err != nil {
			return fmt.Errorf("endpoint %s destination: %w", j.EndpointID, err)
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
	j.Transformation = ep.Transformation
	j.Egress = ep.Egress
	j.Destination = ep.Destination
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
// the earliest of each waiting endpoint's (qDueAt), from deliveries_due.
func (db *DB) NextDueAt(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	if err := db.nextDue.QueryRowContext(ctx).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromMs(next.Int64), true, nil
}
