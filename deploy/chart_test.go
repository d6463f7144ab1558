package deploy

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hookd/hookd/internal/pgtest"
)

// helmModule is Helm, run as a tool: installed from the module proxy into a
// cache directory, never a dependency of hookd's module.
const helmModule = "helm.sh/helm/v3/cmd/helm@v3.21.4"

const chart = "helm/hookd"

var (
	helmOnce sync.Once
	helmPath string
	helmErr  string
)

// helm returns the Helm binary, built once per machine, or skips the test
// when the module proxy cannot be reached.
func helm(t *testing.T) string {
	t.Helper()
	trackSources(t) // the chart's files, which Helm reads
	helmOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "hookd-test", strings.ReplaceAll(filepath.Base(helmModule), "@", "-"))
		helmPath = filepath.Join(dir, "helm")
		if _, err := os.Stat(helmPath); err == nil {
			return
		}
		cmd := exec.Command("go", "install", helmModule)
		cmd.Dir = os.TempDir() // outside hookd's module: go.mod is not touched
		cmd.Env = append(os.Environ(), "GOBIN="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			helmErr = "go install " + helmModule + ": " + err.Error() + "\n" + string(out)
		}
	})
	if helmErr != "" {
		for _, offline := range []string{"dial tcp", "no such host", "i/o timeout", "GOPROXY=off", "connection refused"} {
			if strings.Contains(helmErr, offline) {
				t.Skipf("the module proxy is unreachable, so Helm cannot be installed and the chart is not checked:\n%s", helmErr)
			}
		}
		t.Fatal(helmErr)
	}
	return helmPath
}

// template renders the chart with Helm and parses what it printed.
func template(t *testing.T, set ...string) map[string]map[string]any {
	t.Helper()
	args := []string{"template", "rel", chart, "--namespace", "hooks"}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	out, err := exec.Command(helm(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, out)
	}
	docs, err := parseManifests(string(out))
	if err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	byName := map[string]map[string]any{}
	for _, d := range docs {
		id := at(d, "kind").(string) + "/" + at(d, "metadata.name").(string)
		if _, dup := byName[id]; dup {
			t.Fatalf("%s rendered twice", id)
		}
		byName[id] = d
	}
	return byName
}

var chartSecrets = []string{"secrets.databaseURL=postgres://hookd:pw@db:5432/hookd", "secrets.encryptionKey=k3y"}

func TestChartLints(t *testing.T) {
	args := []string{"lint", "--strict", chart}
	for _, s := range chartSecrets {
		args = append(args, "--set", s)
	}
	if out, err := exec.Command(helm(t), args...).CombinedOutput(); err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
}

