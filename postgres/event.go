package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/filter"
	"github.com/hookd/hookd/internal/ids"
)

// A publish is a read, a plan and a write: publishRead queues in one
// pipelined batch what hookd.PlanPublish needs of any number of publishes,
// plan decides each, and publishWrite writes every plan in a second batch.
// PublishEvents runs them for a group of concurrent callers (see
// groupcommit.go): two round trips and one commit for the whole group.

// publishIn is one PublishEvents call.
type publishIn struct {
	tenantID string
	events   []hookd.NewEvent
	offer    *hookd.HandOff // nil: no hand-off
}

// publishOut is what one call gets once its group has committed.
type publishOut struct {
	results []hookd.PublishResult
	jobs    []*hookd.Job // leased to this node by its offer
}

// PublishEvents stores events and their deliveries, committed together,
// usually in a transaction shared with concurrent publishes, with what the
// offer takes leased to this node (handoff.go).
func (db *DB) PublishEvents(ctx context.Context, tenantID string, events []hookd.NewEvent, offer *hookd.HandOff) ([]hookd.PublishResult, error) {
	out, err := db.publishes.do(ctx, publishIn{tenantID: tenantID, events: events, offer: offer})
	if err != nil {
		return nil, err
	}
	if offer != nil {
		offer.Jobs = out.jobs
	}
	if hookd.LeftForClaim(out.results, offer) {
		db.announce() // every node, this one too, hears it and claims
	}
	return out.results, nil
}

// publishGroup is the publishes' groupWork. Its read runs outside the
// write's transaction: READ COMMITTED gives each statement its own snapshot
// anyway, and what may change meanwhile is caught by constraints (a key or
// id taken by a concurrent publish, an endpoint or tenant deleted), which
// fail the group so that its callers are retried alone and read again.
// Without a hand-off the write batch is one implicit transaction (one
// Sync), so it commits with no round trip of its own; with one, the
// hand-off's lock and reads come first in an explicit transaction
// (writeHandOff).
func (db *DB) publishGroup(ctx context.Context, conn *pgxpool.Conn, calls []*call[publishIn, publishOut]) error {
	r := newPublishRead()
	for _, cl := range calls {
		r.add(cl.in.tenantID, cl.in.events)
	}
	if err := r.send(ctx, conn); err != nil {
		return notWritten{err}
	}
	plans := make([][]hookd.PlannedEvent, len(calls))
	offered := false
	for i, cl := range calls {
		var err error
		if plans[i], err = r.plan(cl.in.tenantID, cl.in.events); err != nil {
			cl.err = err
			continue
		}
		offered = offered || cl.in.offer != nil
	}
	w := publishWrite{now: ts(db.now())}
	if !offered {
		for i, cl := range calls {
			if cl.err == nil {
				cl.out.results = w.add(cl.in.tenantID, plans[i], nil)
			}
		}
		return w.send(ctx, conn)
	}
	return db.writeHandOff(ctx, conn, calls, plans, &w)
}

// writeHandOff writes a group of which some calls offer a hand-off: in one
// transaction, the hand-offs' tenant locks and room reads (one round trip,
// one read per tenant however many of the group's calls publish to it),
// hookd.PlanHandOff for each call in turn, then the rows, the leased ones
// inserted leased, and the rate tokens spent.
func (db *DB) writeHandOff(ctx context.Context, conn *pgxpool.Conn, calls []*call[publishIn, publishOut],
	plans [][]hookd.PlannedEvent, w *publishWrite) error {
	db.leasing.Lock() // until the commit (see DB.leasing)
	defer db.leasing.Unlock()
	tx, err := conn.BeginTx(ctx, indexScanTx) // it reads room as a claim does
	if err != nil {
		return notWritten{fmt.Errorf("begin publish: %w", err)}
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	hs := make([]*handOff, len(calls))
	tenants := make([]string, len(calls))
	for i, cl := range calls {
		if cl.err == nil && cl.in.offer != nil {
			hs[i], tenants[i] = newHandOff(cl.in.offer, plans[i]), cl.in.tenantID
		}
	}
	var b pgx.Batch
	db.queueHandOffs(&b, tenants, hs)
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return notWritten{fmt.Errorf("hand-off reads: %w", err)}
		}
	}
	for i, cl := range calls {
		if cl.err != nil {
			continue
		}
		if err := hs[i].plan(plans[i]); err != nil {
			return notWritten{err}
		}
		cl.out.results = w.add(cl.in.tenantID, plans[i], hs[i])
	}
	if err := w.send(ctx, tx); err != nil {
		return notWritten{err}
	}
	if err := spendTokens(ctx, tx, hs); err != nil {
		return notWritten{err}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit publish: %w", err)
	}
	for i, cl := range calls {
		if hs[i] != nil && cl.err == nil {
			cl.out.jobs = hs[i].jobs
		}
	}
	return nil
}

