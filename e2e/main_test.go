package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hookdBin is the binary built once for the whole package by TestMain,
// from the module at moduleDir.
var hookdBin, moduleDir string

// The build information TestMain stamps into the binary.
const (
	e2eVersion = "v0.0.0-e2e"
	e2eCommit  = "e2e0123abc"
	e2eDate    = "2026-12-02T10:00:00Z"
	stampFlags = "-X github.com/hookd/hookd/internal/buildinfo.version=" + e2eVersion +
		" -X github.com/hookd/hookd/internal/buildinfo.commit=" + e2eCommit +
		" -X github.com/hookd/hookd/internal/buildinfo.date=" + e2eDate
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hookd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	hookdBin = filepath.Join(dir, "hookd")
	moduleDir = root
	// Stamped as a release build is, so tests see the stamp arrive
	// (hookd --version, the delivery User-Agent).
	build := exec.Command("go", "build", "-ldflags", stampFlags, "-o", hookdBin, "./cmd/hookd")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/hookd: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(bytes.TrimSpace(out)))
	if gomod == "" || gomod == os.DevNull {
		return filepath.Abs("..")
	}
	return filepath.Dir(gomod), nil
}

// TestSourcesAreTracked stats every source file the binary is built from.
// The go command caches test results keyed on the files a test reads (from
// m.Run on); this package imports none of the product, so without this a
// changed product would replay a stale pass.
func TestSourcesAreTracked(t *testing.T) {
	err := filepath.WalkDir(moduleDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "e2e") {
			return filepath.SkipDir
		}
		switch filepath.Ext(path) {
		case ".go", ".sql", ".json", ".mod", ".sum", ".html", ".css", ".js":
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
