// Package postgres is the Store for fleets: any number of hookd processes on
// any number of machines share one PostgreSQL database. Claims lock rows with
// FOR UPDATE SKIP LOCKED and lease them, per-endpoint limits are enforced by
// the claim itself, and LISTEN/NOTIFY wakes idle nodes when work arrives.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/keycache"
	"github.com/hookd/hookd/internal/secretbox"
)

//go:embed migrations/*.sql
var migrations embed.FS

// wakeChannel is the NOTIFY channel that announces newly due work.
const wakeChannel = "hookd_wake"

// qNotify wakes the other nodes in one round trip: an argument-less Exec
// goes as one simple query, so its two statements share one implicit
// transaction, where SET LOCAL holds. NOTIFY assigns a transaction id,
// whose commit would otherwise wait for a WAL flush. (It was BEGIN, SET,
// NOTIFY, COMMIT: four round trips, 0.38 a delivery with 3 nodes.)
const qNotify = `SET LOCAL synchronous_commit = off; SELECT pg_notify('` + wakeChannel + `', '')`

// DB is the PostgreSQL Store.
type DB struct {
	pool *pgxpool.Pool
	box  *secretbox.Box
	// goose reads its version table through database/sql over the pool.
	migrations *goose.Provider
	// now is the clock; tests of the store pass times explicitly instead.
	now func() time.Time
	// ops builds operational events; nil writes none (see WithOpEvents).
	ops hookd.OpEvents
	// announced wakes the notifier (see announce).
	announced, closing, notifierDone chan struct{}
	// publishes groups concurrent PublishEvents calls (groupcommit.go).
	publishes *combiner[publishIn, publishOut]
	workers   sync.WaitGroup // the combiners' goroutines
	// keys caches API keys while a Wakeups connection listens (APIKeyByHash).
	keys *keycache.Cache
	// leasing orders this node's lease-taking transactions, claims and
	// hand-offs at publish, one at a time from their tenant locks to their
	// commits: a hand-off skips a tenant locked by another transaction
	// (SKIP LOCKED), so, unordered, one of this node's own claims or
	// earlier publish groups made it leave its deliveries to the claim.
	// Only other nodes' claims are skipped now.
	leasing sync.Mutex
}

var (
	_ hookd.Store        = (*DB)(nil)
	_ hookd.Waker        = (*DB)(nil)
	_ hookd.Readier      = (*DB)(nil)
	_ hookd.QueueCounter = (*DB)(nil)
)

// IsURL reports whether a --database value names a PostgreSQL server.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Connect opens a connection pool to url without migrating. Pool settings
// come from the URL (pool_max_conns etc.; see pgxpool.ParseConfig); the
// default pool size is 4 per CPU, at least 8.
func Connect(ctx context.Context, url string, box *secretbox.Box, opts ...Option) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, 8)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	cfg.ConnConfig.DialFunc = dialer(cfg.ConnConfig.ConnectTimeout).DialContext
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		// Times come back in UTC, as from the SQLite store.
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	db := &DB{pool: pool, box: box, now: time.Now, keys: keycache.Notified(),
		announced: make(chan struct{}, 1), closing: make(chan struct{}), notifierDone: make(chan struct{})}
	for _, o := range opts {
		o(db)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		pool.Close()
		return nil, err
	}
	// Nodes that start together take turns on a session advisory lock, so
	// each migration runs once.
	db.migrations, err = goose.NewProvider(goose.DialectPostgres, stdlib.OpenDBFromPool(pool), sub, goose.WithSessionLocker(locker))
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	go db.notifier()
	db.publishes = newCombiner(db, "publish events", db.publishGroup)
	return db, nil
}

// Open connects and migrates the database to this binary's schema.
func Open(ctx context.Context, url string, box *secretbox.Box, opts ...Option) (*DB, error) {
	db, err := Connect(ctx, url, box, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Migrate applies pending migrations and returns how many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	res, err := db.migrations.Up(ctx)
	if err != nil {
		return len(res), db.fail("migrate database", err)
	}
	return len(res), nil
}

// Close closes the pool.
func (db *DB) Close() error {
	close(db.closing)
	<-db.notifierDone
	db.workers.Wait()
	err := db.migrations.Close() // closes the database/sql view of the pool
	db.pool.Close()
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return db.fail("ping database", err)
	}
	return nil
}

