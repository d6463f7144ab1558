package api

import (
	"net/http"
	"time"

	"github.com/hookd/hookd"
)

// statsWindow is what the stats route covers: the last 24 hours by hour.
const statsWindow = 24 * time.Hour

func (s *Server) endpointStats(w http.ResponseWriter, r *http.Request) error {
	st, err := s.store.EndpointStats(r.Context(), r.PathValue("tenant"), r.PathValue("id"), time.Now().Add(-statsWindow))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

type recoverInput struct {
	Since *time.Time `json:"since"`
	Until *time.Time `json:"until"`
}

// recoverEndpoint starts replaying, in the background, every failed
// delivery of the endpoint created in [since, until).
func (s *Server) recoverEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in recoverInput
	if err := decode(w, r, &in, 4<<10); err != nil {
		return err
	}
	now := time.Now()
	var v hookd.Validation
	if in.Since == nil {
		v.Add("since", "is required (RFC 3339, e.g. 2026-11-22T08:00:00Z)")
	}
	if in.Until == nil {
		in.Until = &now
	}
	if in.Since != nil && !in.Since.Before(*in.Until) {
		v.Add("until", "must be after since")
	}
	if err := v.Err(); err != nil {
		return err
	}
	job, err := s.store.CreateRecoverJob(r.Context(), r.PathValue("tenant"), r.PathValue("id"), *in.Since, *in.Until)
	if err != nil {
		return err
	}
	if s.cfg.Maintenance != nil {
		s.cfg.Maintenance.Kick()
	}
	writeJSON(w, http.StatusAccepted, job)
	return nil
}

func (s *Server) getRecoverJob(w http.ResponseWriter, r *http.Request) error {
	job, err := s.store.RecoverJob(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}
