package postgres

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd/internal/ids"
)

// TestPurgeReadsOnlyWhatItRemoves runs the purge's statements under EXPLAIN
// ANALYZE on a history retention must keep (3,000 delivered deliveries, the
// events of 1,000 of them past the cutoff) and counts the rows each reads
// of deliveries: at most one per event past the cutoff, none per kept
// delivery, and no join that compares rows pairwise. It does so under the
// statistics of a table analyzed while it held only dead rows (an analyze
// after a purge, before vacuum: the planner then took deliveries for empty
// and compared every event with every delivery) and under fresh ones, with
// both the custom and the generic plans pgx's prepared statements get.
func TestPurgeReadsOnlyWhatItRemoves(t *testing.T) {
	_, conn := newSchemaDB(t)
	const kept, pastCutoff = 3000, 1000
	now := time.Now().UTC()
	cutoff := now.Add(-10 * time.Minute)
	emptiedHistory(t, conn, now, kept, pastCutoff)

	statements := map[string]struct {
		sql  string
		args []any
	}{
		"deliveries": {qPurgeDeliveries, []any{cutoff, ids.Floor(ids.Delivery, cutoff), 1000}},
		"events":     {qPurgeEvents, []any{cutoff, 1000}},
		"waiting":    {failDeletedWaitingStatement(qDeletedEndpointsWaiting), []any{now, "deleted"}},
		"endpoints":  {qPurgeEndpoints, []any{cutoff, 1000}},
	}
	for _, stats := range []string{"dead", "fresh"} {
		if stats == "fresh" {
			mustExec(t, conn, `ANALYZE deliveries, events, endpoints`)
		}
		for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
			mustExec(t, conn, "SET plan_cache_mode = "+mode)
			for name, st := range statements {
				explained := explainAnalyze(t, conn, st.sql, st.args)
				if jit, ok := explained["JIT"]; ok {
					t.Errorf("%s statistics, %s: the purge of %s was compiled (JIT %v): a tick then takes 0.3-0.5 s", stats, mode, name, jit)
				}
				plan := explained["Plan"].(map[string]any)
				read, pairwise := rowsRead(plan, "deliveries")
				limit := 0
				if name == "events" {
					limit = pastCutoff
				}
				if read > limit || pairwise > 0 {
					out, _ := json.MarshalIndent(plan, "", "  ")
					t.Errorf("%s statistics, %s: the purge of %s read %d rows of deliveries (at most %d) and compared %d pairs in a join:\n%s",
						stats, mode, name, read, limit, pairwise, out)
				}
			}
		}
	}
}

// emptiedHistory makes a tenant with an endpoint and a deleted one, and
// kept delivered deliveries, the events of the first pastCutoff of them an
// hour old, after statistics were taken while deliveries and events held
// only dead rows (an analyze after a purge emptied them, before vacuum).
func emptiedHistory(t *testing.T, conn *pgx.Conn, now time.Time, kept, pastCutoff int) {
	t.Helper()
	fill := func(prefix string) {
		mustExec(t, conn, `INSERT INTO events (tenant_id, id, type, payload, idempotency_key, request_hash, deliveries, created_at)
			SELECT 'ten_a', $1 || 'evt_' || lpad(i::text, 6, '0'), 't', '\x00', $1 || i, 'h', 1,
				CASE WHEN i <= $3 THEN $2::timestamptz - interval '1 hour' ELSE $2::timestamptz END
			FROM generate_series(1, $4) i`, prefix, now, pastCutoff, kept)
		mustExec(t, conn, `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, created_at, updated_at, finished_at)
			SELECT $1 || 'dlv_' || lpad(i::text, 6, '0'), 'ten_a', $1 || 'evt_' || lpad(i::text, 6, '0'), 'ep_a', 't', 'delivered', $2, $2, $2
			FROM generate_series(1, $3) i`, prefix, now, kept)
	}
	mustExec(t, conn, `INSERT INTO tenants VALUES ('ten_a', 'a', now(), now())`)
	mustExec(t, conn, `INSERT INTO endpoints (id, tenant_id, name, url, event_types, enabled, max_in_flight, failures_since, created_at, updated_at, deleted_at)
		VALUES ('ep_a', 'ten_a', 'a', 'http://a', '{}', true, 10, now(), now(), now(), NULL),
		       ('ep_b', 'ten_a', 'b', 'http://b', '{}', true, 10, now(), now(), now(), now() - interval '1 day')`)
	fill("old_")
	mustExec(t, conn, `DELETE FROM deliveries`)
	mustExec(t, conn, `DELETE FROM events`)
	mustExec(t, conn, `ANALYZE deliveries, events, endpoints`)
	fill("")
}

// mustExec runs sql on conn, failing the test if it fails.
func mustExec(t *testing.T, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// explainAnalyze runs sql with args under EXPLAIN ANALYZE in a purge's
// transaction (purgeTx) it rolls back, as a prepared statement (so
// plan_cache_mode applies), and returns what EXPLAIN says of it.
func explainAnalyze(t *testing.T, conn *pgx.Conn, sql string, args []any) map[string]any {
	t.Helper()
	tx, err := conn.BeginTx(t.Context(), purgeTx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(t.Context())
	if _, err := tx.Exec(t.Context(), "PREPARE purge_step AS "+sql); err != nil {
		t.Fatalf("prepare %s: %v", sql, err)
	}
	defer conn.Exec(t.Context(), "DEALLOCATE purge_step") // prepared statements outlive transactions
	literals := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			literals[i] = "'" + v.Format(time.RFC3339Nano) + "'"
		case string:
			literals[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		default:
			literals[i] = fmt.Sprint(v)
		}
	}
	var out []map[string]any
	err = tx.QueryRow(t.Context(), "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE purge_step("+strings.Join(literals, ", ")+")",
		pgx.QueryExecModeSimpleProtocol).Scan(&out)
	if err != nil {
		t.Fatalf("explain %s: %v", sql, err)
	}
	return out[0]
}

// rowsRead sums, over the plan's nodes that scan relation, the rows they
// returned and the rows their filters removed; and over every node, the
// rows removed by join filters (a join comparing rows pairwise).
func rowsRead(node map[string]any, relation string) (read, pairwise int) {
	num := func(key string) int {
		f, _ := node[key].(float64)
		return int(f)
	}
	if node["Relation Name"] == relation {
		read += (num("Actual Rows") + num("Rows Removed by Filter")) * max(num("Actual Loops"), 1)
	}
	pairwise += num("Rows Removed by Join Filter")
	children, _ := node["Plans"].([]any)
	for _, c := range children {
		r, p := rowsRead(c.(map[string]any), relation)
		read, pairwise = read+r, pairwise+p
	}
	return read, pairwise
}
