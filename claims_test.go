package hookd

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestShareClaims(t *testing.T) {
	ep := func(tenant string, room int) ClaimCandidate { return ClaimCandidate{TenantID: tenant, Room: room} }
	for _, c := range []struct {
		name    string
		cands   []ClaimCandidate
		tenants map[string]TenantLoad
		limit   int
		want    []int
	}{
		{"one tenant: an even share per endpoint, the rest to those with room",
			[]ClaimCandidate{ep("a", 100), ep("a", 2), ep("a", 100)}, nil, 10, []int{5, 2, 3}},
		{"one tenant: fewer slots than endpoints go to the oldest work",
			[]ClaimCandidate{ep("a", 5), ep("a", 5), ep("a", 5)}, nil, 2, []int{1, 1, 0}},
		{"two idle tenants split evenly, whatever their endpoint counts",
			[]ClaimCandidate{ep("a", 100), ep("a", 100), ep("a", 100), ep("b", 100)}, nil, 12, []int{2, 2, 2, 6}},
		{"a tenant holding many gets nothing while another holds fewer",
			[]ClaimCandidate{ep("hostile", 100), ep("healthy", 100)},
			map[string]TenantLoad{"hostile": {Held: 50, Room: 100}, "healthy": {Held: 10, Room: 100}}, 30, []int{0, 30}},
		{"levelling: the lower one is raised to the other, then both share",
			[]ClaimCandidate{ep("hostile", 100), ep("healthy", 100)},
			map[string]TenantLoad{"hostile": {Held: 20, Room: 100}, "healthy": {Held: 10, Room: 100}}, 30, []int{10, 20}},
		{"a tenant at its cap gets nothing, the others everything",
			[]ClaimCandidate{ep("capped", 10), ep("capped", 10), ep("other", 10)},
			map[string]TenantLoad{"capped": {Held: 8, Room: 0}}, 20, []int{0, 0, 10}},
		{"a tenant's cap bounds the sum of its endpoints",
			[]ClaimCandidate{ep("a", 10), ep("a", 10), ep("a", 10)},
			map[string]TenantLoad{"a": {Held: 1, Room: 7}}, 100, []int{3, 2, 2}},
		{"ties at the final level go to the oldest work",
			[]ClaimCandidate{ep("b", 9), ep("a", 9), ep("c", 9)}, nil, 4, []int{2, 1, 1}},
		{"endpoints without room take nothing",
			[]ClaimCandidate{ep("a", 0), ep("b", -1), ep("c", 3)}, nil, 10, []int{0, 0, 3}},
		{"no slots", []ClaimCandidate{ep("a", 3)}, nil, 0, []int{0}},
		{"no candidates", nil, nil, 10, []int{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ShareClaims(c.cands, c.tenants, c.limit); !slices.Equal(got, c.want) {
				t.Errorf("ShareClaims = %v, want %v", got, c.want)
			}
		})
	}
}

// TestShareClaimsProperties checks on random claims that a share never
// exceeds a room or the limit, leaves nothing claimable unclaimed, and is
// level: no tenant ends above another by more than one unless that other
// had no room left.
func TestShareClaimsProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		tenantNames := []string{"a", "b", "c", "d", "e"}[:1+r.IntN(5)]
		var cands []ClaimCandidate
		for range 1 + r.IntN(12) {
			cands = append(cands, ClaimCandidate{TenantID: tenantNames[r.IntN(len(tenantNames))], Room: r.IntN(12) - 1})
		}
		loads := map[string]TenantLoad{}
		for _, n := range tenantNames {
			if r.IntN(4) > 0 {
				loads[n] = TenantLoad{Held: r.IntN(30), Room: r.IntN(25)}
			}
		}
		limit := r.IntN(60)
		take := ShareClaims(cands, loads, limit)

		total, got, want := 0, map[string]int{}, map[string]int{}
		for i, c := range cands {
			if take[i] < 0 || take[i] > max(0, c.Room) {
				t.Fatalf("candidate %d (room %d) got %d: %v %v limit %d", i, c.Room, take[i], cands, loads, limit)
			}
			total += take[i]
			got[c.TenantID] += take[i]
			want[c.TenantID] += max(0, c.Room)
		}
		room := func(n string) int {
			if l, ok := loads[n]; ok {
				return min(want[n], l.Room)
			}
			return want[n]
		}
		feasible := 0
		for n := range want {
			if got[n] > room(n) {
				t.Fatalf("tenant %s got %d over its room %d: %v %v", n, got[n], room(n), cands, loads)
			}
			feasible += room(n)
		}
		if total != min(limit, feasible) {
			t.Fatalf("gave out %d of limit %d with %d claimable: %v %v", total, limit, feasible, cands, loads)
		}
		for a := range want {
			for b := range want {
				if got[a] > 0 && got[b] < room(b) && loads[a].Held+got[a] > loads[b].Held+got[b]+1 {
					t.Fatalf("tenant %s ends at %d, %s at %d with room left: %v %v limit %d",
						a, loads[a].Held+got[a], b, loads[b].Held+got[b], cands, loads, limit)
				}
			}
		}
	}
}

func TestCheckTestEventRate(t *testing.T) {
	now := time.Now()
	if err := CheckTestEventRate(now, RecentTests{Count: TestEventsPerEndpoint - 1}, RecentTests{Count: TestEventsPerTenant - 1}); err != nil {
		t.Fatalf("below both limits: %v", err)
	}
	err := CheckTestEventRate(now, RecentTests{Count: TestEventsPerEndpoint, Oldest: now.Add(-40 * time.Second)}, RecentTests{})
	var e *Error
	if !errors.As(err, &e) || e.Code != ERATELIMITED || e.RetryAfter != 20*time.Second {
		t.Fatalf("endpoint at its limit: %#v, want rate_limited after 20s", err)
	}
	// Both over: the later of the two.
	err = CheckTestEventRate(now, RecentTests{Count: TestEventsPerEndpoint, Oldest: now.Add(-40 * time.Second)},
		RecentTests{Count: TestEventsPerTenant, Oldest: now.Add(-10 * time.Second)})
	if !errors.As(err, &e) || e.RetryAfter != 50*time.Second {
		t.Fatalf("both at their limits: %#v, want rate_limited after 50s", err)
	}
	// A window that should already have room never says less than a second.
	err = CheckTestEventRate(now, RecentTests{}, RecentTests{Count: TestEventsPerTenant, Oldest: now.Add(-time.Minute)})
	if !errors.As(err, &e) || e.RetryAfter != time.Second {
		t.Fatalf("tenant at its limit, oldest leaving now: %#v, want rate_limited after 1s", err)
	}
}
