package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cliToken is the answer of POST .../cli-tokens.
type cliToken struct {
	CLIToken struct {
		ID        string     `json:"id"`
		Role      string     `json:"role"`
		TenantID  string     `json:"tenant_id"`
		ExpiresAt *time.Time `json:"expires_at"`
	} `json:"cli_token"`
	Token   string `json:"token"`
	Command string `json:"command"`
}

func (f *fixture) mintCLIToken(tenantID string) cliToken {
	f.t.Helper()
	var tok cliToken
	f.admin.must(f.t, 201, "POST", "/v1/tenants/"+tenantID+"/cli-tokens", map[string]any{"name": "laptop"}, &tok)
	return tok
}

// localSession is one running `hookd listen`.
type localSession struct {
	cmd *exec.Cmd
	out *lineBuffer
	id  string // its endpoint id, as it prints it
}

var sessionLine = regexp.MustCompile(`Session: (ep_\S+)`)

// startListen runs hookd listen with args (after --server) until the test
// ends, and waits for it to be ready.
func startListen(t testing.TB, server string, args ...string) *localSession {
	t.Helper()
	s := &localSession{out: &lineBuffer{}}
	s.cmd = exec.Command(hookdBin, append([]string{"listen", "--server", server, "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, args...)...)
	s.cmd.Env = cleanEnv()
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() })
	eventually(t, 20*time.Second, func() (bool, string) {
		m := sessionLine.FindStringSubmatch(s.out.String())
		if m != nil {
			s.id = m[1]
		}
		return m != nil, "hookd listen did not get ready:\n" + s.out.String()
	})
	return s
}

// stop ends hookd listen with SIGINT and waits for it.
func (s *localSession) stop(t testing.TB) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("hookd listen exited with %v:\n%s", err, s.out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hookd listen did not exit on SIGINT")
	}
}

// trigger runs hookd trigger and returns its exit code and output.
func trigger(t testing.TB, server string, args ...string) (int, string) {
	t.Helper()
	return runCLI(t, append([]string{"trigger", "--server", server}, args...)...)
}

// runCLI runs hookd with args to its end: its exit code and output.
func runCLI(t testing.TB, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(hookdBin, args...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// flakyReceiver is a developer's local receiver that answers 500 to the
// first request of each delivery and 200 after.
type flakyReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]int    // requests by delivery id
	last map[string][]byte // last body by delivery id
	all  []string          // delivery ids in arrival order
	fail bool
}

func newFlakyReceiver(t testing.TB, failFirst bool) *flakyReceiver {
	r := &flakyReceiver{seen: map[string]int{}, last: map[string][]byte{}, fail: failFirst}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		id := req.Header.Get("X-Hookd-Delivery")
		r.mu.Lock()
		r.seen[id]++
		n := r.seen[id]
		r.last[id], r.all = body, append(r.all, id)
		r.mu.Unlock()
		if r.fail && n == 1 {
			http.Error(w, "boom on the laptop", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok from the laptop")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *flakyReceiver) count(id string) (int, []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[id], r.last[id]
}

func (r *flakyReceiver) deliveries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.all...)
}

