// Package sqlite is the embedded Store: one database file, no server to run.
// SQLite has one writer, so every write goes through a single connection in
// BEGIN IMMEDIATE transactions, while reads use a separate pool.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"syscall"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/keycache"
	"github.com/hookd/hookd/internal/secretbox"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the SQLite Store.
type DB struct {
	write *writer // exactly one connection: SQLite's single writer
	read  *sql.DB
	disk  *disk
	box   *secretbox.Box
	lock  *os.File
	// Write transactions funnel through one committer goroutine.
	txq       chan *txJob
	quit      chan struct{}
	committed chan struct{}
	stmts     map[string]*sql.Stmt // hot statements, prepared on the writer
	boundTx   *sql.Tx              // the transaction bound holds statements of
	bound     map[string]*sql.Stmt // stmts bound to boundTx (see hot)
	pubCache  publishCache         // the committer's only: see runGroup
	keys      *keycache.Cache      // see APIKeyByHash
	keyByHash *sql.Stmt            // every API request's key lookup, prepared on the read pool
	nextDue   *sql.Stmt            // the dispatcher's NextDueAt after most claims, on the read pool
	// ops builds operational events; nil writes none (see WithOpEvents).
	ops hookd.OpEvents
	// now is the clock; tests of the store pass times explicitly instead.
	now func() time.Time
}

var (
	_ hookd.Store   = (*DB)(nil)
	_ hookd.Readier = (*DB)(nil)
)

// Open opens (creating if needed) and migrates the database at path. It takes
// an exclusive lock beside the file, since two processes sharing one SQLite
// file would deliver the same work twice, and then releases every lease a
// previous, killed process left behind so its work is retried at once. On a
// full disk it opens read-only in effect: writes answer EUNAVAILABLE until
// space returns, and the leases stay until they run out by themselves.
func Open(ctx context.Context, path string, box *secretbox.Box, opts ...Option) (*DB, error) {
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	db := &DB{box: box, lock: lock, disk: newDisk(path), now: time.Now, keys: keycache.New(),
		txq: make(chan *txJob), quit: make(chan struct{}), committed: make(chan struct{})}
	for _, o := range opts {
		o(db)
	}
	// temp_store(MEMORY) keeps statement journals in memory: every caller of
	// a group commit runs in a savepoint, whose journal SQLite otherwise
	// writes to a temporary file (a pwrite per page). Durability is the WAL's
	// and synchronous=FULL's, untouched.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.write = &writer{DB: w, disk: db.disk}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	db.write.SetConnMaxIdleTime(0)
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.prepareHot(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.read, err = sql.Open("sqlite", dsn+"&_pragma=query_only(1)"); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.read.SetMaxOpenConns(8)
	go db.commit()
	db.read.SetMaxIdleConns(8)
	if db.keyByHash, err = db.read.PrepareContext(ctx, qKeyByHash); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare %q: %w", qKeyByHash, err)
	}
	if db.nextDue, err = db.read.PrepareContext(ctx, qNextDue); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare next due: %w", err)
	}
	if _, err := db.write.ExecContext(ctx,
		`UPDATE deliveries SET lease_token = NULL, next_attempt_at = ? WHERE lease_token IS NOT NULL AND status IN ('pending', 'retrying')`,
		ms(time.Now())); err != nil && !isFull(err) {
		db.Close()
		return nil, fmt.Errorf("release stale leases: %w", err)
	}
	return db, nil
}

func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("database %s is in use by another hookd process (lock %s): %w", path, path, err)
	}
	return f, nil
}

