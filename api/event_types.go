package api

import (
	"encoding/json"
	"net/http"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/eventschema"
	"github.com/hookd/hookd/internal/jsonx"
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
	if err := CheckEventType(et); err != nil {
		return err
	}
	if err := s.store.CreateEventType(r.Context(), et); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, et)
	return nil
}

// updateEventType edits a catalogue entry; the result passes CheckEventType
// as a new one would (an example must still pass a changed schema).
func (s *Server) updateEventType(w http.ResponseWriter, r *http.Request) error {
	var in eventTypePatch
	if err := decode(w, r, &in, s.cfg.MaxPayloadBytes+64<<10); err != nil {
		return err
	}
	et, err := s.store.UpdateEventType(r.Context(), r.PathValue("name"), func(et *hookd.EventType) error {
		in.Apply(et)
		return CheckEventType(et)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, et)
	return nil
}

// CheckEventType validates a catalogue entry: its name, description,
// JSON Schema (compiled) and example, which must pass the schema because
// test events send it. A JSON null schema or example counts as absent.
// The API and the dashboard both apply it.
func CheckEventType(et *hookd.EventType) error {
	var v hookd.Validation
	if !hookd.ValidID(et.Name) {
		v.Add("name", "must be 1-128 letters, digits, '_', '.', ':' or '-', like contact.created")
	}
	hookd.CheckDescription(&v, "description", et.Description)
	var schema *eventschema.Schema
	if isJSONNull(et.Schema) {
		et.Schema = nil
	} else if len(et.Schema) > 0 {
		var err error
		if et.Schema[0] != '{' {
			v.Add("schema", "must be a JSON Schema object")
		} else if schema, err = eventschema.Compile(et.Schema); err != nil {
			v.Add("schema", "%v", err)
		}
	}
	if isJSONNull(et.Example) {
		et.Example = nil
	} else if len(et.Example) > 0 {
		if _, err := jsonx.AppendNormalized(nil, et.Example); err != nil {
			v.Add("example", "%v", err)
		} else if schema != nil {
			// Test events send the example, so it must pass the schema.
			if violation, _ := schema.Check(et.Example); violation != nil {
				v.Add("example"+violation.Path, "does not match the schema: %s", violation.Message)
			}
		}
	}
	return v.Err()
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
