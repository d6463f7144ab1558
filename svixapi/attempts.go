package svixapi

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/hookd/hookd"
)

// Svix's MessageStatus of an attempt.
const (
	statusSuccess = 0
	statusFail    = 2
)

// attemptOut is Svix's MessageAttemptOut: one HTTP request of a delivery.
// hookd does not record why an attempt was made, so triggerType is 0
// (scheduled) for every attempt, resends included.
type attemptOut struct {
	ID                 string    `json:"id"`
	URL                string    `json:"url"`
	MsgID              string    `json:"msgId"`
	EndpointID         string    `json:"endpointId"`
	Response           string    `json:"response"`
	ResponseStatusCode int       `json:"responseStatusCode"`
	ResponseDurationMs int64     `json:"responseDurationMs"`
	Status             int       `json:"status"`
	TriggerType        int       `json:"triggerType"`
	Timestamp          time.Time `json:"timestamp"`
}

func viewAttempt(d *hookd.Delivery, a hookd.Attempt) attemptOut {
	out := attemptOut{ID: a.ID, URL: a.URL, MsgID: d.EventID, EndpointID: d.EndpointID, Response: a.ResponseBody,
		ResponseStatusCode: a.StatusCode, ResponseDurationMs: a.Duration.Duration().Milliseconds(), Status: statusFail, Timestamp: a.At}
	if a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300 {
		out.Status = statusSuccess
	}
	if out.Response == "" {
		out.Response = a.Error
	}
	return out
}

// attemptsOf reads the attempts of deliveries, newest first.
func (s *Server) attemptsOf(ctx context.Context, ds []*hookd.Delivery) ([]attemptOut, error) {
	out := []attemptOut{}
	for _, d := range ds {
		full, err := s.store.Delivery(ctx, d.TenantID, d.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range slices.Backward(full.AttemptLog) {
			out = append(out, viewAttempt(full, a))
		}
	}
	return out, nil
}

// attempts answers one page of deliveries as the attempts they made: a
// page holds the attempts of up to limit deliveries.
func (s *Server) attempts(w http.ResponseWriter, r *http.Request, f hookd.DeliveryFilter) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	ds, err := s.store.Deliveries(r.Context(), f, p)
	if err != nil {
		return err
	}
	ds, next := cut(ds, p, func(d *hookd.Delivery) string { return d.ID })
	out, err := s.attemptsOf(r.Context(), ds)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(out, next))
	return nil
}

func (s *Server) attemptsByEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	return s.attempts(w, r, hookd.DeliveryFilter{TenantID: e.TenantID, EndpointID: e.ID})
}

func (s *Server) attemptsByMessage(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.message(r)
	if err != nil {
		return err
	}
	f := hookd.DeliveryFilter{TenantID: ev.TenantID, EventID: ev.ID, EndpointID: r.URL.Query().Get("endpoint_id")}
	return s.attempts(w, r, f)
}

// deliveriesOf reads every delivery of a message (one per endpoint).
func (s *Server) deliveriesOf(ctx context.Context, ev *hookd.Event, endpointID string) ([]*hookd.Delivery, error) {
	return s.store.Deliveries(ctx, hookd.DeliveryFilter{TenantID: ev.TenantID, EventID: ev.ID, EndpointID: endpointID},
		hookd.Page{Limit: hookd.MaxPageSize})
}

func (s *Server) getAttempt(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.message(r)
	if err != nil {
		return err
	}
	ds, err := s.deliveriesOf(r.Context(), ev, "")
	if err != nil {
		return err
	}
	all, err := s.attemptsOf(r.Context(), ds)
	if err != nil {
		return err
	}
	for _, a := range all {
		if a.ID == r.PathValue("attempt_id") {
			writeJSON(w, http.StatusOK, a)
			return nil
		}
	}
	return hookd.Errorf(hookd.ENOTFOUND, "attempt %q not found", r.PathValue("attempt_id"))
}

// resend replays the message's delivery to the endpoint at once.
func (s *Server) resend(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.message(r)
	if err != nil {
		return err
	}
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	ds, err := s.deliveriesOf(r.Context(), ev, e.ID)
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		return hookd.Errorf(hookd.ENOTFOUND, "message %q was not sent to endpoint %q", ev.ID, e.ID)
	}
	if _, err := s.store.ReplayDelivery(r.Context(), ev.TenantID, ds[0].ID); err != nil {
		return err
	}
	s.notify()
	w.WriteHeader(http.StatusAccepted)
	return nil
}
