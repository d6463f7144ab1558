package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookd/hookd/internal/pgtest"
)

// TestBenchSpawnsServer runs `hookd bench` as users do: it starts its own
// `hookd serve` (this binary), and prints the figures as JSON.
func TestBenchSpawnsServer(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "cpu.pprof")
	cmd := exec.Command(hookdBin, "bench", "--scenario", "throughput", "--events", "200", "--fanout", "2",
		"--ceiling-requests", "200", "--json", "--quiet", "--cpuprofile", profile, "--profile-seconds", "1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hookd bench: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	var r map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, stdout.String())
	}
	for _, key := range []string{"deliveries_per_second", "ceiling_per_second", "ceiling_ratio", "p50_ms", "p99_ms", "peak_rss_mib", "cpu_seconds_per_1000_deliveries"} {
		if v, ok := r[key].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", key, r[key])
		}
	}
	for _, key := range []string{"lost", "duplicates", "bad_signatures"} {
		if v, ok := r[key].(float64); !ok || v != 0 {
			t.Errorf("%s = %v, want 0", key, r[key])
		}
	}
	if r["deliveries"] != float64(400) {
		t.Errorf("deliveries = %v, want 400", r["deliveries"])
	}
	if st, err := os.Stat(profile); err != nil || st.Size() == 0 {
		t.Errorf("no CPU profile written: %v", err)
	}
}

func TestBenchRefusesBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--scenario", "nope"},
		{"bench", "--events", "100000000"},
		{"bench", "--sink-addr", "0.0.0.0:0"},
		{"bench", "--server", "http://127.0.0.1:1"},
		{"bench", "--rounds", "0", "--scenario", "soak"},
		{"bench", "--retention", "-1s", "--scenario", "soak"},
		{"bench", "--nodes", "2"},
		{"bench", "--nodes", "0"},
		{"bench", "--server-binary", "/nonexistent/hookd"},
		{"bench", "--server-binary", "/etc/passwd"},
		{"bench", "--scenario", "soak", "--server", "http://127.0.0.1:1", "--key", "hk_0123456789abcdef"},
	} {
		code, out := run(t, "", args...)
		if code != exitBadInput {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitBadInput, out)
		}
	}
}

// benchJSON runs `hookd bench --json --quiet` with args and returns its
// results.
func benchJSON(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	cmd := exec.Command(hookdBin, append([]string{"bench", "--json", "--quiet"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hookd bench %v: %v\nstdout: %s\nstderr: %s", args, err, stdout.String(), stderr.String())
	}
	var out []map[string]any
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("output is not JSON objects: %v\n%s", err, stdout.String())
		}
		out = append(out, r)
	}
	return out
}

// soakArgs is a tiny soak: 2 rounds of 300 events to 2 endpoints.
var soakArgs = []string{"--scenario", "soak", "--rounds", "2", "--events", "300", "--fanout", "2", "--batch", "10",
	"--publishers", "4", "--ceiling-requests", "300", "--retention", "1s"}

// checkSoak checks a soak's result: every round delivered in full, measured
// after the purge, with the database's size.
func checkSoak(t *testing.T, r map[string]any) {
	t.Helper()
	if r["scenario"] != "soak" || r["lost"] != float64(0) || r["duplicates"] != float64(0) || r["deliveries"] != float64(1200) {
		t.Errorf("soak: scenario %v, %v deliveries, %v lost, %v duplicates; want soak, 1200, 0, 0", r["scenario"], r["deliveries"], r["lost"], r["duplicates"])
	}
	if v, ok := r["soak_ratio"].(float64); !ok || v <= 0 {
		t.Errorf("soak_ratio = %v", r["soak_ratio"])
	}
	rounds, _ := r["rounds"].([]any)
	if len(rounds) != 2 {
		t.Fatalf("%d rounds, want 2: %v", len(rounds), r)
	}
	for i, x := range rounds {
		rd := x.(map[string]any)
		if rd["round"] != float64(i+1) || rd["deliveries"] != float64(600) || rd["lost"] != float64(0) {
			t.Errorf("round %d: %v", i+1, rd)
		}
		for _, key := range []string{"deliveries_per_second", "ceiling_ratio", "cpu_seconds_per_1000_deliveries", "machine_cpu_seconds_per_1000_deliveries"} {
			if v, ok := rd[key].(float64); !ok || v <= 0 {
				t.Errorf("round %d: %s = %v, want a positive number", i+1, key, rd[key])
			}
		}
		if v, _ := rd["purge_wait_seconds"].(float64); v < 1 {
			t.Errorf("round %d: waited %vs for the purge, less than the 1s retention", i+1, v)
		}
		size, _ := rd["size"].(map[string]any)
		if v, _ := size["table_bytes"].(float64); v <= 0 {
			t.Fatalf("round %d: size %v", i+1, rd["size"])
		}
		if v, _ := size["index_bytes"].(float64); v <= 0 {
			t.Errorf("round %d: index_bytes %v", i+1, size["index_bytes"])
		}
		names := map[string]bool{}
		for _, tb := range size["tables"].([]any) {
			names[tb.(map[string]any)["name"].(string)] = true
		}
		for _, want := range []string{"deliveries", "attempts", "events"} {
			if !names[want] {
				t.Errorf("round %d: no size for table %s: %v", i+1, want, size["tables"])
			}
		}
	}
}

