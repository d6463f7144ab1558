package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

// How a claim works, and why it holds across nodes:
//
//  1. qDueEndpoints finds endpoints with due work (qWaiting), oldest work first, whose
//     room and whose tenant's room look positive (a hint: this snapshot may
//     predate other claims). Of those it keeps as many as the claim has
//     slots, picked as the levelling would fill them: a tenant's r-th
//     endpoint ranks as if it were its held+r-th request, so a tenant with
//     many endpoints, or many requests in flight, cannot fill the list.
//  2. qLockTenants locks their tenants' rows in id order, then
//     qLockEndpoints the endpoint rows in id order (every transaction that
//     locks several tenants or endpoints does so in id order, tenants
//     before endpoints, so nodes never deadlock). Two nodes never lease for
//     one tenant at once.
//  3. qTenantLoads and qCandidates, new statements and so new snapshots,
//     read each locked tenant's and endpoint's exact room (cap minus live
//     leases, committed by whoever held the lock before; a tenant's count
//     those of its deleted endpoints' requests too, orphaned_leases), the
//     endpoints' rate-limit buckets and delivery settings; ShareClaims
//     splits the batch between them.
//  4. qLease leases each endpoint's share of due rows, FOR UPDATE SKIP
//     LOCKED, and returns them with their event payloads.
const (
	// Starting from qWaiting, the cost follows the endpoints with work
	// waiting, not every endpoint ever created; only their tenants' leases
	// are counted.
	qDueEndpoints = qWaiting + `,
		c AS (
			SELECT e.id, e.tenant_id, ` + qInFlightCap + ` AS max_in_flight, o.oldest FROM waiting w
			JOIN endpoints e ON e.id = w.endpoint_id AND e.deleted_at IS NULL
			CROSS JOIN LATERAL (SELECT ` + qDueAt + ` AS oldest) o
			WHERE o.oldest <= $1),
		held AS MATERIALIZED (
			SELECT t.id AS tenant_id, coalesce(t.max_in_flight, $3) AS cap,
				(SELECT count(*) FROM deliveries l WHERE l.tenant_id = t.id AND l.lease_token IS NOT NULL AND l.next_attempt_at > $1)
				+ (SELECT count(*) FROM orphaned_leases o WHERE o.tenant_id = t.id AND o.lease_end > $1) AS n
			FROM tenants t WHERE t.id IN (SELECT tenant_id FROM c)),
		due AS (
			SELECT c.id, c.tenant_id, c.oldest, h.n AS held,
				row_number() OVER (PARTITION BY c.tenant_id ORDER BY c.oldest, c.id) AS rank
			FROM c JOIN held h ON h.tenant_id = c.tenant_id
			WHERE h.cap > h.n AND c.max_in_flight > (SELECT count(*) FROM deliveries l
				WHERE l.endpoint_id = c.id AND l.lease_token IS NOT NULL AND l.next_attempt_at > $1))
		SELECT id, tenant_id FROM (SELECT * FROM due ORDER BY held + rank, oldest LIMIT $2) picked ORDER BY oldest`
	qLockTenants = `SELECT id FROM tenants WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`
	qTenantLoads = `SELECT t.id, coalesce(t.max_in_flight, 0), (SELECT count(*) FROM deliveries l
			WHERE l.tenant_id = t.id AND l.lease_token IS NOT NULL AND l.next_attempt_at > $2)
			+ (SELECT count(*) FROM orphaned_leases o WHERE o.tenant_id = t.id AND o.lease_end > $2)
		FROM tenants t WHERE t.id = ANY($1)`
	qLockEndpoints = `SELECT id FROM endpoints WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`
	qCandidates    = `SELECT e.id, e.tenant_id, ` + qInFlightCap + ` - (SELECT count(*) FROM deliveries l
			WHERE l.endpoint_id = e.id AND l.lease_token IS NOT NULL AND l.next_attempt_at > $2),
		e.timeout_ms, e.rate_limit, e.rate_tokens, e.rate_updated_at, e.url, e.headers, e.retry_schedule, e.signature_scheme,
		e.ordering = 'fifo', e.transformation, e.egress, e.destination
		FROM endpoints e WHERE e.id = ANY($1)`
	// qQueued is which of the endpoints have FIFO deliveries waiting, at a
	// hand-off (hookd.EndpointLoad.Queued).
	qQueued = `SELECT e FROM unnest($1::text[]) e WHERE EXISTS (SELECT 1 FROM deliveries q
		WHERE q.endpoint_id = e AND q.seq IS NOT NULL AND q.status IN ('pending', 'retrying'))`
	// qLease's second branch leases a FIFO endpoint's head, if due: only
	// it (hookd.OrderingFIFO), so it waits for a lock where the others
	// skip one, which would pass the head.
	qLease = `WITH alloc AS (
			SELECT * FROM unnest($1::text[], $2::int[], $3::timestamptz[], $6::bool[]) AS a(endpoint_id, take, lease_end, fifo)),
		picked AS (
			SELECT p.id, a.lease_end FROM alloc a CROSS JOIN LATERAL (
				SELECT d.id FROM deliveries d
				WHERE NOT a.fifo AND d.endpoint_id = a.endpoint_id AND d.status IN ('pending', 'retrying') AND d.next_attempt_at <= $4
				ORDER BY d.next_attempt_at LIMIT a.take FOR UPDATE SKIP LOCKED) p
			UNION ALL
			SELECT h.id, a.lease_end FROM alloc a CROSS JOIN LATERAL (
				SELECT d.id, d.next_attempt_at FROM deliveries d
				WHERE a.fifo AND d.endpoint_id = a.endpoint_id AND d.seq IS NOT NULL AND d.status IN ('pending', 'retrying')
				ORDER BY d.seq LIMIT 1 FOR UPDATE) h
			WHERE h.next_attempt_at <= $4),
		leased AS (
			UPDATE deliveries d SET lease_token = $5, next_attempt_at = picked.lease_end FROM picked WHERE d.id = picked.id
			RETURNING d.id, d.tenant_id, d.event_id, d.event_type, d.endpoint_id, d.test, d.attempts, d.run_attempts)
		SELECT l.id, l.tenant_id, l.event_id, l.event_type, l.endpoint_id, l.test, l.attempts, l.run_attempts, ev.payload, ev.created_at,
			coalesce(ev.traceparent, '')
		FROM leased l JOIN events ev ON ev.tenant_id = l.tenant_id AND ev.id = l.event_id`
	qSpendTokens = `UPDATE endpoints SET rate_tokens = $1, rate_updated_at = $2 WHERE id = $3`
)

