package bench

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the dbstat virtual table reads a SQLite file's size by table
)

// DatabaseSize is how much room a database takes, tables and indexes apart.
type DatabaseSize struct {
	TableBytes int64 `json:"table_bytes"` // every table's own pages (PostgreSQL: with TOAST, free space and visibility maps)
	IndexBytes int64 `json:"index_bytes"` // every index's
	// SQLite: the file, its write-ahead log, and the file's pages on the
	// freelist (part of the file, in no table).
	FileBytes int64 `json:"file_bytes,omitempty"`
	WALBytes  int64 `json:"wal_bytes,omitempty"`
	FreeBytes int64 `json:"free_bytes,omitempty"`
	// Tables are every table with its indexes, largest first.
	Tables []TableSize `json:"tables"`
}

// TableSize is one table and its indexes (a partitioned PostgreSQL table:
// all its partitions).
type TableSize struct {
	Name       string `json:"name"`
	TableBytes int64  `json:"table_bytes"`
	IndexBytes int64  `json:"index_bytes"`
	// PostgreSQL's statistics (pg_stat_user_tables): live and dead rows, as
	// of its last count.
	LiveRows   int64 `json:"live_rows,omitempty"`
	DeadRows   int64 `json:"dead_rows,omitempty"`
	Partitions int   `json:"partitions,omitempty"`
}

// Table returns the named table's figures, or zero ones.
func (d *DatabaseSize) Table(name string) TableSize {
	for _, t := range d.Tables {
		if t.Name == name {
			return t
		}
	}
	return TableSize{Name: name}
}

// databaseSize measures the SQLite file or PostgreSQL database db.
func databaseSize(ctx context.Context, db string) (*DatabaseSize, error) {
	if IsPostgresURL(db) {
		return postgresSize(ctx, db)
	}
	return sqliteSize(ctx, db)
}

// sqliteSize reads a SQLite file's size by table and index from the dbstat
// virtual table, on a read-only connection beside the server's.
func sqliteSize(ctx context.Context, path string) (*DatabaseSize, error) {
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var pageSize, freePages int64
	if err := conn.QueryRowContext(ctx, `SELECT page_size, freelist_count FROM pragma_page_size(), pragma_freelist_count()`).Scan(&pageSize, &freePages); err != nil {
		return nil, fmt.Errorf("sqlite size: %w", err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT COALESCE(m.tbl_name, s.name), COALESCE(m.type, 'table'), SUM(s.pgsize)
		FROM dbstat s LEFT JOIN sqlite_schema m ON m.name = s.name GROUP BY s.name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite size (dbstat): %w", err)
	}
	defer rows.Close()
	byTable := map[string]*TableSize{}
	for rows.Next() {
		var table, kind string
		var bytes int64
		if err := rows.Scan(&table, &kind, &bytes); err != nil {
			return nil, err
		}
		t := byTable[table]
		if t == nil {
			t = &TableSize{Name: table}
			byTable[table] = t
		}
		if kind == "index" {
			t.IndexBytes += bytes
		} else {
			t.TableBytes += bytes
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	d := &DatabaseSize{FreeBytes: freePages * pageSize}
	if st, err := os.Stat(path); err == nil {
		d.FileBytes = st.Size()
	}
	if st, err := os.Stat(path + "-wal"); err == nil {
		d.WALBytes = st.Size()
	}
	for _, t := range byTable {
		d.add(*t)
	}
	d.sort()
	return d, nil
}

// postgresSize reads the size of every table of the database's current
// schema and of its indexes, partitions counted under their root table.
func postgresSize(ctx context.Context, url string) (*DatabaseSize, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgres size: %w", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT COALESCE(root.relname, c.relname), c.relname <> COALESCE(root.relname, c.relname),
			pg_total_relation_size(c.oid) - pg_indexes_size(c.oid), pg_indexes_size(c.oid),
			COALESCE(st.n_live_tup, 0), COALESCE(st.n_dead_tup, 0)
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_class root ON root.oid = pg_partition_root(c.oid)
		LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
		WHERE c.relkind = 'r' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("postgres size: %w", err)
	}
	defer rows.Close()
	byTable := map[string]*TableSize{}
	for rows.Next() {
		var name string
		var partition bool
		var t TableSize
		if err := rows.Scan(&name, &partition, &t.TableBytes, &t.IndexBytes, &t.LiveRows, &t.DeadRows); err != nil {
			return nil, fmt.Errorf("postgres size: %w", err)
		}
		sum := byTable[name]
		if sum == nil {
			sum = &TableSize{Name: name}
			byTable[name] = sum
		}
		sum.TableBytes += t.TableBytes
		sum.IndexBytes += t.IndexBytes
		sum.LiveRows += t.LiveRows
		sum.DeadRows += t.DeadRows
		if partition {
			sum.Partitions++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres size: %w", err)
	}
	d := &DatabaseSize{}
	for _, t := range byTable {
		d.add(*t)
	}
	d.sort()
	return d, nil
}

func (d *DatabaseSize) add(t TableSize) {
	d.Tables = append(d.Tables, t)
	d.TableBytes += t.TableBytes
	d.IndexBytes += t.IndexBytes
}

func (d *DatabaseSize) sort() {
	slices.SortFunc(d.Tables, func(a, b TableSize) int {
		return cmp.Or(cmp.Compare(b.TableBytes+b.IndexBytes, a.TableBytes+a.IndexBytes), cmp.Compare(a.Name, b.Name))
	})
}
