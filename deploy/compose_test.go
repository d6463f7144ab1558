package deploy

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hookd/hookd/internal/pgtest"
)

// TestCompose checks deploy/compose.yaml's wiring (hookd reaches the
// postgres service with its credentials, after its healthcheck passes, and
// refuses to start without an encryption key), then starts hookd with the
// file's environment on a real PostgreSQL database and waits for /readyz.
func TestCompose(t *testing.T) {
	text, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := parseManifests(string(text))
	if err != nil {
		t.Fatal(err)
	}
	compose := docs[0]
	pg, hookd := at(compose, "services.postgres"), at(compose, "services.hookd")
	expect(t, hookd, "depends_on.postgres.condition", "service_healthy")
	if at(pg, "healthcheck.test") == nil {
		t.Error("the postgres service has no healthcheck for depends_on to wait on")
	}
	if _, err := os.Stat(at(hookd, "build.context").(string) + "/Dockerfile"); err != nil {
		t.Errorf("hookd's build context has no Dockerfile: %v", err)
	}
	if joined(at(hookd, "ports")) != "8080:8080" {
		t.Errorf("hookd publishes %v, want 8080:8080", at(hookd, "ports"))
	}

	env := func(service any, vars map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range at(service, "environment").(map[string]any) {
			out[k] = interpolate(t, v.(string), vars)
		}
		return out
	}
	if _, err := interpolateErr(at(hookd, "environment.HOOKD_ENCRYPTION_KEY").(string), nil); err == "" ||
		!strings.Contains(err, "set HOOKD_ENCRYPTION_KEY") {
		t.Errorf("without HOOKD_ENCRYPTION_KEY compose would start hookd anyway (error %q)", err)
	}
	vars := map[string]string{"HOOKD_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
	pgEnv, hookdEnv := env(pg, vars), env(hookd, vars)
	db, err := url.Parse(hookdEnv["HOOKD_DATABASE"])
	if err != nil {
		t.Fatal(err)
	}
	password, _ := db.User.Password()
	if db.Hostname() != "postgres" || db.User.Username() != pgEnv["POSTGRES_USER"] ||
		password != pgEnv["POSTGRES_PASSWORD"] || db.Path != "/"+pgEnv["POSTGRES_DB"] {
		t.Errorf("HOOKD_DATABASE %s is not the postgres service's database (%v)", db.Redacted(), pgEnv)
	}

	// The same environment, but the test's own database for the service's.
	hookdEnv["HOOKD_DATABASE"] = pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	run := os.Environ()
	for k, v := range hookdEnv {
		run = append(run, k+"="+v)
	}
	addr := startServe(t, buildHookd(t), run)
	if status := get(t, "http://"+addr+"/readyz"); status != http.StatusOK {
		t.Errorf("GET /readyz with compose's environment: %d", status)
	}
}

var composeVar = regexp.MustCompile(`\$\{(\w+)(?::([-?])([^}]*))?\}`)

// interpolateErr expands compose's ${VAR}, ${VAR:-default} and
// ${VAR:?message} from vars; a missing required variable returns its message.
func interpolateErr(s string, vars map[string]string) (string, string) {
	var missing string
	out := composeVar.ReplaceAllStringFunc(s, func(m string) string {
		g := composeVar.FindStringSubmatch(m)
		if v := vars[g[1]]; v != "" {
			return v
		}
		if g[2] == "?" {
			missing = g[1] + ": " + g[3]
		}
		return g[3]
	})
	return out, missing
}

func interpolate(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	out, missing := interpolateErr(s, vars)
	if missing != "" {
		t.Fatalf("compose would refuse %q: %s", s, missing)
	}
	return out
}
