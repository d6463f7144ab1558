package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// RecordAttempts stores attempts and applies their outcomes in one
// transaction, with the operational events of what it failed and disabled:
// it reads the batch's deliveries and endpoints, hookd.PlanRecord decides,
// and persist writes the plan.
func (db *DB) RecordAttempts(ctx context.Context, results []hookd.AttemptResult) ([]string, error) {
	var disabled []string
	err := db.inQueueTx(ctx, "record attempts", func(ctx context.Context, tx *sql.Tx) error {
		st, err := db.recordState(ctx, tx, results)
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
	return disabled, err
}

// recordState reads what hookd.PlanRecord needs: each delivery's lease
// token, each endpoint's health, and the failure streak where it may
// decide an auto-disable.
func (db *DB) recordState(ctx context.Context, tx *sql.Tx, results []hookd.AttemptResult) (hookd.RecordState, error) {
	st := hookd.RecordState{Leases: map[string]string{}, Endpoints: map[string]*hookd.EndpointHealth{}, Precision: time.Millisecond}
	seen := map[string]bool{} // deliveries read, present or not
	for i := range results {
		j := results[i].Job
		if !seen[j.DeliveryID] {
			seen[j.DeliveryID] = true
			var token sql.NullString
			switch err := db.queryRow(ctx, tx, qLeaseToken, j.DeliveryID).Scan(&token); err {
			case nil:
				st.Leases[j.DeliveryID] = token.String
			case sql.ErrNoRows: // deleted while in flight
			default:
				return st, fmt.Errorf("read delivery: %w", err)
			}
		}
		if _, ok := st.Endpoints[j.EndpointID]; ok {
			continue
		}
		var h hookd.EndpointHealth
		var since int64
		var success, failure sql.NullInt64
		switch err := db.queryRow(ctx, tx, qEndpointHealth, j.EndpointID).Scan(&h.Enabled, &h.FailureCount, &since, &success, &failure); err {
		case nil:
			h.FailuresSince, h.LastSuccessAt, h.LastFailureAt = fromMs(since), zeroTime(success), zeroTime(failure)
			st.Endpoints[j.EndpointID] = &h
		case sql.ErrNoRows:
			st.Endpoints[j.EndpointID] = nil
		default:
			return st, fmt.Errorf("read endpoint: %w", err)
		}
	}
	for id, need := range hookd.StreakReads(results, st.Precision) {
		h := st.Endpoints[id]
		if h == nil || !h.NeedsStreak(need) {
			continue
		}
		rows, err := db.query(ctx, tx, qFailureStreak, id, ms(h.StreakFrom(need)), hookd.AutoDisableAfter)
		if err != nil {
			return st, fmt.Errorf("read failure streak: %w", err)
		}
		h.Streak, err = collect(rows, func(row interface{ Scan(...any) error }) (hookd.FailedEvent, error) {
			var f hookd.FailedEvent
			var at int64
			err := row.Scan(&f.EventID, &at)
			f.At = fromMs(at)
			return f, err
		}, "read failure streak")
		if err != nil {
			return st, err
		}
		h.StreakRead = true
	}
	return st, nil
}

// persist writes a plan of hookd.PlanRecord.
func (db *DB) persist(ctx context.Context, tx *sql.Tx, results []hookd.AttemptResult, p *hookd.RecordPlan) error {
	for _, i := range p.Attempts {
		j, a := results[i].Job, &results[i].Attempt
		headers, _ := json.Marshal(a.RequestHeaders)
		answer := []byte("{}")
		if len(a.ResponseHeaders) > 0 {
			answer, _ = json.Marshal(a.ResponseHeaders)
		}
		if _, err := db.exec(ctx, tx, qInsertAttempt, ids.NewAt(ids.Attempt, a.At), j.DeliveryID, a.Number, ms(a.At), a.URL, string(headers),
			a.StatusCode, time.Duration(a.Duration).Milliseconds(), a.Error, a.ResponseBody, j.EndpointID, string(answer)); err != nil {
			return fmt.Errorf("insert attempt: %w", err)
		}
	}
	now := ms(db.now())
	for _, u := range p.Deliveries {
		j, a := results[u.Result].Job, &results[u.Result].Attempt
		if _, err := db.exec(ctx, tx, qRecordDelivery, u.Status, zeroMs(u.NextAttemptAt), ms(a.At), a.StatusCode, a.Error,
			time.Duration(a.Duration).Milliseconds(), zeroMs(u.FinishedAt), now, j.DeliveryID); err != nil {
			return fmt.Errorf("update delivery: %w", err)
		}
	}
	for _, h := range p.Endpoints {
		if _, err := db.exec(ctx, tx, qWriteHealth, h.Enabled, h.FailureCount, ms(h.FailuresSince), zeroMs(h.LastSuccessAt),
			zeroMs(h.LastFailureAt), nullString(h.DisabledReason), zeroMs(h.DisabledAt), h.EndpointID); err != nil {
			return fmt.Errorf("update endpoint health: %w", err)
		}
	}
	for _, d := range p.Disabled {
		if err := pauseDeliveries(ctx, tx, d.EndpointID, ms(d.At)); err != nil {
			return err
		}
	}
	return nil
}

// zeroMs stores a time, the zero time as NULL.
func zeroMs(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

func zeroTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMs(v.Int64)
}
