package hookd

import (
	"testing"
	"time"
)

func TestPlanPublish(t *testing.T) {
	subs := []Subscriber{{ID: "ep_a", Enabled: true, EventTypes: []string{"x"}}, {ID: "ep_b", EventTypes: []string{AllEventTypes}}}
	read := func() *PublishRead {
		return &PublishRead{Subscribers: subs, KnownTypes: map[string]bool{"x": true},
			ByKey: map[string]StoredEvent{"k1": {ID: "ev_1", Deliveries: 2, RequestHash: "h1"}},
			ByID:  map[string]StoredEvent{"ev_1": {ID: "ev_1", Deliveries: 2, RequestHash: "h1"}}}
	}
	now := time.Now()
	plans, err := PlanPublish([]NewEvent{
		{Type: "x", RequestHash: "h", CreatedAt: now},
		{Type: "x", IdempotencyKey: "k1", RequestHash: "h1", CreatedAt: now},
		{Type: "x", IdempotencyKey: "k2", RequestHash: "h2", CreatedAt: now},
		{Type: "x", IdempotencyKey: "k2", RequestHash: "h2", CreatedAt: now}, // the batch repeats itself
	}, read())
	if err != nil {
		t.Fatal(err)
	}
	if p := plans[0]; !p.New || len(p.Deliveries) != 2 || p.Deliveries[0].Status != StatusPending || p.Deliveries[1].Status != StatusPaused ||
		p.Key != "id:"+p.Result.ID {
		t.Errorf("new event planned %+v", p)
	}
	if p := plans[1]; p.New || !p.Result.Duplicate || p.Result.ID != "ev_1" {
		t.Errorf("repeated key planned %+v", p)
	}
	if p := plans[3]; p.New || !p.Result.Duplicate || p.Result.ID != plans[2].Result.ID || plans[2].Key != "key:k2" {
		t.Errorf("key repeated within the batch planned %+v after %+v", p, plans[2])
	}
	for name, evs := range map[string][]NewEvent{
		"key for another request":    {{Type: "x", IdempotencyKey: "k1", RequestHash: "other"}},
		"id for another request":     {{Type: "x", ID: "ev_1", RequestHash: "other"}},
		"id under another key":       {{Type: "x", ID: "ev_1", IdempotencyKey: "k9", RequestHash: "h1"}},
		"in-batch id, other request": {{Type: "x", ID: "ev_n", RequestHash: "a"}, {Type: "x", ID: "ev_n", RequestHash: "b"}},
	} {
		if _, err := PlanPublish(evs, read()); ErrorCode(err) != ECONFLICT {
			t.Errorf("%s: err %v, want ECONFLICT", name, err)
		}
	}
	_, err = PlanPublish([]NewEvent{{Type: "x"}, {Type: "nope"}}, read())
	if e, ok := err.(*Error); !ok || e.Code != EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "events[1].type" {
		t.Errorf("unknown type: %v", err)
	}
}

func TestPlanHandOff(t *testing.T) {
	plans := []PlannedEvent{{New: true, Deliveries: []NewDelivery{
		{ID: "d1", EndpointID: "ep_a", Status: StatusPending},
		{ID: "d2", EndpointID: "ep_b", Status: StatusPending},
		{ID: "d3", EndpointID: "ep_c", Status: StatusPaused},
		{ID: "d4", EndpointID: "ep_d", Status: StatusPending},
	}}, {New: true, Deliveries: []NewDelivery{
		{ID: "d5", EndpointID: "ep_a", Status: StatusPending},
		{ID: "d6", EndpointID: "ep_b", Status: StatusPending},
	}}}
	eps := map[string]HandOffEndpoint{
		"ep_a": {ID: "ep_a", Room: 1},                             // one slot left under max_in_flight
		"ep_b": {ID: "ep_b", Room: 5, RateLimit: 10, Tokens: 1.5}, // one token
		"ep_d": {ID: "ep_d", Room: 5, Backlog: true},              // older work waits
	}
	spent := PlanHandOff(plans, eps, NewTenantLoad(0, 0, 0), Lease{Max: 10})
	var leased []string
	for _, p := range plans {
		for _, d := range p.Deliveries {
			if d.Leased {
				leased = append(leased, d.ID)
			}
		}
	}
	if len(leased) != 2 || leased[0] != "d1" || leased[1] != "d2" || spent["ep_b"] != 1 || len(spent) != 1 {
		t.Errorf("leased %v, spent %v; want d1 and d2, one token of ep_b", leased, spent)
	}
	if got := HandOffEndpoints(plans); len(got) != 3 || got[0] != "ep_a" || got[2] != "ep_d" {
		t.Errorf("HandOffEndpoints = %v", got)
	}
	for i := range plans {
		for j := range plans[i].Deliveries {
			plans[i].Deliveries[j].Leased = false
		}
	}
	// The tenant's cap bounds the hand-off as it bounds a claim.
	eps["ep_a"] = HandOffEndpoint{ID: "ep_a", Room: 5}
	PlanHandOff(plans, eps, NewTenantLoad(4, 5, 0), Lease{Max: 10})
	n := 0
	for _, p := range plans {
		for _, d := range p.Deliveries {
			if d.Leased {
				n++
			}
		}
	}
	if n != 1 {
		t.Errorf("%d leased under a tenant with one slot left", n)
	}
	if LeaseEnd(time.Unix(0, 0), 0, time.Second) != time.Unix(0, 0).Add(DefaultTimeout+time.Second) {
		t.Error("LeaseEnd of an endpoint without its own timeout")
	}
}
