package postgres

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/internal/secretbox"
)

// TestEventLookupsKeepTheirIndexes: on a new database, whose tables have no
// statistics yet, the generic plans of the publish's point lookups (pgx
// prepares them once per connection and PostgreSQL keeps a generic plan
// for the connection's lifetime) use the index that matches every
// condition. The lookup by id once tied with the idempotency key's index,
// scanned by tenant alone: each publish then read the tenant's history.
func TestEventLookupsKeepTheirIndexes(t *testing.T) {
	_, conn := newSchemaDB(t)
	if _, err := conn.Exec(t.Context(), "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ query, want string }{
		"by_id":  {qEventByID, "Index Cond: ((tenant_id = $1) AND (id = $2))"},
		"by_key": {qEventByKey, "Index Cond: ((tenant_id = $1) AND (idempotency_key = $2))"},
	} {
		if _, err := conn.Exec(t.Context(), "PREPARE "+name+" AS "+c.query); err != nil {
			t.Fatal(err)
		}
		var plan []string
		rows, err := conn.Query(t.Context(), "EXPLAIN EXECUTE "+name+"('t', 'x')", pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(plan, "\n"); !strings.Contains(got, c.want) || strings.Contains(got, "Filter") {
			t.Errorf("generic plan of the lookup %s:\n%s\nwant an index scan on %s, no filter", name, got, c.want)
		}
	}
}

// newSchemaDB opens a new database that hookd's migrations have made, and
// a connection of its own to it, for tests that read the planner's choices.
func newSchemaDB(t *testing.T) (*DB, *pgx.Conn) {
	t.Helper()
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	box, err := secretbox.New(make([]byte, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(t.Context(), dbURL, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return db, conn
}
