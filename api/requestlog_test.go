package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRequestID checks which caller ids are kept, and that the id reaches
// the header, the problem body and the log line alike.
func TestRequestID(t *testing.T) {
	var logged bytes.Buffer
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/tenants/{tenant}/things", func(w http.ResponseWriter, r *http.Request) {
		writeProblemBody(w, problem{Type: "about:blank", Status: 404, Code: "not_found"})
	})
	h := RequestLog(mux, slog.New(slog.NewJSONHandler(&logged, nil)))
	for _, c := range []struct {
		given string
		kept  bool
	}{
		{"abc-123_x.y:z", true},
		{strings.Repeat("a", maxRequestID), true},
		{strings.Repeat("a", maxRequestID+1), false},
		{"has space", false},
		{"quote\"", false},
		{"é", false},
		{"", false},
	} {
		logged.Reset()
		req := httptest.NewRequest("GET", "/v1/tenants/acme/things?token=sekret", nil)
		if c.given != "" {
			req.Header.Set(RequestIDHeader, c.given)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		id := rec.Header().Get(RequestIDHeader)
		if (id == c.given) != c.kept || id == "" {
			t.Errorf("given %q: answered id %q, want kept=%v", c.given, id, c.kept)
		}
		var body struct {
			RequestID string `json:"request_id"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		var line map[string]any
		if err := json.Unmarshal(logged.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", logged.String(), err)
		}
		if body.RequestID != id || line["request_id"] != id {
			t.Errorf("given %q: header %q, body %q, log %v", c.given, id, body.RequestID, line["request_id"])
		}
		if line["route"] != "GET /v1/tenants/{tenant}/things" || line["tenant"] != "acme" || line["status"] != 404.0 ||
			strings.Contains(logged.String(), "sekret") {
			t.Errorf("log line: %s", logged.String())
		}
	}
}
