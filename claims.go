package hookd

import (
	"math"
	"time"
)

// ClaimCandidate is an endpoint with due work, as a claim sees it.
type ClaimCandidate struct {
	TenantID string
	// Room is the endpoint's free slots: its max_in_flight minus its live
	// leases, bounded by its rate-limit bucket.
	Room int
}

// TenantLoad is a tenant's standing in a claim, counted fleet-wide from
// live leases.
type TenantLoad struct {
	Held int // requests of the tenant in flight now
	Room int // slots left under its in-flight cap
}

// ShareClaims splits limit claim slots between candidates given oldest work
// first, and returns each candidate's share.
//
// Tenants share first, by levelling: each slot goes to the tenant holding
// the fewest requests (its Held plus what this claim gave it so far), ties
// to the one with the oldest work, as long as it has room (under its cap
// and what its endpoints can take). A tenant that already holds many
// workers, such as one whose receivers never answer, gets more only when
// every other tenant with due work holds as many. Then a tenant's slots
// are shared between its endpoints (shareEndpoints), so one endpoint's
// backlog cannot crowd out its neighbours either. A tenant missing from
// tenants is bounded by its endpoints only.
func ShareClaims(cands []ClaimCandidate, tenants map[string]TenantLoad, limit int) []int {
	take := make([]int, len(cands))
	type group struct {
		held, room, got int
		members         []int
	}
	var groups []*group
	byTenant := map[string]*group{}
	for i, c := range cands {
		g := byTenant[c.TenantID]
		if g == nil {
			g = &group{room: math.MaxInt}
			if l, ok := tenants[c.TenantID]; ok {
				g.held, g.room = max(0, l.Held), max(0, l.Room)
			}
			byTenant[c.TenantID] = g
			groups = append(groups, g)
		}
		g.members = append(g.members, i)
	}
	held, room := make([]int, len(groups)), make([]int, len(groups))
	for i, g := range groups {
		want := 0
		for _, m := range g.members {
			want += max(0, cands[m].Room)
		}
		held[i], room[i] = g.held, min(g.room, want)
	}
	for i, got := range level(held, room, max(0, limit)) {
		g := groups[i]
		rooms := make([]int, len(g.members))
		for j, m := range g.members {
			rooms[j] = cands[m].Room
		}
		for j, n := range shareEndpoints(rooms, got) {
			take[g.members[j]] = n
		}
	}
	return take
}

// level gives out at most limit slots so that held[i]+got[i] is as even as
// possible (the lowest raised first), each got[i] at most room[i]; slots
// left over at the final level go to the first groups in order.
func level(held, room []int, limit int) []int {
	got := make([]int, len(held))
	fill := func(l int) int { // what raising everyone to level l costs
		sum := 0
		for i := range held {
			sum += min(room[i], max(0, l-held[i]))
		}
		return sum
	}
	lo, hi := 0, 0 // fill(lo) <= limit; find the highest such level below hi
	for i := range held {
		hi = max(hi, held[i]+room[i])
	}
	if fill(hi) <= limit {
		copy(got, room)
		return got
	}
	for lo+1 < hi {
		if mid := lo + (hi-lo)/2; fill(mid) <= limit {
			lo = mid
		} else {
			hi = mid
		}
	}
	left := limit - fill(lo)
	for i := range held {
		got[i] = min(room[i], max(0, lo-held[i]))
		if left > 0 && got[i] < room[i] && held[i]+got[i] == lo {
			got[i]++
			left--
		}
	}
	return got
}

// shareEndpoints splits limit claim slots between endpoints with room[i]
// free slots each, in the order given (oldest work first): an even share
// each first, then what is left to those with more room. Each share is
// bounded by the endpoint's room, so one endpoint's backlog cannot crowd
// out the others.
func shareEndpoints(room []int, limit int) []int {
	take := make([]int, len(room))
	if len(room) == 0 {
		return take
	}
	each := max(1, limit/len(room))
	for i, r := range room {
		take[i] = max(0, min(r, each, limit))
		limit -= take[i]
	}
	for i, r := range room {
		extra := max(0, min(r-take[i], limit))
		take[i] += extra
		limit -= extra
	}
	return take
}

// RefillTokens tops an endpoint's rate-limit bucket up for the time elapsed
// since it was last spent, holding at most one second's worth, so an idle
// endpoint gets a burst of at most its rate.
func RefillTokens(tokens float64, perSecond int, elapsed time.Duration) float64 {
	return min(float64(perSecond), tokens+elapsed.Seconds()*float64(perSecond))
}