// publishInTx publishes events within tx (operational events, written
// with the change they report).
func (db *DB) publishInTx(ctx context.Context, tx pgx.Tx, tenantID string, events []hookd.NewEvent) error {
	r := newPublishRead()
	r.add(tenantID, events)
	if err := r.send(ctx, tx); err != nil {
		return err
	}
	plans, err := r.plan(tenantID, events)
	if err != nil {
		return err
	}
	w := publishWrite{now: ts(db.now())}
	w.add(tenantID, plans, nil)
	return w.send(ctx, tx)
}

// batchSender is a connection or a transaction.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// tenantKey names an event's key or id within its tenant.
type tenantKey struct{ tenant, key string }

// tenantRead is a tenant as a publish sees it.
type tenantRead struct {
	exists      bool
	subscribers []hookd.Subscriber
}

// publishRead is what a group of publishes read: tenants with their
// subscribers, which types are in the catalogue, earlier events by key and
// by id. plan adds each planned caller's new events, so a later caller of
// the group sees them as it would after a commit.
type publishRead struct {
	tenants    map[string]*tenantRead
	types      map[string]bool // the catalogue's, of those asked
	byKey      map[tenantKey]hookd.StoredEvent
	byID       map[tenantKey]hookd.StoredEvent
	b          pgx.Batch
	askedTypes []string
	asked      map[string]bool
	askedKeys  map[tenantKey]bool // "key:"+key or "id:"+id
}

func newPublishRead() *publishRead {
	return &publishRead{tenants: map[string]*tenantRead{}, types: map[string]bool{},
		byKey: map[tenantKey]hookd.StoredEvent{}, byID: map[tenantKey]hookd.StoredEvent{},
		asked: map[string]bool{}, askedKeys: map[tenantKey]bool{}}
}

// add queues the reads one publish needs that the group has not queued yet.
func (r *publishRead) add(tenantID string, events []hookd.NewEvent) {
	r.addTenant(tenantID)
	for i := range events {
		ev := &events[i]
		r.addType(ev.Type)
		if ev.IdempotencyKey != "" {
			r.addEarlier(tenantID, "key:"+ev.IdempotencyKey)
		}
		if ev.ID != "" {
			r.addEarlier(tenantID, "id:"+ev.ID)
		}
	}
}

func (r *publishRead) addTenant(tenantID string) {
	if _, ok := r.tenants[tenantID]; ok {
		return
	}
	t := &tenantRead{}
	r.tenants[tenantID] = t
	r.b.Queue(`SELECT e.id, coalesce(e.enabled, false), coalesce(e.event_types, '{}'), coalesce(e.channels, '{}'), coalesce(e.filter, ''),
			coalesce(e.ordering = 'fifo', false), coalesce(e.kind, ''), coalesce(e.live, false)
		FROM tenants t LEFT JOIN endpoints e ON e.tenant_id = t.id AND e.deleted_at IS NULL
		WHERE t.id = $1`, tenantID).Query(func(rows pgx.Rows) error {
		_, err := collect(rows, nil, func(row pgx.Rows) (struct{}, error) {
			t.exists = true
			var id *string
			var s hookd.Subscriber
			var src, kind string
			var live bool
			if err := row.Scan(&id, &s.Enabled, &s.EventTypes, &s.Channels, &src, &s.FIFO, &kind, &live); err != nil || id == nil {
				return struct{}{}, err
			}
			s.TestOnly = hookd.TestOnly(kind, live)
			if src != "" {
				s.Filter = filter.Stored(src)
			}
			s.ID = *id
			t.subscribers = append(t.subscribers, s)
			return struct{}{}, nil
		})
		return err
	})
}

