package svixapi

import (
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/signature"
)

// rotationOverlap is how long an old secret keeps signing after a rotation
// through this API: Svix's 24 hours.
const rotationOverlap = 24 * time.Hour

// statsWindow is what the stats cover without ?since: Svix's 28 days.
const statsWindow = 28 * 24 * time.Hour

// headersOut is Svix's EndpointHeadersOut. hookd keeps every custom header
// value as a secret, so every header is listed as sensitive, without value.
type headersOut struct {
	Headers   map[string]string `json:"headers"`
	Sensitive []string          `json:"sensitive"`
}

func (s *Server) getHeaders(w http.ResponseWriter, r *http.Request) error {
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, headersOut{Headers: map[string]string{}, Sensitive: slices.Sorted(maps.Keys(e.Headers))})
	return nil
}

type headersIn struct {
	// A null value (PATCH) removes the header.
	Headers map[string]*string `json:"headers"`
}

func (s *Server) putHeaders(w http.ResponseWriter, r *http.Request) error {
	return s.setHeaders(w, r, true)
}

func (s *Server) patchHeaders(w http.ResponseWriter, r *http.Request) error {
	return s.setHeaders(w, r, false)
}

// setHeaders replaces (PUT) or merges into (PATCH) the custom headers.
func (s *Server) setHeaders(w http.ResponseWriter, r *http.Request, replace bool) error {
	var in headersIn
	if err := decode(w, r, &in, 256<<10); err != nil {
		return err
	}
	if in.Headers == nil {
		return hookd.Invalid("headers", "is required")
	}
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	headers := map[string]string{}
	if !replace {
		maps.Copy(headers, e.Headers)
	}
	for name, value := range in.Headers {
		if value == nil {
			delete(headers, name)
		} else {
			headers[name] = *value
		}
	}
	var v hookd.Validation
	hookd.CheckHeaders(&v, "headers", headers, s.cfg.ReservedHeaderPrefixes)
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := s.store.UpdateEndpoint(r.Context(), e.TenantID, e.ID, hookd.EndpointUpdate{Headers: &headers}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type secretOut struct {
	Key string `json:"key"`
}

// getSecret shows the signing secret to admin keys, where the deployment
// allows it (--allow-secret-reveal), as the native API does.
func (s *Server) getSecret(w http.ResponseWriter, r *http.Request) error {
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	secret, err := service.RevealSecret(r.Context(), s.store, s.cfg.AllowSecretReveal, e.TenantID, e.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, secretOut{Key: secret})
	return nil
}

type rotateIn struct {
	Key *string `json:"key"`
}

// rotateSecret makes key (or a new secret) the endpoint's; the old one
// keeps signing beside it for 24 hours, as on Svix.
func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	var in rotateIn
	if r.ContentLength != 0 {
		if err := decode(w, r, &in, 4<<10); err != nil {
			return err
		}
	}
	secret := ""
	if in.Key != nil {
		if err := signature.ValidateSecret(*in.Key); err != nil {
			return hookd.Invalid("key", "%v", err)
		}
		secret = *in.Key
	}
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	if _, _, err := service.RotateSecret(r.Context(), s.store, e.TenantID, e.ID, secret, rotationOverlap); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type recoverIn struct {
	Since *time.Time `json:"since"`
	Until *time.Time `json:"until"`
}

// recoverOut is Svix's RecoverOut: the background task replaying failures.
type recoverOut struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Task   string `json:"task"`
}

func (s *Server) recoverEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in recoverIn
	if err := decode(w, r, &in, 4<<10); err != nil {
		return err
	}
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	job, err := service.StartRecover(r.Context(), s.store, s.cfg.Maintenance, e.TenantID, e.ID, in.Since, in.Until)
	if err != nil {
		return err
	}
	status := "running"
	if job.Status == hookd.RecoverDone {
		status = "finished"
	}
	writeJSON(w, http.StatusAccepted, recoverOut{ID: job.ID, Status: status, Task: "endpoint.recover"})
	return nil
}

// statsOut is Svix's EndpointStats: deliveries by state. hookd does not
// store "sending" (a leased delivery is still pending), so it is 0.
type statsOut struct {
	Success int `json:"success"`
	Pending int `json:"pending"`
	Sending int `json:"sending"`
	Fail    int `json:"fail"`
}

func (s *Server) endpointStats(w http.ResponseWriter, r *http.Request) error {
	earliest := time.Now().Add(-statsWindow)
	since := earliest
	if q := r.URL.Query().Get("since"); q != "" {
		t, err := time.Parse(time.RFC3339, q)
		if err != nil || t.Before(earliest) {
			// The stats count by hour from since: bounded, so is the answer.
			return hookd.Invalid("query.since", "must be an RFC 3339 time within the last 28 days")
		}
		since = t
	}
	e, err := s.endpoint(r.Context(), r)
	if err != nil {
		return err
	}
	st, err := s.store.EndpointStats(r.Context(), e.TenantID, e.ID, since)
	if err != nil {
		return err
	}
	c := st.Counts
	writeJSON(w, http.StatusOK, statsOut{
		Success: c[hookd.StatusDelivered],
		Pending: c[hookd.StatusPending] + c[hookd.StatusRetrying] + c[hookd.StatusPaused],
		Fail:    c[hookd.StatusFailed],
	})
	return nil
}
