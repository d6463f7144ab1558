package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/filter"
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

// PublishEvents stores events and their deliveries in one transaction:
// it reads what the batch depends on, hookd.PlanPublish decides, and the
// plan is written, with what the offer takes leased to it.
func (db *DB) PublishEvents(ctx context.Context, tenantID string, events []hookd.NewEvent, offer *hookd.HandOff) ([]hookd.PublishResult, error) {
	var results []hookd.PublishResult
	var jobs []*hookd.Job
	err := db.inPublishTx(ctx, "publish events", func(ctx context.Context, tx *sql.Tx) error {
		p, err := db.beginPublish(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		results, jobs, err = p.publishAll(events, offer)
		return err
	})
	if err != nil {
		return nil, err
	}
	if offer != nil {
		offer.Jobs = jobs
	}
	return results, nil
}

// publishAll reads what the batch depends on, plans it and writes the plan.
func (p *publishTx) publishAll(events []hookd.NewEvent, offer *hookd.HandOff) ([]hookd.PublishResult, []*hookd.Job, error) {
	read, err := p.read(events)
	if err != nil {
		return nil, nil, err
	}
	plans, err := hookd.PlanPublish(events, read)
	if err != nil {
		return nil, nil, err
	}
	var leases map[string]lease
	var jobs []*hookd.Job
	if offer != nil {
		if leases, jobs, err = p.handOff(offer, plans); err != nil {
			return nil, nil, err
		}
	}
	results := make([]hookd.PublishResult, len(plans))
	for i := range plans {
		if err := p.store(&plans[i], leases); err != nil {
			return nil, nil, err
		}
		results[i] = plans[i].Result
	}
	return results, jobs, nil
}

// read gathers what hookd.PlanPublish needs of the batch.
func (p *publishTx) read(events []hookd.NewEvent) (*hookd.PublishRead, error) {
	r := &hookd.PublishRead{Subscribers: p.subscribers, KnownTypes: map[string]bool{},
		ByKey: map[string]hookd.StoredEvent{}, ByID: map[string]hookd.StoredEvent{}}
	for i := range events {
		ev := &events[i]
		if !r.KnownTypes[ev.Type] {
			known, err := p.knownType(ev.Type)
			if err != nil {
				return nil, err
			}
			r.KnownTypes[ev.Type] = known
		}
		if ev.IdempotencyKey != "" {
			if err := p.lookup(r.ByKey, ev.IdempotencyKey, qEventByKey, "key:"+ev.IdempotencyKey); err != nil {
				return nil, err
			}
		}
		if ev.ID != "" {
			if err := p.lookup(r.ByID, ev.ID, qEventByID, ev.ID); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// lookup adds the earlier event found by query (by key or id) to found.
func (p *publishTx) lookup(found map[string]hookd.StoredEvent, name, query, value string) error {
	if _, ok := found[name]; ok {
		return nil
	}
	var e hookd.StoredEvent
	err := p.db.queryRow(p.ctx, p.tx, query, p.tenantID, value).Scan(&e.ID, &e.Deliveries, &e.RequestHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check earlier event: %w", err)
	}
	found[name] = e
	return nil
}

// store writes a planned new event and its deliveries.
func (p *publishTx) store(plan *hookd.PlannedEvent, leases map[string]lease) error {
	if !plan.New {
		return nil
	}
	ev := plan.Event
	if err := p.exec(qInsertEvent, p.tenantID, plan.Result.ID, ev.Type, ev.Payload, plan.Key, ev.RequestHash, false,
		len(plan.Deliveries), ms(ev.CreatedAt), jsonList(ev.Channels), ev.TraceParent); err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	return p.insertDeliveries(plan.Result.ID, ev.Type, false, plan.Deliveries, leases)
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
		var types, channels, src, kind string
		var live bool
		if err := row.Scan(&s.ID, &s.Enabled, &types, &channels, &src, &s.FIFO, &kind, &live); err != nil {
			return s, err
		}
		s.TestOnly = hookd.TestOnly(kind, live)
		if src != "" {
			s.Filter = filter.Stored(src)
		}
		if err := json.Unmarshal([]byte(types), &s.EventTypes); err != nil {
			return s, err
		}
		return s, json.Unmarshal([]byte(channels), &s.Channels)
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

// knownType reports whether the catalogue holds the type.
func (p *publishTx) knownType(name string) (bool, error) {
	if p.knownTypes[name] {
		return true, nil
	}
	var one int
	err := p.db.queryRow(p.ctx, p.tx, qEventTypeExists, name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check event type: %w", err)
	}
	p.knownTypes[name] = true
	return true, nil
}

// insertDeliveries inserts the deliveries hookd.FanOut made; a paused one
// has no due time, a leased one (handOff) is due when its lease ends.
func (p *publishTx) insertDeliveries(eventID, eventType string, test bool, ds []hookd.NewDelivery, leases map[string]lease) error {
	for _, d := range ds {
		next, token := any(p.now), any(nil)
		if d.Status == hookd.StatusPaused {
			next = nil
		}
		if l, ok := leases[d.ID]; ok {
			next, token = l.end, l.token
		}
		if err := p.exec(qInsertDelivery, d.ID, p.tenantID, eventID, d.EndpointID, eventType,
			d.Status, test, next, p.now, p.now, token, d.FIFO); err != nil {
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
		if known, err := p.knownType(ev.Type); err != nil || !known {
			if err == nil {
				err = hookd.NotInCatalogue("type", ev.Type)
			}
			return err
		}
		if err := db.checkTestRate(ctx, tx, tenantID, endpointID); err != nil {
			return err
		}
		id := ev.ID
		if id == "" {
			id = ids.NewAt(ids.Event, ev.CreatedAt)
		}
		if err := p.exec(qInsertEvent, tenantID, id, ev.Type, ev.Payload, "id:"+id, "", true, 1, ms(ev.CreatedAt), "[]", ev.TraceParent); err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		if err := p.insertDeliveries(id, ev.Type, true, hookd.FanOut(target, true), nil); err != nil {
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
// Events lists a tenant's events, newest id first, without test events.
func (db *DB) Events(ctx context.Context, tenantID string, f hookd.EventFilter, p hookd.Page) ([]*hookd.Event, error) {
	since, until := int64(math.MinInt64), int64(math.MaxInt64)
	if !f.Since.IsZero() {
		since = ms(f.Since)
	}
	if !f.Until.IsZero() {
		until = ms(f.Until)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, id, type, payload, test, deliveries, created_at, channels
		FROM events WHERE tenant_id = ? AND test = 0 AND (? = '' OR id < ?)
		AND (? = '' OR type = ?) AND created_at >= ? AND created_at < ?
		ORDER BY id DESC LIMIT ?`,
		tenantID, p.Cursor, p.Cursor, f.Type, f.Type, since, until, p.Size())
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return collect(rows, scanEvent, "list events")
}

func (db *DB) Event(ctx context.Context, tenantID, id string) (*hookd.Event, error) {
	ev, err := scanEvent(db.read.QueryRowContext(ctx, `SELECT tenant_id, id, type, payload, test, deliveries, created_at, channels
		FROM events WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("event", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	return ev, nil
}

func scanEvent(row interface{ Scan(...any) error }) (*hookd.Event, error) {
	var ev hookd.Event
	var created int64
	var channels string
	if err := row.Scan(&ev.TenantID, &ev.ID, &ev.Type, &ev.Payload, &ev.Test, &ev.Deliveries, &created, &channels); err != nil {
		return nil, err
	}
	ev.CreatedAt = fromMs(created)
	return &ev, json.Unmarshal([]byte(channels), &ev.Channels)
}

// jsonList is a list as the JSON text SQLite keeps: [] for none.
func jsonList(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s)
	return string(b)
}