func (r *publishRead) addType(name string) {
	if !r.asked[name] {
		r.asked[name] = true
		r.askedTypes = append(r.askedTypes, name)
	}
}

// addEarlier queues one point lookup of an earlier event by key ("key:…")
// or id ("id:…"). One statement per value: "= ANY($2)" let the generic plan
// of the prepared statement match on tenant_id alone and filter, reading
// every event of the tenant (and every dead version) on each publish.
func (r *publishRead) addEarlier(tenantID, key string) {
	k := tenantKey{tenantID, key}
	if r.askedKeys[k] {
		return
	}
	r.askedKeys[k] = true
	query, value := qEventByKey, key
	if id, ok := strings.CutPrefix(key, "id:"); ok {
		query, value = qEventByID, id
	}
	r.b.Queue(query, tenantID, value).Query(func(rows pgx.Rows) error {
		_, err := collect(rows, nil, func(row pgx.Rows) (struct{}, error) {
			var stored string
			var e hookd.StoredEvent
			err := row.Scan(&stored, &e.ID, &e.Deliveries, &e.RequestHash)
			r.remember(tenantID, stored, e)
			return struct{}{}, err
		})
		return err
	})
}

// The publish's point lookups of earlier events (plan_test.go holds their
// generic plans to the index matching both conditions).
const (
	qEventByKey = `SELECT idempotency_key, id, deliveries, request_hash FROM events WHERE tenant_id = $1 AND idempotency_key = $2`
	qEventByID  = `SELECT idempotency_key, id, deliveries, request_hash FROM events WHERE tenant_id = $1 AND id = $2`
)

// remember records an event (new or read) under its id and, when it has
// one, its idempotency key (stored as "key:…").
func (r *publishRead) remember(tenantID, storedKey string, e hookd.StoredEvent) {
	r.byID[tenantKey{tenantID, e.ID}] = e
	if key, ok := strings.CutPrefix(storedKey, "key:"); ok {
		r.byKey[tenantKey{tenantID, key}] = e
	}
}

// send runs the queued reads in one round trip.
func (r *publishRead) send(ctx context.Context, q batchSender) error {
	if len(r.askedTypes) > 0 {
		r.b.Queue(`SELECT name FROM event_types WHERE name = ANY($1)`, r.askedTypes).Query(func(rows pgx.Rows) error {
			_, err := collect(rows, nil, func(row pgx.Rows) (struct{}, error) {
				var name string
				err := row.Scan(&name)
				r.types[name] = true
				return struct{}{}, err
			})
			return err
		})
	}
	if err := q.SendBatch(ctx, &r.b).Close(); err != nil {
		return fmt.Errorf("read for publish: %w", err)
	}
	return nil
}

// plan decides one publish with hookd.PlanPublish over what the group
// read and what its earlier callers planned.
func (r *publishRead) plan(tenantID string, events []hookd.NewEvent) ([]hookd.PlannedEvent, error) {
	t := r.tenants[tenantID]
	if !t.exists {
		return nil, notFound("tenant", tenantID)
	}
	in := &hookd.PublishRead{Subscribers: t.subscribers, KnownTypes: r.types,
		ByKey: map[string]hookd.StoredEvent{}, ByID: map[string]hookd.StoredEvent{}}
	for i := range events {
		ev := &events[i]
		if e, ok := r.byKey[tenantKey{tenantID, ev.IdempotencyKey}]; ok && ev.IdempotencyKey != "" {
			in.ByKey[ev.IdempotencyKey] = e
		}
		if e, ok := r.byID[tenantKey{tenantID, ev.ID}]; ok && ev.ID != "" {
			in.ByID[ev.ID] = e
		}
	}
	plans, err := hookd.PlanPublish(events, in)
	if err != nil {
		return nil, err
	}
	for i := range plans {
		if p := &plans[i]; p.New {
			r.remember(tenantID, p.Key, hookd.StoredEvent{ID: p.Result.ID, Deliveries: p.Result.Deliveries, RequestHash: p.Event.RequestHash})
		}
	}
	return plans, nil
}