// candidate is a locked endpoint with due work: its room and what a job to
// it needs.
type candidate struct {
	tenantID string
	load     hookd.EndpointLoad // as read under the lock
	room     int                // load.Room()
	tokens   float64            // its bucket now, to spend from
	settings hookd.Job          // URL, headers, secrets, schedule, timeout, scheme
	fifo     bool               // only its head may go (hookd.OrderingFIFO)
}

// ClaimDeliveries leases due deliveries, at most MaxInFlight per endpoint
// and per tenant across every node, sharing the batch fairly between
// tenants and then endpoints (hookd.ShareClaims).
func (db *DB) ClaimDeliveries(ctx context.Context, now time.Time, limit int, leaseGrace time.Duration, tenantMaxInFlight int) ([]*hookd.Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	now = ts(now)
	hint := tenantMaxInFlight // the hint's cap of tenants without their own
	if hint <= 0 {
		hint = math.MaxInt32
	}
	var jobs []*hookd.Job
	leasing := false
	defer func() {
		if leasing {
			db.leasing.Unlock()
		}
	}()
	err := db.inIndexScanTx(ctx, "claim deliveries", func(tx pgx.Tx) error {
		jobs = nil
		rows, err := tx.Query(ctx, qDueEndpoints, now, limit, hint)
		var tenants []string
		due, err := collect(rows, err, func(r pgx.Rows) (string, error) {
			var id, tenant string
			err := r.Scan(&id, &tenant)
			if !slices.Contains(tenants, tenant) {
				tenants = append(tenants, tenant)
			}
			return id, err
		})
		if err != nil || len(due) == 0 {
			return err
		}
		db.leasing.Lock() // until the commit (see DB.leasing)
		leasing = true
		cands, loads, err := db.lockCandidates(ctx, tx, tenants, due, now, tenantMaxInFlight)
		if err != nil {
			return err
		}
		return db.lease(ctx, tx, due, cands, loads, now, limit, leaseGrace, &jobs)
	})
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

// lockCandidates locks the tenants and endpoints and reads their room, the
// endpoints' settings and secrets, in one round trip.
func (db *DB) lockCandidates(ctx context.Context, tx pgx.Tx, tenants, due []string, now time.Time,
	tenantMaxInFlight int) (map[string]*candidate, map[string]hookd.TenantLoad, error) {
	var b pgx.Batch
	r := db.queueCandidates(&b, tenants, due, now, tenantMaxInFlight, false)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, nil, fmt.Errorf("lock endpoints: %w", err)
	}
	return r.cands, r.loads, r.err
}

