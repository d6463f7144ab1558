package api

import (
	"net/http"

	"github.com/hookd/hookd"
)

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := hookd.DeliveryFilter{TenantID: r.PathValue("tenant"), EndpointID: q.Get("endpoint"), EventID: q.Get("event"), Status: q.Get("status")}
	if f.Status != "" && !hookd.ValidStatus(f.Status) {
		return hookd.Invalid("status", "must be one of pending, retrying, delivered, failed, paused, cancelled")
	}
	if _, err := s.store.Tenant(r.Context(), f.TenantID); err != nil {
		return err
	}
	ds, err := s.store.Deliveries(r.Context(), f, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paged(ds, p, func(d *hookd.Delivery) string { return d.ID }))
	return nil
}

// deliveryDetail is one delivery with its attempt log, oldest first.
type deliveryDetail struct {
	*hookd.Delivery
	Attempts []hookd.Attempt `json:"attempts"`
}

func detail(d *hookd.Delivery) deliveryDetail {
	out := deliveryDetail{Delivery: d, Attempts: d.AttemptLog}
	if out.Attempts == nil {
		out.Attempts = []hookd.Attempt{}
	}
	return out
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := s.store.Delivery(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, detail(d))
	return nil
}

func (s *Server) replayDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := s.store.ReplayDelivery(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.notify()
	writeJSON(w, http.StatusAccepted, detail(d))
	return nil
}
