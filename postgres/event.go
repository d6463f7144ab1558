package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	subscribers []hookd.Subscriber
	deliveries  [][]any // rows to copy into deliveries
	db          *DB
}

// publishAttempts bounds retries of a publish that lost a race on an
// idempotency key; the retry finds the winner's event.
const publishAttempts = 3

// PublishEvents stores events and their deliveries in one transaction,
// with what the offer takes leased to it.
func (db *DB) PublishEvents(ctx context.Context, tenantID string, events []hookd.NewEvent, offer *hookd.HandOff) ([]hookd.PublishResult, error) {
	var results []hookd.PublishResult
	var jobs []*hookd.Job
	var err error
	for range publishAttempts {
		err = db.inTx(ctx, "publish events", func(tx pgx.Tx) error {
			p, err := db.beginPublish(ctx, tx, tenantID)
			if err != nil {
				return err
			}
			results, jobs, err = p.publishAll(events, offer)
			return err
		})
		if !isUniqueViolation(err) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if offer != nil {
		offer.Jobs = jobs
	}
	if hookd.LeftForClaim(results, offer) {
		db.announce() // every node, this one too, hears it and claims
	}
	return results, nil
}

func (db *DB) beginPublish(ctx context.Context, tx pgx.Tx, tenantID string) (*publishTx, error) {
	if err := tenantExists(ctx, tx, tenantID); err != nil {
		return nil, err
	}
	p := &publishTx{ctx: ctx, tx: tx, tenantID: tenantID, now: ts(db.now()), db: db}
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

// publishAll reads what the batch depends on in one round trip (types,
// earlier events by key and by id), lets hookd.PlanPublish decide, and
// writes the plan; the hand-off's locks and reads ride with the event
// inserts, and its leases with the deliveries' COPY.
func (p *publishTx) publishAll(events []hookd.NewEvent, offer *hookd.HandOff) ([]hookd.PublishResult, []*hookd.Job, error) {
	var types, keys, eventIDs []string
	for i := range events {
		ev := &events[i]
		types = append(types, ev.Type)
		if ev.IdempotencyKey != "" {
			keys = append(keys, "key:"+ev.IdempotencyKey)
		}
		if ev.ID != "" {
			eventIDs = append(eventIDs, ev.ID)
		}
	}
	r := &hookd.PublishRead{Subscribers: p.subscribers, KnownTypes: map[string]bool{},
		ByKey: map[string]hookd.StoredEvent{}, ByID: map[string]hookd.StoredEvent{}}
	var b pgx.Batch
	b.Queue(`SELECT name FROM event_types WHERE name = ANY($1)`, types).Query(func(rows pgx.Rows) error {
		_, err := collect(rows, nil, func(row pgx.Rows) (struct{}, error) {
			var name string
			err := row.Scan(&name)
			r.KnownTypes[name] = true
			return struct{}{}, err
		})
		return err
	})
	// One point lookup per key and id, pipelined: "= ANY($2)" let the
	// generic plan of the prepared statement match on tenant_id alone and
	// filter, reading every event of the tenant (and every dead version)
	// on each publish, which grew with history.
	earlier := func(where string, values []string, into func(key string, e hookd.StoredEvent)) {
		for _, v := range values {
			b.Queue(`SELECT idempotency_key, id, deliveries, request_hash FROM events WHERE tenant_id = $1 AND `+where,
				p.tenantID, v).Query(func(rows pgx.Rows) error {
				_, err := collect(rows, nil, func(row pgx.Rows) (struct{}, error) {
					var key string
					var e hookd.StoredEvent
					err := row.Scan(&key, &e.ID, &e.Deliveries, &e.RequestHash)
					into(key, e)
					return struct{}{}, err
				})
				return err
			})
		}
	}
	earlier(`idempotency_key = $2`, keys, func(key string, e hookd.StoredEvent) { r.ByKey[strings.TrimPrefix(key, "key:")] = e })
	earlier(`id = $2`, eventIDs, func(_ string, e hookd.StoredEvent) { r.ByID[e.ID] = e })
	if err := p.tx.SendBatch(p.ctx, &b).Close(); err != nil {
		return nil, nil, fmt.Errorf("read for publish: %w", err)
	}
	plans, err := hookd.PlanPublish(events, r)
	if err != nil {
		return nil, nil, err
	}
	var ins pgx.Batch
	h := p.queueHandOff(&ins, offer, plans)
	results := make([]hookd.PublishResult, len(plans))
	for i := range plans {
		pl := &plans[i]
		results[i] = pl.Result
		if !pl.New {
			continue
		}
		ev := pl.Event
		ins.Queue(`INSERT INTO events (tenant_id, id, type, payload, idempotency_key, request_hash, test, deliveries, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, false, $7, $8)`,
			p.tenantID, pl.Result.ID, ev.Type, ev.Payload, pl.Key, ev.RequestHash, len(pl.Deliveries), ts(ev.CreatedAt))
	}
	if ins.Len() > 0 {
		if err := p.tx.SendBatch(p.ctx, &ins).Close(); err != nil {
			return nil, nil, fmt.Errorf("insert event: %w", err)
		}
	}
	if h != nil {
		if err := h.plan(plans); err != nil {
			return nil, nil, err
		}
	}
	for i := range plans {
		if pl := &plans[i]; pl.New {
			p.queueDeliveries(pl.Result.ID, pl.Event.Type, false, pl.Deliveries, h)
		}
	}
	if err := p.flush(); err != nil {
		return nil, nil, err
	}
	if h == nil {
		return results, nil, nil
	}
	return results, h.jobs, h.spendTokens(p)
}

// queueDeliveries queues the deliveries hookd.FanOut made for flush; a
// paused one has no due time, one the hand-off leased is due when its
// lease ends.
func (p *publishTx) queueDeliveries(eventID, eventType string, test bool, ds []hookd.NewDelivery, h *handOff) {
	for _, d := range ds {
		next := any(&p.now)
		if d.Status == hookd.StatusPaused {
			next = nil
		}
		token, end := h.leaseOf(d.ID)
		if token != nil {
			next = end
		}
		p.deliveries = append(p.deliveries, []any{d.ID, p.tenantID, eventID, d.EndpointID, eventType,
			d.Status, test, next, p.now, p.now, token})
	}
}

// flush writes the queued deliveries in one COPY.
func (p *publishTx) flush() error {
	if len(p.deliveries) == 0 {
		return nil
	}
	if _, err := p.tx.CopyFrom(p.ctx, pgx.Identifier{"deliveries"},
		[]string{"id", "tenant_id", "event_id", "endpoint_id", "event_type", "status", "test", "next_attempt_at", "created_at", "updated_at",
			"lease_token"},
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
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM event_types WHERE name = $1`, ev.Type).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
			return hookd.NotInCatalogue("type", ev.Type)
		} else if err != nil {
			return fmt.Errorf("check event type: %w", err)
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
		p.queueDeliveries(id, ev.Type, true, hookd.FanOut(target, true), nil)
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
