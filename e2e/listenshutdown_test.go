package e2e

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSigtermWithListenSession stops hookd while a hookd listen session
// holds its stream open. The stream never ends by itself, so it used to
// hold http.Server.Shutdown for its whole 10 s; now the session ends as
// shutdown starts, then the process stops cleanly.
func TestSigtermWithListenSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	var out lineBuffer
	listen := exec.Command(hookdBin, "listen", "--server", f.h.url, "--key", f.h.key, "--tenant", ten,
		"--forward-to", "http://127.0.0.1:9/hook")
	listen.Env = cleanEnv()
	listen.Stdout, listen.Stderr = &out, &out
	if err := listen.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = listen.Process.Kill(); _ = listen.Wait() })
	eventually(t, 20*time.Second, func() (bool, string) {
		return strings.Contains(f.h.stderr.String(), "listen session connected"), "the listen session did not connect:\n" + out.String()
	})

	start := time.Now()
	f.h.ended.Store(true)
	_ = f.h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.h.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("hookd did not exit after SIGTERM:\n%s", f.h.stderr.String())
	}
	took := time.Since(start)
	if f.h.err != nil {
		t.Fatalf("exit: %v, want status 0\n%s", f.h.err, f.h.stderr.String())
	}
	// Loose on purpose: the old behaviour was the full 10 s request deadline.
	if took >= 10*time.Second {
		t.Errorf("hookd took %s to stop with a listen session open; the stream held the shutdown", took)
	}
	log := f.h.stderr.String()
	ended, stopped := strings.Index(log, "listen session ended"), strings.Index(log, `msg=stopped`)
	if ended < 0 || stopped < 0 || ended > stopped || ended < strings.Index(log, "shutting down") {
		t.Errorf("want the session to end after shutdown starts and before hookd stops:\n%s", log)
	}
	eventually(t, 10*time.Second, func() (bool, string) {
		return strings.Contains(out.String(), "Connection lost"), "the listen CLI did not see its stream end:\n" + out.String()
	})
	t.Logf("stopped %s after SIGTERM with a listen session open", took.Round(time.Millisecond))
}
