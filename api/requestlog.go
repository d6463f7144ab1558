package api

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// RequestIDHeader carries a request's id: taken from the caller when sane,
// else made here; always in the answer and in its problem body.
const RequestIDHeader = "X-Request-Id"

// maxRequestID bounds an id a caller gives, which is logged as is.
const maxRequestID = 128

// RequestLog gives every request an id and logs one line when it ends, at
// info (health, readiness and metrics scrapes at debug): method, route
// pattern, status, duration in ms, tenant and request id. Never the path's
// values beyond the tenant, the query string (portal tokens travel in it)
// or any header, so no key or secret reaches the log. Wrap the whole
// handler (API and dashboard) once.
func RequestLog(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		rec := &statusRecorder{ResponseWriter: w}
		// The mux sets r.Pattern and the path values on this same request.
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if quietRoutes[r.Pattern] {
			level = slog.LevelDebug
		}
		logger.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("route", routeOf(r)),
			slog.Int("status", rec.status()),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("tenant", r.PathValue("tenant")),
			slog.String("request_id", id),
		)
	})
}

// quietRoutes are polled by machines; a line each would drown the rest.
var quietRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// routeOf is the pattern that matched, which holds no caller's values.
func routeOf(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	return r.Pattern
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	return strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == ""
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// statusRecorder notes the status an answer was given. Unwrap lets
// http.ResponseController reach the connection (hookd listen's stream flushes).
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) status() int {
	if s.code == 0 {
		return http.StatusOK // nothing written: net/http answers 200
	}
	return s.code
}
