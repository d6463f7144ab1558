package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server is the hookd a scenario runs against.
type Server struct {
	URL string // base URL of the REST API
	Key string // an admin API key
	// PID is the server's process on this machine, for its memory and CPU
	// figures; 0 when unknown (a remote server).
	PID int
	// PprofURL is the server's pprof endpoint base ("" when off).
	PprofURL string
	// Workers is the server's --workers, which bounds its requests in
	// flight; 0 when unknown (then the default, 256, is assumed).
	Workers int
	// Stop ends a server the bench started; nil for one it only targets.
	Stop func() error
	// Throwaway is true when the server's database goes away with it, so
	// the bench need not delete what it created.
	Throwaway bool
}

// Starter provides the server for one scenario: a fresh one the bench
// spawns, or the same external one every time.
type Starter func(ctx context.Context, scenario string) (*Server, error)

// SpawnOptions say how to start a `hookd serve` for a scenario.
type SpawnOptions struct {
	Binary   string // the hookd executable
	Dir      string // a directory for the database and its key file
	Database string // "" for a new SQLite file in Dir; a postgres:// URL is passed as is
	Workers  int    // --workers; 0 for the server's default
	// MaxEndpointsPerTenant raises the server's limit for wide fan-outs.
	MaxEndpointsPerTenant int
	Pprof                 bool     // serve pprof on a free loopback port
	ExtraArgs             []string // more flags for serve
	// Log receives the server's log lines as they come (nil: kept only to
	// report a failed start).
	Log io.Writer
}

// Spawn starts `hookd serve` on a free loopback port with a temporary admin
// key and private targets allowed (the sink is on 127.0.0.1), and waits
// for its "hookd started" log line.
func Spawn(ctx context.Context, o SpawnOptions) (*Server, error) {
	key := "hk_bench_" + randomToken(24)
	db := o.Database
	if db == "" {
		db = filepath.Join(o.Dir, "bench.db")
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--database", db, "--admin-key", key,
		"--allow-private-targets", "--log-format", "json", "--shutdown-timeout", "2s"}
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		args = append(args, "--encryption-key", encryptionKey())
	}
	if o.Workers > 0 {
		args = append(args, "--workers", strconv.Itoa(o.Workers))
	}
	// The bench's own --max-in-flight (up to 1000) sets its endpoints'.
	args = append(args, "--max-endpoint-in-flight", "1000")
	if o.MaxEndpointsPerTenant > 0 {
		args = append(args, "--max-endpoints-per-tenant", strconv.Itoa(o.MaxEndpointsPerTenant))
	}
	if o.Pprof {
		args = append(args, "--pprof-addr", "127.0.0.1:0")
	}
	args = append(args, o.ExtraArgs...)

	cmd := exec.Command(o.Binary, args...)
	cmd.Dir = o.Dir
	cmd.Env = withoutHookdEnv(os.Environ())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.Binary, err)
	}
	exited := make(chan struct{})
	var waitErr error
	logs := &tail{max: 40}
	started := make(chan startedLine, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var pprofAddr string
		for sc.Scan() {
			line := sc.Bytes()
			logs.add(string(line))
			if o.Log != nil {
				fmt.Fprintf(o.Log, "%s\n", line)
			}
			var l startedLine
			if json.Unmarshal(line, &l) != nil {
				continue
			}
			switch l.Msg {
			case "pprof listening":
				pprofAddr = l.Addr
			case "hookd started":
				l.pprof = pprofAddr
				select {
				case started <- l:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() error {
		select {
		case <-exited:
			return nil
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) && ee.ExitCode() > 0 {
			return fmt.Errorf("hookd serve exited with %d:\n%s", ee.ExitCode(), logs.String())
		}
		return nil
	}
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	select {
	case l := <-started:
		if o.Pprof && l.pprof == "" {
			_ = stop()
			return nil, errors.New("hookd serve did not log its pprof address (does it support --pprof-addr?)")
		}
		s := &Server{URL: "http://" + l.Addr, Key: key, PID: cmd.Process.Pid, Workers: o.Workers, Stop: stop, Throwaway: o.Database == ""}
		if l.pprof != "" {
			s.PprofURL = "http://" + l.pprof
		}
		return s, nil
	case <-exited:
		return nil, fmt.Errorf("hookd serve exited before listening (%v):\n%s", waitErr, logs.String())
	case <-ctx.Done():
		_ = stop()
		return nil, ctx.Err()
	case <-timeout.C:
		_ = stop()
		return nil, fmt.Errorf("hookd serve did not log \"hookd started\" within 60s:\n%s", logs.String())
	}
}

type startedLine struct {
	Msg   string `json:"msg"`
	Addr  string `json:"addr"`
	pprof string
}

func withoutHookdEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "HOOKD_") {
			out = append(out, kv)
		}
	}
	return out
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

func encryptionKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// tail keeps the last lines of a log.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// procStats are a process's resource figures from /proc.
type procStats struct {
	cpu     time.Duration // user + system time so far
	peakRSS int64         // VmHWM, bytes
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// readProc reads pid's CPU time and peak resident set size.
func readProc(pid int) (procStats, error) {
	var s procStats
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces: fields are counted from
	// the last ')'. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return s, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	s.cpu = time.Duration(utime+stime) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return s, fmt.Errorf("/proc/%d/status VmHWM: %w", pid, err)
			}
			s.peakRSS = kb << 10
		}
	}
	return s, nil
}
