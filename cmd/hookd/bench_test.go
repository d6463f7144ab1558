package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
	} {
		code, out := run(t, "", args...)
		if code != exitBadInput {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitBadInput, out)
		}
	}
}
