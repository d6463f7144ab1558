package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// publishTx holds what one publish transaction reads once and reuses for
// every event of a batch.
type publishTx struct {
	ctx         context.Context
	tx          pgx.Tx
	tenantID    string
	now         time.Time
	knownTypes  map[string]bool
	subscribers []hookd.Subscriber
	deliveries  [][]any // rows to copy into deliveries
}

// publishAttempts bounds retries of a publish that lost a race on an
// idempotency key; the retry finds the winner's event.
const publishAttempts = 3

// PublishEvents stores events and their deliveries in one transaction.
func (db *DB) PublishEvents(ctx context.Context, tenantID string, events []hookd.NewEvent) ([]hookd.PublishResult, error) {
	var results []hookd.PublishResult
	var err error
	for range publishAttempts {
		err = db.inTx(ctx, "publish events", func(tx pgx.Tx) error {
			results = results[:0]
			p, err := db.beginPublish(ctx, tx, tenantID)
			if err != nil {
				return err
			}
			for i := range events {
				r, err := p.publish(&events[i], i, len(events))
				if err != nil {
					return err
				}
				results = append(results, r)
			}
			return p.flush()
		})
		if !isUniqueViolation(err) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	db.announce()
	return results, nil
}

func (db *DB) beginPublish(ctx context.Context, tx pgx.Tx, tenantID string) (*publishTx, error) {
	if err := tenantExists(ctx, tx, tenantID); err != nil {
		return nil, err
	}
	p := &publishTx{ctx: ctx, tx: tx, tenantID: tenantID, now: ts(db.now()), knownTypes: map[string]bool{}}
	rows, err := tx.Query(ctx, `SELECT id, enabled, event_types FROM endpoints WHERE tenant_id = $1`, tenantID)
	p.subscribers, err = collect(rows, err, func(r pgx.Rows) (hookd.Subscriber, error) {
		var s hookd.Subscriber
		return s, r.Scan(&s.ID, &s.Enabled, &s.EventTypes)
	})
	if err != nil {
		return nil, fmt.Errorf("read endpoints: %w", err)
	}
	return p, nil
}

// field names the offending event in a batch, or the field of a single event.
func batchField(i, n int, field string) string {
	if n == 1 {
		return field
	}
	return fmt.Sprintf("events[%d].%s", i, field)
}

func (p *publishTx) checkType(name string, i, n int) error {
	if p.knownTypes[name] {
		return nil
	}
	var one int
	err := p.tx.QueryRow(p.ctx, `SELECT 1 FROM event_types WHERE name = $1`, name).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return hookd.Invalid(batchField(i, n, "type"), "event type %q is not in the catalogue", name)
	}
	if err != nil {
		return fmt.Errorf("check event type: %w", err)
	}
	p.knownTypes[name] = true
	return nil
}

// publish stores one event, or finds the earlier publish with its key or
// id. Keys and ids live in separate namespaces of idempotency_key ("key:"
// and "id:"), so a header key can never collide with another event's id.
func (p *publishTx) publish(ev *hookd.NewEvent, i, n int) (hookd.PublishResult, error) {
	if err := p.checkType(ev.Type, i, n); err != nil {
		return hookd.PublishResult{}, err
	}
	if ev.IdempotencyKey != "" {
		r, found, err := p.previous(ev, `idempotency_key = $2`, "key:"+ev.IdempotencyKey, "idempotency key "+ev.IdempotencyKey)
		if found || err != nil {
			return r, err
		}
	}
	id, key := ev.ID, "key:"+ev.IdempotencyKey
	if id != "" {
		r, found, err := p.previous(ev, `id = $2`, id, "event id "+id)
		if found && err == nil && ev.IdempotencyKey != "" {
			err = hookd.Errorf(hookd.ECONFLICT, "event id %q was already published under another idempotency key", id)
		}
		if found || err != nil {
			return r, err
		}
	} else {
		id = ids.NewAt(ids.Event, ev.CreatedAt)
	}
	if ev.IdempotencyKey == "" {
		key = "id:" + id
	}
	subs := hookd.Matching(p.subscribers, ev.Type)
	if _, err := p.tx.Exec(p.ctx, `INSERT INTO events (tenant_id, id, type, payload, idempotency_key, request_hash, test, deliveries, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, false, $7, $8)`,
		p.tenantID, id, ev.Type, ev.Payload, key, ev.RequestHash, len(subs), ts(ev.CreatedAt)); err != nil {
		return hookd.PublishResult{}, fmt.Errorf("insert event: %w", err)
	}
	p.fanOut(id, ev.Type, false, subs)
	return hookd.PublishResult{ID: id, Deliveries: len(subs)}, nil
}

