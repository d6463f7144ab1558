package bench

import (
	"slices"
	"time"
)

// Percentiles summarises a set of latencies, in milliseconds.
type Percentiles struct {
	P50, P90, P99, Max, Mean float64
}

// percentiles computes nearest-rank percentiles; it sorts d.
func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return Percentiles{
		P50:  ms(rank(d, 0.50)),
		P90:  ms(rank(d, 0.90)),
		P99:  ms(rank(d, 0.99)),
		Max:  ms(d[len(d)-1]),
		Mean: ms(sum / time.Duration(len(d))),
	}
}

// rank is the nearest-rank percentile p of sorted d: the smallest value
// with at least p of the values at or below it.
func rank(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.999999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

// round keeps n decimals.
func round(v float64, n int) float64 {
	p := 1.0
	for range n {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

// perSecond is n over d.
func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return round(float64(n)/d.Seconds(), 1)
}
