package hookd

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error codes. Each maps to one HTTP status in the api package, and nowhere else.
const (
	EINVALID      = "invalid"      // the input breaks a rule: 422
	EMALFORMED    = "malformed"    // the request cannot be read at all: 400
	ENOTFOUND     = "not_found"    // 404
	ECONFLICT     = "conflict"     // 409
	EUNAUTHORIZED = "unauthorized" // no or unknown credentials: 401
	EFORBIDDEN    = "forbidden"    // known credentials, not allowed: 403
	ETOOLARGE     = "too_large"    // over a size limit: 413
	ERATELIMITED  = "rate_limited" // too many requests of a kind; try again after Error.RetryAfter: 429
	EUNAVAILABLE  = "unavailable"  // a dependency is down; try again: 503
	EINTERNAL     = "internal"     // a bug or an unexpected failure: 500
)

// FieldError names one offending input field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a domain error: a code the API maps to a status, a message safe to
// show to the caller, and, for validation errors, the offending fields.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// RetryAfter is when an ERATELIMITED request may be tried again.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s: %s: %s", e.Message, e.Fields[0].Field, e.Fields[0].Message)
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up (a
// Retry-After header's value).
func (e *Error) RetryAfterSeconds() int {
	return int((e.RetryAfter + time.Second - 1) / time.Second)
}

// Errorf returns a domain error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation error naming one field.
func Invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: EINVALID, Message: "validation failed", Fields: []FieldError{{Field: field, Message: msg}}}
}

// ErrorCode returns the code of the first domain error in err's chain,
// EINTERNAL for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Validation collects field errors so a caller sees every problem at once.
type Validation struct {
	fields []FieldError
}

// Add records a problem with one field.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns the collected problems as one EINVALID error, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "validation failed", Fields: v.fields}
}

// NotInCatalogue is the EINVALID error for an event type the catalogue
// does not hold, on field.
func NotInCatalogue(field, name string) *Error {
	return Invalid(field, "event type %q is not in the catalogue", name)
}

// ArchivedType is the EINVALID of a new subscription to an archived type.
func ArchivedType(field, name string) *Error {
	return Invalid(field, "event type %q is archived: endpoints subscribed to it keep it, none can newly subscribe", name)
}

// RenameField renames a field of a validation error, and its parts (from[0],
// from.x): a front-end naming a field otherwise than the rule that checked it.
func RenameField(err error, from, to string) error {
	var e *Error
	if errors.As(err, &e) {
		for i, f := range e.Fields {
			if rest, ok := strings.CutPrefix(f.Field, from); ok && (rest == "" || rest[0] == '[' || rest[0] == '.') {
				e.Fields[i].Field = to + rest
			}
		}
	}
	return err
}
