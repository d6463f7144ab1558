package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// publishTx holds what one publish transaction prepares once and reuses for
// every event of a batch.
type publishTx struct {
	ctx         context.Context
	tx          *sql.Tx
	tenantID    string
	now         int64
	knownTypes  map[string]bool
	subscribers []hookd.Subscriber
	db          *DB
}

// publishCache holds what publishes read of the catalogue, for the later
// publishes of the same group commit: whether a tenant exists with its
// endpoints, and which event types exist. Publishes write only events and
// deliveries, so it stays true while only they run; runGroup empties it
// around every other job. Only the committer goroutine uses it.
type publishCache struct {
	subscribers map[string][]hookd.Subscriber // by tenant; present means the tenant exists
	types       map[string]bool
}

func (c *publishCache) reset() {
	if c.subscribers == nil {
		c.subscribers, c.types = map[string][]hookd.Subscriber{}, map[string]bool{}
	}
	clear(c.subscribers)
	clear(c.types)
}

// PublishEvents stores events and their deliveries in one transaction.
func (db *DB) PublishEvents(ctx context.Context, tenantID string, events []hookd.NewEvent) ([]hookd.PublishResult, error) {
	results := make([]hookd.PublishResult, 0, len(events))
	err := db.inPublishTx(ctx, "publish events", func(ctx context.Context, tx *sql.Tx) error {
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
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func (db *DB) beginPublish(ctx context.Context, tx *sql.Tx, tenantID string) (*publishTx, error) {
	p := &publishTx{ctx: ctx, tx: tx, db: db, tenantID: tenantID, now: ms(db.now()), knownTypes: db.pubCache.types}
	if subs, ok := db.pubCache.subscribers[tenantID]; ok {
		p.subscribers = subs
		return p, nil
	}
	if err := db.tenantExists(ctx, tx, tenantID); err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, tx, qSubscribers, tenantID)
	if err != nil {
		return nil, fmt.Errorf("read endpoints: %w", err)
	}
	p.subscribers, err = collect(rows, func(row interface{ Scan(...any) error }) (hookd.Subscriber, error) {
		var s hookd.Subscriber
		var types string
		if err := row.Scan(&s.ID, &s.Enabled, &types); err != nil {
			return s, err
		}
		return s, json.Unmarshal([]byte(types), &s.EventTypes)
	}, "read endpoints")
	if err != nil {
		return nil, err
	}
	db.pubCache.subscribers[tenantID] = p.subscribers
	return p, nil
}

func (p *publishTx) exec(query string, args ...any) error {
	_, err := p.db.exec(p.ctx, p.tx, query, args...)
	return err
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
	err := p.db.queryRow(p.ctx, p.tx, qEventTypeExists, name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return hookd.Invalid(batchField(i, n, "type"), "event type %q is not in the catalogue", name)
	}
	if err != nil {
		return fmt.Errorf("check event type: %w", err)
	}
	p.knownTypes[name] = true
	return nil
}

// publish stores one event, or finds the earlier publish with its key or
// id. Keys and ids live in separate namespaces of idempotency_key, so a
// header key can never collide with another event's id.
func (p *publishTx) publish(ev *hookd.NewEvent, i, n int) (hookd.PublishResult, error) {
	if err := p.checkType(ev.Type, i, n); err != nil {
		return hookd.PublishResult{}, err
	}
	if ev.IdempotencyKey != "" {
		r, found, err := p.previous(ev, qEventByKey, "key:"+ev.IdempotencyKey, "idempotency key "+ev.IdempotencyKey)
		if found || err != nil {
			return r, err
		}
	}
	id, key := ev.ID, "key:"+ev.IdempotencyKey
	if id == "" {
		id = ids.NewAt(ids.Event, ev.CreatedAt)
	}
	if ev.IdempotencyKey == "" {
		key = "id:" + id
	}
	subs := hookd.Matching(p.subscribers, ev.Type)
	// Insert first: an id published before is rare (a retried request), and
	// the conflict finds it as cheaply as a lookup beforehand would.
	res, err := p.db.exec(p.ctx, p.tx, qInsertNewEvent, p.tenantID, id, ev.Type, ev.Payload, key, ev.RequestHash, false, len(subs), ms(ev.CreatedAt))
	if err != nil {
		return hookd.PublishResult{}, fmt.Errorf("insert event: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		r, found, err := p.previous(ev, qEventByID, id, "event id "+id)
		if found && err == nil && ev.IdempotencyKey != "" {
			err = hookd.Errorf(hookd.ECONFLICT, "event id %q was already published under another idempotency key", id)
		}
		if !found && err == nil {
			err = fmt.Errorf("insert event %s: conflicts with a stored event", id)
		}
		return r, err
	}
	if err := p.fanOut(id, ev.Type, false, subs); err != nil {
		return hookd.PublishResult{}, err
	}
	return hookd.PublishResult{ID: id, Deliveries: len(subs)}, nil
}

// previous looks up an earlier publish by id or idempotency key (query).
// The same request again is a duplicate; a different one is a conflict.
func (p *publishTx) previous(ev *hookd.NewEvent, query, value, what string) (hookd.PublishResult, bool, error) {
	var r hookd.PublishResult
	var hash string
	err := p.db.queryRow(p.ctx, p.tx, query, p.tenantID, value).Scan(&r.ID, &r.Deliveries, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("check %s: %w", what, err)
	}
	r, err = hookd.Republished(r, hash, ev.RequestHash, what)
	return r, true, err
}

// fanOut inserts one delivery per subscriber; a disabled endpoint's waits, paused.
func (p *publishTx) fanOut(eventID, eventType string, test bool, subs []hookd.Subscriber) error {
	for _, s := range subs {
		status, next := hookd.StatusPending, any(p.now)
		if !s.Enabled && !test {
			status, next = hookd.StatusPaused, nil
		}
		if err := p.exec(qInsertDelivery, ids.New(ids.Delivery), p.tenantID, eventID, s.ID, eventType,
			status, test, next, p.now, p.now); err != nil {
			return fmt.Errorf("insert delivery: %w", err)
		}
	}
	return nil
}

// PublishTestEvent stores a test event with one delivery, due at once.
func (db *DB) PublishTestEvent(ctx context.Context, tenantID, endpointID string, ev hookd.NewEvent) (*hookd.Delivery, error) {
	var deliveryID string
	err := db.inTx(ctx, "publish test event", func(ctx context.Context, tx *sql.Tx) error {
		p, err := db.beginPublish(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		var target []hookd.Subscriber
		for _, s := range p.subscribers {
			if s.ID == endpointID {
				target = append(target, s)
			}
		}
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
		if err := p.exec(qInsertEvent, tenantID, id, ev.Type, ev.Payload, "id:"+id, "", true, 1, ms(ev.CreatedAt)); err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		if err := p.fanOut(id, ev.Type, true, target); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT id FROM deliveries WHERE tenant_id = ? AND event_id = ?`, tenantID, id).Scan(&deliveryID)
	})
	if err != nil {
		return nil, err
	}
	return db.Delivery(ctx, tenantID, deliveryID)
}

// Event reads one event with its payload.
func (db *DB) Event(ctx context.Context, tenantID, id string) (*hookd.Event, error) {
	var ev hookd.Event
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT tenant_id, id, type, payload, test, deliveries, created_at
		FROM events WHERE tenant_id = ? AND id = ?`, tenantID, id).
		Scan(&ev.TenantID, &ev.ID, &ev.Type, &ev.Payload, &ev.Test, &ev.Deliveries, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("event", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	ev.CreatedAt = fromMs(created)
	return &ev, nil
}
