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
	// Database is the server's SQLite file or PostgreSQL URL, for the
	// database's size; "" when unknown (a server the bench did not start).
	Database string
	// DatabaseProcess is the command name of the database's processes on
	// this machine ("postgres"), whose CPU counts as the database's; "" for
	// SQLite, which runs inside the server.
	DatabaseProcess string
	// MoreNodes are further servers on the same database (--nodes): the
	// bench publishes to them and URL in turn, and adds up their CPU and
	// memory. Everything else (tenants, endpoints) goes through URL.
	MoreNodes []Node
}

// Node is one more server process of a deployment.
type Node struct {
	URL string
	PID int // 0 when unknown
}

// urls are the base URLs publishes go to, in turn.
func (s *Server) urls() []string {
	out := []string{s.URL}
	for _, n := range s.MoreNodes {
		out = append(out, n.URL)
	}
	return out
}

// pids are the server's processes on this machine; nil when unknown.
func (s *Server) pids() []int {
	if s.PID <= 0 {
		return nil
	}
	out := []int{s.PID}
	for _, n := range s.MoreNodes {
		if n.PID <= 0 {
			return nil
		}
		out = append(out, n.PID)
	}
	return out
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
	Pprof                 bool // serve pprof on a free loopback port
	// AdminKey and EncryptionKey are the server's; "" for new random ones.
	// Nodes of one PostgreSQL database must share both.
	AdminKey, EncryptionKey string
	ExtraArgs               []string // more flags for serve
	// Log receives the server's log lines as they come (nil: kept only to
	// report a failed start).
	Log io.Writer
}

// Spawn starts `hookd serve` on a free loopback port with a temporary admin
// key and private targets allowed (the sink is on 127.0.0.1), and waits
// for its "hookd started" log line.
func Spawn(ctx context.Context, o SpawnOptions) (*Server, error) {
	key := o.AdminKey
	if key == "" {
		key = "hk_bench_" + randomToken(24)
	}
	db := o.Database
	if db == "" {
		db = filepath.Join(o.Dir, "bench.db")
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--database", db, "--admin-key", key,
		"--allow-private-targets", "--log-format", "json", "--shutdown-timeout", "2s"}
	postgres := IsPostgresURL(db)
	if postgres {
		if o.EncryptionKey == "" {
			o.EncryptionKey = encryptionKey()
		}
		args = append(args, "--encryption-key", o.EncryptionKey)
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
		s := &Server{URL: "http://" + l.Addr, Key: key, PID: cmd.Process.Pid, Workers: o.Workers, Stop: stop,
			Throwaway: o.Database == "", Database: db}
		if postgres {
			s.DatabaseProcess = "postgres"
		}
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

// SpawnNodes starts n servers on one PostgreSQL database, one after the
// other (the first migrates it and stores the admin key), with the same
// admin and encryption keys, and returns them as one Server.
func SpawnNodes(ctx context.Context, o SpawnOptions, n int) (*Server, error) {
	if n <= 1 {
		return Spawn(ctx, o)
	}
	if !IsPostgresURL(o.Database) {
		return nil, errors.New("more than one node needs a PostgreSQL database")
	}
	if o.AdminKey == "" {
		o.AdminKey = "hk_bench_" + randomToken(24)
	}
	if o.EncryptionKey == "" {
		o.EncryptionKey = encryptionKey()
	}
	var nodes []*Server
	stopAll := func() error {
		errs := make([]error, len(nodes))
		var wg sync.WaitGroup
		for i, s := range nodes {
			wg.Go(func() { errs[i] = s.Stop() })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	for i := range n {
		node := o
		node.Pprof = o.Pprof && i == 0 // --cpuprofile profiles the first node
		s, err := Spawn(ctx, node)
		if err != nil {
			_ = stopAll()
			return nil, fmt.Errorf("node %d: %w", i+1, err)
		}
		nodes = append(nodes, s)
	}
	first := *nodes[0]
	for _, s := range nodes[1:] {
		first.MoreNodes = append(first.MoreNodes, Node{URL: s.URL, PID: s.PID})
	}
	first.Workers = n * max(o.Workers, defaultWorkers)
	first.Stop = stopAll
	return &first, nil
}

// IsPostgresURL reports whether a --database names a PostgreSQL database.
func IsPostgresURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
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
	comm     string
	cpu      time.Duration // user + system time so far
	children time.Duration // user + system time of its children that ended and were waited for
	peakRSS  int64         // VmHWM, bytes
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// readProc reads pid's CPU time and peak resident set size.
func readProc(pid int) (procStats, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStats{}, err
	}
	s, err := parseStat(pid, stat)
	if err != nil {
		return s, err
	}
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

// parseStat reads the command name and CPU times of /proc/<pid>/stat.
func parseStat(pid int, stat []byte) (procStats, error) {
	var s procStats
	// The command name (field 2) may hold spaces: fields are counted from
	// the last ')'. utime, stime, cutime and cstime are fields 14 to 17.
	i := bytes.LastIndexByte(stat, ')')
	j := bytes.IndexByte(stat, '(')
	if i < 0 || j < 0 || j > i {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	s.comm = string(stat[j+1 : i])
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 15 {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	var t [4]int64
	for k := range t {
		n, err := strconv.ParseInt(f[11+k], 10, 64)
		if err != nil {
			return s, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		t[k] = n
	}
	s.cpu = time.Duration(t[0]+t[1]) * time.Second / clockTicks
	s.children = time.Duration(t[2]+t[3]) * time.Second / clockTicks
	return s, nil
}