// candidateReads is what queueCandidates reads once its batch has run.
type candidateReads struct {
	cands  map[string]*candidate
	loads  map[string]hookd.TenantLoad
	locked map[string]bool // the tenants a hand-off locked
	err    error
}

// queueCandidates queues the locks of the tenants and then the endpoints (id
// order each) and the reads of their exact room, settings and secrets, in
// new statements, so new snapshots: leases committed by the previous lock
// holder count. A hand-off at publish (handOff) locks only the tenants,
// SKIP LOCKED, and reports which it got: every transaction that leases (a
// claim, a hand-off) holds its tenants' locks, so they alone order the
// leases and the rate-limit buckets; the endpoints' rows are also locked by
// records, which free room and must neither wait for a publish nor make it
// skip.
func (db *DB) queueCandidates(b *pgx.Batch, tenants, due []string, now time.Time, tenantMaxInFlight int, handOff bool) *candidateReads {
	r := &candidateReads{cands: map[string]*candidate{}, loads: map[string]hookd.TenantLoad{}, locked: map[string]bool{}}
	if handOff {
		b.Queue(qLockTenants+" SKIP LOCKED", tenants).Query(func(rows pgx.Rows) error {
			_, err := collect(rows, nil, func(row pgx.Rows) (struct{}, error) {
				var id string
				err := row.Scan(&id)
				r.locked[id] = true
				return struct{}{}, err
			})
			return err
		})
	} else {
		b.Queue(qLockTenants, tenants)
	}
	b.Queue(qTenantLoads, tenants, now).Query(func(rows pgx.Rows) error {
		_, err := collect(rows, nil, func(row pgx.Rows) (struct{}, error) {
			var id string
			var own, held int
			err := row.Scan(&id, &own, &held)
			r.loads[id] = hookd.NewTenantLoad(held, own, tenantMaxInFlight)
			return struct{}{}, err
		})
		return err
	})
	if !handOff {
		b.Queue(qLockEndpoints, due)
	}
	b.Queue(qCandidates, due, now).Query(func(rows pgx.Rows) error {
		_, err := collect(rows, nil, func(row pgx.Rows) (struct{}, error) {
			var id string
			var c candidate
			var headers, egress, destination []byte
			var schedule []int64
			var timeoutMs int64
			var updated time.Time
			if err := row.Scan(&id, &c.load.TenantID, &c.load.Free, &timeoutMs, &c.load.RateLimit, &c.load.Tokens, &updated,
				&c.settings.URL, &headers, &schedule, &c.settings.SignatureScheme, &c.fifo, &c.settings.Transformation, &egress, &destination); err != nil {
				return struct{}{}, err
			}
			var err error
			if c.settings.Headers, err = db.box.OpenHeaders(headers); err != nil {
				r.err = err
			}
			if err := db.box.OpenJSON(egress, &c.settings.Egress); err != nil {
				r.err = fmt.Errorf("endpoint %s egress: %w", id, err)
			}
			if err := db.box.OpenJSON(destination, &c.settings.Destination); err != nil {
				r.err = fmt.Errorf("endpoint %s destination: %w", id, err)
			}
			c.settings.RetrySchedule = scheduleFromMs(schedule)
			c.settings.Timeout = time.Duration(timeoutMs) * time.Millisecond
			c.load.SinceSpent = now.Sub(updated)
			c.tenantID = c.load.TenantID
			c.room, c.tokens = c.load.Room()
			r.cands[id] = &c
			return struct{}{}, nil
		})
		return err
	})
	if handOff {
		b.Queue(qQueued, due).Query(func(rows pgx.Rows) error {
			_, err := collect(rows, nil, func(row pgx.Rows) (struct{}, error) {
				var id string
				err := row.Scan(&id)
				if c := r.cands[id]; c != nil {
					c.load.Queued = true
				}
				return struct{}{}, err
			})
			return err
		})
	}
	b.Queue(qValidSecrets, due, ts(db.now())).Query(func(rows pgx.Rows) error {
		secrets, err := db.openSecrets(rows, nil)
		for id, s := range secrets {
			if c := r.cands[id]; c != nil {
				c.settings.Secrets = s
			}
		}
		return err
	})
	return r
}

