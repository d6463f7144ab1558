package api

import (
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
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
	job, err := service.StartRecover(r.Context(), s.store, s.cfg.Maintenance, r.PathValue("tenant"), r.PathValue("id"), in.Since, in.Until)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, job)
	return nil
}

func (s *Server) listRecoverJobs(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	jobs, err := s.store.RecoverJobs(r.Context(), r.PathValue("tenant"), r.URL.Query().Get("endpoint"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paged(jobs, p, func(j *hookd.RecoverJob) string { return j.ID }))
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
