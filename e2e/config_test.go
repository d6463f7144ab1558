package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runHookd runs the binary with args and extra environment variables and
// returns its combined output and exit status.
func runHookd(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(hookdBin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("hookd %v: %v", args, err)
	}
	return string(out), 0
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// effective runs hookd config check and returns its key: "value" lines.
func effective(t *testing.T, env []string, args ...string) map[string]string {
	t.Helper()
	out, code := runHookd(t, env, append([]string{"config", "check"}, args...)...)
	if code != 0 {
		t.Fatalf("config check %v: exit %d\n%s", args, code, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("config check printed %q", line)
		}
		got[k] = strings.Trim(v, `"`)
	}
	return got
}

func TestConfigFilePrecedence(t *testing.T) {
	files := map[string]string{
		"hookd.yaml": "retry-schedule: 1m,5m\ntimeout: 10s\nallow-secret-reveal: true\nworkers: 64\nlog-format: json\n",
		"hookd.toml": "retry-schedule = \"1m,5m\"\ntimeout = \"10s\"\nallow-secret-reveal = true\nworkers = 64\nlog-format = \"json\"\n",
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			file := writeFile(t, name, content)
			// The file over the defaults.
			got := effective(t, nil, "--config", file)
			for k, want := range map[string]string{"retry-schedule": "1m,5m", "timeout": "10s",
				"allow-secret-reveal": "true", "workers": "64", "log-format": "json", "retry-jitter": "0.1"} {
				if got[k] != want {
					t.Errorf("file only: %s = %q, want %q", k, got[k], want)
				}
			}
			// The environment over the file, a flag over both.
			env := []string{"HOOKD_TIMEOUT=20s", "HOOKD_ALLOW_SECRET_REVEAL=false", "HOOKD_RETRY_SCHEDULE=2h"}
			got = effective(t, env, "--config", file, "--retry-schedule", "3m", "--workers", "8")
			for k, want := range map[string]string{"retry-schedule": "3m", "timeout": "20s",
				"allow-secret-reveal": "false", "workers": "8", "log-format": "json"} {
				if got[k] != want {
					t.Errorf("flag > env > file: %s = %q, want %q", k, got[k], want)
				}
			}
			// HOOKD_CONFIG names the file too.
			if got := effective(t, []string{"HOOKD_CONFIG=" + file}); got["timeout"] != "10s" {
				t.Errorf("HOOKD_CONFIG: timeout = %q", got["timeout"])
			}
		})
	}
}

func TestConfigFileRefusals(t *testing.T) {
	for _, c := range []struct{ name, content, want string }{
		{"unknown.yaml", "retry-schedule: 1m\nretry-shedule: 5m\n", `unknown key "retry-shedule"`},
		{"unknown.toml", "colour = \"blue\"\n", `unknown key "colour"`},
		{"type.yaml", "timeout: soon\n", `key "timeout": expected duration`},
		{"bool.toml", "allow-private-targets = \"maybe\"\n", `key "allow-private-targets": bool value`},
		{"int.yaml", "workers: lots\n", `key "workers"`},
		{"list.yaml", "addr: [a, b]\n", `key "addr": must be a single value`},
		{"enum.yaml", "log-format: xml\n", `key "log-format": must be one of text, json`},
		{"schedule.yaml", "retry-schedule: often\n", `--retry-schedule: "often" is not a duration`},
		{"range.toml", "timeout = \"5m\"\n", "--timeout must be between 1s and 60s"},
		{"twice.yaml", "workers: 1\nworkers: 2\n", "workers"},
		{"conf.ini", "workers=1\n", "must end in .yaml, .yml or .toml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "hookd.db")
			out, code := runHookd(t, nil, "serve", "--addr", "127.0.0.1:0", "--database", db, "--config", writeFile(t, c.name, c.content))
			if code != 2 || !strings.Contains(out, c.want) {
				t.Errorf("exit %d, want 2 with %q:\n%s", code, c.want, out)
			}
			if strings.Contains(out, "hookd started") {
				t.Error("the server started")
			}
			if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the database was created (%v): hookd got past its checks", err)
			}
			if out, code := runHookd(t, nil, "config", "check", "--config", writeFile(t, c.name, c.content)); code != 2 {
				t.Errorf("config check: exit %d, want 2\n%s", code, out)
			}
		})
	}
}