// publishWrite collects the rows of planned events and their deliveries,
// written by one statement each (unnest of arrays).
type publishWrite struct {
	now time.Time
	ev  struct {
		tenant, id, typ, key, hash []string
		channels                   []string // comma-joined: channel names hold no comma (hookd.CheckChannels)
		traceparent                []string // "": none
		payload                    [][]byte
		test                       []bool
		deliveries                 []int32
		created                    []time.Time
	}
	dl struct {
		id, tenant, event, endpoint, typ, status []string
		test                                     []bool
		next                                     []pgtype.Timestamptz
		token                                    []pgtype.Text // the hand-off's lease, or NULL
		fifo                                     []bool        // numbered from deliveries_seq
	}
}

// add collects a publish's new events and returns its results; h, when
// not nil, is its hand-off, whose leased deliveries go in leased.
func (w *publishWrite) add(tenantID string, plans []hookd.PlannedEvent, h *handOff) []hookd.PublishResult {
	results := make([]hookd.PublishResult, len(plans))
	for i := range plans {
		pl := &plans[i]
		results[i] = pl.Result
		if pl.New {
			w.addEvent(tenantID, pl.Result.ID, pl.Key, false, pl.Event, pl.Deliveries, h)
		}
	}
	return results
}

// addEvent collects one new event and the deliveries hookd.FanOut made for
// it; a paused delivery has no due time, one the hand-off leased is due when
// its lease ends.
func (w *publishWrite) addEvent(tenantID, id, key string, test bool, ev *hookd.NewEvent, ds []hookd.NewDelivery, h *handOff) {
	e := &w.ev
	e.tenant, e.id, e.typ, e.key, e.hash = append(e.tenant, tenantID), append(e.id, id), append(e.typ, ev.Type),
		append(e.key, key), append(e.hash, ev.RequestHash)
	e.payload, e.test = append(e.payload, ev.Payload), append(e.test, test)
	e.channels = append(e.channels, strings.Join(ev.Channels, ","))
	e.traceparent = append(e.traceparent, ev.TraceParent)
	e.deliveries, e.created = append(e.deliveries, int32(len(ds))), append(e.created, ts(ev.CreatedAt))
	d := &w.dl
	for _, nd := range ds {
		d.id, d.tenant, d.event, d.endpoint = append(d.id, nd.ID), append(d.tenant, tenantID), append(d.event, id), append(d.endpoint, nd.EndpointID)
		d.typ, d.status, d.test = append(d.typ, ev.Type), append(d.status, nd.Status), append(d.test, test)
		next, token := pgtype.Timestamptz{Time: w.now, Valid: nd.Status != hookd.StatusPaused}, pgtype.Text{}
		if t, end, ok := h.leaseOf(nd.ID); ok {
			next, token = pgtype.Timestamptz{Time: end, Valid: true}, pgtype.Text{String: t, Valid: true}
		}
		d.next, d.token, d.fifo = append(d.next, next), append(d.token, token), append(d.fifo, nd.FIFO)
	}
}

// send writes what was collected in one round trip: on a connection, one
// implicit transaction that commits at its end.
func (w *publishWrite) send(ctx context.Context, q batchSender) error {
	if len(w.ev.id) == 0 {
		return nil
	}
	var b pgx.Batch
	e := &w.ev
	b.Queue(`INSERT INTO events (tenant_id, id, type, payload, idempotency_key, request_hash, test, deliveries, created_at, channels, traceparent)
		SELECT t, i, ty, pl, k, h, te, d, c, string_to_array(ch, ','), nullif(tp, '')
		FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::text[], $6::text[], $7::bool[], $8::int[], $9::timestamptz[],
			$10::text[], $11::text[]) AS e(t, i, ty, pl, k, h, te, d, c, ch, tp)`,
		e.tenant, e.id, e.typ, e.payload, e.key, e.hash, e.test, e.deliveries, e.created, e.channels, e.traceparent)
	if d := &w.dl; len(d.id) > 0 {
		// FIFO deliveries are numbered in the order of the arrays: the
		// order of the plans, so of the events in the publish.
		b.Queue(`INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, test, next_attempt_at, lease_token, created_at, updated_at,
				seq)
			SELECT d.id, d.tenant, d.event, d.endpoint, d.typ, d.status, d.test, d.next, d.token, $10, $10,
				CASE WHEN d.fifo THEN nextval('deliveries_seq') END
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::timestamptz[],
				$9::text[], $11::bool[]) AS d(id, tenant, event, endpoint, typ, status, test, next, token, fifo)`,
			d.id, d.tenant, d.event, d.endpoint, d.typ, d.status, d.test, d.next, d.token, w.now, d.fifo)
	}
	if err := q.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	return nil
}

