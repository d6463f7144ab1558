// Package sqlite is the embedded Store: one database file, no server to run.
// SQLite has one writer, so every write goes through a single connection in
// BEGIN IMMEDIATE transactions, while reads use a separate pool.
package sqlite

import (
	"context"
	"database/sql"
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
	"github.com/hookd/hookd/internal/secretbox"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the SQLite Store.
type DB struct {
	write *sql.DB // exactly one connection: SQLite's single writer
	read  *sql.DB
	box   *secretbox.Box
	lock  *os.File
	// now is the clock; tests of the store pass times explicitly instead.
	now func() time.Time
}

var _ hookd.Store = (*DB)(nil)

// Open opens (creating if needed) and migrates the database at path. It takes
// an exclusive lock beside the file, since two processes sharing one SQLite
// file would deliver the same work twice, and then releases every lease a
// previous, killed process left behind so its work is retried at once.
func Open(ctx context.Context, path string, box *secretbox.Box) (*DB, error) {
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	db := &DB{box: box, lock: lock, now: time.Now}
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
	if db.write, err = sql.Open("sqlite", dsn+"&_txlock=immediate"); err != nil {
		lock.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	db.write.SetConnMaxIdleTime(0)
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.read, err = sql.Open("sqlite", dsn+"&_pragma=query_only(1)"); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.read.SetMaxOpenConns(8)
	db.read.SetMaxIdleConns(8)
	if _, err := db.write.ExecContext(ctx,
		`UPDATE deliveries SET lease_token = NULL, next_attempt_at = ? WHERE lease_token IS NOT NULL AND status IN ('pending', 'retrying')`,
		ms(time.Now())); err != nil {
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
	provider, err := goose.NewProvider(goose.DialectSQLite3, db.write, mustSub(migrations, "migrations"))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
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
	var errs []error
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

// inTx runs fn in one write transaction and commits it.
func (db *DB) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		if hookd.ErrorCode(err) != hookd.EINTERNAL {
			return err
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}
