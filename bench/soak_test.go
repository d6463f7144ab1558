package bench

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// TestSoakPurgesBetweenRounds: two rounds on one server and SQLite file,
// each delivered in full, with the database measured after retention has
// purged the round's history.
func TestSoakPurgesBetweenRounds(t *testing.T) {
	const retention = time.Second
	srv, store := startHookdRetaining(t, retention)
	srv.Throwaway = true // keep the tenants, to look at what is left of them
	cfg := small(Soak)
	cfg.Rounds, cfg.Retention = 2, retention
	results, err := Run(t.Context(), cfg, same(srv))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	checkClean(t, r, 1200)
	if len(r.Rounds) != 2 {
		t.Fatalf("%d rounds, want 2", len(r.Rounds))
	}
	for _, rd := range r.Rounds {
		if rd.Deliveries != 600 || rd.Lost != 0 || rd.Duplicates != 0 || rd.BadSignatures != 0 || len(rd.Notes) > 0 {
			t.Errorf("round %d: %d deliveries, %d lost, %d duplicates, %d bad; notes %q", rd.Round, rd.Deliveries, rd.Lost, rd.Duplicates, rd.BadSignatures, rd.Notes)
		}
		if rd.DeliveriesPerSecond <= 0 || rd.CeilingRatio <= 0 || rd.CPUPer1000 <= 0 {
			t.Errorf("round %d: %v deliveries/s, ratio %v, CPU %v s/1k; want all positive", rd.Round, rd.DeliveriesPerSecond, rd.CeilingRatio, rd.CPUPer1000)
		}
		// The bench waited past the retention for the purge.
		if rd.PurgeWaitSeconds < retention.Seconds() {
			t.Errorf("round %d: waited %vs for the purge, less than the %s retention", rd.Round, rd.PurgeWaitSeconds, retention)
		}
		d := rd.Size
		if d == nil {
			t.Fatalf("round %d: no size", rd.Round)
		}
		deliveries := d.Table("deliveries")
		if deliveries.TableBytes <= 0 || deliveries.IndexBytes <= 0 || d.FileBytes <= 0 || d.TableBytes < deliveries.TableBytes || d.IndexBytes < deliveries.IndexBytes {
			t.Errorf("round %d: sizes %+v", rd.Round, d)
		}
		// 300 events of 450 bytes were stored; the purge gave their pages back.
		if events := d.Table("events"); events.TableBytes > 300*450/4 || d.FreeBytes <= 0 {
			t.Errorf("round %d: events take %d bytes after the purge, %d bytes free in the file; want the events gone", rd.Round, events.TableBytes, d.FreeBytes)
		}
		if d.Table("no such table").TableBytes != 0 {
			t.Error("a table that does not exist has a size")
		}
	}
	// When the last size was taken, retention had purged every delivery.
	tenants, err := store.Tenants(t.Context(), hookd.TenantFilter{}, hookd.Page{Limit: 100})
	if err != nil || len(tenants) == 0 {
		t.Fatalf("tenants: %v, %v", tenants, err)
	}
	for _, tn := range tenants {
		left, err := store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: tn.ID}, hookd.Page{Limit: 10})
		if err != nil || len(left) != 0 {
			t.Errorf("after the soak, tenant %s has %d deliveries left (%v); want all purged", tn.ID, len(left), err)
		}
	}
	if r.SoakRatio <= 0 || r.SoakRatio != round(r.Rounds[1].DeliveriesPerSecond/r.Rounds[0].DeliveriesPerSecond, 3) {
		t.Errorf("soak ratio %v for rounds at %v and %v/s", r.SoakRatio, r.Rounds[0].DeliveriesPerSecond, r.Rounds[1].DeliveriesPerSecond)
	}
	if r.DatabaseCPUPer1000 == nil || *r.DatabaseCPUPer1000 != 0 {
		t.Errorf("SQLite's database CPU is %v, want 0 (it is in the server)", r.DatabaseCPUPer1000)
	}
	if r.RetentionSeconds != 1 {
		t.Errorf("retention_seconds %v, want 1", r.RetentionSeconds)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, results); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"soak ratio", "purge wait s", "deliveries MiB", "CPU s/1k deliveries: server"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

// TestDatabaseSecondsCountsEndedProcesses: a backend that ends during the
// phase is counted once, through its parent's children times; one that
// starts during it counts in full.
func TestDatabaseSecondsCountsEndedProcesses(t *testing.T) {
	s := func(cpu, children time.Duration) procStats {
		return procStats{comm: "postgres", cpu: cpu, children: children}
	}
	start := sample{database: map[int]procStats{
		1: s(1*time.Second, 5*time.Second), // the postmaster
		2: s(2*time.Second, 0),             // a backend that ends during the phase, after 0.5 s more
		3: s(3*time.Second, 0),             // a backend of the database that works 0.25 s
		5: s(time.Second, 0),               // another database's backend that works 0.125 s
		6: s(time.Second, 0),               // the WAL writer, which works 0.0625 s
	}, backends: map[int]bool{3: true, 5: false}}
	end := sample{database: map[int]procStats{
		1: s(1*time.Second, 5*time.Second+2500*time.Millisecond),
		3: s(3250*time.Millisecond, 0),
		4: s(100*time.Millisecond, 0), // began during the phase
		5: s(1125*time.Millisecond, 0),
		6: s(1062500*time.Microsecond, 0),
	}, backends: map[int]bool{3: true, 4: true, 5: false}}
	all, backends, others := databaseSeconds(start, end)
	if want := 0.5 + 0.25 + 0.1 + 0.125 + 0.0625; abs(all-want) > 1e-9 {
		t.Errorf("all processes: %v s, want %v", all, want)
	}
	if want := 0.25 + 0.1; abs(backends-want) > 1e-9 {
		t.Errorf("this database's backends: %v s, want %v", backends, want)
	}
	if abs(others-0.125) > 1e-9 {
		t.Errorf("other databases' backends: %v s, want 0.125", others)
	}
}

func abs(v float64) float64 { return max(v, -v) }

// TestProcessReadings: the readings /proc gives for this process and the
// machine.
func TestProcessReadings(t *testing.T) {
	self, err := readProc(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	all, _ := processes(self.comm, "")
	if _, ok := all[os.Getpid()]; !ok {
		t.Errorf("processes(%q) does not find this process", self.comm)
	}
	before, ok := machineBusy()
	if !ok || before <= 0 {
		t.Fatalf("machine busy time %v, %v", before, ok)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	if after, _ := machineBusy(); after < before+10*time.Millisecond {
		t.Errorf("the machine's busy time went from %v to %v across 50 ms of this test spinning", before, after)
	}
	for title, want := range map[string]string{
		"postgres: 15/main: postgres hookd_x 127.0.0.1(38668) SELECT": "hookd_x",
		"postgres: hookd other [local] idle":                          "other",
		"postgres: 15/main: checkpointer ":                            "",
		"postgres: 15/main: logical replication launcher ":            "",
		"/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql":  "",
	} {
		if db, ok := backendOf(title, "postgres"); db != want || ok != (want != "") {
			t.Errorf("backendOf(%q) = %q, %v; want %q", title, db, ok, want)
		}
	}
	if got := databaseName("postgres://u@h:5432/hookd_x?sslmode=disable"); got != "hookd_x" {
		t.Errorf("databaseName = %q", got)
	}
}
