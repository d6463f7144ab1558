package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// testAdminKey is the --admin-key every test server accepts unless a test
// asks for none.
const testAdminKey = "e2e-admin-key-0123456789abcdefgh" // 32 characters

// config says how to start one `hookd serve`.
type config struct {
	db        string   // database file; default: a new file in t.TempDir()
	adminKey  string   // default testAdminKey
	noAdmin   bool     // start without --admin-key
	strict    bool     // without --allow-private-targets
	extraArgs []string // more flags
	command   string   // hookd's command; default serve
	env       []string // more environment variables (NAME=value)
}

// hookdProc is one running `hookd serve`.
type hookdProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	db     string
	key    string // the admin key, "" when started without one
	url    string // http://127.0.0.1:NNNNN
	stdout *lineBuffer
	stderr *lineBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result, set before done closes
	ended  atomic.Bool   // the test stopped or killed it on purpose
}

// startedLine finds the address in the start-up line, text or JSON.
var startedLine = regexp.MustCompile(`msg="hookd started".* addr=(\S+)|"msg":"hookd started".*"addr":"([^"]+)"`)

// startHookd starts hookd and waits until it listens. It is stopped with
// SIGTERM (then SIGKILL after 10 s) when the test ends.
func startHookd(t testing.TB, c config) *hookdProc {
	t.Helper()
	if c.db == "" {
		c.db = filepath.Join(t.TempDir(), "hookd.db")
	}
	p := &hookdProc{t: t, db: c.db, done: make(chan struct{})}
	if c.command == "" {
		c.command = "serve"
	}
	args := []string{c.command, "--addr", "127.0.0.1:0", "--database", c.db, "--retry-jitter", "0"}
	if !c.noAdmin {
		p.key = c.adminKey
		if p.key == "" {
			p.key = testAdminKey
		}
		args = append(args, "--admin-key", p.key)
	}
	if !c.strict {
		args = append(args, "--allow-private-targets")
	}
	args = append(args, c.extraArgs...)

	addr := make(chan string, 1)
	p.stdout = &lineBuffer{}
	p.stderr = &lineBuffer{onLine: func(line string) {
		if m := startedLine.FindStringSubmatch(line); m != nil {
			select {
			case addr <- m[1] + m[2]:
			default:
			}
		}
	}}
	p.cmd = exec.Command(hookdBin, args...)
	p.cmd.Dir = filepath.Dir(c.db)
	p.cmd.Env = append(cleanEnv(), c.env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start hookd: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.exited() && !p.ended.Load() {
			t.Errorf("hookd (%s) exited on its own during the test: %v", c.db, p.err)
		}
		p.stop()
		if t.Failed() {
			t.Logf("hookd (%s) stderr:\n%s", c.db, p.stderr.String())
		}
	})

	select {
	case a := <-addr:
		p.url = "http://" + a
	case <-p.done:
		t.Fatalf("hookd exited before listening: %v\nstderr:\n%s", p.err, p.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("hookd did not log %q within 20s\nstderr:\n%s", "hookd started", p.stderr.String())
	}
	return p
}

// cleanEnv is the test's environment without HOOKD_* settings, so that a
// developer's shell cannot change what the tests run.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOOKD_") {
			env = append(env, kv)
		}
	}
	return env
}

// admin is an API client with the admin key.
func (p *hookdProc) admin() *apiClient { return p.client(p.key) }

// client is an API client with the given key ("" sends none).
func (p *hookdProc) client(key string) *apiClient {
	return &apiClient{base: p.url, key: key}
}

// stop sends SIGTERM and waits up to 10 s, then kills. It returns the
// process's exit error (nil for exit status 0). Safe to call twice.
func (p *hookdProc) stop() error {
	p.ended.Store(true)
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Errorf("hookd did not exit within 10s of SIGTERM; killing it")
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return p.err
}

// kill stops the process with SIGKILL, as a crash would.
func (p *hookdProc) kill() {
	p.ended.Store(true)
	_ = p.cmd.Process.Kill()
	<-p.done
}

// exited reports whether the process has exited.
func (p *hookdProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitCode is the exit status of an exited process (-1 when killed by a signal).
func (p *hookdProc) exitCode() int {
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		return -1
	}
	return 0
}

// lineBuffer keeps everything written to it and calls onLine with each
// complete line.
type lineBuffer struct {
	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	onLine  func(string)
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all.Write(p)
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		line := string(b.partial[:i])
		b.partial = b.partial[i+1:]
		if b.onLine != nil {
			b.onLine(line)
		}
	}
	return len(p), nil
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.all.String()
}

// startFails runs hookd serve with args on a new database, expects it to
// refuse to start, and returns what it printed.
func startFails(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(hookdBin, append([]string{"serve", "--addr", "127.0.0.1:0", "--database", filepath.Join(t.TempDir(), "hookd.db")}, args...)...)
	cmd.Env = cleanEnv()
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("hookd %v did not refuse to start", args)
	}
	if err == nil {
		t.Fatalf("hookd %v exited 0; want a refusal", args)
	}
	return string(out)
}
