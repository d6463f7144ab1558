package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/listen"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/signature"
)

// keepAlive is how often an idle listen stream carries a comment, so proxies
// and the CLI can tell a quiet stream from a dead one.
const keepAlive = 15 * time.Second

type listenInput struct {
	EventTypes []string `json:"event_types"`
	Secret     string   `json:"secret"`
	Name       string   `json:"name"`
}

// listenReady is the first event of a listen stream.
type listenReady struct {
	Session       string   `json:"session"`
	EndpointID    string   `json:"endpoint_id"`
	SigningSecret string   `json:"signing_secret"`
	EventTypes    []string `json:"event_types"`
}

// listen registers a temporary endpoint whose deliveries stream to this
// response (server-sent events) until the client disconnects, when the
// endpoint and its deliveries are removed.
func (s *Server) listen(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.ListenHub == nil {
		return hookd.Errorf(hookd.ENOTFOUND, "this node does not run delivery workers, so it cannot serve hookd listen")
	}
	tenantID := r.PathValue("tenant")
	var in listenInput
	if r.ContentLength != 0 {
		if err := decode(w, r, &in, 16<<10); err != nil {
			return err
		}
	}
	var v hookd.Validation
	if len(in.EventTypes) == 0 {
		in.EventTypes = []string{hookd.AllEventTypes}
	}
	hookd.CheckEventTypes(&v, "event_types", in.EventTypes)
	if in.Secret == "" {
		var err error
		if in.Secret, err = signature.NewSecret(); err != nil {
			return err
		}
	} else if err := signature.ValidateSecret(in.Secret); err != nil {
		v.Add("secret", "%v", err)
	}
	if in.Name == "" {
		in.Name = "hookd listen"
	}
	hookd.CheckName(&v, "name", in.Name)
	if err := v.Err(); err != nil {
		return err
	}

	// Listen endpoints count toward the tenant's limit like any other.
	if err := service.CheckEndpointRoom(r.Context(), s.store, tenantID, s.cfg.MaxEndpointsPerTenant); err != nil {
		return err
	}
	session := s.cfg.ListenHub.Open(tenantID)
	defer s.cfg.ListenHub.Close(session)
	e := &hookd.Endpoint{
		TenantID: tenantID, Name: in.Name, URL: listen.URL(session.ID), EventTypes: in.EventTypes,
		Description: "Temporary endpoint of a hookd listen session; removed when it disconnects.",
		Headers:     map[string]string{}, Enabled: true, MaxInFlight: hookd.NewEndpointMaxInFlight(s.cfg.MaxEndpointInFlight),
	}
	if err := s.store.CreateEndpoint(r.Context(), e, in.Secret); err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.store.DeleteEndpoint(ctx, tenantID, e.ID); err != nil && hookd.ErrorCode(err) != hookd.ENOTFOUND {
			s.logger.Warn("remove listen endpoint", "endpoint", e.ID, "err", err)
		}
	}()

	// The stream outlives the server's write timeout.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send("ready", listenReady{Session: session.ID, EndpointID: e.ID, SigningSecret: in.Secret, EventTypes: e.EventTypes}); err != nil {
		return nil
	}
	s.logger.Info("listen session connected", "tenant", tenantID, "endpoint", e.ID)
	defer s.logger.Info("listen session ended", "tenant", tenantID, "endpoint", e.ID)
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case req := <-session.Requests():
			if err := send("delivery", req); err != nil {
				return nil
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		case <-r.Context().Done():
			return nil
		case <-s.cfg.ListenHub.Stopping():
			return nil // the server is shutting down
		}
	}
}

// listenResult takes the CLI's report of how the local receiver answered.
func (s *Server) listenResult(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.ListenHub == nil {
		return hookd.Errorf(hookd.ENOTFOUND, "no listen session %q on this node", r.PathValue("session"))
	}
	var res listen.Result
	if err := decode(w, r, &res, s.cfg.MaxPayloadBytes); err != nil {
		return err
	}
	if res.Error == "" && (res.StatusCode < 100 || res.StatusCode > 599) {
		return hookd.Invalid("status_code", "must be an HTTP status, or give error")
	}
	if err := s.cfg.ListenHub.Complete(r.PathValue("tenant"), r.PathValue("session"), res); err != nil {
		if err == listen.ErrNoSession {
			return hookd.Errorf(hookd.ENOTFOUND, "%v", err)
		}
		return hookd.Errorf(hookd.ECONFLICT, "%v", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