// lease leases each endpoint's share of its due deliveries.
func (db *DB) lease(ctx context.Context, tx pgx.Tx, due []string, cands map[string]*candidate, loads map[string]hookd.TenantLoad,
	now time.Time, limit int, leaseGrace time.Duration, jobs *[]*hookd.Job) error {
	due = slices.DeleteFunc(due, func(id string) bool { return cands[id] == nil || cands[id].room <= 0 })
	in := make([]hookd.ClaimCandidate, len(due))
	for i, id := range due {
		in[i] = hookd.ClaimCandidate{TenantID: cands[id].tenantID, Room: cands[id].room}
	}
	takes := hookd.ShareClaims(in, loads, limit)
	var endpointIDs []string
	var take []int32
	var leaseEnd []time.Time
	var fifo []bool
	for i, id := range due {
		if takes[i] == 0 {
			continue
		}
		endpointIDs = append(endpointIDs, id)
		take = append(take, int32(takes[i]))
		leaseEnd = append(leaseEnd, hookd.LeaseEnd(now, cands[id].settings.Timeout, leaseGrace))
		fifo = append(fifo, cands[id].fifo)
	}
	if len(endpointIDs) == 0 {
		return nil
	}
	token := newLeaseToken()
	rows, err := tx.Query(ctx, qLease, endpointIDs, take, leaseEnd, now, token, fifo)
	*jobs, err = collect(rows, err, func(r pgx.Rows) (*hookd.Job, error) {
		j := &hookd.Job{LeaseToken: token}
		err := r.Scan(&j.DeliveryID, &j.TenantID, &j.EventID, &j.EventType, &j.EndpointID, &j.Test, &j.Attempt, &j.RunAttempt,
			&j.Payload, &j.CreatedAt, &j.TraceParent)
		j.Attempt++
		j.RunAttempt++
		s := &cands[j.EndpointID].settings
		j.URL, j.Headers, j.Secrets, j.RetrySchedule, j.Timeout, j.SignatureScheme =
			s.URL, s.Headers, s.Secrets, s.RetrySchedule, s.Timeout, s.SignatureScheme
		j.Transformation = s.Transformation
		j.Egress = s.Egress
		j.Destination = s.Destination
		return j, err
	})
	if err != nil {
		return fmt.Errorf("lease: %w", err)
	}
	spent := map[string]int{}
	for _, j := range *jobs {
		spent[j.EndpointID]++
	}
	for id, n := range spent {
		if c := cands[id]; c.load.RateLimit > 0 {
			if _, err := tx.Exec(ctx, qSpendTokens, c.tokens-float64(n), now, id); err != nil {
				return fmt.Errorf("spend rate tokens: %w", err)
			}
		}
	}
	return nil
}

// indexScanTx begins a transaction that reads the queue's partial indexes
// by index scans only, as every transaction that reads room (a claim, a
// hand-off) must. Their entries of rows that moved on (leased, recorded)
// stay until vacuum; an index scan that finds one dead marks it so
// (kill_prior_tuple) and the next scan skips it without reading the table,
// while a bitmap scan, which the planner prefers for the estimated few rows,
// reads the table for every such entry every time: the claim grew ×30
// slower with the dead lease entries of a minute's work, and a soak whose
// publishes handed off fell to 0.60 of its first round's rate by the fifth
// (docs/scaling.md, BENCHMARKS.md part 6).
var indexScanTx = pgx.TxOptions{BeginQuery: "BEGIN; SET LOCAL enable_bitmapscan = off"}

