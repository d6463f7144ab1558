package hookd

import "slices"

// Subscriber is what fan-out needs of an endpoint.
type Subscriber struct {
	ID         string
	Enabled    bool
	EventTypes []string
}

// Subscribed reports whether a subscription list wants eventType: it names
// the type or holds AllEventTypes.
func Subscribed(types []string, eventType string) bool {
	return slices.Contains(types, AllEventTypes) || slices.Contains(types, eventType)
}

// Matching returns the subscribers that want eventType.
func Matching(subs []Subscriber, eventType string) []Subscriber {
	var out []Subscriber
	for _, s := range subs {
		if Subscribed(s.EventTypes, eventType) {
			out = append(out, s)
		}
	}
	return out
}

// Republished judges a publish whose id or idempotency key was seen before
// (what names which): the same request again returns the first result,
// marked Duplicate; a different one is a conflict.
func Republished(first PublishResult, firstHash, requestHash, what string) (PublishResult, error) {
	if firstHash != requestHash {
		return PublishResult{}, Errorf(ECONFLICT, "%s was already used for a different request", what)
	}
	first.Duplicate = true
	return first, nil
}
