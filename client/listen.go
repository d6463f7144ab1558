package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// ListenInput opens a listen stream (what `hookd listen` runs on): a
// temporary endpoint whose deliveries come over the stream, removed when
// it closes.
type ListenInput struct {
	EventTypes []string `json:"event_types,omitempty"` // default: every type
	Secret     string   `json:"secret,omitempty"`      // whsec_...; generated when empty
	Name       string   `json:"name,omitempty"`
	// Live asks for the tenant's published events too; without it only
	// Trigger and test events reach the session.
	Live bool `json:"live,omitempty"`
}

// ListenReady is a stream's first event.
type ListenReady struct {
	Session       string   `json:"session"`
	EndpointID    string   `json:"endpoint_id"`
	SigningSecret string   `json:"signing_secret"`
	EventTypes    []string `json:"event_types"`
	Live          bool     `json:"live"`
}

// ListenDelivery is one request to forward; answer it with ListenResult.
type ListenDelivery struct {
	Session  string            `json:"session"`
	Token    string            `json:"token"`
	Delivery string            `json:"delivery,omitempty"` // the delivery's id
	Method   string            `json:"method"`
	Headers  map[string]string `json:"headers"`
	Body     string            `json:"body"`
}

// ListenResult is the local receiver's answer to a ListenDelivery.
type ListenResult struct {
	Token      string `json:"token"`
	StatusCode int    `json:"status_code,omitempty"`
	Body       string `json:"body,omitempty"`
	Error      string `json:"error,omitempty"` // the local request failed
}

// ListenStream is an open listen stream. Next reads its events; Close
// ends it (and the server removes the endpoint).
type ListenStream struct {
	body io.ReadCloser
	r    *bufio.Reader
}

// ListenEvent is one event of the stream: Ready or Delivery is set.
type ListenEvent struct {
	Ready    *ListenReady
	Delivery *ListenDelivery
}

// Listen opens a listen stream for tenant. It is sent once: reconnecting
// after the stream ends is the caller's choice. The http.Client's timeout
// applies to the whole stream, so give one without (WithHTTPClient).
func (c *Client) Listen(ctx context.Context, tenant string, in ListenInput) (*ListenStream, error) {
	body, err := jsonBody(in)
	if err != nil {
		return nil, err
	}
	once := *c
	once.retry = NoRetry
	resp, err := once.send(ctx, call{method: "POST", path: path("v1", "tenants", tenant, "listen"), body: body,
		header: http.Header{"Accept": {"text/event-stream"}}})
	if err != nil {
		return nil, err
	}
	return &ListenStream{body: resp.Body, r: bufio.NewReaderSize(resp.Body, 64<<10)}, nil
}

// Next reads the next event, skipping comments and events of other kinds.
func (s *ListenStream) Next() (ListenEvent, error) {
	for {
		event, data, err := s.read()
		if err != nil {
			return ListenEvent{}, err
		}
		var ev ListenEvent
		switch event {
		case "ready":
			ev.Ready = new(ListenReady)
			err = json.Unmarshal(data, ev.Ready)
		case "delivery":
			ev.Delivery = new(ListenDelivery)
			err = json.Unmarshal(data, ev.Delivery)
		default:
			continue
		}
		if err != nil {
			return ListenEvent{}, fmt.Errorf("hookd: bad %s event: %w", event, err)
		}
		return ev, nil
	}
}

// read reads one server-sent event.
func (s *ListenStream) read() (event string, data []byte, err error) {
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return "", nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "" && event != "":
			return event, data, nil
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")...)
		}
	}
}

// Close ends the stream.
func (s *ListenStream) Close() error { return s.body.Close() }

// ReportListenResult reports the local answer to a delivery of a session.
func (c *Client) ReportListenResult(ctx context.Context, tenant, session string, res ListenResult) error {
	body, err := jsonBody(res)
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: "POST", path: path("v1", "tenants", tenant, "listen", session, "results"), body: body, idempotent: true}, nil)
}

// LocalSession is a connected hookd listen session of a tenant.
type LocalSession struct {
	ID         string    `json:"id"` // its endpoint's id (ListenReady.EndpointID)
	Name       string    `json:"name"`
	EventTypes []string  `json:"event_types"`
	Live       bool      `json:"live"`
	CreatedAt  time.Time `json:"created_at"`
}

// LocalSessions lists the tenant's connected hookd listen sessions, newest first.
func (c *Client) LocalSessions(ctx context.Context, tenant string) ([]LocalSession, error) {
	out, err := list[LocalSession](ctx, c, path("v1", "tenants", tenant, "local-sessions"), nil)
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

// TriggerInput is a test event for one local session: Data as given (checked
// as a publish's), or the type's example when nil.
type TriggerInput struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Trigger sends a test event to one local session only (hookd trigger).
func (c *Client) Trigger(ctx context.Context, tenant, session string, in TriggerInput) (*DeliveryDetail, error) {
	return send[DeliveryDetail](ctx, c, "POST", path("v1", "tenants", tenant, "local-sessions", session, "trigger"), in, false)
}

// ReplayLocal sends a delivery of a local session again now (409 while one
// is in flight).
func (c *Client) ReplayLocal(ctx context.Context, tenant, session, delivery string) (*DeliveryDetail, error) {
	return send[DeliveryDetail](ctx, c, "POST", path("v1", "tenants", tenant, "local-sessions", session, "deliveries", delivery, "replay"), nil, false)
}

// CreatedCLIToken is a new CLI token: its record, the token itself (shown
// this once) and the hookd listen command line that uses it.
type CreatedCLIToken struct {
	CLIToken APIKey `json:"cli_token"`
	Token    string `json:"token"`
	Command  string `json:"command"`
}

// CreateCLIToken mints a CLI token for the tenant: hookd listen and hookd
// trigger there only, for 24 hours. name "" is "CLI token".
func (c *Client) CreateCLIToken(ctx context.Context, tenant, name string) (*CreatedCLIToken, error) {
	return create[CreatedCLIToken](ctx, c, path("v1", "tenants", tenant, "cli-tokens"), map[string]string{"name": name})
}

// CLITokens lists the tenant's CLI tokens, newest first, expired ones too.
func (c *Client) CLITokens(ctx context.Context, tenant string) ([]APIKey, error) {
	out, err := list[APIKey](ctx, c, path("v1", "tenants", tenant, "cli-tokens"), nil)
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

// RevokeCLIToken revokes one of the tenant's CLI tokens.
func (c *Client) RevokeCLIToken(ctx context.Context, tenant, id string) error {
	return c.do(ctx, call{method: "DELETE", path: path("v1", "tenants", tenant, "cli-tokens", id), idempotent: true}, nil)
}
