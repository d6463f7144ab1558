package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
	"github.com/hookd/hookd/internal/jsonx"
	"github.com/hookd/hookd/transform"
)

// maskedValue stands for the endpoint's own header values in a test's
// answer: they are secrets, as when an endpoint is read back.
const maskedValue = "********"

// TransformTestResult is what a transformation made of a sample: the
// request it would send, that it cancels it, or Error, why it failed
// (which in a delivery fails the attempt).
type TransformTestResult struct {
	Body      json.RawMessage   `json:"body,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	URL       string            `json:"url,omitempty"`
	Cancelled bool              `json:"cancelled"`
	Error     string            `json:"error,omitempty"`
}

// TestTransformation runs src as e's transformation on a sample body:
// payload, or, when it is empty, the standard envelope of eventType's
// example from the catalogue. The API and the dashboard test
// transformations through it.
func TestTransformation(ctx context.Context, store hookd.EventTypeStore, e *hookd.Endpoint, src, eventType string, payload json.RawMessage) (TransformTestResult, error) {
	var v hookd.Validation
	if src == "" {
		v.Add("transformation", "is empty, and the endpoint has none")
	}
	if len(payload) == 0 && eventType == "" {
		v.Add("payload", "give a payload, or an event_type whose example to use")
	}
	if err := v.Err(); err != nil {
		return TransformTestResult{}, err
	}
	s, err := transform.Compile(src)
	if err != nil {
		return TransformTestResult{}, err
	}
	if len(payload) == 0 {
		data, err := example(ctx, store, eventType)
		if err != nil {
			return TransformTestResult{}, err
		}
		now := time.Now()
		payload = jsonx.AppendEnvelope(nil, ids.NewAt(ids.Event, now), eventType, now, data)
	}
	out, err := s.Run(ctx, transform.Webhook{Payload: payload, Headers: e.Headers, URL: e.URL})
	if err != nil {
		return TransformTestResult{Error: err.Error()}, nil
	}
	for k, v := range out.Headers {
		if e.Headers[k] == v && v != "" {
			out.Headers[k] = maskedValue
		}
	}
	return TransformTestResult{Body: out.Body, Headers: out.Headers, URL: out.URL, Cancelled: out.Cancelled}, nil
}
