// Package storetest is the contract every hookd.Store implementation passes.
// A store package runs it from a test:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) hookd.Store { return openTestStore(t) })
//	}
//
// Each subtest opens its own store, so subtests are independent of each other
// and of the order they run in.
package storetest

import (
	"testing"

	"github.com/hookd/hookd"
)

// Run runs the contract against stores made by open. open returns a fresh,
// empty, migrated store per call (and registers its cleanup with t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) hookd.Store) {
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					s := open(t)
					if s == nil {
						t.Fatal("open returned a nil store")
					}
					c.fn(newFixture(t, s))
				})
			}
		})
	}
}

// testCase is one subtest; it gets a fixture around a fresh store.
type testCase struct {
	name string
	fn   func(f *fixture)
}

// group is one concern of the contract, run as a parent subtest.
type group struct {
	name  string
	cases []testCase
}

func groups() []group {
	return []group{
		{"Tenants", tenantTests},
		{"EventTypes", eventTypeTests},
		{"Endpoints", endpointTests},
		{"DeletedEndpoints", deletedEndpointTests},
		{"Publish", publishTests},
		{"Filter", filterTests},
		{"Transform", transformTests},
		{"Egress", egressTests},
		{"Destination", destinationTests},
		{"Idempotency", idempotencyTests},
		{"Deliveries", deliveryTests},
		{"Replay", replayTests},
		{"Queue", queueTests},
		{"HandOff", handOffTests},
		{"FIFO", fifoTests},
		{"Fairness", fairnessTests},
		{"RecordAttempts", recordTests},
		{"AutoDisable", autoDisableTests},
		{"PauseEnable", pauseEnableTests},
		{"Maintenance", maintenanceTests},
		{"APIKeys", apiKeyTests},
		{"LocalSessions", localSessionTests},
		{"CLITokens", cliTokenTests},
		{"TenantIsolation", isolationTests},
		{"Monitoring", monitoringTests},
	}
}