// TestLocalDevelopment runs the local-development workflow of an endpoint
// owner against the real binary, on both stores: a CLI token (role
// developer, 24 h) used by a real hookd listen; its session is listed apart,
// not counted toward the endpoint limit, and gets no real event unless
// --live; hookd trigger reaches it (data from a file); --retry-failed has a
// failed local answer sent again at once (the schedule would wait an hour);
// another tenant's sessions and tokens are 404; a revoked token is refused.
func TestLocalDevelopment(t *testing.T) {
	onStores(t, func(t *testing.T, c config) {
		c.extraArgs = append(c.extraArgs, "--max-endpoints-per-tenant", "1", "--retry-schedule", "1h")
		f := newFixture(t, c)
		a, b := f.tenant(), f.tenant()
		hook := newReceiver(t, 200)
		webhook, _ := f.endpoint(a, hook.URL, nil) // a is at its endpoint limit
		tokA, tokB := f.mintCLIToken(a), f.mintCLIToken(b)
		if tokA.CLIToken.Role != "developer" || tokA.CLIToken.TenantID != a || tokA.CLIToken.ExpiresAt == nil ||
			!strings.Contains(tokA.Command, "hookd listen --server "+f.h.url+" --tenant "+a+" --key "+tokA.Token) {
			t.Fatalf("minted token: %+v", tokA)
		}
		if left := time.Until(*tokA.CLIToken.ExpiresAt); left > 24*time.Hour || left < 23*time.Hour {
			t.Errorf("the token expires in %s, want 24 h", left)
		}

		laptop := newFlakyReceiver(t, true)
		quiet := startListen(t, f.h.url, "--key", tokA.Token, "--tenant", a, "--forward-to", laptop.URL+"/hook", "--retry-failed")

		t.Run("listed apart, not counted", func(t *testing.T) {
			var eps list[endpoint]
			f.admin.must(t, 200, "GET", "/v1/tenants/"+a+"/endpoints", nil, &eps)
			if len(eps.Data) != 1 || eps.Data[0].ID != webhook.ID {
				t.Errorf("endpoints of %s: %+v, want only the webhook", a, eps.Data)
			}
			var sessions list[struct {
				ID   string `json:"id"`
				Live bool   `json:"live"`
			}]
			f.h.client(tokA.Token).must(t, 200, "GET", "/v1/tenants/"+a+"/local-sessions", nil, &sessions)
			if len(sessions.Data) != 1 || sessions.Data[0].ID != quiet.id || sessions.Data[0].Live {
				t.Errorf("local sessions: %+v, want %s, not live", sessions.Data, quiet.id)
			}
			// The limit is full with the webhook alone: the session took no place in it.
			wantProblem(t, f.admin.do(t, "POST", "/v1/tenants/"+a+"/endpoints", map[string]any{"name": "second", "url": hook.URL}), 409)
		})

		t.Run("no real events without --live", func(t *testing.T) {
			pub := f.publish(a, typeCreated, `{"n":1}`)
			if pub.Deliveries != 1 {
				t.Errorf("a published event made %d deliveries, want 1 (the webhook, not the session)", pub.Deliveries)
			}
			hook.waitRequests(t, 1)
		})

		t.Run("trigger with data from a file, retried at once when it fails", func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "event.json")
			if err := os.WriteFile(file, []byte(`{"contact_id":"c_42"}`), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := trigger(t, f.h.url, typeCreated, "--key", tokA.Token, "--tenant", a, "--data", "@"+file)
			if code != 0 || !strings.Contains(out, "delivery dlv_") {
				t.Fatalf("hookd trigger: exit %d\n%s", code, out)
			}
			id := regexp.MustCompile(`dlv_\S+`).FindString(out)
			eventually(t, 20*time.Second, func() (bool, string) {
				n, _ := laptop.count(id)
				return n >= 2, "the laptop did not get the trigger twice (500, then the retry):\n" + quiet.out.String()
			})
			_, body := laptop.count(id)
			var env struct {
				Type string          `json:"type"`
				Data json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(body, &env); err != nil || env.Type != typeCreated || string(env.Data) != `{"contact_id":"c_42"}` {
				t.Errorf("the laptop got %s, want the file's data in the envelope", body)
			}
			d := f.waitStatus(a, id, "delivered")
			if !d.Test || d.EndpointID != quiet.id || len(d.Attempts) != 2 || d.Attempts[0].StatusCode != 500 || d.Attempts[1].StatusCode != 200 {
				t.Errorf("delivery: %+v, want a test delivery to the session, 500 then 200", d)
			}
			if !strings.Contains(quiet.out.String(), "retrying "+id) {
				t.Errorf("hookd listen did not say it retried:\n%s", quiet.out.String())
			}
			for _, got := range laptop.deliveries() {
				if got != id {
					t.Errorf("the laptop got delivery %s besides the triggered one", got)
				}
			}
		})

		t.Run("live gets real events", func(t *testing.T) {
			desk := newFlakyReceiver(t, false)
			live := startListen(t, f.h.url, "--key", tokA.Token, "--tenant", a, "--forward-to", desk.URL, "--live")
			pub := f.publish(a, typeCreated, `{"n":2}`)
			if pub.Deliveries != 2 {
				t.Errorf("a published event made %d deliveries, want 2 (the webhook and the live session)", pub.Deliveries)
			}
			eventually(t, 20*time.Second, func() (bool, string) {
				return len(desk.deliveries()) == 1, "the live session did not get the published event:\n" + live.out.String()
			})
			// Two sessions now: trigger asks which.
			if code, out := trigger(t, f.h.url, typeCreated, "--key", tokA.Token, "--tenant", a); code != 2 || !strings.Contains(out, "--session") {
				t.Errorf("hookd trigger with two sessions: exit %d\n%s", code, out)
			}
			live.stop(t)
		})

		t.Run("another tenant's sessions and tokens are 404", func(t *testing.T) {
			devA := f.h.client(tokA.Token)
			var scoped createdKey
			f.admin.must(t, 201, "POST", "/v1/api-keys", map[string]any{"name": "a admin", "role": "admin", "tenant": a}, &scoped)
			adminA := f.h.client(scoped.Key)
			for _, c := range []*apiClient{devA, adminA} {
				wantProblem(t, c.do(t, "GET", "/v1/tenants/"+b+"/local-sessions", nil), 404)
				wantProblem(t, c.do(t, "POST", "/v1/tenants/"+b+"/local-sessions/"+quiet.id+"/trigger", map[string]any{"type": typeCreated}), 404)
				wantProblem(t, c.do(t, "POST", "/v1/tenants/"+b+"/listen", nil), 404)
			}
			wantProblem(t, adminA.do(t, "GET", "/v1/tenants/"+b+"/cli-tokens", nil), 404)
			wantProblem(t, adminA.do(t, "DELETE", "/v1/tenants/"+b+"/cli-tokens/"+tokB.CLIToken.ID, nil), 404)
			wantProblem(t, adminA.do(t, "DELETE", "/v1/tenants/"+a+"/cli-tokens/"+tokB.CLIToken.ID, nil), 404)
			// A webhook endpoint is no local session.
			wantProblem(t, devA.do(t, "POST", "/v1/tenants/"+a+"/local-sessions/"+webhook.ID+"/trigger", map[string]any{"type": typeCreated}), 404)
			// The token does only local development.
			for _, path := range []string{"/v1/tenants/" + a + "/endpoints", "/v1/tenants/" + a + "/cli-tokens", "/v1/api-keys"} {
				wantProblem(t, devA.do(t, "GET", path, nil), 403)
			}
			var tokens list[apiKey]
			f.admin.must(t, 200, "GET", "/v1/tenants/"+b+"/cli-tokens", nil, &tokens)
			if len(tokens.Data) != 1 || tokens.Data[0].ID != tokB.CLIToken.ID {
				t.Errorf("tenant %s's tokens: %+v, want its one, unrevoked", b, tokens.Data)
			}
		})

		t.Run("revoked token refused", func(t *testing.T) {
			f.admin.must(t, 204, "DELETE", "/v1/tenants/"+a+"/cli-tokens/"+tokA.CLIToken.ID, nil, nil)
			if code, out := trigger(t, f.h.url, typeCreated, "--key", tokA.Token, "--tenant", a, "--session", quiet.id); code == 0 || !strings.Contains(out, "401") {
				t.Errorf("hookd trigger with a revoked token: exit %d\n%s", code, out)
			}
			cmd := exec.Command(hookdBin, "listen", "--server", f.h.url, "--key", tokA.Token, "--tenant", a, "--forward-to", laptop.URL)
			cmd.Env = cleanEnv()
			if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "401") {
				t.Errorf("hookd listen with a revoked token: %v\n%s", err, out)
			}
		})

		quiet.stop(t)
		eventually(t, 20*time.Second, func() (bool, string) {
			var sessions list[struct{ ID string }]
			f.admin.must(t, 200, "GET", "/v1/tenants/"+a+"/local-sessions", nil, &sessions)
			return len(sessions.Data) == 0, "the session stayed listed after hookd listen exited"
		})
	})
}
