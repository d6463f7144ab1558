// Package deploy holds the tests of hookd's packaging: the release script,
// the image's build, the systemd unit and the Helm chart in deploy/.
package deploy

import (
	"bufio"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// root is the module's root directory, where the scripts run.
const root = ".."

var trackOnce sync.Once

// trackSources stats every file of the module, so the go command's test
// cache sees them: the tests build and run them in child processes, whose
// reads it does not track (and it tracks the test's own from m.Run on, so
// this runs in each test, once).
func trackSources(t *testing.T) {
	t.Helper()
	var err error
	trackOnce.Do(func() {
		err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == ".git" {
				return filepath.SkipDir
			}
			_, err = os.Stat(path)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestReleaseBinaries(t *testing.T) {
	trackSources(t)
	dist := t.TempDir()
	cmd := exec.Command("scripts/release", "v0.0.0-release-test")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "DIST="+dist)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/release: %v\n%s", err, out)
	}
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"hookd-v0.0.0-release-test-linux-amd64":  {"linux", "amd64"},
		"hookd-v0.0.0-release-test-linux-arm64":  {"linux", "arm64"},
		"hookd-v0.0.0-release-test-darwin-arm64": {"darwin", "arm64"},
	}
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != len(want) {
		t.Fatalf("SHA256SUMS has %d lines, want %d:\n%s", len(lines), len(want), sums)
	}
	for _, line := range lines {
		sum, name, ok := strings.Cut(line, "  ")
		target, known := want[name]
		if !ok || !known {
			t.Fatalf("SHA256SUMS line %q: not a sha256sum line of a release binary", line)
		}
		path := filepath.Join(dist, name)
		if got := fileSHA256(t, path); got != sum {
			t.Errorf("%s: SHA256SUMS says %s, the file's is %s", name, sum, got)
		}
		bi, err := buildinfo.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if settings["GOOS"] != target[0] || settings["GOARCH"] != target[1] ||
			settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
			t.Errorf("%s built with %v, want GOOS=%s GOARCH=%s CGO_ENABLED=0 -trimpath", name, settings, target[0], target[1])
		}
	}
	linux := filepath.Join(dist, "hookd-v0.0.0-release-test-linux-amd64")
	assertStatic(t, linux)
	if out, err := exec.Command(linux, "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "hookd v0.0.0-release-test\n") {
		t.Errorf("the linux/amd64 release binary's hookd version: %v\n%s", err, out)
	}
}

// TestBuildStamps builds a program printing internal/buildinfo with
// scripts/build: what it stamps is what buildinfo.Get reports.
func TestBuildStamps(t *testing.T) {
	trackSources(t)
	bin := filepath.Join(t.TempDir(), "stamp")
	cmd := exec.Command("scripts/build", bin, "./deploy/testdata/stamp")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "VERSION=v9.8.7", "COMMIT=0123abc", "DATE=2026-12-02T10:00:00Z")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), "v9.8.7 0123abc 2026-12-02T10:00:00Z"; got != want {
		t.Errorf("buildinfo of a scripts/build binary = %q, want %q", got, want)
	}
}

// TestImageBinary builds hookd as the Dockerfile does and checks that the
// binary is static, so it runs on distroless/static, and that it starts and
// passes the image's HEALTHCHECK.
func TestImageBinary(t *testing.T) {
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^RUN .*\\\n\s+scripts/build /out/hookd`).Match(dockerfile) {
		t.Fatal("the Dockerfile no longer builds with scripts/build: this test would not test its binary")
	}
	health := regexp.MustCompile(`(?m)^HEALTHCHECK .* CMD \["/usr/local/bin/hookd", "healthcheck"\]$`)
	if !health.Match(dockerfile) {
		t.Fatal("the Dockerfile's HEALTHCHECK is not hookd healthcheck")
	}

	bin := buildHookd(t)
	dir := filepath.Dir(bin)
	assertStatic(t, bin)

	// As in the image: the database under /data, HOOKD_ADDR for serve and healthcheck.
	env := append(os.Environ(), "HOOKD_DATABASE="+filepath.Join(dir, "data", "hookd.db"))
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	addr := startServe(t, bin, env)
	if code := exitCode(t, bin, append(env, "HOOKD_ADDR="+addr), "healthcheck"); code != 0 {
		t.Errorf("hookd healthcheck against the running node: exit %d, want 0", code)
	}
	if status := get(t, "http://"+addr+"/healthz"); status != http.StatusOK {
		t.Errorf("GET /healthz: %d", status)
	}
	for _, f := range []string{"hookd.db", "hookd.db.key"} {
		if _, err := os.Stat(filepath.Join(dir, "data", f)); err != nil {
			t.Errorf("the data directory lacks %s: %v", f, err)
		}
	}
}

// buildHookd builds hookd with scripts/build, as the image does, into a
// temporary directory.
func buildHookd(t *testing.T) string {
	t.Helper()
	trackSources(t)
	bin := filepath.Join(t.TempDir(), "hookd")
	cmd := exec.Command("scripts/build", bin)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build: %v\n%s", err, out)
	}
	return bin
}

// startServe starts hookd (serve, or the command args name) on a free
// loopback port and returns its address once it has started; the node is
// stopped when the test ends.
func startServe(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	if len(args) == 0 {
		args = []string{"serve"}
	}
	cmd := exec.Command(bin, append(args, "--addr", "127.0.0.1:0")...)
	cmd.Env = append(env, "HOOKD_LOG_FORMAT=text") // the line read below
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	started := regexp.MustCompile(`msg="hookd started" addr=(\S+)`)
	addrs := make(chan string, 1)
	go func() {
		scan := bufio.NewScanner(stderr)
		for scan.Scan() {
			if m := started.FindStringSubmatch(scan.Text()); m != nil {
				addrs <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case addr := <-addrs:
		return addr
	case <-time.After(time.Minute):
		t.Fatalf("hookd %v did not log that it started", args)
		return ""
	}
}

// get returns the status of a GET of url.
func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func exitCode(t *testing.T, bin string, env []string, args ...string) int {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		t.Logf("%s %v: %s", bin, args, out)
		return exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// assertStatic fails unless the ELF file asks for no dynamic loader and
// links no shared library.
func assertStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a %s program header: not a static binary", filepath.Base(path), p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s links %v", filepath.Base(path), libs)
	}
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