// previous looks up an earlier publish by id or idempotency key (where).
// The same request again is a duplicate; a different one is a conflict.
func (p *publishTx) previous(ev *hookd.NewEvent, where, value, what string) (hookd.PublishResult, bool, error) {
	var r hookd.PublishResult
	var hash string
	err := p.tx.QueryRow(p.ctx, `SELECT id, deliveries, request_hash FROM events WHERE tenant_id = $1 AND `+where, p.tenantID, value).
		Scan(&r.ID, &r.Deliveries, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("check %s: %w", what, err)
	}
	r, err = hookd.Republished(r, hash, ev.RequestHash, what)
	return r, true, err
}

// fanOut queues one delivery per subscriber; a disabled endpoint's waits, paused.
func (p *publishTx) fanOut(eventID, eventType string, test bool, subs []hookd.Subscriber) {
	for _, s := range subs {
		status, next := hookd.StatusPending, &p.now
		if !s.Enabled && !test {
			status, next = hookd.StatusPaused, nil
		}
		p.deliveries = append(p.deliveries, []any{ids.New(ids.Delivery), p.tenantID, eventID, s.ID, eventType,
			status, test, next, p.now, p.now})
	}
}

// flush writes the queued deliveries in one COPY.
func (p *publishTx) flush() error {
	if len(p.deliveries) == 0 {
		return nil
	}
	if _, err := p.tx.CopyFrom(p.ctx, pgx.Identifier{"deliveries"},
		[]string{"id", "tenant_id", "event_id", "endpoint_id", "event_type", "status", "test", "next_attempt_at", "created_at", "updated_at"},
		pgx.CopyFromRows(p.deliveries)); err != nil {
		return fmt.Errorf("insert deliveries: %w", err)
	}
	return nil
}

// PublishTestEvent stores a test event with one delivery, due at once.
func (db *DB) PublishTestEvent(ctx context.Context, tenantID, endpointID string, ev hookd.NewEvent) (*hookd.Delivery, error) {
	var deliveryID string
	err := db.inTx(ctx, "publish test event", func(tx pgx.Tx) error {
		p, err := db.beginPublish(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		target := slices.DeleteFunc(p.subscribers, func(s hookd.Subscriber) bool { return s.ID != endpointID })
		if len(target) == 0 {
			return notFound("endpoint", endpointID)
		}
		if err := p.checkType(ev.Type, 0, 1); err != nil {
			return err
		}
		if err := db.checkTestRate(ctx, tx, tenantID, endpointID); err != nil {
			return err
		}
		id := ev.ID
		if id == "" {
			id = ids.NewAt(ids.Event, ev.CreatedAt)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO events (tenant_id, id, type, payload, idempotency_key, request_hash, test, deliveries, created_at)
			VALUES ($1, $2, $3, $4, $5, '', true, 1, $6)`, tenantID, id, ev.Type, ev.Payload, "id:"+id, ts(ev.CreatedAt)); err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		p.fanOut(id, ev.Type, true, target)
		deliveryID = p.deliveries[0][0].(string)
		return p.flush()
	})
	if err != nil {
		return nil, err
	}
	db.announce()
	return db.Delivery(ctx, tenantID, deliveryID)
}

// Event reads one event with its payload.
func (db *DB) Event(ctx context.Context, tenantID, id string) (*hookd.Event, error) {
	var ev hookd.Event
	err := db.pool.QueryRow(ctx, `SELECT tenant_id, id, type, payload, test, deliveries, created_at
		FROM events WHERE tenant_id = $1 AND id = $2`, tenantID, id).
		Scan(&ev.TenantID, &ev.ID, &ev.Type, &ev.Payload, &ev.Test, &ev.Deliveries, &ev.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("event", id)
	}
	if err != nil {
		return nil, db.fail("read event", err)
	}
	return &ev, nil
}
