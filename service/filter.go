package service

import (
	"context"
	"encoding/json"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/filter"
)

// FilterTestResult is what a filter made of a sample event: Error says why
// it could not decide (which at fan-out means no delivery).
type FilterTestResult struct {
	Matches bool   `json:"matches"`
	Error   string `json:"error,omitempty"`
}

// TestFilter evaluates src against a sample event: data as its event.data,
// or, when data is empty, eventType's example from the catalogue. The API
// and the dashboard test filters through it.
func TestFilter(ctx context.Context, store hookd.EventTypeStore, src, eventType string, channels []string, data json.RawMessage) (FilterTestResult, error) {
	var v hookd.Validation
	if src == "" {
		v.Add("filter", "is empty, and the endpoint has none")
	}
	hookd.CheckChannels(&v, "channels", channels)
	if len(data) == 0 && eventType == "" {
		v.Add("payload", "give a payload, or an event_type whose example to use")
	}
	if err := v.Err(); err != nil {
		return FilterTestResult{}, err
	}
	p, err := filter.Compile(src)
	if err != nil {
		return FilterTestResult{}, err
	}
	if len(data) == 0 {
		et, err := store.EventType(ctx, eventType)
		if err != nil {
			return FilterTestResult{}, err
		}
		if data = et.Example; len(data) == 0 {
			data = json.RawMessage(`{}`)
		}
	}
	ok, err := p.Eval(hookd.NewFilterEvent(&hookd.NewEvent{Type: eventType, Channels: channels, Data: data}))
	if err != nil {
		return FilterTestResult{Error: err.Error()}, nil
	}
	return FilterTestResult{Matches: ok}, nil
}
