package svixapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
	"github.com/hookd/hookd/service"
)

// A message is an event whose payload goes out as given. Its id is the
// caller's eventId when one is given (hookd's event id is the publisher's
// id), else a generated evt_ id; tags and the retention fields are not kept
// (docs/svix.md).
type messageIn struct {
	EventType string          `json:"eventType"`
	EventID   *string         `json:"eventId"`
	Channels  []string        `json:"channels"`
	Payload   json.RawMessage `json:"payload"`
}

type messageOut struct {
	ID        string          `json:"id"`
	EventID   *string         `json:"eventId,omitempty"`
	EventType string          `json:"eventType"`
	Channels  []string        `json:"channels,omitempty"`
	Payload   json.RawMessage `json:"payload"`
	Timestamp time.Time       `json:"timestamp"`
}

func viewMessage(ev *hookd.Event, withContent bool) messageOut {
	out := messageOut{ID: ev.ID, EventType: ev.Type, Channels: ev.Channels, Payload: json.RawMessage(`{}`), Timestamp: ev.CreatedAt}
	if !strings.HasPrefix(ev.ID, ids.Event+"_") {
		out.EventID = &out.ID
	}
	if withContent {
		out.Payload = ev.Payload
	}
	return out
}

// withContent reads ?with_content (default true).
func withContent(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("with_content") {
	case "", "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, hookd.Invalid("query.with_content", "must be true or false")
}

// newMessage validates a message and builds the event to publish: every
// rule of a publish but the store's own (application, type, idempotency).
func (s *Server) newMessage(in *messageIn, key string, now time.Time) (hookd.NewEvent, error) {
	var v hookd.Validation
	if in.EventType == "" {
		v.Add("eventType", "is required")
	} else if !hookd.ValidID(in.EventType) {
		v.Add("eventType", "is not a valid event type name")
	}
	id := ""
	if in.EventID != nil {
		id = *in.EventID
		if !hookd.ValidID(id) || !service.ValidUID(id) {
			v.Add("eventId", "must be 1-128 letters, digits, '-', '_' or '.', starting with a letter or digit")
		}
	}
	hookd.CheckChannels(&v, "channels", in.Channels)
	if len(in.Payload) == 0 || in.Payload[0] != '{' {
		v.Add("payload", "must be a JSON object: it is the whole request body")
	}
	hookd.CheckIdempotencyKey(&v, "header.idempotency-key", key)
	if err := v.Err(); err != nil {
		return hookd.NewEvent{}, err
	}
	if n := int64(len(in.Payload)); n > s.cfg.MaxPayloadBytes {
		return hookd.NewEvent{}, hookd.Errorf(hookd.ETOOLARGE, "payload is %d bytes, over the limit of %d", n, s.cfg.MaxPayloadBytes)
	}
	ev := hookd.NewEvent{ID: id, IdempotencyKey: key, Type: in.EventType, Channels: in.Channels, Payload: in.Payload, CreatedAt: now,
		RequestHash: hookd.RequestHash(id, in.EventType, in.Channels, "payload", in.Payload)}
	if ev.ID == "" {
		ev.ID = ids.NewAt(ids.Event, now)
	}
	return ev, nil
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) error {
	var in messageIn
	if err := decode(w, r, &in, s.cfg.MaxPayloadBytes+64<<10); err != nil {
		return err
	}
	content, err := withContent(r)
	if err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	ev, err := s.newMessage(&in, key, time.Now())
	if err != nil {
		return err
	}
	res, err := s.publish(r.Context(), r.PathValue("app_id"), ev)
	if err != nil {
		return err
	}
	if !res.Duplicate {
		writeJSON(w, http.StatusAccepted, viewMessage(&hookd.Event{ID: res.ID, Type: ev.Type, Channels: ev.Channels, Payload: ev.Payload, CreatedAt: ev.CreatedAt}, content))
		return nil
	}
	if key == "" {
		// Svix answers a repeated eventId with 409; a repeated
		// idempotency key gets the first answer again.
		return hookd.Errorf(hookd.ECONFLICT, "a message with eventId %q already exists", res.ID)
	}
	first, err := s.store.Event(r.Context(), r.PathValue("app_id"), res.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, viewMessage(first, content))
	return nil
}

// publish is this API's one call of the publish path.
func (s *Server) publish(ctx context.Context, tenantID string, ev hookd.NewEvent) (hookd.PublishResult, error) {
	res, err := s.native.Publish(ctx, tenantID, []hookd.NewEvent{ev}) // hands off and wakes the claim as the native API does
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return hookd.PublishResult{}, appNotFound(tenantID)
	}
	if err != nil {
		return hookd.PublishResult{}, hookd.RenameField(err, "type", "eventType")
	}
	return res[0], nil
}

// listMessages lists an application's messages, newest id first. The
// event_types, channel, before and after filters apply within each page.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	content, err := withContent(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var v hookd.Validation
	before, after := timeParam(&v, q.Get("before"), "query.before"), timeParam(&v, q.Get("after"), "query.after")
	if err := v.Err(); err != nil {
		return err
	}
	t, err := s.app(r)
	if err != nil {
		return err
	}
	types, channel := q["event_types"], q.Get("channel")
	// The store narrows by time (Svix's bounds are exclusive, so the loop
	// below still drops an event at exactly after) and by a single type.
	f := hookd.EventFilter{Since: after, Until: before}
	if len(types) == 1 {
		f.Type = types[0]
	}
	events, err := s.store.Events(r.Context(), t.ID, f, p)
	if err != nil {
		return err
	}
	events, next := cut(events, p, func(ev *hookd.Event) string { return ev.ID })
	out := []messageOut{}
	for _, ev := range events {
		if (len(types) > 0 && !slices.Contains(types, ev.Type)) || (channel != "" && !slices.Contains(ev.Channels, channel)) ||
			(!before.IsZero() && !ev.CreatedAt.Before(before)) || (!after.IsZero() && !ev.CreatedAt.After(after)) {
			continue
		}
		out = append(out, viewMessage(ev, content))
	}
	writeJSON(w, http.StatusOK, listOf(out, next))
	return nil
}

func timeParam(v *hookd.Validation, value, field string) time.Time {
	if value == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		v.Add(field, "must be an RFC 3339 time")
	}
	return t
}

// message reads the path's message: 404 in Svix's words when absent.
func (s *Server) message(r *http.Request) (*hookd.Event, error) {
	ev, err := s.store.Event(r.Context(), r.PathValue("app_id"), r.PathValue("msg_id"))
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		if _, err := s.app(r); err != nil {
			return nil, err
		}
		return nil, hookd.Errorf(hookd.ENOTFOUND, "message %q not found", r.PathValue("msg_id"))
	}
	return ev, err
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) error {
	content, err := withContent(r)
	if err != nil {
		return err
	}
	ev, err := s.message(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewMessage(ev, content))
	return nil
}