func (db *DB) migrate(ctx context.Context) error {
	provider, err := goose.NewProvider(goose.DialectSQLite3, db.write.DB, mustSub(migrations, "migrations"))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		if isFull(err) {
			// Migrating must write; a database that is current is not
			// written to here, so this is a first start or an upgrade.
			return fmt.Errorf("migrate database: the disk holding it is full; free space on it and start hookd again: %w", err)
		}
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close closes the database and releases the file lock.
func (db *DB) Close() error {
	if db.txq != nil {
		select {
		case <-db.quit:
		default:
			close(db.quit)
		}
		if db.read != nil { // the committer was started
			<-db.committed
		}
	}
	var errs []error
	for _, stmt := range db.stmts {
		errs = append(errs, stmt.Close())
	}
	if db.keyByHash != nil {
		errs = append(errs, db.keyByHash.Close())
	}
	if db.nextDue != nil {
		errs = append(errs, db.nextDue.Close())
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	if db.lock != nil {
		errs = append(errs, db.lock.Close())
	}
	return errors.Join(errs...)
}

// errClosed answers writes that arrive after Close.
var errClosed = errors.New("database is closed")

// txJob is one caller's write transaction body, waiting for the committer.
type txJob struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	err  error
	done chan error
	// kind says what the job may change, for the caches of runGroup.
	kind jobKind
}

// jobKind tells runGroup what a job may change.
type jobKind uint8

const (
	jobOther   jobKind = iota // anything
	jobPublish                // events and deliveries only: publishCache holds across it
	jobQueue                  // the delivery queue and endpoint health: API keys hold across it
	jobLease                  // a jobQueue that only leases or releases (see lazySync)
)

// commitDelay is how long a busy committer waits for more callers.
var commitDelay = 300 * time.Microsecond

// maxGroup bounds how many callers share one commit.
const maxGroup = 256

// inTx runs fn in a write transaction and returns once it is committed.
// Concurrent callers share transactions (group commit): SQLite has one
// writer and each commit costs an fsync, so one commit for many callers
// multiplies write throughput. Each caller runs inside its own savepoint,
// so one caller's error rolls back only its own work.
func (db *DB) inTx(ctx context.Context, what string, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.run(ctx, what, &txJob{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// inPublishTx is inTx for a publish (see jobPublish).
func (db *DB) inPublishTx(ctx context.Context, what string, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.run(ctx, what, &txJob{ctx: ctx, fn: fn, done: make(chan error, 1), kind: jobPublish})
}

// inQueueTx is inTx for recording attempts (see jobQueue).
func (db *DB) inQueueTx(ctx context.Context, what string, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.run(ctx, what, &txJob{ctx: ctx, fn: fn, done: make(chan error, 1), kind: jobQueue})
}

// inLeaseTx is inTx for claiming and releasing (see jobLease).
func (db *DB) inLeaseTx(ctx context.Context, what string, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.run(ctx, what, &txJob{ctx: ctx, fn: fn, done: make(chan error, 1), kind: jobLease})
}

func (db *DB) run(ctx context.Context, what string, job *txJob) error {
	select {
	case db.txq <- job:
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", what, ctx.Err())
	case <-db.quit:
		return fmt.Errorf("%s: %w", what, errClosed)
	}
	// Once taken, a job always completes; its caller waits for the outcome
	// until its deadline (the job may still commit after that, as any write
	// whose answer is lost). done is buffered, so the committer never waits.
	select {
	case err := <-job.done:
		if err = db.disk.check(err); err != nil {
			if hookd.ErrorCode(err) != hookd.EINTERNAL {
				return err
			}
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: waiting for the writer: %w", what, ctx.Err())
	}
}

// commit runs write jobs in groups until Close.
func (db *DB) commit() {
	defer close(db.committed)
	batch := make([]*txJob, 0, maxGroup)
	for {
		select {
		case job := <-db.txq:
			batch = append(batch[:0], job)
		case <-db.quit:
			return
		}
	gather:
		for len(batch) < maxGroup {
			select {
			case job := <-db.txq:
				batch = append(batch, job)
			default:
				break gather
			}
		}
		if len(batch) > 1 && len(batch) < maxGroup {
			// Busy: others are on their way. Waiting a moment for them
			// shares the commit's page writes and fsync among more.
			t := time.NewTimer(commitDelay)
		wait:
			for len(batch) < maxGroup {
				select {
				case job := <-db.txq:
					batch = append(batch, job)
				case <-t.C:
					break wait
				}
			}
			t.Stop()
		}
		db.runGroup(batch)
	}
}

func (db *DB) runGroup(batch []*txJob) {
	finish := func(err error) {
		for _, j := range batch {
			if j.err == nil {
				j.err = err
			}
			j.done <- j.err
		}
	}
	// The group holds the writer connection throughout, so that no write
	// outside it (the direct ones) can commit while a lazy sync is on.
	conn, err := db.write.Conn(context.Background())
	if err != nil {
		finish(fmt.Errorf("writer connection: %w", err))
		return
	}
	defer conn.Close()
	lazy := db.lazySync(conn, batch)
	tx, err := conn.BeginTx(context.Background(), nil)
	if err != nil {
		db.fullSync(conn, lazy)
		finish(fmt.Errorf("begin: %w", err))
		return
	}
	// Publishes share what they read of the catalogue until another kind of
	// job runs, which might change it.
	db.pubCache.reset()
	changesKeys := false
	for _, j := range batch {
		if j.kind != jobPublish {
			db.pubCache.reset()
		}
		var broken bool
		j.err, broken = db.runSavepoint(tx, j)
		if j.kind != jobPublish {
			db.pubCache.reset()
		}
		changesKeys = changesKeys || j.kind == jobOther
		if broken {
			// The transaction is gone: nothing of the group is kept, and
			// every caller is told to try again.
			_ = tx.Rollback()
			db.fullSync(conn, lazy)
			db.pubCache.reset()
			cause := j.err
			for _, j := range batch {
				j.err = nil
			}
			if isFull(cause) {
				finish(cause) // each caller is told the disk is full (run)
				return
			}
			finish(hookd.Errorf(hookd.EUNAVAILABLE, "the database abandoned a write transaction; try again"))
			return
		}
	}
	err = tx.Commit()
	db.fullSync(conn, lazy)
	if changesKeys {
		db.keys.Invalidate() // after the commit: see APIKeyByHash
	}
	if err != nil {
		_ = tx.Rollback()
		for _, j := range batch {
			j.err = nil // nothing of the group was kept
		}
		finish(fmt.Errorf("commit: %w", err))
		return
	}
	finish(nil)
}

// runSavepoint runs one job in its savepoint. The job's statements get a
// context that cannot be cancelled: the driver answers a cancellation by
// interrupting SQLite, which rolls back the whole shared transaction, not
// just this job. A job whose caller gave up before it started is skipped.
// broken reports that the transaction is gone, so the group must stop.
// lazySync lets a group of leases alone commit without waiting for the
// disk, and reports whether it did. In WAL mode synchronous=NORMAL keeps
// the file consistent and may lose only the latest transactions on power
// failure (the next FULL commit makes them durable too); losing a lease
// loses nothing, since Open releases every lease anyway (no other process
// can hold one). Every other commit stays synchronous=FULL: an acknowledged
// event, attempt or change survives power loss. SQLite changes the setting
// only outside a transaction.
func (db *DB) lazySync(conn *sql.Conn, batch []*txJob) bool {
	for _, j := range batch {
		if j.kind != jobLease {
			return false
		}
	}
	_, err := conn.ExecContext(context.Background(), `PRAGMA synchronous = NORMAL`)
	return err == nil
}

// fullSync puts synchronous=FULL back after a lazy group. A connection that
// cannot is dropped; the pool opens a new one with the DSN's FULL.
func (db *DB) fullSync(conn *sql.Conn, lazy bool) {
	if !lazy {
		return
	}
	if _, err := conn.ExecContext(context.Background(), `PRAGMA synchronous = FULL`); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

func (db *DB) runSavepoint(tx *sql.Tx, j *txJob) (err error, broken bool) {
	if err := j.ctx.Err(); err != nil {
		return err, false
	}
	ctx := context.Background()
	if _, err := db.exec(ctx, tx, qSavepoint); err != nil {
		return err, true
	}
	err = j.fn(context.WithoutCancel(j.ctx), tx)
	if err != nil {
		if _, rbErr := db.exec(ctx, tx, qRollbackTo); rbErr != nil {
			return err, true
		}
	}
	if _, relErr := db.exec(ctx, tx, qRelease); relErr != nil {
		return errors.Join(err, relErr), true
	}
	return err, false
}

// prepareHot prepares the statements of the hot paths once, on the single
// writer connection, before any transaction holds it. SQLite otherwise
// compiles every statement anew, which costs more than running the small
// statements of publish, claim and record.
func (db *DB) prepareHot(ctx context.Context) error {
	db.stmts = make(map[string]*sql.Stmt, len(hotQueries))
	db.bound = make(map[string]*sql.Stmt, len(hotQueries))
	for _, q := range hotQueries {
		stmt, err := db.write.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		db.stmts[q] = stmt
	}
	return nil
}

// exec, queryRow and query run a statement in tx, reusing the prepared
// hot statement when query is one.
func (db *DB) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if stmt := db.hot(ctx, tx, query); stmt != nil {
		return stmt.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

func (db *DB) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if stmt := db.hot(ctx, tx, query); stmt != nil {
		return stmt.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

func (db *DB) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if stmt := db.hot(ctx, tx, query); stmt != nil {
		return stmt.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// hot returns the prepared statement of query bound to tx, or nil when
// query is not a hot one. Binding allocates, so it happens once per
// statement per group commit: every tx is a group's, on the committer
// goroutine, and its bound statements close with it.
func (db *DB) hot(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	stmt, ok := db.stmts[query]
	if !ok {
		return nil
	}
	if db.boundTx != tx {
		db.boundTx = tx
		clear(db.bound)
	}
	bound, ok := db.bound[query]
	if !ok {
		bound = tx.StmtContext(ctx, stmt)
		db.bound[query] = bound
	}
	return bound
}
