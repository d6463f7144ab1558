package hookd

import "time"

// LeaseEnd is when a lease taken at now runs out: the endpoint's timeout
// (DefaultTimeout when it has none: the dispatcher pads its grace for a
// longer deployment timeout) plus the grace.
func LeaseEnd(now time.Time, timeout, grace time.Duration) time.Time {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return now.Add(timeout + grace)
}
