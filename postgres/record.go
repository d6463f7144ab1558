package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// Recording a batch is two pipelined round trips in one transaction: the
// first locks the batch's endpoints and then its deliveries, in id order
// (the lock order of every writer: tenant, endpoints, deliveries), reading
// their health, lease tokens and failure streaks; hookd.PlanRecord decides;
// the second writes the plan with one statement per kind of write.
const (
	qLockHealth = `SELECT id, enabled, failure_count, failures_since, last_success_at, last_failure_at
		FROM endpoints WHERE id = ANY($1) AND deleted_at IS NULL ORDER BY id FOR NO KEY UPDATE`
	qLockLeases = `SELECT id, lease_token FROM deliveries WHERE id = ANY($1) ORDER BY endpoint_id, id FOR UPDATE`
	// qFailureStreaks reads hookd.EndpointHealth.Streak where
	// EndpointHealth.NeedsStreak (the same test, on the rows just locked),
	// one row with a NULL event for an endpoint with no failed events.
	qFailureStreaks = `SELECT s.endpoint_id, f.event_id, f.at
		FROM unnest($1::text[], $2::int[], $3::timestamptz[]) AS s(endpoint_id, failures, from_at)
		JOIN endpoints e ON e.id = s.endpoint_id AND e.enabled AND e.failure_count + s.failures >= $4
		LEFT JOIN LATERAL (SELECT d.event_id, max(d.finished_at) AS at FROM deliveries d
			WHERE d.endpoint_id = s.endpoint_id AND d.status = 'failed' AND NOT d.test
				AND d.finished_at >= least(e.failures_since, s.from_at)
			GROUP BY d.event_id ORDER BY at DESC LIMIT $4) f ON true`

	qInsertAttempts = `INSERT INTO attempts (id, delivery_id, endpoint_id, number, at, url, request_headers, status_code, duration_ms, error, response_body,
			response_headers)
		SELECT id, delivery_id, endpoint_id, number, at, url, headers::jsonb, code, duration, error, body, answer::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::text[], $7::text[], $8::int[], $9::bigint[],
			$10::text[], $11::text[], $12::text[]) AS a(id, delivery_id, endpoint_id, number, at, url, headers, code, duration, error, body, answer)`
	qRecordDeliveries = `UPDATE deliveries d SET status = u.status, attempts = d.attempts + 1, run_attempts = d.run_attempts + 1,
			next_attempt_at = u.next, lease_token = NULL, last_attempt_at = u.at, last_status_code = u.code, last_error = u.error,
			last_duration_ms = u.duration, finished_at = u.finished, updated_at = $9
		FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::text[], $7::bigint[], $8::timestamptz[])
			AS u(id, status, next, at, code, error, duration, finished)
		WHERE d.id = u.id`
	qWriteHealth = `UPDATE endpoints e SET enabled = u.enabled, failure_count = u.failures, failures_since = u.since,
			last_success_at = u.success, last_failure_at = u.failure,
			disabled_reason = coalesce(u.reason, e.disabled_reason), updated_at = coalesce(u.reason_at, e.updated_at)
		FROM unnest($1::text[], $2::bool[], $3::int[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::timestamptz[])
			AS u(id, enabled, failures, since, success, failure, reason, reason_at)
		WHERE e.id = u.id`
	// As DisableEndpoint: one in flight keeps its lease, so its result still lands.
	qPauseDisabled = `UPDATE deliveries d SET status = 'paused',
			next_attempt_at = CASE WHEN d.lease_token IS NULL THEN NULL ELSE d.next_attempt_at END, updated_at = p.at
		FROM unnest($1::text[], $2::timestamptz[]) AS p(endpoint_id, at)
		WHERE d.endpoint_id = p.endpoint_id AND d.status IN ('pending', 'retrying') AND NOT d.test`
)

// RecordAttempts stores attempts and applies their outcomes in one
// transaction (hookd.PlanRecord's rules), with the operational events of
// what it failed and disabled.
func (db *DB) RecordAttempts(ctx context.Context, results []hookd.AttemptResult) ([]string, error) {
	if len(results) == 0 {
		return nil, nil
	}
	var disabled []string
	err := db.inTx(ctx, "record attempts", func(tx pgx.Tx) error {
		st, err := recordState(ctx, tx, results)
		if err != nil {
			return err
		}
		plan, err := hookd.PlanRecord(results, st)
		if err != nil {
			return err
		}
		if err := db.persist(ctx, tx, results, plan); err != nil {
			return err
		}
		disabled = plan.DisabledIDs()
		return db.opEvents(ctx, tx, plan.FailedResults(results), disabled)
	})
	if err != nil {
		return nil, err
	}
	return disabled, nil
}

