package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
	"github.com/hookd/hookd/transform"
)

// transformTestInput is the body of POST .../endpoints/{id}/transformation/test.
// Transformation absent means the endpoint's own; Payload is the body the
// script is given, else the standard envelope of EventType's example is.
type transformTestInput struct {
	Transformation *string         `json:"transformation"`
	Payload        json.RawMessage `json:"payload"`
	EventType      string          `json:"event_type"`
}

// TransformTestResult is what a transformation made of a sample: the
// request it would send, that it cancels, or Error, why it failed (which
// in a delivery fails the attempt).
type TransformTestResult struct {
	Body      json.RawMessage   `json:"body,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	URL       string            `json:"url,omitempty"`
	Cancelled bool              `json:"cancelled"`
	Error     string            `json:"error,omitempty"`
}

func (s *Server) testTransformation(w http.ResponseWriter, r *http.Request) error {
	var in transformTestInput
	if err := decode(w, r, &in, s.cfg.MaxPayloadBytes+transform.MaxScriptBytes+64<<10); err != nil {
		return err
	}
	e, err := s.store.Endpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	src := e.Transformation
	if in.Transformation != nil {
		src = *in.Transformation
	}
	res, err := TestTransformation(r.Context(), s.store, e, src, in.EventType, in.Payload)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
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
		payload = envelope(ids.NewAt(ids.Event, now), eventType, now, data)
	}
	out, err := s.Run(ctx, transform.Webhook{Payload: payload, Headers: e.Headers, URL: e.URL})
	if err != nil {
		return TransformTestResult{Error: err.Error()}, nil
	}
	for k, v := range out.Headers {
		if e.Headers[k] == v && v != "" {
			out.Headers[k] = maskedValue // the endpoint's own: a secret, as when read back
		}
	}
	return TransformTestResult{Body: out.Body, Headers: out.Headers, URL: out.URL, Cancelled: out.Cancelled}, nil
}
