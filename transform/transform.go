// Package transform runs endpoints' transformations: JavaScript
// (github.com/dop251/goja) `function handler(webhook) { ...; return webhook }`
// that may change a delivery's body, add headers, change its URL's path and
// query, or cancel it, under a time and a memory bound, with no I/O.
package transform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/dop251/goja"

	"github.com/hookd/hookd"
)

// Bounds of a transformation. Time and allocations are watched while it
// runs (watch.go); sizes are checked on the way in and out.
const (
	// MaxScriptBytes bounds a script's source.
	MaxScriptBytes = 64 << 10
	// MaxBodyBytes bounds the body a transformation returns.
	MaxBodyBytes = 4 << 20
	// MaxStringLength bounds what one call of the builtins that build a
	// string or fill an array from a length argument may make (prelude).
	MaxStringLength = 4 << 20
	// maxCallStack bounds recursion: goja's stack is a Go slice.
	maxCallStack = 1000
)

// Webhook is what a transformation is given: the body as sent without it,
// the endpoint's custom headers and its URL.
type Webhook struct {
	Payload []byte
	Headers map[string]string
	URL     string
}

// Result is what a transformation made of a Webhook: the body to send (and
// sign), the custom headers, the URL, or Cancelled (no request).
type Result struct {
	Body      json.RawMessage   `json:"body"`
	Headers   map[string]string `json:"headers"`
	URL       string            `json:"url"`
	Cancelled bool              `json:"cancelled"`
}

// Script is a compiled transformation; its runtimes are pooled (pool.go).
type Script struct {
	prg  *goja.Program
	pool chan *runtime
}

// Compile parses src and runs its top level once, under the time bound,
// to see that it defines handler: a hookd EINVALID error on field
// "transformation" naming the line, column and message of the problem.
func Compile(src string) (*Script, error) {
	var v hookd.Validation
	s := compile(&v, "transformation", src)
	return s, v.Err()
}

// Check adds to v what is wrong with src as the transformation in field; ""
// (none) is fine. The API's and the dashboard's validation call it.
func Check(v *hookd.Validation, field, src string) {
	if src != "" {
		compile(v, field, src)
	}
}

func compile(v *hookd.Validation, field, src string) *Script {
	if len(src) > MaxScriptBytes {
		v.Add(field, "is %d bytes, over the limit of %d", len(src), MaxScriptBytes)
		return nil
	}
	if !hookd.CheckText(v, field, src) {
		return nil
	}
	if strings.TrimSpace(src) == "" {
		v.Add(field, "is empty")
		return nil
	}
	prg, err := goja.Compile("transformation", src, false)
	if err != nil {
		v.Add(field, "%s", compileError(err))
		return nil
	}
	s := &Script{prg: prg, pool: make(chan *runtime, poolSize)}
	slots <- struct{}{} // its top level runs, under the bounds and in a slot like any run
	r, err := s.newRuntime(context.Background())
	release()
	if err != nil {
		v.Add(field, "%v", err)
		return nil
	}
	s.pool <- r // kept for the first run
	return s
}

// compileError is goja's error as line:column: message.
func compileError(err error) string {
	var se *goja.CompilerSyntaxError
	if errors.As(err, &se) {
		msg := se.Message
		if se.File != nil {
			p := se.File.Position(se.Offset)
			// The parser's message repeats the file name and position.
			if _, rest, ok := strings.Cut(msg, fmt.Sprintf("Line %d:%d ", p.Line, p.Column)); ok {
				msg = rest
			}
			return fmt.Sprintf("%d:%d: %s", p.Line, p.Column, msg)
		}
		return msg
	}
	return err.Error()
}

// Run applies the transformation to w. An error says why it could not (a
// throw, a bound reached, a bad shape): the attempt fails with it.
func (s *Script) Run(ctx context.Context, w Webhook) (Result, error) {
	headers, err := json.Marshal(w.Headers)
	if err != nil {
		return Result{}, err
	}
	if w.Headers == nil {
		headers = []byte("{}")
	}
	r, err := s.get(ctx)
	if err != nil {
		return Result{}, err
	}
	out, err := r.call(string(w.Payload), string(headers), w.URL)
	if err != nil {
		r.drop()
		return Result{}, err
	}
	res, err := r.result(out)
	s.put(r)
	if err != nil || res.Cancelled {
		return res, err
	}
	if err := checkResult(&res, w.URL); err != nil {
		return Result{}, err
	}
	return res, nil
}

// checkResult holds a result to the rules of a delivery: a bounded body,
// valid headers, and a URL that differs from the endpoint's in path and
// query only, so the outbound safety rule checked on the endpoint's URL
// still holds.
func checkResult(r *Result, endpointURL string) error {
	if len(r.Body) > MaxBodyBytes {
		return fmt.Errorf("transformation: the payload is %d bytes, over the limit of %d", len(r.Body), MaxBodyBytes)
	}
	var v hookd.Validation
	hookd.CheckHeaders(&v, "headers", r.Headers, nil)
	if err := v.Err(); err != nil {
		return fmt.Errorf("transformation: %w", err)
	}
	if r.URL == endpointURL {
		return nil
	}
	was, err := url.Parse(endpointURL)
	if err != nil {
		return fmt.Errorf("transformation: the endpoint's URL: %w", err)
	}
	now, err := url.Parse(r.URL)
	if err != nil {
		return fmt.Errorf("transformation: url %q: %v", r.URL, err)
	}
	if endpointURL == "" || now.Scheme != was.Scheme || now.Host != was.Host || now.User.String() != was.User.String() || now.Fragment != "" {
		return fmt.Errorf("transformation: url %q may change the endpoint URL's path and query only", r.URL)
	}
	return nil
}
