package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Leases is how a phase's deliveries reached the server's workers, from
// its /metrics (every node's): leased by the publish that created them
// (hand-off, no claim and no second read) or by a claim (retries, and
// what the hand-off left: a busy or saturated node's).
type Leases struct {
	HandedOff int64 `json:"handed_off,omitempty"`
	Claimed   int64 `json:"claimed,omitempty"`
}

// The counters Leases is the change of.
const (
	handedOffMetric = "hookd_deliveries_handed_off_total"
	claimedMetric   = "hookd_claim_batch_size_sum"
)

// readLeases adds up the lease counters of the servers at urls.
func readLeases(ctx context.Context, urls []string) (Leases, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var total Leases
	for _, u := range urls {
		l, err := nodeLeases(ctx, u)
		if err != nil {
			return Leases{}, err
		}
		total.HandedOff += l.HandedOff
		total.Claimed += l.Claimed
	}
	return total, nil
}

func nodeLeases(ctx context.Context, base string) (Leases, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return Leases{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Leases{}, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Leases{}, fmt.Errorf("metrics: %s answered %s", base, resp.Status)
	}
	var l Leases
	var found int
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		var into *int64
		switch {
		case !ok:
			continue
		case name == handedOffMetric:
			into = &l.HandedOff
		case name == claimedMetric:
			into = &l.Claimed
		default:
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return Leases{}, fmt.Errorf("metrics: %s: %w", name, err)
		}
		*into = int64(v)
		found++
	}
	if err := sc.Err(); err != nil {
		return Leases{}, fmt.Errorf("metrics: %w", err)
	}
	if found < 2 {
		return Leases{}, fmt.Errorf("metrics: %s has no %s or %s", base, handedOffMetric, claimedMetric)
	}
	return l, nil
}

func (a Leases) minus(b Leases) Leases {
	return Leases{HandedOff: a.HandedOff - b.HandedOff, Claimed: a.Claimed - b.Claimed}
}

func (a Leases) plus(b Leases) Leases {
	return Leases{HandedOff: a.HandedOff + b.HandedOff, Claimed: a.Claimed + b.Claimed}
}
