// Package client is a Go client for hookd's REST API (the native /v1 API;
// docs/api.md describes every route, /openapi.json the wire shapes).
//
// Every call takes a context and returns a typed error for a refused
// request: an *Error built from the RFC 9457 problem body, which errors.Is
// matches against the kinds ErrNotFound, ErrConflict, ErrInvalid,
// ErrUnavailable and the others.
//
// Calls that are safe to repeat are retried on 429, 503 and connection
// failures, with backoff and jitter, honouring Retry-After (RetryPolicy).
// Publishing is made safe to repeat: a publish without an Idempotency-Key
// (and, for a single event, without an id) gets a random key once per call,
// which every retry of that call reuses, so the server never creates the
// event twice even when an answer was lost after it committed.
//
//	c, err := client.New("http://localhost:8080", client.WithAPIKey(key))
//	res, err := c.Publish(ctx, "acme", client.Event{Type: "contact.created", Data: contact})
//	if errors.Is(err, client.ErrNotFound) { ... } // no such tenant
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookd/hookd/internal/buildinfo"
)

// Client calls one hookd deployment. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	auth  string
	hc    *http.Client
	ua    string
	retry RetryPolicy
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey authenticates every request with key (sent as a Bearer token).
func WithAPIKey(key string) Option { return func(c *Client) { c.auth = "Bearer " + key } }

// WithHTTPClient sends requests with hc instead of a default client with
// a one-minute timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithUserAgent sets the User-Agent header (default "hookd-client-go/<version>").
func WithUserAgent(ua string) Option { return func(c *Client) { c.ua = ua } }

// WithRetry sets the retry policy (default DefaultRetry; NoRetry turns
// retries off).
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// New returns a client of the hookd at baseURL (e.g. "http://localhost:8080").
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hookd client: base URL %q must be an absolute http(s) URL", baseURL)
	}
	c := &Client{
		base:  u,
		hc:    &http.Client{Timeout: defaultTimeout},
		ua:    "hookd-client-go/" + buildinfo.Get().Version,
		retry: DefaultRetry,
	}
	for _, o := range opts {
		o(c)
	}
	c.retry = c.retry.normalized()
	return c, nil
}

// call is one API request.
type call struct {
	method string
	path   string // escaped, from the root: "/v1/tenants/acme"
	query  url.Values
	body   []byte // JSON, or nil
	header http.Header
	// idempotent: repeating the request cannot change more than the first
	// did (reads, updates to given values, publishes with a key), so an
	// answer lost to a 503 or a broken connection may be retried.
	idempotent bool
}

// do sends cl, retrying as the policy allows, and decodes a 2xx answer's
// JSON into out (when out is not nil).
func (c *Client) do(ctx context.Context, cl call, out any) error {
	resp, err := c.send(ctx, cl)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("hookd: %s %s: decoding the answer: %w", cl.method, cl.path, err)
	}
	return nil
}

// send sends cl until it gets a 2xx answer (returned with its body open),
// a refusal that is not worth repeating, or the policy's last attempt.
func (c *Client) send(ctx context.Context, cl call) (*http.Response, error) {
	target := c.base.String() + cl.path // cl.path is escaped already
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, cl.method, target, bodyReader(cl.body))
		if err != nil {
			return nil, fmt.Errorf("hookd: %s %s: %w", cl.method, cl.path, err)
		}
		for k, v := range cl.header {
			req.Header[k] = v
		}
		if cl.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		req.Header.Set("User-Agent", c.ua)
		resp, err := c.hc.Do(req)
		if err == nil && resp.StatusCode/100 == 2 {
			return resp, nil
		}
		if err != nil {
			err = fmt.Errorf("hookd: %s %s: %w", cl.method, cl.path, err)
		} else {
			err = readError(cl.method, cl.path, resp)
		}
		wait, retry := c.retry.next(attempt, err, cl.idempotent)
		if !retry || ctx.Err() != nil {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok && wait > 0 && time.Until(dl) < wait {
			return nil, err // the caller's deadline passes before the next try may start
		}
		if serr := sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("%w (not retried: %w)", err, serr)
		}
	}
}

func bodyReader(b []byte) io.Reader {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}

// jsonBody encodes v as a request body, without HTML escaping (the server
// keeps strings as sent).
func jsonBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("hookd: encoding the request: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// path joins escaped path segments under the root: path("v1", "tenants", id).
func path(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}
