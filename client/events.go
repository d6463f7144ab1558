package client

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
)

// EventInput is one event to publish: give Data (sent inside hookd's
// envelope {"id","type","timestamp","data"}) or Payload (the whole body,
// sent as given).
type EventInput struct {
	ID   string // your id; generated (evt_...) when empty
	Type string
	// Data is any value encoding/json can encode; a json.RawMessage is
	// sent as written.
	Data any
	// Payload is a JSON object or array sent byte for byte.
	Payload json.RawMessage
}

// PublishOptions are a publish's optional settings.
type PublishOptions struct {
	// IdempotencyKey makes a repeat of the same publish, from any process,
	// answer the first result. When empty (and, for one event, without an
	// ID), a random key is made for this call, so that its own retries
	// create nothing twice.
	IdempotencyKey string
}

// Publish publishes one event to a tenant.
func (c *Client) Publish(ctx context.Context, tenant string, ev EventInput, opts ...PublishOptions) (*PublishResult, error) {
	body, err := appendEvent(nil, ev)
	if err != nil {
		return nil, err
	}
	cl := c.publishCall(path("v1", "tenants", tenant, "events"), body, ev.ID != "", opts)
	out := new(PublishResult)
	if err := c.do(ctx, cl, out); err != nil {
		return nil, err
	}
	return out, nil
}

// PublishBatch publishes up to 1,000 events at once, all or none.
func (c *Client) PublishBatch(ctx context.Context, tenant string, events []EventInput, opts ...PublishOptions) ([]PublishResult, error) {
	body := append(make([]byte, 0, 256*len(events)), `{"events":[`...)
	allIDs := true
	for i, ev := range events {
		if i > 0 {
			body = append(body, ',')
		}
		var err error
		if body, err = appendEvent(body, ev); err != nil {
			return nil, fmt.Errorf("%w (event %d)", err, i)
		}
		allIDs = allIDs && ev.ID != ""
	}
	body = append(body, "]}"...)
	cl := c.publishCall(path("v1", "tenants", tenant, "events", "batch"), body, allIDs, opts)
	var out struct {
		Data []PublishResult `json:"data"`
	}
	if err := c.do(ctx, cl, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// publishCall is a publish request: idempotent through the caller's key,
// the events' ids (keyed), or a key made here when the policy may retry.
func (c *Client) publishCall(p string, body []byte, keyed bool, opts []PublishOptions) call {
	cl := call{method: "POST", path: p, body: body, idempotent: keyed}
	key := ""
	for _, o := range opts {
		key = o.IdempotencyKey
	}
	if key == "" && !keyed && c.retry.retries() {
		key = newKey()
	}
	if key != "" {
		cl.header = http.Header{"Idempotency-Key": {key}}
		cl.idempotent = true
	}
	return cl
}

// newKey is a random idempotency key.
func newKey() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "hookd-go-" + base64.RawURLEncoding.EncodeToString(b)
}

// appendEvent appends one event's JSON. Payload and raw Data bytes are
// copied as given: encoding/json would compact them, and the server
// delivers a payload byte for byte.
func appendEvent(b []byte, ev EventInput) ([]byte, error) {
	b = append(b, '{')
	if ev.ID != "" {
		b = appendString(append(b, `"id":`...), ev.ID)
		b = append(b, ',')
	}
	b = appendString(append(b, `"type":`...), ev.Type)
	switch {
	case ev.Payload != nil:
		b = append(append(b, `,"payload":`...), ev.Payload...)
	case ev.Data != nil:
		b = append(b, `,"data":`...)
		switch d := ev.Data.(type) {
		case json.RawMessage:
			b = append(b, d...)
		default:
			enc, err := jsonBody(d)
			if err != nil {
				return nil, err
			}
			b = append(b, enc...)
		}
	}
	return append(b, '}'), nil
}

func appendString(b []byte, s string) []byte {
	enc, _ := jsonBody(s) // a string always encodes
	return append(b, enc...)
}

// Event reads a published event with its exact payload.
func (c *Client) Event(ctx context.Context, tenant, id string) (*Event, error) {
	return get[Event](ctx, c, path("v1", "tenants", tenant, "events", id))
}
