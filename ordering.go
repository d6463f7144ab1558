package hookd

// OrderingFIFO is the Endpoint.Ordering of an endpoint whose deliveries are
// attempted one at a time, in the order the store numbered them at publish
// (docs/ordering.md). The stores keep the rule in their claim and hand-off
// SQL, where it is one condition each, and storetest holds both to it:
//   - A FIFO endpoint's deliveries carry a store sequence number (seq),
//     taken when the row is inserted: node clocks differ, so the
//     time-sortable ids cannot order publishes made on different nodes.
//   - Its head is its unfinished (pending or retrying) delivery with the
//     lowest seq. Only the head may be leased, only when due, and only
//     while none of the endpoint's deliveries is leased: its in-flight
//     cap is one, whatever max_in_flight says.
//   - While the head waits for a retry, the endpoint has nothing due; once
//     it is delivered, fails for good or is cancelled, the next is the head.
//   - A new delivery is handed off at publish only when nothing of the
//     endpoint waits (EndpointLoad.Queued), so it cannot pass them.
//
// A replayed delivery keeps its number, so it goes next (or after older
// ones still waiting), out of publish order by design.
const OrderingFIFO = "fifo"

// CheckOrdering validates an endpoint's ordering: "fifo", or "" for none.
func CheckOrdering(v *Validation, field, ordering string) {
	if ordering != "" && ordering != OrderingFIFO {
		v.Add(field, `must be "fifo", or "" (or absent) for no ordering`)
	}
}

// CheckOrderingKept refuses an update that changes an endpoint's ordering:
// the deliveries it holds were numbered (or not) at publish, so ordering
// is chosen when an endpoint is created.
func CheckOrderingKept(e *Endpoint, u EndpointUpdate) error {
	if u.Ordering != nil && *u.Ordering != e.Ordering {
		return Invalid("ordering", "cannot change once the endpoint exists: create a new endpoint with the ordering wanted")
	}
	return nil
}

// Behind records the head of d's FIFO endpoint ("" when d is not a
// waiting FIFO delivery): d waits for it, unless d is the head.
func (d *Delivery) Behind(head string) {
	if head != d.ID {
		d.WaitingFor = head
	}
}