// PublishTestEvent stores a test event with one delivery, due at once.
func (db *DB) PublishTestEvent(ctx context.Context, tenantID, endpointID string, ev hookd.NewEvent) (*hookd.Delivery, error) {
	var deliveryID string
	err := db.inTx(ctx, "publish test event", func(tx pgx.Tx) error {
		r := newPublishRead()
		r.addTenant(tenantID)
		r.addType(ev.Type)
		if err := r.send(ctx, tx); err != nil {
			return err
		}
		t := r.tenants[tenantID]
		if !t.exists {
			return notFound("tenant", tenantID)
		}
		target := slices.DeleteFunc(t.subscribers, func(s hookd.Subscriber) bool { return s.ID != endpointID })
		if len(target) == 0 {
			return notFound("endpoint", endpointID)
		}
		if !r.types[ev.Type] {
			return hookd.NotInCatalogue("type", ev.Type)
		}
		if err := db.checkTestRate(ctx, tx, tenantID, endpointID); err != nil {
			return err
		}
		id := ev.ID
		if id == "" {
			id = ids.NewAt(ids.Event, ev.CreatedAt)
		}
		ev.RequestHash = ""
		ds := hookd.FanOut(target, true)
		deliveryID = ds[0].ID
		w := publishWrite{now: ts(db.now())}
		w.addEvent(tenantID, id, "id:"+id, true, &ev, ds, nil)
		return w.send(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	db.announce()
	return db.Delivery(ctx, tenantID, deliveryID)
}

// Events lists a tenant's events matching f, newest id first, without test events.
func (db *DB) Events(ctx context.Context, tenantID string, f hookd.EventFilter, p hookd.Page) ([]*hookd.Event, error) {
	var since, until *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	if !f.Until.IsZero() {
		until = &f.Until
	}
	rows, err := db.pool.Query(ctx, `SELECT tenant_id, id, type, payload, test, deliveries, created_at, channels
		FROM events WHERE tenant_id = $1 AND NOT test AND ($2 = '' OR id < $2)
		AND ($4 = '' OR type = $4) AND ($5::timestamptz IS NULL OR created_at >= $5) AND ($6::timestamptz IS NULL OR created_at < $6)
		ORDER BY id DESC LIMIT $3`,
		tenantID, p.Cursor, p.Size(), f.Type, since, until)
	out, err := collect(rows, err, func(r pgx.Rows) (*hookd.Event, error) {
		var ev hookd.Event
		err := r.Scan(&ev.TenantID, &ev.ID, &ev.Type, &ev.Payload, &ev.Test, &ev.Deliveries, &ev.CreatedAt, &ev.Channels)
		return &ev, err
	})
	return out, db.fail("list events", err)
}

// Event reads one event with its payload.
func (db *DB) Event(ctx context.Context, tenantID, id string) (*hookd.Event, error) {
	var ev hookd.Event
	err := db.pool.QueryRow(ctx, `SELECT tenant_id, id, type, payload, test, deliveries, created_at, channels
		FROM events WHERE tenant_id = $1 AND id = $2`, tenantID, id).
		Scan(&ev.TenantID, &ev.ID, &ev.Type, &ev.Payload, &ev.Test, &ev.Deliveries, &ev.CreatedAt, &ev.Channels)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("event", id)
	}
	if err != nil {
		return nil, db.fail("read event", err)
	}
	return &ev, nil
}
