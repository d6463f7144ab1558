package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/jsonx"
)

func encoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = encoder(w).Encode(v)
}

// list is the shape of every list response.
type list[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// page reads ?limit= and ?cursor=; the store is asked for one extra item to
// know whether another page exists.
func page(r *http.Request) (hookd.Page, error) {
	p := hookd.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > hookd.MaxPageSize {
			return p, hookd.Invalid("limit", "must be a whole number from 1 to %d", hookd.MaxPageSize)
		}
		p.Limit = n
	}
	p.Limit++
	return p, nil
}

// paged cuts the extra item off and sets the cursor.
func paged[T any](items []T, p hookd.Page, id func(T) string) list[T] {
	out := list[T]{Data: items}
	if out.Data == nil {
		out.Data = []T{}
	}
	if len(items) == p.Limit {
		out.Data = items[:p.Limit-1]
		c := id(out.Data[len(out.Data)-1])
		out.NextCursor = &c
	}
	return out
}

// decode reads a JSON request body of at most limit bytes into v (see decodeBody).
func decode(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	body, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	return decodeBody(body, v)
}

// readBody reads the whole request body, at most limit bytes. The buffer
// starts at the announced length, up to 64 KiB: a client cannot make the
// server reserve more than that by announcing a length it never sends.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, min(max(r.ContentLength, 0), limit, 64<<10)+1))
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, hookd.Errorf(hookd.ETOOLARGE, "request body is larger than the limit of %d bytes", limit)
		}
		return nil, hookd.Errorf(hookd.EMALFORMED, "the request body could not be read: %v", err)
	}
	return buf.Bytes(), nil
}

// decodeBody reads a JSON request body into v: one object, no unknown
// fields, and, at any depth, no key given twice and no invalid UTF-8
// (encoding/json would keep the last of two keys and replace bad bytes
// without a word; the caller would not know what was stored).
func decodeBody(body []byte, v any) error { return decodeJSON(body, v, true) }

// DecodeBody reads a JSON request body into v as this API does, except that
// fields v does not name are ignored: for front ends whose clients may send
// fields of a newer protocol version (svixapi).
func DecodeBody(body []byte, v any) error { return decodeJSON(body, v, false) }

// ReadBody reads the whole request body, at most limit bytes (ETOOLARGE past it).
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	return readBody(w, r, limit)
}

func decodeJSON(body []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return hookd.Errorf(hookd.EMALFORMED, "request body must hold exactly one JSON object")
	}
	// Well-formed for encoding/json, so what Check finds is about content.
	var refused *jsonx.SyntaxError
	if err := jsonx.Check(body); errors.As(err, &refused) {
		if refused.Path == "" {
			return hookd.Errorf(hookd.EINVALID, "request body: %s (at byte %d)", refused.Msg, refused.Offset)
		}
		return hookd.Invalid(refused.Path, "%s (at byte %d)", refused.Msg, refused.Offset)
	} else if err != nil {
		return err
	}
	return nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return hookd.Errorf(hookd.EMALFORMED, "request body is empty; a JSON object is required")
	case errors.As(err, &syntax):
		return hookd.Errorf(hookd.EMALFORMED, "malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return hookd.Errorf(hookd.EMALFORMED, "malformed JSON: the body ends too early")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return hookd.Errorf(hookd.EMALFORMED, "request body must be a JSON object")
		}
		return hookd.Invalid(field, "must be %s", jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return hookd.Invalid(name, "is not a known field")
	}
	return hookd.Errorf(hookd.EMALFORMED, "malformed JSON: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "float64":
		return "a number"
	case "slice":
		return "a list"
	case "map", "struct":
		return "an object"
	}
	return fmt.Sprintf("of another type (%s)", goKind)
}
