package svixapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

// schemaVersion is the key of the one schema version hookd keeps: Svix's
// schemas map versions to JSON Schemas, hookd's catalogue holds one schema.
const schemaVersion = "1"

// eventTypeIn is Svix's EventTypeIn. featureFlag and groupName have no
// hookd counterpart and are not kept (docs/svix.md).
type eventTypeIn struct {
	Name        string                     `json:"name"`
	Description string                     `json:"description"`
	Archived    bool                       `json:"archived"`
	Deprecated  bool                       `json:"deprecated"`
	Schemas     map[string]json.RawMessage `json:"schemas"`
}

type eventTypeOut struct {
	Name        string                     `json:"name"`
	Description string                     `json:"description"`
	Archived    bool                       `json:"archived"`
	Deprecated  bool                       `json:"deprecated"`
	Schemas     map[string]json.RawMessage `json:"schemas,omitempty"`
	CreatedAt   time.Time                  `json:"createdAt"`
	UpdatedAt   time.Time                  `json:"updatedAt"`
}

func viewEventType(et *hookd.EventType) eventTypeOut {
	out := eventTypeOut{Name: et.Name, Description: et.Description, Archived: et.Archived, Deprecated: et.Deprecated,
		CreatedAt: et.CreatedAt, UpdatedAt: et.CreatedAt}
	if len(et.Schema) > 0 {
		out.Schemas = map[string]json.RawMessage{schemaVersion: et.Schema}
	}
	return out
}

func (s *Server) createEventType(w http.ResponseWriter, r *http.Request) error {
	var in eventTypeIn
	if err := decode(w, r, &in, s.cfg.MaxPayloadBytes+64<<10); err != nil {
		return err
	}
	for version := range in.Schemas {
		if version != schemaVersion {
			return hookd.Invalid("schemas."+version, "hookd keeps one schema per event type: give it as version %q", schemaVersion)
		}
	}
	et := &hookd.EventType{Name: in.Name, Description: in.Description, Schema: in.Schemas[schemaVersion],
		Archived: in.Archived, Deprecated: in.Deprecated}
	if err := service.CheckEventType(et); err != nil {
		return hookd.RenameField(err, "schema", "schemas."+schemaVersion)
	}
	if err := s.store.CreateEventType(r.Context(), et); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewEventType(et))
	return nil
}

// listEventTypes lists the whole catalogue on one page (the store reads it
// whole); archived types only with include_archived=true, as Svix does.
func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request) error {
	if _, err := page(r); err != nil {
		return err
	}
	var archived bool
	if v := r.URL.Query().Get("include_archived"); v != "" {
		var err error
		if archived, err = strconv.ParseBool(v); err != nil {
			return hookd.Invalid("include_archived", "must be true or false")
		}
	}
	types, err := s.store.EventTypes(r.Context())
	if err != nil {
		return err
	}
	out := []eventTypeOut{}
	for _, et := range types {
		if archived || !et.Archived {
			out = append(out, viewEventType(et))
		}
	}
	writeJSON(w, http.StatusOK, listOf(out, nil))
	return nil
}

func (s *Server) getEventType(w http.ResponseWriter, r *http.Request) error {
	et, err := s.store.EventType(r.Context(), r.PathValue("event_type_name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewEventType(et))
	return nil
}
