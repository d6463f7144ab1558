package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a request the server refused: its RFC 9457 problem body (or,
// from something in between that sends none, the status and the start of
// the body as Detail).
type Error struct {
	Method, Path string // the request, for messages
	Status       int
	// Code is hookd's machine-readable code ("not_found", "invalid", ...);
	// empty when the answer had no problem body.
	Code   string
	Type   string // "about:blank"
	Title  string
	Detail string
	// Fields names the offending input fields of a validation error (422).
	Fields []FieldError
	// RetryAfter is the answer's Retry-After (429, 503); 0 without one.
	RetryAfter time.Duration
}

// FieldError is one offending field of a validation error.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("hookd: %s %s: %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Kinds of refusal, for errors.Is: errors.Is(err, client.ErrNotFound).
var (
	ErrMalformed    = errors.New("hookd: malformed request")   // 400
	ErrUnauthorized = errors.New("hookd: unauthorized")        // 401
	ErrForbidden    = errors.New("hookd: forbidden")           // 403
	ErrNotFound     = errors.New("hookd: not found")           // 404
	ErrConflict     = errors.New("hookd: conflict")            // 409
	ErrTooLarge     = errors.New("hookd: request too large")   // 413
	ErrInvalid      = errors.New("hookd: invalid input")       // 422
	ErrRateLimited  = errors.New("hookd: rate limited")        // 429
	ErrUnavailable  = errors.New("hookd: service unavailable") // 503
)

var kindOf = map[int]error{
	http.StatusBadRequest:            ErrMalformed,
	http.StatusUnauthorized:          ErrUnauthorized,
	http.StatusForbidden:             ErrForbidden,
	http.StatusNotFound:              ErrNotFound,
	http.StatusConflict:              ErrConflict,
	http.StatusRequestEntityTooLarge: ErrTooLarge,
	http.StatusUnprocessableEntity:   ErrInvalid,
	http.StatusTooManyRequests:       ErrRateLimited,
	http.StatusServiceUnavailable:    ErrUnavailable,
}

// Is reports whether target is the kind of e's status.
func (e *Error) Is(target error) bool {
	k, ok := kindOf[e.Status]
	return ok && k == target
}

// readError builds the *Error of a non-2xx answer and closes its body.
func readError(method, path string, resp *http.Response) *Error {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &Error{Method: method, Path: path, Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	var p struct {
		Type   string       `json:"type"`
		Title  string       `json:"title"`
		Detail string       `json:"detail"`
		Code   string       `json:"code"`
		Errors []FieldError `json:"errors"`
	}
	if json.Unmarshal(b, &p) == nil && p.Code != "" {
		e.Code, e.Type, e.Title, e.Detail, e.Fields = p.Code, p.Type, p.Title, p.Detail, p.Errors
		return e
	}
	e.Title = http.StatusText(resp.StatusCode)
	e.Detail = strings.TrimSpace(string(b[:min(len(b), 512)]))
	return e
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}
