package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/internal/secretbox"
)

type publishCall = call[publishIn, publishOut]

// groupDB opens a store with tenants t1 and t2, each with one endpoint
// subscribed to every type, and the type "order.created".
func groupDB(t *testing.T) (*DB, context.Context) {
	t.Helper()
	ctx := t.Context()
	box, err := secretbox.New(make([]byte, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, pgtest.Database(t, os.Getenv(pgtest.EnvVar)), box)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	must(t, db.CreateEventType(ctx, &hookd.EventType{Name: "order.created"}))
	for _, id := range []string{"t1", "t2"} {
		must(t, db.CreateTenant(ctx, &hookd.Tenant{ID: id, Name: id}))
		must(t, db.CreateEndpoint(ctx, &hookd.Endpoint{TenantID: id, Name: "e", URL: "https://receiver.example.com/" + id,
			EventTypes: []string{hookd.AllEventTypes}, Enabled: true, MaxInFlight: 10}, "whsec_test"))
	}
	return db, ctx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func event(key, hash string) hookd.NewEvent {
	return hookd.NewEvent{Type: "order.created", IdempotencyKey: key, RequestHash: hash,
		Payload: []byte(`{"n":1}`), CreatedAt: time.Now()}
}

func newCall(ctx context.Context, tenantID string, events ...hookd.NewEvent) *publishCall {
	return &publishCall{ctx: ctx, in: publishIn{tenantID: tenantID, events: events}, done: make(chan struct{})}
}

// count returns how many events and deliveries the database holds.
func count(t *testing.T, db *DB) (events, deliveries int) {
	t.Helper()
	must(t, db.pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM deliveries)`).Scan(&events, &deliveries))
	return events, deliveries
}

// TestGroupManyConcurrentPublishers: 50 publishers at once each get their
// own results, every event is stored once, and they share commits.
func TestGroupManyConcurrentPublishers(t *testing.T) {
	db, ctx := groupDB(t)
	const publishers, each = 50, 20
	before := db.publishes.groups.Load()
	var wg sync.WaitGroup
	errs := make(chan error, publishers*each)
	ids := make(chan string, publishers*each)
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				key := fmt.Sprintf("p%d-%d", p, i)
				res, err := db.PublishEvents(ctx, []string{"t1", "t2"}[p%2], []hookd.NewEvent{event(key, key)}, nil)
				if err == nil && (len(res) != 1 || res[0].Deliveries != 1 || res[0].Duplicate) {
					err = fmt.Errorf("publish %s: results %+v, want one new event with 1 delivery", key, res)
				}
				if err != nil {
					errs <- err
					continue
				}
				ids <- res[0].ID
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("event id %s given to two publishes", id)
		}
		seen[id] = true
	}
	if ev, dl := count(t, db); ev != publishers*each || dl != publishers*each {
		t.Errorf("stored %d events and %d deliveries, want %d of each", ev, dl, publishers*each)
	}
	groups := db.publishes.groups.Load() - before
	t.Logf("%d publishes in %d groups", publishers*each, groups)
	if groups >= publishers*each {
		t.Errorf("%d publishes ran in %d groups: none were combined", publishers*each, groups)
	}
}

// TestGroupMixedCallersBehaveAsSequential: in one group, a caller's unknown
// type, idempotency conflict or missing tenant fails that caller alone, and
// a key repeated by a later caller finds the earlier caller's event, as if
// they had run one after another.
func TestGroupMixedCallersBehaveAsSequential(t *testing.T) {
	db, ctx := groupDB(t)
	unknown := event("", "u")
	unknown.Type = "no.such.type"
	calls := []*publishCall{
		newCall(ctx, "t1", event("", "a")),                                     // 0: good
		newCall(ctx, "t1", unknown),                                            // 1: unknown type
		newCall(ctx, "t1", event("k", "h1")),                                   // 2: first use of key k
		newCall(ctx, "t1", event("k", "h1")),                                   // 3: the same request again: duplicate of 2
		newCall(ctx, "t1", event("k", "h2")),                                   // 4: key k for another request: conflict
		newCall(ctx, "t2", event("k", "h2")),                                   // 5: key k in another tenant: new
		newCall(ctx, "nobody", event("", "x")),                                 // 6: no such tenant
		newCall(ctx, "t1", event("", "b"), event("j", "h3"), event("j", "h3")), // 7: a batch repeating its key
	}
	before := db.publishes.groups.Load()
	db.publishes.runGroup(calls)
	if n := db.publishes.groups.Load() - before; n != 1 {
		t.Errorf("the group ran as %d transactions, want 1", n)
	}
	wantCode := map[int]string{1: hookd.EINVALID, 4: hookd.ECONFLICT, 6: hookd.ENOTFOUND}
	for i, cl := range calls {
		<-cl.done
		if code, bad := wantCode[i]; bad {
			if hookd.ErrorCode(cl.err) != code {
				t.Errorf("call %d: error %v, want code %s", i, cl.err, code)
			}
			continue
		}
		if cl.err != nil {
			t.Errorf("call %d: %v", i, cl.err)
		}
	}
	if r2, r3 := calls[2].out.results[0], calls[3].out.results[0]; r3.ID != r2.ID || !r3.Duplicate || r2.Duplicate {
		t.Errorf("repeated key: first %+v, again %+v; want the same id, the second a duplicate", r2, r3)
	}
	if r5 := calls[5].out.results[0]; r5.Duplicate || r5.ID == calls[2].out.results[0].ID {
		t.Errorf("key k in tenant t2: %+v, want a new event", r5)
	}
	if r := calls[7].out.results; r[2].ID != r[1].ID || !r[2].Duplicate {
		t.Errorf("batch repeating its key: %+v", r)
	}
	// Stored: 0, 2, 5 and two of 7's.
	if ev, dl := count(t, db); ev != 5 || dl != 5 {
		t.Errorf("stored %d events and %d deliveries, want 5 of each", ev, dl)
	}
	// And after the commit, the key is known to a later publish.
	res, err := db.PublishEvents(ctx, "t1", []hookd.NewEvent{event("k", "h1")}, nil)
	if err != nil || res[0].ID != calls[2].out.results[0].ID || !res[0].Duplicate {
		t.Errorf("later publish of key k: %+v, %v; want a duplicate of %s", res, err, calls[2].out.results[0].ID)
	}
}

// TestGroupCancelledCallerDoesNotAbortItsGroup: a caller whose context ends
// while its group runs leaves the others' transaction alone (its own work
// commits with them), and one that gave up before its group began is
// skipped.
func TestGroupCancelledCallerDoesNotAbortItsGroup(t *testing.T) {
	db, ctx := groupDB(t)
	impatient, cancel := context.WithCancel(ctx)
	gone, cancelGone := context.WithCancel(ctx)
	cancelGone()
	calls := []*publishCall{newCall(ctx, "t1", event("before", "1")), newCall(impatient, "t1", event("slow", "2")),
		newCall(gone, "t1", event("gone", "3")), newCall(ctx, "t1", event("after", "4"))}
	c := &combiner[publishIn, publishOut]{db: db, what: "publish events",
		work: func(ctx context.Context, conn *pgxpool.Conn, calls []*publishCall) error {
			cancel() // mid-group
			return db.publishGroup(ctx, conn, calls)
		}}
	c.runGroup(calls)
	for i, cl := range calls {
		<-cl.done
		if i == 2 {
			if !errors.Is(cl.err, context.Canceled) {
				t.Errorf("caller that gave up first: %v, want context.Canceled", cl.err)
			}
			continue
		}
		if cl.err != nil {
			t.Errorf("call %d: %v", i, cl.err)
		}
	}
	if ev, _ := count(t, db); ev != 3 {
		t.Errorf("stored %d events, want 3 (all but the one that gave up first)", ev)
	}
}

// TestGroupDatabaseErrorRetriesCallersAlone: when the database fails a
// group (its connection killed, or a statement refused), its callers are
// retried one by one: the good ones commit and only the bad one fails.
func TestGroupDatabaseErrorRetriesCallersAlone(t *testing.T) {
	t.Run("BackendTerminated", func(t *testing.T) {
		db, ctx := groupDB(t)
		first := true
		c := &combiner[publishIn, publishOut]{db: db, what: "publish events",
			work: func(ctx context.Context, conn *pgxpool.Conn, calls []*publishCall) error {
				if first {
					first = false
					pid := conn.Conn().PgConn().PID()
					var ok bool
					must(t, db.pool.QueryRow(ctx, `SELECT pg_terminate_backend($1, 5000)`, pid).Scan(&ok))
					if !ok {
						t.Fatal("pg_terminate_backend did not end the group's backend")
					}
				}
				return db.publishGroup(ctx, conn, calls)
			}}
		calls := []*publishCall{newCall(ctx, "t1", event("a", "a")), newCall(ctx, "t2", event("b", "b"))}
		c.runGroup(calls)
		for i, cl := range calls {
			<-cl.done
			if cl.err != nil {
				t.Errorf("call %d: %v", i, cl.err)
			}
		}
		if n := c.groups.Load(); n != 3 {
			t.Errorf("ran %d transactions, want 3 (the group, then each caller alone)", n)
		}
		if ev, _ := count(t, db); ev != 2 {
			t.Errorf("stored %d events, want 2", ev)
		}
	})
	t.Run("StatementRefused", func(t *testing.T) {
		db, ctx := groupDB(t)
		// A rule only the database knows: PlanPublish cannot foresee it.
		_, err := db.pool.Exec(ctx, `CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.payload = '"poison"' THEN RAISE EXCEPTION 'poison' USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$;
			CREATE TRIGGER refuse_poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_poison()`)
		must(t, err)
		poison := event("", "p")
		poison.Payload = []byte(`"poison"`)
		calls := []*publishCall{newCall(ctx, "t1", event("a", "a")), newCall(ctx, "t1", poison), newCall(ctx, "t2", event("b", "b"))}
		before := db.publishes.groups.Load()
		db.publishes.runGroup(calls)
		if n := db.publishes.groups.Load() - before; n != 4 {
			t.Errorf("ran %d transactions, want 4 (the group, then each caller alone)", n)
		}
		for i, cl := range calls {
			<-cl.done
			if (cl.err != nil) != (i == 1) {
				t.Errorf("call %d: error %v", i, cl.err)
			}
		}
		if ev, _ := count(t, db); ev != 2 {
			t.Errorf("stored %d events, want the 2 good ones", ev)
		}
	})
}