// inIndexScanTx runs fn in an indexScanTx transaction.
func (db *DB) inIndexScanTx(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	err := pgx.BeginTxFunc(ctx, db.pool, indexScanTx, fn)
	return db.fail(what, err)
}

func newLeaseToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ReleaseDeliveries hands claimed deliveries back without an attempt, and
// wakes the other nodes to take them.
func (db *DB) ReleaseDeliveries(ctx context.Context, jobs []*hookd.Job) error {
	ids := make([]string, len(jobs))
	tokens := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i], tokens[i] = j.DeliveryID, j.LeaseToken
	}
	_, err := db.pool.Exec(ctx, `UPDATE deliveries d SET lease_token = NULL,
		next_attempt_at = CASE WHEN d.status = 'paused' THEN NULL ELSE $1::timestamptz END
		FROM unnest($2::text[], $3::text[]) AS j(id, token) WHERE d.id = j.id AND d.lease_token = j.token`,
		ts(db.now()), ids, tokens)
	if err != nil {
		return db.fail("release deliveries", err)
	}
	db.announce()
	return nil
}

// qDueAt is when an endpoint of waiting (w) has work due: its earliest
// waiting delivery's time; a FIFO endpoint's is its head's, unless the head
// is leased: then the others are due and wait for room, as behind any
// endpoint's in-flight cap (hookd.OrderingFIFO).
const qDueAt = `coalesce((SELECT CASE WHEN h.lease_token IS NULL THEN h.next_attempt_at END FROM deliveries h
		WHERE h.endpoint_id = w.endpoint_id AND h.seq IS NOT NULL AND h.status IN ('pending', 'retrying') ORDER BY h.seq LIMIT 1),
	(SELECT min(d.next_attempt_at) FROM deliveries d WHERE d.endpoint_id = w.endpoint_id AND d.status IN ('pending', 'retrying')))`

// qInFlightCap is an endpoint's (e) in-flight cap: one for a FIFO one.
const qInFlightCap = `CASE WHEN e.ordering = 'fifo' THEN 1 ELSE e.max_in_flight END`

// qWaiting lists each endpoint with deliveries waiting by walking
// deliveries_due one endpoint at a time (a skip scan: one index descent per
// endpoint).
const qWaiting = `WITH RECURSIVE waiting AS (
		(SELECT endpoint_id FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at IS NOT NULL
			ORDER BY endpoint_id LIMIT 1)
		UNION ALL
		SELECT (SELECT d.endpoint_id FROM deliveries d WHERE d.status IN ('pending', 'retrying')
				AND d.next_attempt_at IS NOT NULL AND d.endpoint_id > w.endpoint_id ORDER BY d.endpoint_id LIMIT 1)
		FROM waiting w WHERE w.endpoint_id IS NOT NULL)`

// NextDueAt returns when the earliest waiting delivery becomes claimable:
// the earliest of each waiting endpoint's (qDueAt), from deliveries_due.
func (db *DB) NextDueAt(ctx context.Context) (time.Time, bool, error) {
	var next *time.Time
	err := db.pool.QueryRow(ctx, qWaiting+` SELECT min(`+qDueAt+`) FROM waiting w`).Scan(&next)
	if err != nil || next == nil {
		return time.Time{}, false, db.fail("next due", err)
	}
	return *next, true, nil
}

// CountQueue counts deliveries due and not leased, and deliveries leased.
func (db *DB) CountQueue(ctx context.Context, now time.Time) (due, inFlight int, err error) {
	err = db.inIndexScanTx(ctx, "count queue", func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, qWaiting+` SELECT
			(SELECT coalesce(sum((SELECT count(*) FROM deliveries d WHERE d.endpoint_id = w.endpoint_id
				AND d.status IN ('pending', 'retrying') AND d.next_attempt_at <= $1)), 0) FROM waiting w),
			(SELECT count(*) FROM deliveries WHERE lease_token IS NOT NULL AND next_attempt_at > $1)`, ts(now)).Scan(&due, &inFlight)
	})
	return due, inFlight, err
}
