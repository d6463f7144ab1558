package main

import (
	"fmt"

	"github.com/hookd/hookd"
)

// inFlightLimits resolves --tenant-max-in-flight and --max-endpoint-in-flight,
// whose defaults follow --workers (see hookd.DefaultTenantMaxInFlight).
func (c *serveCmd) inFlightLimits() (tenant, endpoint int, err error) {
	if c.Workers < 1 {
		return 0, 0, fmt.Errorf("--workers must be at least 1, got %d", c.Workers)
	}
	tenant, endpoint = c.TenantMaxInFlight, c.MaxEndpointInFlight
	if tenant == 0 {
		tenant = hookd.DefaultTenantMaxInFlight(c.Workers)
	}
	if endpoint == 0 {
		endpoint = min(hookd.DefaultMaxEndpointInFlight(c.Workers), hookd.MaxMaxInFlight)
	}
	if tenant < 1 || tenant > hookd.MaxTenantMaxInFlight {
		return 0, 0, fmt.Errorf("--tenant-max-in-flight must be between 1 and %d, got %d", hookd.MaxTenantMaxInFlight, tenant)
	}
	if endpoint < 1 || endpoint > hookd.MaxMaxInFlight {
		return 0, 0, fmt.Errorf("--max-endpoint-in-flight must be between 1 and %d, got %d", hookd.MaxMaxInFlight, endpoint)
	}
	return tenant, endpoint, nil
}
