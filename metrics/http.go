package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// Unmatched is the route label of requests no route pattern matched, so
// that scanners' random paths cannot grow the series.
const Unmatched = "unmatched"

// Instrument counts and times every request next serves, by the route
// pattern Go's ServeMux matched (r.Pattern, which the mux sets on the
// request it is given: next must pass r on, not a copy, to its mux).
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = Unmatched
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		m.reqLatency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// statusWriter remembers the status code written. Unwrap lets
// http.ResponseController reach the connection (flushes of hookd listen's
// event stream, deadlines).
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// FlushError flushes through whatever wraps the connection below (another
// middleware's writer may offer only Unwrap, not Flush).
func (w *statusWriter) FlushError() error {
	w.wrote = true
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