// Ready checks that the database answers and has no pending migrations.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.Ping(ctx); err != nil {
		return err
	}
	pending, err := db.migrations.HasPending(ctx)
	if err != nil {
		return db.fail("check migrations", err)
	}
	if pending {
		return hookd.Errorf(hookd.EUNAVAILABLE, "database migrations are pending; run hookd migrate or restart a node")
	}
	return nil
}

// fail wraps err with what failed. Domain errors pass through; a database
// error the caller can do nothing about but retry (the connection failed or
// timed out, the server is shutting down or full) becomes EUNAVAILABLE: the
// API shows its message (503) while logs get the cause.
func (db *DB) fail(what string, err error) error {
	if err == nil {
		return nil
	}
	if hookd.ErrorCode(err) != hookd.EINTERNAL {
		return err
	}
	if isUnavailable(err) {
		return hookd.Unavailable(fmt.Errorf("%s: %w", what, err), "the database is unavailable; try again shortly")
	}
	return fmt.Errorf("%s: %w", what, err)
}

func isUnavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 08: connection exception; 57P01-03: shutdown, crash, starting up;
		// 53: insufficient resources (disk full, out of memory, too many
		// connections).
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || strings.HasPrefix(pgErr.Code, "53")
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "closed pool")
}

// inTx runs fn in a transaction and commits it.
func (db *DB) inTx(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, db.pool, fn)
	return db.fail(what, err)
}

// isUniqueViolation reports a unique constraint that a concurrent
// transaction won: retrying sees its row.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// announce tells every node, through NOTIFY, that work became due. It
// never waits: a notifier goroutine sends one NOTIFY for however many
// announcements arrived meanwhile. NOTIFY is not sent inside the writing
// transactions because PostgreSQL serialises the commits of transactions
// that notify (a queue lock held through the commit's fsync), which would
// undo the server's group commit of concurrent publishes.
func (db *DB) announce() {
	select {
	case db.announced <- struct{}{}:
	default:
	}
}

// notifier sends the NOTIFYs of announce until Close. A lost one costs
// other nodes at most their poll interval, so it is not durable (no fsync).
func (db *DB) notifier() {
	defer close(db.notifierDone)
	for {
		select {
		case <-db.announced:
		case <-db.closing:
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = db.pool.Exec(ctx, qNotify)
		cancel()
	}
}

// Wakeups listens for NOTIFY on its own connection until ctx ends, then
// closes the channel. When the
// connection fails it reconnects with backoff, and signals once on every
// reconnect, since notifications sent meanwhile were lost. The same
// connection hears keysChannel, which voids the API key cache: the cache
// serves only while one is listening, and is voided on every (re)connect.
func (db *DB) Wakeups(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(out)
		backoff := time.Duration(0)
		for ctx.Err() == nil {
			if err := db.listen(ctx, signal); err != nil && ctx.Err() == nil {
				backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
				}
				continue
			}
			backoff = 0
		}
	}()
	return out
}

func (db *DB) listen(ctx context.Context, signal func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+wakeChannel+"; LISTEN "+keysChannel); err != nil {
		return err
	}
	// Key changes committed from here on are heard; until the connection
	// fails (or is found dead: listenCheckEvery), when the cache stops.
	stop := db.keys.Listening()
	defer stop()
	signal()
	for {
		// A connection that hears nothing for a while is asked whether it
		// still answers: one whose server went silent would otherwise wait
		// forever (until the kernel gives up on it), and no wake-up would come.
		waitCtx, cancel := context.WithTimeout(ctx, listenCheckEvery)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		if err == nil {
			if n.Channel == keysChannel {
				db.keys.Invalidate()
			} else {
				signal()
			}
			continue
		}
		if ctx.Err() != nil || !pgconn.Timeout(err) {
			return err
		}
		pingCtx, cancel := context.WithTimeout(ctx, listenPingTimeout)
		err = conn.Ping(pingCtx)
		cancel()
		if err != nil {
			return fmt.Errorf("listen connection does not answer: %w", err)
		}
	}
}

// The LISTEN connection's liveness check: after this long without a
// notification it must answer a ping within listenPingTimeout.
const (
	listenCheckEvery  = 30 * time.Second
	listenPingTimeout = 5 * time.Second
)

// collect scans every row with scan and closes rows.
func collect[T any](rows pgx.Rows, err error, scan func(pgx.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func notFound(what, id string) error {
	return hookd.Errorf(hookd.ENOTFOUND, "%s %q not found", what, id)
}

// ts is a time as stored: PostgreSQL keeps microseconds.
func ts(t time.Time) time.Time { return t.Truncate(time.Microsecond) }
