package hookd

import (
	"fmt"
	"time"
)

// OpEvents builds operational events (endpoint.disabled, endpoint.enabled,
// delivery.failed: docs/api.md#operational-events) for a store to write in
// the same transaction as the change they report, so that a crash loses
// neither one without the other (an outbox). The events belong to a
// reserved tenant and go to its endpoints. The opevents package implements
// it; a store given none writes none.
type OpEvents interface {
	// Tenant is the reserved tenant the events belong to.
	Tenant() string
	// EndpointChanged builds the event about e as a disable or an enable
	// left it (e.Enabled says which); ok is false when there is nothing to
	// report.
	EndpointChanged(e *Endpoint, now time.Time) (ev NewEvent, ok bool, err error)
	// DeliveryFailed builds the event about a result that made its delivery
	// fail for good; ok is false when there is nothing to report.
	DeliveryFailed(r *AttemptResult, now time.Time) (ev NewEvent, ok bool, err error)
}

// WriteOpEvents builds the events of one transaction (one per delivery it
// made fail for good, then one per endpoint it disabled or enabled, as the
// transaction leaves them) and hands them to publish: the store's publish
// into a tenant within that transaction. A nil b builds none. Before the
// reserved tenant is set up (publish answers ENOTFOUND) there is no one to
// tell, and the change goes ahead alone.
func WriteOpEvents(b OpEvents, failed []*AttemptResult, changed []*Endpoint, now time.Time,
	publish func(tenantID string, events []NewEvent) error) error {
	if b == nil {
		return nil
	}
	var events []NewEvent
	add := func(ev NewEvent, ok bool, err error) error {
		if ok && err == nil {
			events = append(events, ev)
		}
		return err
	}
	for _, r := range failed {
		if err := add(b.DeliveryFailed(r, now)); err != nil {
			return err
		}
	}
	for _, e := range changed {
		if err := add(b.EndpointChanged(e, now)); err != nil {
			return err
		}
	}
	if len(events) == 0 {
		return nil
	}
	if err := publish(b.Tenant(), events); err != nil && ErrorCode(err) != ENOTFOUND {
		return fmt.Errorf("operational events: %w", err)
	}
	return nil
}
