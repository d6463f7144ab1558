package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPU is what a measured phase cost in CPU seconds per 1,000 deliveries,
// process by process, so that the whole machine's cost of a delivery can be
// told from what the bench and the machine's other tenants spent.
type CPU struct {
	// CPUPer1000 is the server's user+system time (every node's, with
	// --nodes).
	CPUPer1000 float64 `json:"cpu_seconds_per_1000_deliveries,omitempty"`
	// BenchCPUPer1000 is the bench's own (publishers, sink), which shares
	// the machine.
	BenchCPUPer1000 float64 `json:"bench_cpu_seconds_per_1000_deliveries,omitempty"`
	// DatabaseCPUPer1000 is every PostgreSQL process's time (processes
	// whose comm is "postgres": backends, writers, and through the
	// postmaster's children times, backends that ended during the phase);
	// 0 for SQLite, which runs inside the server; absent when unknown (a
	// --server the bench did not start).
	DatabaseCPUPer1000 *float64 `json:"database_cpu_seconds_per_1000_deliveries,omitempty"`
	// DatabaseBackendsCPUPer1000 is the part of it spent by the backends
	// connected to the server's own database and still there at the end:
	// unlike the figure above, it leaves out other databases' work on a
	// shared PostgreSQL, and the shared writers (WAL, checkpoints).
	DatabaseBackendsCPUPer1000 float64 `json:"database_backends_cpu_seconds_per_1000_deliveries,omitempty"`
	// DatabaseOthersCPUPer1000 is the part spent by backends connected to
	// other databases, still there at the end: the work of the shared
	// PostgreSQL's other tenants. The rest of DatabaseCPUPer1000 is the
	// shared writers' and the backends' that ended.
	DatabaseOthersCPUPer1000 float64 `json:"database_others_cpu_seconds_per_1000_deliveries,omitempty"`
	// ServerDatabaseCPUPer1000 is the server's and the database's together.
	ServerDatabaseCPUPer1000 float64 `json:"server_database_cpu_seconds_per_1000_deliveries,omitempty"`
	// MachineCPUPer1000 is the whole machine's busy time (/proc/stat: user,
	// nice, system, irq, softirq, on every CPU); MachineLessBenchCPUPer1000
	// the same less the bench's.
	MachineCPUPer1000          float64 `json:"machine_cpu_seconds_per_1000_deliveries,omitempty"`
	MachineLessBenchCPUPer1000 float64 `json:"machine_less_bench_cpu_seconds_per_1000_deliveries,omitempty"`
	// OtherCPUPer1000 is the machine's less the server's, the database's and
	// the bench's: what the machine's other tenants did meanwhile. It may
	// come out slightly negative: the figures are read at different instants
	// with a 10 ms resolution.
	OtherCPUPer1000 float64 `json:"other_cpu_seconds_per_1000_deliveries,omitempty"`
}

// cpuSeconds are the CPU seconds a phase took, by process.
type cpuSeconds struct {
	server, bench, database, backends, others, machine float64
	serverKnown, databaseKnown                         bool
}

func (a cpuSeconds) plus(b cpuSeconds) cpuSeconds {
	return cpuSeconds{server: a.server + b.server, bench: a.bench + b.bench, database: a.database + b.database,
		backends: a.backends + b.backends, others: a.others + b.others, machine: a.machine + b.machine,
		serverKnown: a.serverKnown && b.serverKnown, databaseKnown: a.databaseKnown && b.databaseKnown}
}

// per1000 turns seconds into seconds per 1,000 deliveries.
func (a cpuSeconds) per1000(deliveries int) CPU {
	if deliveries <= 0 {
		return CPU{}
	}
	k := float64(deliveries) / 1000
	f := func(v float64) float64 { return round(v/k, 4) }
	c := CPU{BenchCPUPer1000: f(a.bench), MachineCPUPer1000: f(a.machine), MachineLessBenchCPUPer1000: f(a.machine - a.bench)}
	if a.serverKnown {
		c.CPUPer1000 = f(a.server)
	}
	if a.databaseKnown {
		db := f(a.database)
		c.DatabaseCPUPer1000 = &db
		c.DatabaseBackendsCPUPer1000 = f(a.backends)
		c.DatabaseOthersCPUPer1000 = f(a.others)
	}
	if a.serverKnown && a.databaseKnown {
		c.ServerDatabaseCPUPer1000 = f(a.server + a.database)
		c.OtherCPUPer1000 = f(a.machine - a.server - a.database - a.bench)
	}
	return c
}

// measure is a phase's resource use, from /proc at its start and end.
type measure struct {
	pids      []int // the server's processes (one per node)
	dbComm    string
	dbName    string
	inProcess bool // the database is the server's own (SQLite)
	start     sample
	startErr  error
	urls      []string // the servers' base URLs, for their lease counters
	leases    Leases
	leasesErr error
}

// sample is one reading of the figures a phase's cost is the change of.
type sample struct {
	server    []procStats
	self      procStats
	machine   time.Duration
	database  map[int]procStats // by pid
	backends  map[int]bool      // backends by pid: true for the server's database's, false for another's
	machineOK bool
}

func (s *session) startMeasure() *measure {
	m := &measure{pids: s.srv.pids(), dbComm: s.srv.DatabaseProcess, inProcess: s.srv.Database != "" && s.srv.DatabaseProcess == ""}
	if m.dbComm != "" {
		m.dbName = databaseName(s.srv.Database)
	}
	m.start, m.startErr = m.read()
	m.urls = s.srv.urls()
	m.leases, m.leasesErr = readLeases(context.Background(), m.urls)
	return m
}

