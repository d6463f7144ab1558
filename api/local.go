package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
)

type cliTokenInput struct {
	Name string `json:"name"`
}

// createdCLIToken answers a mint: the token (shown this once) and the
// command line that uses it.
type createdCLIToken struct {
	CLIToken *hookd.APIKey `json:"cli_token"`
	Token    string        `json:"token"`
	Command  string        `json:"command"`
}

func (s *Server) createCLIToken(w http.ResponseWriter, r *http.Request) error {
	var in cliTokenInput
	if r.ContentLength != 0 {
		if err := decode(w, r, &in, 4<<10); err != nil {
			return err
		}
	}
	tenantID := r.PathValue("tenant")
	k, key, err := service.MintCLIToken(r.Context(), s.store, tenantID, in.Name, time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdCLIToken{CLIToken: k, Token: key, Command: service.ListenCommand(s.cfg.PublicBase(r), tenantID, key)})
	return nil
}

func (s *Server) listCLITokens(w http.ResponseWriter, r *http.Request) error {
	tokens, err := service.CLITokens(r.Context(), s.store, r.PathValue("tenant"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*hookd.APIKey]{Data: append([]*hookd.APIKey{}, tokens...)})
	return nil
}

func (s *Server) deleteCLIToken(w http.ResponseWriter, r *http.Request) error {
	if err := service.RevokeCLIToken(r.Context(), s.store, r.PathValue("tenant"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listLocalSessions(w http.ResponseWriter, r *http.Request) error {
	sessions, err := service.LocalSessions(r.Context(), s.store, r.PathValue("tenant"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[service.LocalSession]{Data: sessions})
	return nil
}

type triggerInput struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// triggerEvent sends a test event to one local session only (hookd
// trigger): data as given, checked as a publish's, or the type's example.
func (s *Server) triggerEvent(w http.ResponseWriter, r *http.Request) error {
	var in triggerInput
	if err := decode(w, r, &in, s.cfg.MaxPayloadBytes+4<<10); err != nil {
		return err
	}
	tenantID := r.PathValue("tenant")
	e, err := service.SessionEndpoint(r.Context(), s.store, tenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	var ev hookd.NewEvent
	if len(in.Data) == 0 || isJSONNull(in.Data) {
		ev, err = s.exampleEvent(r.Context(), "type", in.Type)
	} else {
		ev, err = s.toNewEvent(r.Context(), &eventInput{Type: in.Type, Data: in.Data}, "", "", time.Now())
	}
	if err != nil {
		return err
	}
	d, err := s.store.PublishTestEvent(r.Context(), tenantID, e.ID, ev)
	if err != nil {
		return err
	}
	s.notify()
	writeJSON(w, http.StatusAccepted, detail(d))
	return nil
}

// replayLocal replays a delivery of a local session (hookd listen
// --retry-failed); deliveries to other endpoints are ENOTFOUND here.
func (s *Server) replayLocal(w http.ResponseWriter, r *http.Request) error {
	tenantID := r.PathValue("tenant")
	e, err := service.SessionEndpoint(r.Context(), s.store, tenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := s.store.Delivery(r.Context(), tenantID, r.PathValue("delivery"))
	if err == nil && d.EndpointID != e.ID {
		err = hookd.Errorf(hookd.ENOTFOUND, "delivery %q not found in this session", r.PathValue("delivery"))
	}
	if err != nil {
		return err
	}
	if d, err = s.store.ReplayDelivery(r.Context(), tenantID, d.ID); err != nil {
		return err
	}
	s.notify()
	writeJSON(w, http.StatusAccepted, detail(d))
	return nil
}
