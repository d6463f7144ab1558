package sqlite

import (
	"strings"
	"testing"
)

// TestPurgeReadsOnlyWhatItRemoves: SQLite's plans of the purge's
// statements reach deliveries only by searching an index (a partial one,
// or by event or endpoint per row), never by scanning the table, which
// holds the retention period's history. The paused deliveries' age once
// was read through the primary key: every delivery older than the cutoff.
func TestPurgeReadsOnlyWhatItRemoves(t *testing.T) {
	db, ctx := cacheTestDB(t)
	for name, st := range map[string]struct {
		sql  string
		args []any
		uses []string
	}{
		"deliveries": {qPurgeDeliveries, []any{1, "dlv_0", 100}, []string{"deliveries_finished", "deliveries_cancelled", "deliveries_paused_by_id"}},
		"events":     {qPurgeEvents, []any{1, 100}, []string{"deliveries_by_event"}},
		"endpoints":  {qPurgeEndpoints, []any{1, 100}, []string{"deliveries_by_endpoint"}},
	} {
		rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+st.sql, st.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(plan, "\n")
		for _, line := range plan {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "SCAN" && (f[1] == "deliveries" || f[1] == "d") {
				t.Errorf("the purge of %s scans deliveries:\n%s", name, got)
			}
		}
		for _, index := range st.uses {
			if !strings.Contains(got, "INDEX "+index+" ") {
				t.Errorf("the purge of %s does not search %s:\n%s", name, index, got)
			}
		}
	}
}
