package api

import (
	"context"
	"net/http"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/buildinfo"
)

// readyz answers 200 when this node can serve: the database answers within
// readyTimeout and, when the store can tell (hookd.Readier), its migrations
// are current and its disk is not full. Otherwise 503, within readyTimeout.
// Load balancers route by it; /healthz stays a liveness check.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	check := s.store.Ping
	if rd, ok := s.store.(hookd.Readier); ok {
		check = rd.Ready
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := check(ctx); err != nil {
		s.logger.Warn("not ready", "err", err)
		if hookd.ErrorCode(err) != hookd.EUNAVAILABLE {
			err = hookd.Errorf(hookd.EUNAVAILABLE, "database unreachable")
		}
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "version": buildinfo.Get().Version})
}

// readyTimeout is how long /readyz waits for the database: a load balancer's
// check must get its answer, not a hang.
const readyTimeout = 3 * time.Second

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Metrics == nil {
		s.writeError(w, r, hookd.Errorf(hookd.ENOTFOUND, "metrics are not enabled on this node"))
		return
	}
	s.cfg.Metrics.ServeHTTP(w, r)
}

// Ops serves only the operational routes (health, readiness, metrics), for
// worker nodes that do not serve the API.
func (s *Server) Ops() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	return mux
}
