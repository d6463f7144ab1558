package hookd

import "time"

// ShareClaims splits limit claim slots between endpoints with room[i] free
// slots each, in the order given (oldest work first): an even share each
// first, then what is left to those with more room. Each share is bounded by
// the endpoint's room, so one endpoint's backlog cannot crowd out the others.
func ShareClaims(room []int, limit int) []int {
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
