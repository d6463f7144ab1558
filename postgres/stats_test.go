package postgres

import (
	"testing"
	"time"
)

// TestPurgeRefreshesEmptiedStatistics: after statistics were taken while a
// purge had emptied deliveries and events, and rows arrived since, the next
// purge analyzes those two tables once (not attempts, which holds too few
// rows for its statistics to matter, and not again on the tick after).
func TestPurgeRefreshesEmptiedStatistics(t *testing.T) {
	db, conn := newSchemaDB(t)
	const kept = 3000
	now := time.Now().UTC()
	emptiedHistory(t, conn, now, kept, 0)
	// The inserts reach pg_stat_user_tables when their backend next goes
	// idle after this, at most a second late otherwise.
	if _, err := conn.Exec(t.Context(), "SELECT pg_stat_force_next_flush()"); err != nil {
		t.Fatal(err)
	}
	analyzes := func() map[string]int64 {
		t.Helper()
		rows, err := conn.Query(t.Context(), `SELECT relname, analyze_count + autoanalyze_count, n_live_tup
			FROM pg_stat_user_tables WHERE relname IN ('deliveries', 'events', 'attempts')`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var name string
			var n, live int64
			if err := rows.Scan(&name, &n, &live); err != nil {
				t.Fatal(err)
			}
			out[name], out[name+" live"] = n, live
		}
		return out
	}
	before := analyzes()
	for deadline := time.Now().Add(5 * time.Second); before["deliveries live"] < kept && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		before = analyzes()
	}
	if before["deliveries live"] < kept || before["events live"] < kept {
		t.Fatalf("the statistics collector counts %v live rows, want %d", before, kept)
	}
	for range 2 {
		if _, err := db.Purge(t.Context(), now.Add(-time.Hour), 500); err != nil {
			t.Fatal(err)
		}
	}
	after := analyzes()
	for table, want := range map[string]int64{"deliveries": 1, "events": 1, "attempts": 0} {
		if got := after[table] - before[table]; got != want {
			t.Errorf("%s analyzed %d times by two purges, want %d", table, got, want)
		}
	}
	var estimate float64
	if err := conn.QueryRow(t.Context(), `SELECT reltuples FROM pg_class WHERE relname = 'deliveries'`).Scan(&estimate); err != nil {
		t.Fatal(err)
	}
	if estimate < kept/2 {
		t.Errorf("the planner's row count of deliveries is %v after the purges, want about %d", estimate, kept)
	}
}
