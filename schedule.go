package hookd

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Schedule is the wait before each retry: the first attempt goes at once, the
// second after Schedule[0], and so on; len(Schedule)+1 attempts in all.
type Schedule []time.Duration

// DefaultSchedule is 8 attempts over about 45 hours.
var DefaultSchedule = Schedule{
	time.Minute, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// Schedule limits: enough for any sane policy, bounded so a typo cannot keep
// a delivery alive for a year.
const (
	MaxScheduleSteps = 50
	MaxScheduleStep  = 7 * 24 * time.Hour
)

// ParseSchedule reads a comma-separated list such as "1m,5m,30m".
func ParseSchedule(s string) (Schedule, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty retry schedule")
	}
	return ScheduleFromStrings(strings.Split(s, ","))
}

// ScheduleFromStrings reads durations such as ["1s","5s"]. An empty list is a
// valid schedule: one attempt, no retries.
func ScheduleFromStrings(steps []string) (Schedule, error) {
	if len(steps) > MaxScheduleSteps {
		return nil, fmt.Errorf("at most %d retries", MaxScheduleSteps)
	}
	out := make(Schedule, 0, len(steps))
	for _, step := range steps {
		d, err := time.ParseDuration(strings.TrimSpace(step))
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration like 30s, 5m or 2h", step)
		}
		if d < time.Second || d > MaxScheduleStep {
			return nil, fmt.Errorf("%q must be between 1s and %s", step, MaxScheduleStep)
		}
		out = append(out, d)
	}
	return out, nil
}

// Strings returns the schedule as short duration strings: "1m", "2h", "1h30m".
func (s Schedule) Strings() []string {
	out := make([]string, len(s))
	for i, d := range s {
		out[i] = FormatDuration(d)
	}
	return out
}

// FormatDuration writes d like time.Duration.String without zero units:
// 1m rather than 1m0s, 2h rather than 2h0m0s.
func FormatDuration(d time.Duration) string {
	str := d.String()
	if strings.HasSuffix(str, "m0s") {
		str = strings.TrimSuffix(str, "0s")
	}
	if strings.HasSuffix(str, "h0m") {
		str = strings.TrimSuffix(str, "0m")
	}
	return str
}

// MarshalJSON writes the schedule as duration strings.
func (s Schedule) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	return json.Marshal(s.Strings())
}

// UnmarshalJSON reads duration strings.
func (s *Schedule) UnmarshalJSON(b []byte) error {
	var steps []string
	if err := json.Unmarshal(b, &steps); err != nil {
		return fmt.Errorf("retry schedule must be a list of durations like [\"1m\",\"5m\"]")
	}
	out, err := ScheduleFromStrings(steps)
	if err != nil {
		return err
	}
	*s = out
	return nil
}

// MaxRetryAfter caps how far a receiver's Retry-After can push an attempt.
const MaxRetryAfter = 24 * time.Hour

// Outcome is the result of one attempt, as the dispatcher judged it.
type Outcome struct {
	Success bool
	// Gone is set on 410: the receiver says the endpoint no longer exists.
	Gone bool
	// RetryAfter is the receiver's requested minimum wait (429 or 503), or 0.
	RetryAfter time.Duration
	// Cancelled is set when the endpoint's transformation cancelled the
	// delivery: no request was sent, and it is neither a success nor a failure.
	Cancelled bool
}

// NextAttemptAfter returns how long to wait before the next attempt of a
// delivery that has made runAttempts attempts since it was created or last
// replayed, or false when the schedule is used up and the delivery fails.
// jitter, in [-1, 1] of the step (0.1: 10% later), spreads retries of many
// deliveries that failed together; Retry-After then pushes the attempt
// later, never earlier.
func (s Schedule) NextAttemptAfter(runAttempts int, o Outcome, jitter float64) (time.Duration, bool) {
	if o.Success || o.Cancelled || runAttempts < 1 || runAttempts > len(s) {
		return 0, false
	}
	wait := time.Duration(float64(s[runAttempts-1]) * (1 + jitter))
	if ra := min(o.RetryAfter, MaxRetryAfter); ra > wait {
		wait = ra
	}
	return wait, true
}
