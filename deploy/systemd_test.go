package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit checks deploy/systemd/hookd.service with systemd's own
// tools: it verifies, and its exposure score stays at most 2.0 ("OK"; --threshold counts tenths).
func TestSystemdUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian: apt-get install systemd): the unit is not checked")
	}
	unit, err := os.ReadFile(filepath.Join("systemd", "hookd.service"))
	if err != nil {
		t.Fatal(err)
	}
	// verify wants ExecStart's binary to exist: the unit, pointed at a real build.
	bin := buildHookd(t)
	const execPath = "/usr/local/bin/hookd"
	if !strings.Contains(string(unit), "ExecStart="+execPath+" serve\n") {
		t.Fatalf("the unit no longer starts %s serve", execPath)
	}
	path := filepath.Join(t.TempDir(), "hookd.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), execPath, bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	// verify only warns of an unknown or misspelt key: any output fails.
	if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	if out, err := exec.Command(analyze, "security", "--offline=yes", "--threshold=20", path).CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze security: %v\n%s", err, out)
	}
}
