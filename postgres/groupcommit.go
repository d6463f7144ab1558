package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Group commit: concurrent callers of one kind of write share a
// transaction and its commit (one WAL flush), as on SQLite. A combiner has
// a few workers; a worker takes one call and at once every call that is
// already waiting (at most maxGroup), so an idle store adds no delay and a
// busy one forms the next group while a commit is in flight.

// maxGroup bounds how many callers share one commit.
const maxGroup = 128

// groupWorkers is how many groups may be in flight at once: while one
// group waits for its commit, the next reads and plans. 1, 2 and 4
// measured level within a noisy 2-core box's spread (hookd bench, one
// event per publish); fewer workers make larger groups and less CPU.
const groupWorkers = 2

// call is one caller's share of a group: its input, and its outcome.
type call[In, Out any] struct {
	ctx  context.Context
	in   In
	out  Out
	err  error // this caller's own failure (a domain error decided in Go)
	done chan struct{}
}

// groupWork does a group's work on one connection: reads for every call,
// decides each (setting call.err for a caller's own failure and leaving its
// out unset) and writes the rest in one transaction. An error it returns
// fails the whole group: nothing of it was kept, unless it is ambiguous
// (see retryAlone).
type groupWork[In, Out any] func(ctx context.Context, conn *pgxpool.Conn, calls []*call[In, Out]) error

// combiner groups concurrent calls of one kind.
type combiner[In, Out any] struct {
	db    *DB
	what  string
	work  groupWork[In, Out]
	calls chan *call[In, Out]
	// groups counts the groups run, for tests that prove groups form.
	groups atomic.Int64
}

func newCombiner[In, Out any](db *DB, what string, work groupWork[In, Out]) *combiner[In, Out] {
	c := &combiner[In, Out]{db: db, what: what, work: work, calls: make(chan *call[In, Out])}
	for range groupWorkers {
		db.workers.Add(1)
		go c.loop()
	}
	return c
}

// do runs in as part of a group and returns its outcome once committed.
// A caller whose context ends stops waiting, but its call, once taken,
// completes with its group (as any write whose answer is lost).
func (c *combiner[In, Out]) do(ctx context.Context, in In) (Out, error) {
	cl := &call[In, Out]{ctx: ctx, in: in, done: make(chan struct{})}
	var zero Out
	select {
	case c.calls <- cl:
	case <-ctx.Done():
		return zero, c.db.fail(c.what, ctx.Err())
	case <-c.db.closing:
		return zero, fmt.Errorf("%s: %w", c.what, errClosed)
	}
	select {
	case <-cl.done:
		if cl.err != nil {
			return zero, c.db.fail(c.what, cl.err)
		}
		return cl.out, nil
	case <-ctx.Done():
		return zero, c.db.fail(c.what, ctx.Err())
	}
}

var errClosed = errors.New("database is closed")

func (c *combiner[In, Out]) loop() {
	defer c.db.workers.Done()
	batch := make([]*call[In, Out], 0, maxGroup)
	for {
		select {
		case cl := <-c.calls:
			batch = append(batch[:0], cl)
		case <-c.db.closing:
			return
		}
	gather:
		for len(batch) < maxGroup {
			select {
			case cl := <-c.calls:
				batch = append(batch, cl)
			default:
				break gather
			}
		}
		c.runGroup(batch)
	}
}

// runGroup runs a group and, when it fails as a whole, each of its calls
// alone, so that one bad call cannot fail the others.
func (c *combiner[In, Out]) runGroup(batch []*call[In, Out]) {
	live := batch[:0:0]
	for _, cl := range batch {
		if err := cl.ctx.Err(); err != nil {
			cl.err = err // gave up before its group began: skipped
			close(cl.done)
			continue
		}
		live = append(live, cl)
	}
	if len(live) == 0 {
		return
	}
	err := c.run(live)
	if err != nil && len(live) > 1 && retryAlone(err) {
		for _, cl := range live {
			cl.err = c.runAlone(cl)
		}
	} else if err != nil {
		for _, cl := range live {
			cl.err = err
		}
	}
	for _, cl := range live {
		close(cl.done)
	}
}

// runAlone runs one call as a group of its own, again after a unique
// violation: a concurrent group (here or on another node) took one of its
// keys first, and the retry reads what that group wrote.
func (c *combiner[In, Out]) runAlone(cl *call[In, Out]) error {
	one := []*call[In, Out]{cl}
	var err error
	for range aloneAttempts {
		cl.err = nil
		if err = c.run(one); !isUniqueViolation(err) {
			break
		}
	}
	if err != nil {
		return err
	}
	return cl.err
}

// aloneAttempts bounds the retries of a call that lost a race on a
// unique key.
const aloneAttempts = 3

// run does the work of calls on one pooled connection. Its statements
// get a context that ends only when every caller's has: one impatient
// caller must not abort the others' transaction.
func (c *combiner[In, Out]) run(calls []*call[In, Out]) error {
	c.groups.Add(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waiting := atomic.Int64{}
	waiting.Store(int64(len(calls)))
	for _, cl := range calls {
		stop := context.AfterFunc(cl.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	conn, err := c.db.pool.Acquire(ctx)
	if err != nil {
		return notWritten{fmt.Errorf("acquire connection: %w", err)}
	}
	defer conn.Release()
	return c.work(ctx, conn, calls)
}

// notWritten marks a group's failure that came before it sent any write,
// so nothing of it can have been committed.
type notWritten struct{ error }

func (e notWritten) Unwrap() error { return e.error }

// retryAlone reports whether a failed group's calls may be retried one by
// one: the failure came before any write, or the server refused the
// transaction (a constraint, a conflict), so nothing of it was kept. A
// connection lost during the write may have committed: its callers are
// told, as a lone caller would be, instead of writing their events twice.
func retryAlone(err error) bool {
	var nw notWritten
	if errors.As(err, &nw) || pgconn.SafeToRetry(err) {
		return true
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && !strings.HasPrefix(pgErr.Code, "08") && !strings.HasPrefix(pgErr.Code, "57P")
}
