package api

import (
	"encoding/json"
	"net/http"

	"github.com/hookd/hookd/service"
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
	res, err := service.TestTransformation(r.Context(), s.store, e, src, in.EventType, in.Payload)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
