package hookd

import (
	"testing"
	"time"
)

func TestPlanHandOff(t *testing.T) {
	ds := []NewDelivery{
		{ID: "d1", EndpointID: "a", Status: StatusPending},
		{ID: "d2", EndpointID: "a", Status: StatusPending},
		{ID: "d3", EndpointID: "b", Status: StatusPending},
		{ID: "d4", EndpointID: "c", Status: StatusPaused},
		{ID: "d5", EndpointID: "locked", Status: StatusPending},
		{ID: "d6", EndpointID: "b", Status: StatusPending},
	}
	ep := func(free, rate int, tokens float64) EndpointLoad {
		return EndpointLoad{TenantID: "t", Free: free, RateLimit: rate, Tokens: tokens}
	}
	for _, c := range []struct {
		name    string
		loads   map[string]EndpointLoad
		tenants map[string]TenantLoad
		limit   int
		want    []string
	}{
		{"room everywhere: every pending of a locked endpoint", map[string]EndpointLoad{"a": ep(10, 0, 0), "b": ep(10, 0, 0), "c": ep(10, 0, 0)},
			nil, 10, []string{"d1", "d2", "d3", "d6"}},
		{"max_in_flight 1 each: the first of each", map[string]EndpointLoad{"a": ep(1, 0, 0), "b": ep(1, 0, 0)}, nil, 10, []string{"d1", "d3"}},
		{"no free slot", map[string]EndpointLoad{"a": ep(0, 0, 0), "b": ep(-2, 0, 0)}, nil, 10, nil},
		{"rate bucket of 1 token", map[string]EndpointLoad{"a": ep(10, 5, 1.5)}, nil, 10, []string{"d1"}},
		{"tenant room 1", map[string]EndpointLoad{"a": ep(10, 0, 0), "b": ep(10, 0, 0)}, map[string]TenantLoad{"t": {Held: 3, Room: 1}}, 10, []string{"d1"}},
		{"offer of 2 shared between endpoints", map[string]EndpointLoad{"a": ep(10, 0, 0), "b": ep(10, 0, 0)}, nil, 2, []string{"d1", "d3"}},
		{"no offer", map[string]EndpointLoad{"a": ep(10, 0, 0)}, nil, 0, nil},
	} {
		picked, per := PlanHandOff(ds, c.loads, c.tenants, c.limit)
		n := 0
		for _, id := range c.want {
			if !picked[id] {
				t.Errorf("%s: %s not picked (%v)", c.name, id, picked)
			}
		}
		for _, v := range per {
			n += v
		}
		if len(picked) != len(c.want) || n != len(c.want) {
			t.Errorf("%s: picked %v (per endpoint %v), want %v", c.name, picked, per, c.want)
		}
	}
}

func TestEndpointRoomRefills(t *testing.T) {
	room, tokens := EndpointLoad{Free: 10, RateLimit: 4, Tokens: 1, SinceSpent: 500 * time.Millisecond}.Room()
	if room != 3 || tokens != 3 {
		t.Errorf("half a second at 4/s after 1 token: room %d, tokens %v; want 3, 3", room, tokens)
	}
	if room, _ := (EndpointLoad{Free: 2, RateLimit: 4, Tokens: 4}).Room(); room != 2 {
		t.Errorf("free slots bound a full bucket: room %d, want 2", room)
	}
}

func TestHandOffReservation(t *testing.T) {
	free := 5
	h := NewHandOff(time.Now(), time.Second, 0, func(n int) int { got := min(n, free); free -= got; return got })
	if got := h.Reserve(3); got != 3 || free != 2 {
		t.Fatalf("Reserve(3) = %d, %d left free", got, free)
	}
	if got := h.Reserve(2); got != 3 || free != 2 {
		t.Errorf("a retried transaction asking less: %d held, %d free; want 3 and 2 (the reservation only grows)", got, free)
	}
	h.Jobs = []*Job{{DeliveryID: "d1"}}
	res := []PublishResult{{ID: "e1", Deliveries: 1}, {ID: "e0", Deliveries: 4, Duplicate: true}}
	if LeftForClaim(res, h) {
		t.Errorf("the offer took the only new delivery, yet the claim is to be woken")
	}
	if jobs, unused := h.Close(); len(jobs) != 1 || unused != 2 {
		t.Errorf("Close: %d jobs, %d unused; want 1, 2", len(jobs), unused)
	}
	if got := h.Reserve(5); got != 0 || free != 2 {
		t.Errorf("Reserve after Close: %d, %d free; want 0, 2", got, free)
	}
	if !LeftForClaim([]PublishResult{{ID: "e2", Deliveries: 2}}, nil) || LeftForClaim([]PublishResult{{ID: "e3"}}, nil) {
		t.Errorf("without an offer, the claim is woken exactly when the publish made deliveries")
	}
}

// TestHandOffShort: an offer is short when the store leased fewer than the
// due deliveries it reserved workers for, whatever the workers allowed.
func TestHandOffShort(t *testing.T) {
	free := 1
	take := func(n int) int { got := min(n, free); free -= got; return got }
	if h := NewHandOff(time.Now(), time.Second, 0, take); h.Short() {
		t.Error("an offer nothing was reserved on (no due delivery) is short")
	}
	h := NewHandOff(time.Now(), time.Second, 0, take)
	h.Reserve(2) // one worker free for two due deliveries
	h.Jobs = []*Job{{DeliveryID: "d1"}}
	if !h.Short() {
		t.Error("one of two due deliveries leased, yet the offer is not short")
	}
	free = 2
	h = NewHandOff(time.Now(), time.Second, 0, take)
	h.Reserve(2)
	h.Jobs = []*Job{{DeliveryID: "d1"}, {DeliveryID: "d2"}}
	if h.Short() {
		t.Error("every due delivery leased, yet the offer is short")
	}
}
