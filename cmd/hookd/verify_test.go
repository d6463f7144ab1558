package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

var hookdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hookd-cli")
	if err != nil {
		panic(err)
	}
	hookdBin = filepath.Join(dir, "hookd")
	if out, err := exec.Command("go", "build", "-o", hookdBin, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("build hookd: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the built binary with stdin and returns its exit code and output.
func run(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(hookdBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

// TestVerifyExitCodes signs with the official Standard Webhooks library (not
// our code) and checks hookd verify's verdicts.
func TestVerifyExitCodes(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	const body = `{"type":"contact.created","data":{"id":1}}`
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	headersAt := func(t *testing.T, at time.Time) string {
		sig, err := wh.Sign("evt_1", at, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "headers.txt")
		content := "> POST /hook HTTP/1.1\n> webhook-id: evt_1\n> webhook-timestamp: " + strconv.FormatInt(at.Unix(), 10) +
			"\n> webhook-signature: " + sig + "\n>\n"
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	fresh := headersAt(t, time.Now())
	cases := []struct {
		name  string
		body  string
		args  []string
		code  int
		words string
	}{
		{"valid", body, []string{"--secret", secret, "--headers", fresh}, 0, "valid"},
		{"tampered body", body + " ", []string{"--secret", secret, "--headers", fresh}, 1, "no matching signature"},
		{"wrong secret", body, []string{"--secret", "whsec_" + strings.Repeat("A", 32), "--headers", fresh}, 1, "no matching signature"},
		{"expired", body, []string{"--secret", secret, "--headers", headersAt(t, time.Now().Add(-10*time.Minute))}, 1, "outside tolerance"},
		{"from the future", body, []string{"--secret", secret, "--headers", headersAt(t, time.Now().Add(10*time.Minute))}, 1, "outside tolerance"},
		{"old but checked at its time", body, []string{"--secret", secret, "--headers", headersAt(t, time.Unix(1614265330, 0)), "--at", "1614265330"}, 0, "valid"},
		{"rotation: old secret listed second", body, []string{"--secret", "whsec_" + strings.Repeat("B", 32), "--secret", secret, "--headers", fresh}, 0, "valid"},
		{"missing headers", body, []string{"--secret", secret}, 1, "missing header"},
		{"malformed signature", body, []string{"--secret", secret, "-H", "webhook-id: evt_1", "-H", "webhook-timestamp: soon", "-H", "webhook-signature: v1,xx"}, 1, "bad format"},
		{"unknown scheme", body, []string{"--secret", secret, "--scheme", "md5"}, 2, "--scheme"},
		{"no secret", body, []string{"--headers", fresh}, 2, "--secret"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := run(t, c.body, append([]string{"verify"}, c.args...)...)
			if code != c.code || !strings.Contains(out, c.words) {
				t.Fatalf("exit %d (want %d), output:\n%s", code, c.code, out)
			}
		})
	}
}

// TestSignThenVerify round-trips every scheme through the CLI, with the
// timestamped scheme branded as some products document it.
func TestSignThenVerify(t *testing.T) {
	const secret = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
	for _, args := range [][]string{
		{"--scheme", "standard"},
		{"--scheme", "timestamped", "--signature-header", "Webhook-Signature", "--label", "s"},
		{"--scheme", "body"},
	} {
		code, headers := run(t, "{}", append([]string{"sign", "--secret", secret}, args...)...)
		if code != 0 {
			t.Fatalf("sign %v: exit %d: %s", args, code, headers)
		}
		path := filepath.Join(t.TempDir(), "h.txt")
		if err := os.WriteFile(path, []byte(headers), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, out := run(t, "{}", append([]string{"verify", "--secret", secret, "--headers", path}, args...)...); code != 0 {
			t.Fatalf("verify %v: exit %d: %s\nheaders:\n%s", args, code, out, headers)
		}
		if code, _ := run(t, "{} ", append([]string{"verify", "--secret", secret, "--headers", path}, args...)...); code != 1 {
			t.Fatalf("verify %v accepted a changed body", args)
		}
	}
}