func TestChartRenders(t *testing.T) {
	docs := template(t, append(chartSecrets, "image.tag=v1.2.3")...)
	want := []string{
		"Deployment/rel-hookd-api", "Deployment/rel-hookd-worker",
		"PodDisruptionBudget/rel-hookd-api", "PodDisruptionBudget/rel-hookd-worker",
		"Service/rel-hookd", "Service/rel-hookd-worker", "Secret/rel-hookd", "Job/rel-hookd-migrate",
	}
	for _, id := range want {
		if docs[id] == nil {
			t.Errorf("%s is not rendered", id)
		}
	}
	if len(docs) != len(want) {
		t.Errorf("rendered %d objects, want %d (no ServiceMonitor by default)", len(docs), len(want))
	}

	for component, args := range map[string]string{"api": "serve --no-workers", "worker": "worker"} {
		d := docs["Deployment/rel-hookd-"+component]
		c := at(d, "spec.template.spec.containers.0")
		expect(t, c, "image", "ghcr.io/hookd/hookd:v1.2.3")
		if got := joined(at(c, "args")); got != args {
			t.Errorf("%s runs hookd %s, want %s", component, got, args)
		}
		expect(t, c, "livenessProbe.httpGet.path", "/healthz")
		expect(t, c, "livenessProbe.httpGet.port", "http")
		expect(t, c, "readinessProbe.httpGet.path", "/readyz")
		expect(t, c, "ports.0.containerPort", "8080")
		expectSecretRefs(t, c, "rel-hookd", "database-url", "encryption-key")
		expect(t, c, "securityContext.readOnlyRootFilesystem", "true")
		expect(t, d, "spec.template.spec.securityContext.runAsNonRoot", "true")
		if at(c, "resources.requests.memory") == nil {
			t.Errorf("%s has no resource requests", component)
		}
		// The PDB and the Service select this Deployment's pods and only them.
		labels := at(d, "spec.template.metadata.labels").(map[string]any)
		for _, sel := range []any{
			at(docs["PodDisruptionBudget/rel-hookd-"+component], "spec.selector.matchLabels"),
			at(docs[map[string]string{"api": "Service/rel-hookd", "worker": "Service/rel-hookd-worker"}[component]], "spec.selector"),
		} {
			m, _ := sel.(map[string]any)
			if len(m) == 0 || m["app.kubernetes.io/component"] != component {
				t.Errorf("%s: a selector %v does not pick its component", component, sel)
			}
			for k, v := range m {
				if labels[k] != v {
					t.Errorf("%s: selector %s=%v does not match the pods' labels %v", component, k, v, labels)
				}
			}
		}
	}
	expect(t, docs["PodDisruptionBudget/rel-hookd-api"], "spec.maxUnavailable", "1")
	expect(t, docs["Secret/rel-hookd"], "stringData.database-url", "postgres://hookd:pw@db:5432/hookd")
	expect(t, docs["Secret/rel-hookd"], "stringData.encryption-key", "k3y")

	job := docs["Job/rel-hookd-migrate"]
	if hook := at(job, "metadata.annotations").(map[string]any)["helm.sh/hook"]; hook != "pre-upgrade" {
		t.Errorf("the migration Job's hook is %v, want pre-upgrade", hook)
	}
	mc := at(job, "spec.template.spec.containers.0")
	if got := joined(at(mc, "args")); got != "migrate" {
		t.Errorf("the migration Job runs hookd %s, want migrate", got)
	}
	expect(t, mc, "env.0.name", "HOOKD_DATABASE")
	expect(t, mc, "env.0.valueFrom.secretKeyRef.name", "rel-hookd")
	expect(t, mc, "env.0.valueFrom.secretKeyRef.key", "database-url")
}

func TestChartExistingSecretAndServiceMonitor(t *testing.T) {
	docs := template(t, "existingSecret=ops-hookd", "secretKeys.encryptionKey=key",
		"metrics.serviceMonitor.enabled=true", "migration.enabled=false")
	if docs["Secret/rel-hookd"] != nil || docs["Job/rel-hookd-migrate"] != nil {
		t.Error("with existingSecret the chart still renders its own Secret, or the disabled Job")
	}
	for _, component := range []string{"api", "worker"} {
		c := at(docs["Deployment/rel-hookd-"+component], "spec.template.spec.containers.0")
		expect(t, c, "image", "ghcr.io/hookd/hookd:0.1.0") // the chart's appVersion
		expectSecretRefs(t, c, "ops-hookd", "database-url", "key")
	}
	sm := docs["ServiceMonitor/rel-hookd"]
	if sm == nil {
		t.Fatal("metrics.serviceMonitor.enabled renders no ServiceMonitor")
	}
	expect(t, sm, "spec.endpoints.0.port", "http")
	expect(t, sm, "spec.endpoints.0.path", "/metrics")
	// Both Services carry the labels it selects on: every node is scraped.
	for _, svc := range []string{"Service/rel-hookd", "Service/rel-hookd-worker"} {
		labels := at(docs[svc], "metadata.labels").(map[string]any)
		for k, v := range at(sm, "spec.selector.matchLabels").(map[string]any) {
			if labels[k] != v {
				t.Errorf("the ServiceMonitor's %s=%v does not select %s", k, v, svc)
			}
		}
	}
}

// TestChartRefusesMissingSecrets: without a Secret or the values for one,
// nothing renders and the message says what to set.
func TestChartRefusesMissingSecrets(t *testing.T) {
	out, err := exec.Command(helm(t), "template", "rel", chart, "--set", "secrets.databaseURL=postgres://db/hookd").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "set existingSecret") || strings.Contains(string(out), "kind: Deployment") {
		t.Errorf("helm template without an encryption key: %v\n%s", err, out)
	}
}

