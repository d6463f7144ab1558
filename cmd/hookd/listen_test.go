package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

const testAdminKey = "hk_cli_test_admin_key_0123456789"

// server is a `hookd serve` process for a test.
type server struct {
	url string
}

func startServer(t *testing.T) *server {
	t.Helper()
	cmd := exec.Command(hookdBin, "serve", "--addr", "127.0.0.1:0", "--database", filepath.Join(t.TempDir(), "hookd.db"),
		"--admin-key", testAdminKey, "--retry-schedule", "1s,1s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		started := regexp.MustCompile(`msg="hookd started" addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := started.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return &server{url: "http://" + a}
	case <-time.After(20 * time.Second):
		t.Fatal("hookd serve did not start")
	}
	return nil
}

func (s *server) do(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, r)
	req.Header.Set("Authorization", "Bearer "+testAdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// syncBuffer collects a process's output safely while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestListenEndToEnd runs hookd serve, a local receiver and hookd listen
// --live: a published event reaches the local receiver with a signature that the
// official Standard Webhooks library verifies with the secret listen uses,
// the receiver's answer shows in the delivery log, and the temporary
// endpoint is gone after listen exits.
func TestListenEndToEnd(t *testing.T) {
	srv := startServer(t)
	if code, body := srv.do(t, "POST", "/v1/event-types", map[string]any{"name": "contact.created"}); code != 201 {
		t.Fatalf("create event type: %d %v", code, body)
	}
	if code, body := srv.do(t, "POST", "/v1/tenants", map[string]any{"id": "acme", "name": "Acme"}); code != 201 {
		t.Fatalf("create tenant: %d %v", code, body)
	}

	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	wh, _ := standardwebhooks.NewWebhook(secret)
	type received struct {
		header http.Header
		body   []byte
		err    error
	}
	got := make(chan received, 10)
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), body, wh.Verify(body, r.Header)}
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "thanks from the laptop")
	}))
	defer local.Close()

	var out syncBuffer
	listen := exec.Command(hookdBin, "listen", "--server", srv.url, "--key", testAdminKey, "--tenant", "acme",
		"--events", "contact.created", "--secret", secret, "--forward-to", local.URL+"/hook", "--live")
	listen.Stdout, listen.Stderr = &out, &out
	if err := listen.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = listen.Process.Kill() }()
	eventually(t, "listen to be ready", func() bool { return strings.Contains(out.String(), "Ready.") })
	if !strings.Contains(out.String(), secret) {
		t.Fatalf("listen did not print its signing secret:\n%s", out.String())
	}

	code, pub := srv.do(t, "POST", "/v1/tenants/acme/events", map[string]any{"type": "contact.created", "data": map[string]any{"id": 7}})
	if code != 202 || pub["deliveries"] != float64(1) {
		t.Fatalf("publish: %d %v", code, pub)
	}
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatalf("the official library rejects the forwarded delivery: %v", r.err)
		}
		if r.header.Get("Webhook-Id") != pub["id"] || r.header.Get("X-Hookd-Event") != "contact.created" {
			t.Fatalf("forwarded headers: %v", r.header)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the local receiver got nothing; listen output:\n%s", out.String())
	}

	var delivery map[string]any
	eventually(t, "the delivery log to show the local answer", func() bool {
		_, list := srv.do(t, "GET", "/v1/tenants/acme/deliveries?event="+pub["id"].(string), nil)
		data, _ := list["data"].([]any)
		if len(data) != 1 {
			return false
		}
		delivery = data[0].(map[string]any)
		return delivery["status"] == "delivered"
	})
	_, detail := srv.do(t, "GET", "/v1/tenants/acme/deliveries/"+delivery["id"].(string), nil)
	attempt := detail["attempts"].([]any)[0].(map[string]any)
	if attempt["status_code"] != float64(202) || attempt["response_body"] != "thanks from the laptop" {
		t.Fatalf("attempt log does not show the local answer: %v", attempt)
	}

	_ = listen.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- listen.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("listen exited with %v:\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("listen did not exit on SIGINT")
	}
	eventually(t, "the temporary endpoint to be removed", func() bool {
		_, list := srv.do(t, "GET", "/v1/tenants/acme/local-sessions", nil)
		return len(list["data"].([]any)) == 0
	})
}

// TestListenRefusesBadInput checks the clear errors of the command.
func TestListenRefusesBadInput(t *testing.T) {
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, c := range []struct {
		args  []string
		words string
	}{
		{[]string{"--forward-to", "localhost:3000"}, "--forward-to"},
		{[]string{"--forward-to", "http://localhost:3000", "--secret", "nope"}, "--secret"},
		{[]string{"--forward-to", "http://localhost:3000", "--tenant", "ghost"}, "404"},
	} {
		cmd := exec.CommandContext(ctx, hookdBin, append([]string{"listen", "--server", srv.url, "--key", testAdminKey}, c.args...)...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.words) {
			t.Errorf("listen %v: err=%v output=%s", c.args, err, out)
		}
	}
}
