package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes one JSON object per result, one per line.
func WriteJSON(w io.Writer, results []*Result) error {
	enc := json.NewEncoder(w)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// WriteTable writes the results as a table for people, then the figures
// particular to each scenario and any notes.
func WriteTable(w io.Writer, results []*Result) error {
	if len(results) == 0 {
		return nil
	}
	e := results[0]
	fmt.Fprintf(w, "hookd bench · %s · commit %s · %d CPUs (%s) · %s\n\n",
		orDash(e.Database), orDash(e.Commit), e.CPUs, orDash(e.CPUModel), e.Go)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tevents\tfan-out\tbatch\tdeliveries\tlost\tdup\tbad sig\tdeliveries/s\tceiling/s\tratio\tp50 ms\tp90 ms\tp99 ms\tmax ms\tpeak RSS MiB\tCPU s/1k\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t\n",
			r.Scenario, r.Events, r.Fanout, r.Batch, r.Deliveries, r.Lost, r.Duplicates, r.BadSignatures,
			num(r.DeliveriesPerSecond), num(r.CeilingPerSecond), ratio(r.CeilingRatio),
			r.P50, r.P90, r.P99, r.Max, dec(r.PeakRSSMiB, 1), dec(r.CPUPer1000, 3))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, r := range results {
		var parts []string
		switch r.Scenario {
		case Throughput:
			parts = append(parts, fmt.Sprintf("%s events/s accepted", num(r.EventsPerSecond)),
				fmt.Sprintf("publish answer p50 %.2f ms, p99 %.2f ms", r.PublishP50, r.PublishP99),
				fmt.Sprintf("%d publishers, %d requests in flight to the sink at most", r.Publishers, r.Concurrency))
		case Latency:
			parts = append(parts, fmt.Sprintf("paced at %s events/s (reached %s)", num(r.TargetRate), num(r.AchievedRate)),
				fmt.Sprintf("mean %.2f ms", r.Mean))
		case Fanout:
			parts = append(parts, fmt.Sprintf("all %d deliveries of an event in p50 %.2f ms, max %.2f ms", r.Fanout, r.CompleteP50, r.CompleteMax))
		case Isolation:
			parts = append(parts, fmt.Sprintf("%d healthy endpoints: %s/s alone, %s/s beside %d black-holed (ratio %s)",
				r.Fanout, num(r.HealthyAlonePerSecond), num(r.DeliveriesPerSecond), r.Blackholed, ratio(r.IsolationRatio)),
				fmt.Sprintf("%d connections held by the black hole", r.BlackholeConnections))
		case Idle:
			parts = append(parts, fmt.Sprintf("%d single events; publish answer p50 %.2f ms", r.Events, r.PublishP50))
		case Soak:
			parts = append(parts, fmt.Sprintf("%d rounds, soak ratio %s (last round's rate over the first's), retention %s",
				len(r.Rounds), ratio(r.SoakRatio), retention(r.RetentionSeconds)))
		}
		if r.Nodes > 1 {
			parts = append(parts, fmt.Sprintf("%d nodes on one database", r.Nodes))
		}
		if r.ServerBinary != "" {
			parts = append(parts, "server "+r.ServerBinary)
		}
		if r.PayloadBytes > 0 {
			parts = append(parts, fmt.Sprintf("%d-byte bodies", r.PayloadBytes))
		}
		fmt.Fprintf(w, "%s: %s\n", r.Scenario, strings.Join(parts, "; "))
		if line := cpuLine(r.CPU); line != "" {
			fmt.Fprintf(w, "  CPU s/1k deliveries: %s\n", line)
		}
		if r.HandedOff+r.Claimed > 0 {
			fmt.Fprintf(w, "  leased: %d handed off at publish (%.0f%%), %d by claims\n",
				r.HandedOff, 100*float64(r.HandedOff)/float64(r.HandedOff+r.Claimed), r.Claimed)
		}
		if err := writeRounds(w, r.Rounds); err != nil {
			return err
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// num prints a rate with thousands separators.
func num(v float64) string {
	if v == 0 {
		return "-"
	}
	n := int64(v + 0.5)
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func ratio(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func dec(v float64, places int) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.*f", places, v)
}

// cpuLine lists the CPU figures that are known.
func cpuLine(c CPU) string {
	var parts []string
	add := func(name string, v float64) { parts = append(parts, fmt.Sprintf("%s %.3f", name, v)) }
	if c.CPUPer1000 != 0 {
		add("server", c.CPUPer1000)
	}
	if c.DatabaseCPUPer1000 != nil {
		add("database", *c.DatabaseCPUPer1000)
		if c.DatabaseBackendsCPUPer1000 != 0 || c.DatabaseOthersCPUPer1000 != 0 {
			parts[len(parts)-1] += fmt.Sprintf(" (of which this database's backends %.3f, other databases' %.3f)",
				c.DatabaseBackendsCPUPer1000, c.DatabaseOthersCPUPer1000)
		}
		if c.CPUPer1000 != 0 {
			add("server+database", c.ServerDatabaseCPUPer1000)
		}
	}
	if c.BenchCPUPer1000 != 0 {
		add("bench", c.BenchCPUPer1000)
	}
	if c.MachineCPUPer1000 != 0 {
		add("machine", c.MachineCPUPer1000)
		add("machine less bench", c.MachineLessBenchCPUPer1000)
		if c.CPUPer1000 != 0 && c.DatabaseCPUPer1000 != nil {
			add("other", c.OtherCPUPer1000)
		}
	}
	return strings.Join(parts, ", ")
}

// writeRounds writes the soak's rounds as a table.
func writeRounds(w io.Writer, rounds []Round) error {
	if len(rounds) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  round\tdeliveries\tlost\tdeliveries/s\tratio\tp99 ms\tCPU s/1k\t+db\tmachine-bench\tpurge wait s\tdeliveries MiB\tattempts MiB\tevents MiB\ttables MiB\tindexes MiB\tfile+WAL MiB\tdead rows\t")
	for _, r := range rounds {
		var db string
		if r.DatabaseCPUPer1000 != nil {
			db = dec(r.ServerDatabaseCPUPer1000, 3)
		}
		sizes := "\t\t\t\t\t\t"
		if d := r.Size; d != nil {
			var dead int64
			for _, t := range d.Tables {
				dead += t.DeadRows
			}
			sizes = fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s", tableMiB(d.Table("deliveries")), tableMiB(d.Table("attempts")),
				tableMiB(d.Table("events")), mb(d.TableBytes), mb(d.IndexBytes), mb(d.FileBytes+d.WALBytes), num(float64(dead)))
		}
		fmt.Fprintf(tw, "  %d\t%d\t%d\t%s\t%s\t%.2f\t%s\t%s\t%s\t%s\t%s\t\n", r.Round, r.Deliveries, r.Lost,
			num(r.DeliveriesPerSecond), ratio(r.CeilingRatio), r.P99, dec(r.CPUPer1000, 3), orDash(db),
			dec(r.MachineLessBenchCPUPer1000, 3), dec(r.PurgeWaitSeconds, 1), sizes)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "  (sizes after the purge: table+indexes of each table; +db: server and database CPU together; dead rows: PostgreSQL's count)")
	for _, r := range rounds {
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  round %d note: %s\n", r.Round, n)
		}
	}
	return nil
}

// tableMiB is a table's size and its indexes', in MiB.
func tableMiB(t TableSize) string {
	return fmt.Sprintf("%s+%s", mb(t.TableBytes), mb(t.IndexBytes))
}

func mb(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(b)/(1<<20))
}

func retention(seconds float64) string {
	if seconds == 0 {
		return "none (history kept)"
	}
	return time.Duration(seconds * float64(time.Second)).String()
}
