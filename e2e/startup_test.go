package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var printedKey = regexp.MustCompile(`\bhk_[A-Za-z0-9_-]{20,}`)

func TestFirstStartPrintsAdminKeyOnce(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "hookd.db")

	first := startHookd(t, config{db: db, noAdmin: true})
	// Stop it to be sure everything it printed has been read.
	if err := first.stop(); err != nil {
		t.Fatalf("first hookd exited with %v", err)
	}
	keys := printedKey.FindAllString(first.stdout.String(), -1)
	if len(keys) != 1 {
		t.Fatalf("first start printed %d admin keys on stdout, want 1:\n%s", len(keys), first.stdout.String())
	}
	key := keys[0]
	if strings.Contains(first.stderr.String(), key) {
		t.Errorf("the admin key was written to the log (stderr)")
	}

	second := startHookd(t, config{db: db, noAdmin: true})
	second.client(key).must(t, 200, "GET", "/v1/tenants", nil, nil)
	wantProblem(t, second.client(key+"x").do(t, "GET", "/v1/tenants", nil), 401)
	if err := second.stop(); err != nil {
		t.Fatalf("second hookd exited with %v", err)
	}
	if again := printedKey.FindAllString(second.stdout.String(), -1); len(again) != 0 {
		t.Errorf("second start printed admin keys again: %v", again)
	}

	info, err := os.Stat(db + ".key")
	if err != nil {
		t.Fatalf("encryption key file: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("%s has mode %#o, want 0600", db+".key", mode)
	}
}

func TestServeHelp(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(hookdBin, "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("hookd serve --help: %v\n%s", err, out)
	}
	for _, want := range []string{"HOOKD_DATABASE", "--database", "--admin-key", "--allow-private-targets"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("hookd serve --help does not mention %s:\n%s", want, out)
		}
	}
}

func TestHealthAndOpenAPI(t *testing.T) {
	t.Parallel()
	h := startHookd(t, config{})
	c := h.client("") // neither needs a key

	var health map[string]any
	c.must(t, 200, "GET", "/healthz", nil, &health)
	if health["status"] != "ok" {
		t.Errorf("/healthz = %v, want status ok", health)
	}

	r := c.must(t, 200, "GET", "/openapi.json", nil, nil)
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("/openapi.json is not JSON: %v", err)
	}
	if doc.OpenAPI == "" {
		t.Errorf("/openapi.json has no openapi version")
	}
	for _, p := range []string{"/v1/tenants/{tenant}/events", "/v1/tenants/{tenant}/endpoints", "/v1/tenants/{tenant}/deliveries/{id}/replay"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("/openapi.json lacks path %s", p)
		}
	}
}
