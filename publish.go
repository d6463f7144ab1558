package hookd

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/hookd/hookd/internal/ids"
)

// The publish algorithm. A store reads what a publish depends on (the
// tenant's subscribers, which of the batch's types are in the catalogue, the
// earlier events with the batch's keys and ids: PublishRead), PlanPublish
// decides, and the store persists the plan in the same transaction.

// Subscriber is what fan-out needs of an endpoint.
type Subscriber struct {
	ID         string
	Enabled    bool
	EventTypes []string
	Channels   []string
	// Filter, when set, is the endpoint's content filter (Filtered).
	Filter Filterer
	// FIFO: the endpoint's Ordering is OrderingFIFO.
	FIFO bool
	// TestOnly leaves it out of published events' fan-out (hookd.TestOnly).
	TestOnly bool
}

// Subscribed reports whether a subscription list wants eventType: it names
// the type or holds AllEventTypes.
func Subscribed(types []string, eventType string) bool {
	return slices.Contains(types, AllEventTypes) || slices.Contains(types, eventType)
}

// Matching returns the subscribers that want an event of eventType on
// channels: those subscribed to the type, and, of those with channels of
// their own, only the ones sharing a channel with the event.
func Matching(subs []Subscriber, eventType string, channels []string) []Subscriber {
	var out []Subscriber
	for _, s := range subs {
		if !s.TestOnly && Subscribed(s.EventTypes, eventType) && (len(s.Channels) == 0 || shareOne(s.Channels, channels)) {
			out = append(out, s)
		}
	}
	return out
}

func shareOne(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
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

// RequestHash fingerprints what a publisher chose for an event: its own id
// ("" when it gave none), its type, its channels, and its content of a kind ("data" in the
// default envelope, "payload" sent as is). Every front end that publishes
// uses it, so a retry through any of them is recognised as the same request.
func RequestHash(id, eventType string, channels []string, kind string, content []byte) string {
	h := sha256.New()
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(eventType))
	h.Write([]byte("\x00" + kind + "\x00"))
	h.Write(content)
	// Only when given, so events published before channels keep their hashes.
	for _, c := range channels {
		h.Write([]byte("\x00channel\x00" + c))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// StoredEvent is an earlier event a publish found by key or id.
type StoredEvent struct {
	ID          string
	Deliveries  int
	RequestHash string
}

// PublishRead is what a store read for one publish. ByKey holds the earlier
// events found by the batch's idempotency keys (the keys as given, without
// the stored "key:" prefix), ByID those found by the batch's explicit ids;
// an absent entry means none. PlanPublish adds the batch's own new events to
// both, so a batch repeating a key or id sees its first use.
type PublishRead struct {
	Subscribers []Subscriber
	KnownTypes  map[string]bool // the batch's types that are in the catalogue
	ByKey       map[string]StoredEvent
	ByID        map[string]StoredEvent
}

// PlannedEvent is one event of a publish as decided: a duplicate (New false,
// nothing to store) or a new event with its deliveries.
type PlannedEvent struct {
	Result PublishResult
	New    bool
	// Key is the stored idempotency key: "key:" and the given key, or "id:"
	// and the id, so that a header key never collides with another event's id.
	Key        string
	Event      *NewEvent
	Deliveries []NewDelivery
}

// NewDelivery is a delivery a publish creates.
type NewDelivery struct {
	ID         string
	EndpointID string
	// Status is StatusPending (due now) or StatusPaused (its endpoint is
	// disabled: no due time until it is enabled).
	Status string
	// FIFO deliveries get the store's sequence number (OrderingFIFO).
	FIFO bool
}

// PlanPublish decides every event of a batch given what the store read:
// EINVALID for a type not in the catalogue, ECONFLICT for a key or id
// reused for another request (or an id published under another key), a
// duplicate for the same request again, else a new event fanned out to the
// subscribers that want its type and channels and whose filter passes it. An error fails the whole batch.
func PlanPublish(events []NewEvent, r *PublishRead) ([]PlannedEvent, error) {
	if r.ByKey == nil {
		r.ByKey = map[string]StoredEvent{}
	}
	if r.ByID == nil {
		r.ByID = map[string]StoredEvent{}
	}
	plans := make([]PlannedEvent, len(events))
	for i := range events {
		ev := &events[i]
		if !r.KnownTypes[ev.Type] {
			return nil, NotInCatalogue(batchField(i, len(events), "type"), ev.Type)
		}
		if ev.IdempotencyKey != "" {
			if first, ok := r.ByKey[ev.IdempotencyKey]; ok {
				res, err := Republished(first.result(), first.RequestHash, ev.RequestHash, "idempotency key "+ev.IdempotencyKey)
				if err != nil {
					return nil, err
				}
				plans[i] = PlannedEvent{Result: res, Event: ev}
				continue
			}
		}
		id := ev.ID
		if id != "" {
			if first, ok := r.ByID[id]; ok {
				what := "event id " + id
				res, err := Republished(first.result(), first.RequestHash, ev.RequestHash, what)
				if err == nil && ev.IdempotencyKey != "" {
					err = Errorf(ECONFLICT, "event id %q was already published under another idempotency key", id)
				}
				if err != nil {
					return nil, err
				}
				plans[i] = PlannedEvent{Result: res, Event: ev}
				continue
			}
		} else {
			id = ids.NewAt(ids.Event, ev.CreatedAt)
		}
		key := "key:" + ev.IdempotencyKey
		if ev.IdempotencyKey == "" {
			key = "id:" + id
		}
		p := PlannedEvent{New: true, Key: key, Event: ev, Deliveries: FanOut(Filtered(Matching(r.Subscribers, ev.Type, ev.Channels), ev), false)}
		p.Result = PublishResult{ID: id, Deliveries: len(p.Deliveries)}
		plans[i] = p
		stored := StoredEvent{ID: id, Deliveries: len(p.Deliveries), RequestHash: ev.RequestHash}
		r.ByID[id] = stored
		if ev.IdempotencyKey != "" {
			r.ByKey[ev.IdempotencyKey] = stored
		}
	}
	return plans, nil
}

func (s StoredEvent) result() PublishResult { return PublishResult{ID: s.ID, Deliveries: s.Deliveries} }

// FanOut makes one delivery per subscriber; a disabled endpoint's waits,
// paused, except a test delivery's, which is due at once.
func FanOut(subs []Subscriber, test bool) []NewDelivery {
	out := make([]NewDelivery, len(subs))
	for i, s := range subs {
		out[i] = NewDelivery{ID: ids.New(ids.Delivery), EndpointID: s.ID, Status: StatusPending, FIFO: s.FIFO}
		if !s.Enabled && !test {
			out[i].Status = StatusPaused
		}
	}
	return out
}

// batchField names the offending event in a batch, or the field of a single event.
func batchField(i, n int, field string) string {
	if n == 1 {
		return field
	}
	return fmt.Sprintf("events[%d].%s", i, field)
}