// recordState locks and reads what hookd.PlanRecord needs, in one round
// trip.
func recordState(ctx context.Context, tx pgx.Tx, results []hookd.AttemptResult) (hookd.RecordState, error) {
	st := hookd.RecordState{Leases: map[string]string{}, Endpoints: map[string]*hookd.EndpointHealth{}, Precision: time.Microsecond}
	endpointIDs := make([]string, 0, len(results))
	deliveryIDs := make([]string, len(results))
	for i := range results {
		endpointIDs = append(endpointIDs, results[i].Job.EndpointID)
		deliveryIDs[i] = results[i].Job.DeliveryID
	}
	slices.Sort(endpointIDs)
	endpointIDs = slices.Compact(endpointIDs)

	var b pgx.Batch
	b.Queue(qLockHealth, endpointIDs).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			var id string
			var h hookd.EndpointHealth
			var success, failure *time.Time
			if err := rows.Scan(&id, &h.Enabled, &h.FailureCount, &h.FailuresSince, &success, &failure); err != nil {
				return err
			}
			h.LastSuccessAt, h.LastFailureAt = orZero(success), orZero(failure)
			st.Endpoints[id] = &h
		}
		return rows.Err()
	})
	b.Queue(qLockLeases, deliveryIDs).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			var id string
			var token *string
			if err := rows.Scan(&id, &token); err != nil {
				return err
			}
			st.Leases[id] = ""
			if token != nil {
				st.Leases[id] = *token
			}
		}
		return rows.Err()
	})
	if reads := hookd.StreakReads(results, st.Precision); len(reads) > 0 {
		var eps []string
		var failures []int32
		var from []*time.Time
		for id, r := range reads {
			eps = append(eps, id)
			failures = append(failures, int32(r.Failures))
			from = append(from, orNil(r.From))
		}
		b.Queue(qFailureStreaks, eps, failures, from, hookd.AutoDisableAfter).Query(func(rows pgx.Rows) error {
			defer rows.Close()
			for rows.Next() {
				var id string
				var event *string
				var at *time.Time
				if err := rows.Scan(&id, &event, &at); err != nil {
					return err
				}
				h := st.Endpoints[id]
				if h == nil {
					continue
				}
				h.StreakRead = true
				if event != nil {
					h.Streak = append(h.Streak, hookd.FailedEvent{EventID: *event, At: *at})
				}
			}
			return rows.Err()
		})
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return st, fmt.Errorf("lock the batch's endpoints and deliveries: %w", err)
	}
	return st, nil
}

// persist writes a plan of hookd.PlanRecord in one round trip.
func (db *DB) persist(ctx context.Context, tx pgx.Tx, results []hookd.AttemptResult, p *hookd.RecordPlan) error {
	var b pgx.Batch
	if n := len(p.Attempts); n > 0 {
		var (
			attemptIDs, deliveryIDs, endpointIDs = make([]string, n), make([]string, n), make([]string, n)
			urls, headers, errs, bodies          = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			answers                              = make([]string, n)
			numbers, codes                       = make([]int32, n), make([]int32, n)
			durations                            = make([]int64, n)
			ats                                  = make([]time.Time, n)
		)
		for k, i := range p.Attempts {
			j, a := results[i].Job, &results[i].Attempt
			h, err := json.Marshal(a.RequestHeaders)
			if err != nil {
				return fmt.Errorf("record attempts: %w", err)
			}
			answers[k] = "{}"
			if len(a.ResponseHeaders) > 0 {
				r, err := json.Marshal(a.ResponseHeaders)
				if err != nil {
					return fmt.Errorf("record attempts: %w", err)
				}
				answers[k] = string(r)
			}
			attemptIDs[k], deliveryIDs[k], endpointIDs[k] = ids.NewAt(ids.Attempt, a.At), j.DeliveryID, j.EndpointID
			urls[k], headers[k], errs[k], bodies[k] = a.URL, string(h), a.Error, a.ResponseBody
			numbers[k], codes[k], durations[k], ats[k] = int32(a.Number), int32(a.StatusCode), time.Duration(a.Duration).Milliseconds(), ts(a.At)
		}
		b.Queue(qInsertAttempts, attemptIDs, deliveryIDs, endpointIDs, numbers, ats, urls, headers, codes, durations, errs, bodies, answers)
	}
	if n := len(p.Deliveries); n > 0 {
		var (
			deliveryIDs, statuses, errs = make([]string, n), make([]string, n), make([]string, n)
			nexts, finished             = make([]*time.Time, n), make([]*time.Time, n)
			ats                         = make([]time.Time, n)
			codes                       = make([]int32, n)
			durations                   = make([]int64, n)
		)
		for k, u := range p.Deliveries {
			j, a := results[u.Result].Job, &results[u.Result].Attempt
			deliveryIDs[k], statuses[k], nexts[k], finished[k] = j.DeliveryID, u.Status, orNil(u.NextAttemptAt), orNil(u.FinishedAt)
			ats[k], codes[k], errs[k], durations[k] = ts(a.At), int32(a.StatusCode), a.Error, time.Duration(a.Duration).Milliseconds()
		}
		b.Queue(qRecordDeliveries, deliveryIDs, statuses, nexts, ats, codes, errs, durations, finished, ts(db.now()))
	}
	if n := len(p.Endpoints); n > 0 {
		var (
			endpointIDs                    = make([]string, n)
			enabled                        = make([]bool, n)
			counts                         = make([]int32, n)
			since                          = make([]time.Time, n)
			successes, failures, reasonAts = make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
			reasons                        = make([]*string, n)
		)
		for k, h := range p.Endpoints {
			endpointIDs[k], enabled[k], counts[k], since[k] = h.EndpointID, h.Enabled, int32(h.FailureCount), h.FailuresSince
			successes[k], failures[k], reasonAts[k] = orNil(h.LastSuccessAt), orNil(h.LastFailureAt), orNil(h.DisabledAt)
			if h.DisabledReason != "" {
				reasons[k] = &h.DisabledReason
			}
		}
		b.Queue(qWriteHealth, endpointIDs, enabled, counts, since, successes, failures, reasons, reasonAts)
	}
	if n := len(p.Disabled); n > 0 {
		endpointIDs, ats := make([]string, n), make([]time.Time, n)
		for k, d := range p.Disabled {
			endpointIDs[k], ats[k] = d.EndpointID, d.At
		}
		b.Queue(qPauseDisabled, endpointIDs, ats)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("record attempts: %w", err)
	}
	return nil
}

func orZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func orNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