func TestConfigCheckMasksSecrets(t *testing.T) {
	secrets := map[string]string{
		"admin-key":                  "cfg-admin-key-0123456789abcdef",
		"encryption-key":             "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"operational-webhook-secret": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
	}
	var file strings.Builder
	for k, v := range secrets {
		file.WriteString(k + ": " + v + "\n")
	}
	file.WriteString("database: postgres://hookd:db-password-42@127.0.0.1:5432/hookd\n")
	out, code := runHookd(t, nil, "config", "check", "--config", writeFile(t, "hookd.yaml", file.String()))
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for k, v := range secrets {
		if strings.Contains(out, v) {
			t.Errorf("%s shown:\n%s", k, out)
		}
		if !strings.Contains(out, k+`: "********"`) {
			t.Errorf("%s not shown as set and masked:\n%s", k, out)
		}
	}
	if strings.Contains(out, "db-password-42") || !strings.Contains(out, `database: "postgres://hookd:xxxxx@127.0.0.1:5432/hookd"`) {
		t.Errorf("database password not masked:\n%s", out)
	}
	if !strings.Contains(out, `operational-webhook-url: ""`) {
		t.Errorf("an unset setting is not printed:\n%s", out)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"serve", "--version"}} {
		out, code := runHookd(t, nil, args...)
		want := "hookd " + e2eVersion + "\ncommit: " + e2eCommit + "\nbuilt: " + e2eDate + "\ngo: go1."
		if code != 0 || !strings.HasPrefix(out, want) {
			t.Errorf("hookd %v: exit %d\n%s\nwant it to start with\n%s", args, code, out, want)
		}
	}
}

// TestAllowDestinationHostsSources: --allow-destination-hosts comes from
// the config file, the environment or the flag (in that rising order), and
// a value that is not host names is refused from each before anything
// starts.
func TestAllowDestinationHostsSources(t *testing.T) {
	file := writeFile(t, "hookd.yaml", "allow-destination-hosts: mq.internal,10.0.0.7\n")
	if got := effective(t, nil, "--config", file)["allow-destination-hosts"]; got != "mq.internal,10.0.0.7" {
		t.Errorf("from the file: %q", got)
	}
	env := []string{"HOOKD_ALLOW_DESTINATION_HOSTS=redis.internal"}
	if got := effective(t, env, "--config", file)["allow-destination-hosts"]; got != "redis.internal" {
		t.Errorf("the environment over the file: %q", got)
	}
	if got := effective(t, env, "--config", file, "--allow-destination-hosts", "::1,kafka-1")["allow-destination-hosts"]; got != "::1,kafka-1" {
		t.Errorf("the flag over both: %q", got)
	}
	bad := `"amqp://mq.internal:5672" is not a host name or IP address`
	for name, run := range map[string]struct {
		env  []string
		args []string
	}{
		"flag": {nil, []string{"--allow-destination-hosts", "amqp://mq.internal:5672"}},
		"env":  {[]string{"HOOKD_ALLOW_DESTINATION_HOSTS=amqp://mq.internal:5672"}, nil},
		"file": {nil, []string{"--config", writeFile(t, "bad.yaml", "allow-destination-hosts: amqp://mq.internal:5672\n")}},
	} {
		db := filepath.Join(t.TempDir(), "hookd.db")
		out, code := runHookd(t, run.env, append([]string{"serve", "--addr", "127.0.0.1:0", "--database", db}, run.args...)...)
		if code != 2 || !strings.Contains(out, bad) {
			t.Errorf("%s: exit %d, want 2 with %q:\n%s", name, code, bad, out)
		}
		if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: the database was created (%v)", name, err)
		}
	}
}
