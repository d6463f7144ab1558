package service

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
	"github.com/hookd/hookd/internal/jsonx"
)

// TestEvent builds the sample event that "send a test event" publishes:
// the type's example (or {}) as data, in the default envelope. The API and
// the dashboard both send it this way.
func TestEvent(et *hookd.EventType, now time.Time) (hookd.NewEvent, error) {
	example := et.Example
	if len(example) == 0 {
		example = json.RawMessage(`{}`)
	}
	data, err := jsonx.AppendNormalized(nil, example)
	if err != nil {
		return hookd.NewEvent{}, fmt.Errorf("example of %s: %w", et.Name, err)
	}
	id := ids.NewAt(ids.Event, now)
	return hookd.NewEvent{ID: id, Type: et.Name, Payload: Envelope(id, et.Name, now, data), CreatedAt: now}, nil
}

// Envelope builds the default body: compact, no HTML escaping, data
// normalised, so a receiver re-serialising it gets the same bytes.
func Envelope(id, eventType string, at time.Time, data []byte) []byte {
	return jsonx.AppendEnvelope(make([]byte, 0, len(data)+len(id)+len(eventType)+80), id, eventType, at, data)
}