func (m *measure) read() (sample, error) {
	var s sample
	var errs []error
	s.self, _ = readProc(os.Getpid())
	for _, pid := range m.pids {
		p, err := readProc(pid)
		errs = append(errs, err)
		s.server = append(s.server, p)
	}
	s.machine, s.machineOK = machineBusy()
	if m.dbComm != "" {
		s.database, s.backends = processes(m.dbComm, m.dbName)
	}
	return s, errors.Join(errs...)
}

// seconds is the CPU spent since the start.
func (m *measure) seconds() (cpuSeconds, sample, error) {
	end, err := m.read()
	var c cpuSeconds
	c.bench = (end.self.cpu - m.start.self.cpu).Seconds()
	if err == nil && m.startErr == nil && len(m.pids) > 0 {
		c.serverKnown = true
		for i := range end.server {
			c.server += (end.server[i].cpu - m.start.server[i].cpu).Seconds()
		}
	}
	if end.machineOK && m.start.machineOK {
		c.machine = (end.machine - m.start.machine).Seconds()
	}
	switch {
	case m.dbComm != "":
		c.databaseKnown = true
		c.database, c.backends, c.others = databaseSeconds(m.start, end)
	case m.inProcess:
		c.databaseKnown = true
	}
	return c, end, errors.Join(err, m.startErr)
}

// finish fills the resource figures of res for deliveries.
func (m *measure) finish(res *Result, deliveries int) cpuSeconds {
	c, end, err := m.seconds()
	if len(m.pids) > 0 && err != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("server process figures unavailable: %v", err))
	}
	res.CPU = c.per1000(deliveries)
	if len(m.pids) > 0 && err == nil {
		var rss int64
		for _, p := range end.server {
			rss += p.peakRSS
		}
		res.PeakRSSMiB = round(float64(rss)/(1<<20), 1)
	}
	leases, err := readLeases(context.Background(), m.urls)
	if err = errors.Join(m.leasesErr, err); err != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("hand-off figures unavailable: %v", err))
	} else {
		res.Leases = leases.minus(m.leases)
	}
	return c
}

// databaseSeconds is the CPU the database's processes spent between two
// samples. Each process counts its own time and that of its children that
// ended (cutime, cstime), so a backend that ended during the phase is still
// counted, in the postmaster's figures, once it has been reaped; one that
// began during it counts in full. The backends' shares (the server's
// database's, other databases') count only those still there at the end.
func databaseSeconds(start, end sample) (all, backends, others float64) {
	var total time.Duration
	for pid, p := range end.database {
		d := p.cpu + p.children
		if q, ok := start.database[pid]; ok {
			d -= q.cpu + q.children
		}
		total += d
		if ours, ok := end.backends[pid]; ok {
			own := p.cpu
			if q, ok := start.database[pid]; ok {
				own -= q.cpu
			}
			if ours {
				backends += own.Seconds()
			} else {
				others += own.Seconds()
			}
		}
	}
	for pid, q := range start.database {
		if _, ok := end.database[pid]; !ok {
			total -= q.cpu + q.children // now in its parent's children times
		}
	}
	return total.Seconds(), backends, others
}

// processes reads every process whose comm is comm, and which of them are
// PostgreSQL backends (their title, as ps shows it, is "postgres:
// [cluster: ]user database host(port) state"), connected to database dbName
// (true) or another (false).
func processes(comm, dbName string) (map[int]procStats, map[int]bool) {
	all, backends := map[int]procStats{}, map[int]bool{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(dir + "/stat")
		if err != nil || !bytes.Contains(stat, []byte("("+comm+")")) {
			continue
		}
		p, err := parseStat(pid, stat)
		if err != nil || p.comm != comm {
			continue
		}
		all[pid] = p
		if dbName == "" {
			continue
		}
		title, _ := os.ReadFile(dir + "/cmdline")
		if db, ok := backendOf(string(bytes.ReplaceAll(title, []byte{0}, []byte{' '})), comm); ok {
			backends[pid] = db == dbName
		}
	}
	return all, backends
}

// backendOf reads the database of a PostgreSQL backend from its process
// title, e.g. "postgres: 15/main: hookd hookd_db 127.0.0.1(5432) idle";
// false for other processes (writers, autovacuum, the postmaster).
func backendOf(title, comm string) (database string, ok bool) {
	f := strings.Fields(title)
	if len(f) < 4 || f[0] != comm+":" {
		return "", false
	}
	if strings.HasSuffix(f[1], ":") { // the cluster's name
		f = f[1:]
	}
	if len(f) < 4 || !(strings.HasSuffix(f[3], ")") || f[3] == "[local]") {
		return "", false
	}
	return f[2], true
}

// databaseName is the database a postgres:// URL names.
func databaseName(url string) string {
	_, rest, ok := strings.Cut(url, "://")
	if !ok {
		return ""
	}
	_, path, _ := strings.Cut(rest, "/")
	name, _, _ := strings.Cut(path, "?")
	return name
}

// machineBusy is the time every CPU of the machine spent busy so far:
// user, nice, system, irq and softirq in /proc/stat (guest time is in user
// already; idle, iowait and steal are not busy).
func machineBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 8 || f[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} { // user nice system (idle iowait) irq softirq
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, true
}
