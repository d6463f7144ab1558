package svixapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/api"
)

// Svix's error codes by status (its HttpErrorOut.code); the status itself
// is api's mapping of the domain code.
var svixCode = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "authentication_failed",
	http.StatusForbidden:             "insufficient access",
	http.StatusNotFound:              "not_found",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "payload_too_large",
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusServiceUnavailable:    "service_unavailable",
	http.StatusInternalServerError:   "server_error",
}

// httpError is Svix's HttpErrorOut.
type httpError struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// validationError is Svix's HTTPValidationError (422).
type validationError struct {
	Detail []validationItem `json:"detail"`
}

type validationItem struct {
	Loc  []string `json:"loc"`
	Msg  string   `json:"msg"`
	Type string   `json:"type"`
}

// writeError answers with Svix's body for err. Fields of a validation
// error are named as in Svix's bodies; "query." and "path." name where
// the field was, else it was in the body.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := api.Status(hookd.ErrorCode(err))
	var e *hookd.Error
	if !errors.As(err, &e) || e.Code == hookd.EINTERNAL {
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, httpError{Code: svixCode[http.StatusInternalServerError], Detail: "Internal Server Error"})
		return
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfterSeconds()))
	}
	if status == http.StatusUnprocessableEntity {
		out := validationError{}
		for _, f := range e.Fields {
			out.Detail = append(out.Detail, validationItem{Loc: location(f.Field), Msg: f.Message, Type: "value_error"})
		}
		if len(out.Detail) == 0 {
			out.Detail = []validationItem{{Loc: []string{"body"}, Msg: e.Message, Type: "value_error"}}
		}
		writeJSON(w, status, out)
		return
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookd"`)
	}
	writeJSON(w, status, httpError{Code: svixCode[status], Detail: e.Error()})
}

func location(field string) []string {
	parts := strings.Split(field, ".")
	if parts[0] == "query" || parts[0] == "path" || parts[0] == "header" {
		return parts
	}
	return append([]string{"body"}, parts...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decode reads a JSON body of at most limit bytes into v; fields v does not
// name are ignored, as Svix ignores them.
func decode(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	body, err := api.ReadBody(w, r, limit)
	if err != nil {
		return err
	}
	return api.DecodeBody(body, v)
}