// expectSecretRefs checks that the container reads the database URL and the
// encryption key from these keys of the named Secret, never as plain values.
func expectSecretRefs(t *testing.T, container any, secret, dbKey, encKey string) {
	t.Helper()
	keys := map[string]string{}
	for _, e := range at(container, "env").([]any) {
		name := at(e, "name").(string)
		if ref := at(e, "valueFrom.secretKeyRef"); ref != nil {
			if at(ref, "name") != secret {
				t.Errorf("%s comes from Secret %v, want %s", name, at(ref, "name"), secret)
			}
			keys[name] = at(ref, "key").(string)
		} else if name == "HOOKD_DATABASE" || name == "HOOKD_ENCRYPTION_KEY" || name == "HOOKD_ADMIN_KEY" {
			t.Errorf("%s is not read from a Secret: %v", name, e)
		}
	}
	if keys["HOOKD_DATABASE"] != dbKey || keys["HOOKD_ENCRYPTION_KEY"] != encKey {
		t.Errorf("the container's secretKeyRefs are %v, want HOOKD_DATABASE from %s and HOOKD_ENCRYPTION_KEY from %s", keys, dbKey, encKey)
	}
}

func expect(t *testing.T, node any, path, want string) {
	t.Helper()
	got := at(node, path)
	if want == "" {
		if got != nil {
			t.Errorf("%s = %v, want nothing there", path, got)
		}
		return
	}
	if s, _ := got.(string); s != want {
		t.Errorf("%s = %v, want %s", path, got, want)
	}
}

func joined(list any) string {
	items, _ := list.([]any)
	var parts []string
	for _, it := range items {
		s, _ := it.(string)
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// TestChartCommandsRun runs what the chart renders, with the real binary on
// a real PostgreSQL database: the migration Job's command and environment,
// then the API and worker containers', probed on their rendered paths.
func TestChartCommandsRun(t *testing.T) {
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	docs := template(t, "secrets.databaseURL="+dbURL, "secrets.encryptionKey=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	secret := at(docs["Secret/rel-hookd"], "stringData").(map[string]any)
	bin := buildHookd(t)
	// env is the container's environment, its secretKeyRefs read from the Secret.
	env := func(container any) []string {
		out := os.Environ()
		for _, e := range at(container, "env").([]any) {
			value, _ := at(e, "value").(string)
			if ref := at(e, "valueFrom.secretKeyRef"); ref != nil {
				v, ok := secret[at(ref, "key").(string)].(string)
				if !ok && at(ref, "optional") == "true" {
					continue
				}
				value = v
			}
			out = append(out, at(e, "name").(string)+"="+value)
		}
		return out
	}
	strs := func(list any) []string { return strings.Fields(joined(list)) }

	job := at(docs["Job/rel-hookd-migrate"], "spec.template.spec.containers.0")
	migrate := exec.Command(bin, strs(at(job, "args"))...)
	migrate.Env = env(job)
	if out, err := migrate.CombinedOutput(); err != nil || !strings.Contains(string(out), "up to date") {
		t.Fatalf("the migration Job's hookd %v: %v\n%s", at(job, "args"), err, out)
	}
	for _, component := range []string{"api", "worker"} {
		c := at(docs["Deployment/rel-hookd-"+component], "spec.template.spec.containers.0")
		addr := startServe(t, bin, env(c), strs(at(c, "args"))...)
		for _, probe := range []string{"livenessProbe", "readinessProbe"} {
			if status := get(t, "http://"+addr+at(c, probe+".httpGet.path").(string)); status != http.StatusOK {
				t.Errorf("%s's %s: %d", component, probe, status)
			}
		}
		// Only API nodes serve the API.
		want := map[string]int{"api": http.StatusUnauthorized, "worker": http.StatusNotFound}[component]
		if status := get(t, "http://"+addr+"/v1/tenants"); status != want {
			t.Errorf("%s: GET /v1/tenants without a key: %d, want %d", component, status, want)
		}
	}
}
