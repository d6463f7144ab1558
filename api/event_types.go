package api

import (
	"encoding/json"
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

type eventTypeInput struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
	Deprecated  bool            `json:"deprecated"`
	Archived    bool            `json:"archived"`
}

// eventTypePatch holds the fields a PATCH sets; a schema or example of
// JSON null removes it, an absent one is kept.
type eventTypePatch struct {
	Description *string         `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
	Deprecated  *bool           `json:"deprecated"`
	Archived    *bool           `json:"archived"`
}

// Apply sets p's fields on et.
func (p eventTypePatch) Apply(et *hookd.EventType) {
	if p.Description != nil {
		et.Description = *p.Description
	}
	if len(p.Schema) > 0 {
		et.Schema = p.Schema
	}
	if len(p.Example) > 0 {
		et.Example = p.Example
	}
	if p.Deprecated != nil {
		et.Deprecated = *p.Deprecated
	}
	if p.Archived != nil {
		et.Archived = *p.Archived
	}
}

func (s *Server) createEventType(w http.ResponseWriter, r *http.Request) error {
	var in eventTypeInput
	if err := decode(w, r, &in, s.cfg.MaxPayloadBytes+64<<10); err != nil {
		return err
	}
	et := &hookd.EventType{Name: in.Name, Description: in.Description, Schema: in.Schema, Example: in.Example,
		Deprecated: in.Deprecated, Archived: in.Archived}
	if err := service.CheckEventType(et); err != nil {
		return err
	}
	if err := s.store.CreateEventType(r.Context(), et); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, et)
	return nil
}

// updateEventType edits a catalogue entry; the result passes service.CheckEventType
// as a new one would (an example must still pass a changed schema).
func (s *Server) updateEventType(w http.ResponseWriter, r *http.Request) error {
	var in eventTypePatch
	if err := decode(w, r, &in, s.cfg.MaxPayloadBytes+64<<10); err != nil {
		return err
	}
	et, err := s.store.UpdateEventType(r.Context(), r.PathValue("name"), func(et *hookd.EventType) error {
		in.Apply(et)
		return service.CheckEventType(et)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, et)
	return nil
}

func isJSONNull(b json.RawMessage) bool { return string(b) == "null" }

func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request) error {
	types, err := s.store.EventTypes(r.Context())
	if err != nil {
		return err
	}
	if types == nil {
		types = []*hookd.EventType{}
	}
	writeJSON(w, http.StatusOK, list[*hookd.EventType]{Data: types})
	return nil
}

func (s *Server) getEventType(w http.ResponseWriter, r *http.Request) error {
	et, err := s.store.EventType(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, et)
	return nil
}
