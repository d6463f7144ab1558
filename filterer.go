package hookd

import "encoding/json"

// Content filters. An endpoint's filter (package filter compiles it) is
// applied after the type and channel rules (Matching); the root knows it only
// as a Filterer, so the domain does not depend on the expression language.

// Filterer decides whether an event goes to an endpoint. A filter that cannot
// decide (an evaluation error, its cost limit reached) answers false: no
// delivery for that endpoint.
type Filterer interface {
	Match(ev *FilterEvent) bool
}

// FilterEvent is what a filter sees of an event: its type, channels and data.
// Data is parsed on first use and kept, so an event is parsed once however
// many filters read it, and never when no subscriber has one.
type FilterEvent struct {
	Type     string
	Channels []string
	raw      []byte
	data     any
	err      error
	parsed   bool
}

// NewFilterEvent is the filter's view of a published event: event.data is its
// Data (the envelope's data), or its whole Payload when sent as is.
func NewFilterEvent(ev *NewEvent) *FilterEvent {
	raw := ev.Data
	if raw == nil {
		raw = ev.Payload
	}
	return &FilterEvent{Type: ev.Type, Channels: ev.Channels, raw: raw}
}

// Data is the parsed JSON data (maps, slices, float64, string, bool, nil).
func (e *FilterEvent) Data() (any, error) {
	if !e.parsed {
		e.parsed = true
		e.err = json.Unmarshal(e.raw, &e.data)
	}
	return e.data, e.err
}

// Filtered keeps the subscribers whose filter, if any, matches ev; subs is
// returned as is when none has a filter, so unfiltered fan-out costs nothing.
func Filtered(subs []Subscriber, ev *NewEvent) []Subscriber {
	var fe *FilterEvent
	for i, s := range subs {
		if s.Filter == nil {
			continue
		}
		if fe == nil {
			fe = NewFilterEvent(ev)
		}
		if s.Filter.Match(fe) {
			continue
		}
		out := append(make([]Subscriber, 0, len(subs)-1), subs[:i]...)
		for _, s := range subs[i+1:] {
			if s.Filter == nil || s.Filter.Match(fe) {
				out = append(out, s)
			}
		}
		return out
	}
	return subs
}
