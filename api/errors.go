package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hookd/hookd"
)

// statusOf is the one place domain error codes become HTTP statuses.
var statusOf = map[string]int{
	hookd.EINVALID:      http.StatusUnprocessableEntity,
	hookd.EMALFORMED:    http.StatusBadRequest,
	hookd.ENOTFOUND:     http.StatusNotFound,
	hookd.ECONFLICT:     http.StatusConflict,
	hookd.EUNAUTHORIZED: http.StatusUnauthorized,
	hookd.EFORBIDDEN:    http.StatusForbidden,
	hookd.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	hookd.ERATELIMITED:  http.StatusTooManyRequests,
	hookd.EUNAVAILABLE:  http.StatusServiceUnavailable,
	hookd.EINTERNAL:     http.StatusInternalServerError,
}

// Status is the HTTP status of a domain error code (500 for unknown codes).
func Status(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// problem is an RFC 9457 problem-details body.
type problem struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Detail string             `json:"detail"`
	Code   string             `json:"code"`
	Errors []hookd.FieldError `json:"errors,omitempty"`
	// RequestID is the answer's X-Request-Id (RequestLog sets it first).
	RequestID string `json:"request_id,omitempty"`
}

// writeError answers with the problem that err describes. Internal errors
// are logged with their detail and shown to the caller without it.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := hookd.ErrorCode(err)
	p := problem{Type: "about:blank", Code: code, Status: statusOf[code]}
	p.Title = http.StatusText(p.Status)
	if e, ok := asDomain(err); ok {
		p.Detail, p.Errors = e.Message, e.Fields
		if len(e.Fields) > 0 && e.Message == "validation failed" {
			p.Detail = e.Error()
		}
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfterSeconds()))
		}
	} else {
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Detail = "an internal error occurred; it has been logged"
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookd"`)
	}
	writeProblemBody(w, p)
}

// writeProblem answers with a problem that has no domain error behind it.
func (s *Server) writeProblem(w http.ResponseWriter, status int, code, detail string) {
	writeProblemBody(w, problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code})
}

func writeProblemBody(w http.ResponseWriter, p problem) {
	p.RequestID = w.Header().Get(RequestIDHeader)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = encoder(w).Encode(p)
}

// asDomain finds the domain error in err's chain (through errors.Join and
// multiple %w too); internal ones are not shown to callers.
func asDomain(err error) (*hookd.Error, bool) {
	var e *hookd.Error
	if errors.As(err, &e) && e.Code != hookd.EINTERNAL {
		return e, true
	}
	return nil, false
}
