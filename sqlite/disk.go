package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hookd/hookd"
)

// disk watches the file system that holds the database. When it is full,
// writes fail (SQLITE_FULL) and answer EUNAVAILABLE saying so, while reads
// go on: hookd is read-only until space returns, and then writes again by
// itself. /readyz says not ready meanwhile (Ready).
type disk struct {
	dir    string
	fullAt atomic.Int64 // unix nanoseconds of the last write that found it full
}

const (
	// minFree is the free space below which the disk counts as full even
	// before a write fails.
	minFree = 1 << 20
	// fullFor is how long a write that failed for a full disk keeps the
	// store not ready: writes that change nothing still commit meanwhile.
	fullFor = 10 * time.Second
)

const diskFullMessage = "the disk holding the database is full; free space on it (hookd writes again by itself)"

func newDisk(path string) *disk { return &disk{dir: filepath.Dir(path)} }

// isFull reports a write refused for lack of space.
func isFull(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL || errors.Is(err, syscall.ENOSPC)
}

// check notes a full disk in err and makes it EUNAVAILABLE; other errors
// pass as they are.
func (d *disk) check(err error) error {
	if err == nil || !isFull(err) {
		return err
	}
	d.fullAt.Store(time.Now().UnixNano())
	if hookd.ErrorCode(err) == hookd.EUNAVAILABLE {
		return err // already said
	}
	return hookd.Unavailable(err, diskFullMessage)
}

// ready reports a full disk: little free space, or a write refused lately.
func (d *disk) ready() error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(d.dir, &st); err == nil {
		if free := st.Bavail * uint64(st.Bsize); free < minFree {
			return hookd.Errorf(hookd.EUNAVAILABLE, "the disk holding the database is full: %d bytes free in %s", free, d.dir)
		}
	}
	if at := d.fullAt.Load(); at != 0 && time.Since(time.Unix(0, at)) < fullFor {
		return hookd.Errorf(hookd.EUNAVAILABLE, "the disk holding the database was full at the last write (%s)", d.dir)
	}
	return nil
}

// writer is the writer connection's pool: the direct writes on it report a
// full disk as the committer's writes do.
type writer struct {
	*sql.DB
	disk *disk
}

func (w *writer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := w.DB.ExecContext(ctx, query, args...)
	return res, w.disk.check(err)
}

// Ready checks that the database answers and its disk is not full.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.Ping(ctx); err != nil {
		return err
	}
	return db.disk.ready()
}