func TestBenchSoakSQLite(t *testing.T) {
	results := benchJSON(t, soakArgs...)
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	checkSoak(t, r)
	if r["database_cpu_seconds_per_1000_deliveries"] != float64(0) {
		t.Errorf("SQLite's database CPU = %v, want 0 (it is in the server)", r["database_cpu_seconds_per_1000_deliveries"])
	}
	size := r["rounds"].([]any)[1].(map[string]any)["size"].(map[string]any)
	if v, _ := size["file_bytes"].(float64); v <= 0 {
		t.Errorf("SQLite file_bytes = %v", size["file_bytes"])
	}
}

// TestBenchPostgres: the soak and two nodes on one fresh PostgreSQL
// database each; the database's CPU is counted.
func TestBenchPostgres(t *testing.T) {
	r := benchJSON(t, append(soakArgs, "--database", pgtest.Database(t, os.Getenv(pgtest.EnvVar)))...)[0]
	checkSoak(t, r)
	for _, key := range []string{"database_cpu_seconds_per_1000_deliveries", "database_backends_cpu_seconds_per_1000_deliveries"} {
		if v, _ := r[key].(float64); v <= 0 {
			t.Errorf("PostgreSQL: %s = %v, want positive", key, r[key])
		}
	}
	deliveries := r["rounds"].([]any)[0].(map[string]any)["size"].(map[string]any)["tables"].([]any)
	if len(deliveries) == 0 {
		t.Error("no table sizes")
	}

	r = benchJSON(t, "--scenario", "throughput", "--events", "300", "--batch", "10", "--fanout", "2", "--ceiling-requests", "300",
		"--nodes", "2", "--database", pgtest.Database(t, os.Getenv(pgtest.EnvVar)))[0]
	if r["nodes"] != float64(2) || r["deliveries"] != float64(600) || r["lost"] != float64(0) || r["duplicates"] != float64(0) {
		t.Errorf("2 nodes: nodes %v, %v deliveries, %v lost, %v duplicates; want 2, 600, 0, 0", r["nodes"], r["deliveries"], r["lost"], r["duplicates"])
	}
	for _, key := range []string{"cpu_seconds_per_1000_deliveries", "database_cpu_seconds_per_1000_deliveries", "server_database_cpu_seconds_per_1000_deliveries"} {
		if v, ok := r[key].(float64); !ok || v <= 0 {
			t.Errorf("2 nodes: %s = %v, want a positive number", key, r[key])
		}
	}
}

// TestBenchServerBinary: --server-binary is what the bench starts, with
// flags it accepts.
func TestBenchServerBinary(t *testing.T) {
	dir := t.TempDir()
	argsFile := filepath.Join(dir, "args")
	server := filepath.Join(dir, "old-hookd")
	script := "#!/bin/sh\necho \"$@\" > " + argsFile + "\nexec " + hookdBin + " \"$@\"\n"
	if err := os.WriteFile(server, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := benchJSON(t, "--scenario", "latency", "--rate", "200", "--duration", "1s", "--server-binary", server)[0]
	if r["server_binary"] != server || r["deliveries"] != float64(200) || r["lost"] != float64(0) {
		t.Errorf("server_binary %v, %v deliveries, %v lost; want %s, 200, 0", r["server_binary"], r["deliveries"], r["lost"], server)
	}
	args, err := os.ReadFile(argsFile)
	if err != nil || !strings.HasPrefix(string(args), "serve ") {
		t.Errorf("the bench did not start --server-binary as a server: %q, %v", args, err)
	}
	// Paced, the machine's CPU less the bench's is reported, as saturated.
	for _, key := range []string{"cpu_seconds_per_1000_deliveries", "machine_cpu_seconds_per_1000_deliveries", "machine_less_bench_cpu_seconds_per_1000_deliveries"} {
		if v, ok := r[key].(float64); !ok || v <= 0 {
			t.Errorf("latency: %s = %v, want a positive number", key, r[key])
		}
	}
}
