package api

import (
	"encoding/json"
	"net/http"

	"github.com/hookd/hookd/service"
)

// filterTestInput is the body of POST .../endpoints/{id}/filter/test.
// Filter absent means the endpoint's own; Payload is event.data, else the
// example of EventType is.
type filterTestInput struct {
	Filter    *string         `json:"filter"`
	Payload   json.RawMessage `json:"payload"`
	EventType string          `json:"event_type"`
	Channels  []string        `json:"channels"`
}

func (s *Server) testFilter(w http.ResponseWriter, r *http.Request) error {
	var in filterTestInput
	if err := decode(w, r, &in, 256<<10); err != nil {
		return err
	}
	e, err := s.store.Endpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	src := e.Filter
	if in.Filter != nil {
		src = *in.Filter
	}
	res, err := service.TestFilter(r.Context(), s.store, src, in.EventType, in.Channels, in.Payload)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
