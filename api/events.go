package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
	"github.com/hookd/hookd/internal/jsonx"
	"github.com/hookd/hookd/service"
)

// eventInput is one event to publish: data goes out in the default
// envelope; payload goes out exactly as given.
type eventInput struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Channels []string        `json:"channels"`
	Data     json.RawMessage `json:"data"`
	Payload  json.RawMessage `json:"payload"`
}

// toNewEvent validates one event and builds the bytes every delivery sends.
// field prefixes field names ("" for a single event, "events[3]." in a batch).
// data is checked against its type's JSON Schema; a full payload is the
// publisher's own format and is not.
func (s *Server) toNewEvent(ctx context.Context, in *eventInput, key, field string, now time.Time) (hookd.NewEvent, error) {
	var v hookd.Validation
	if in.ID != "" && !hookd.ValidID(in.ID) {
		v.Add(field+"id", "must be 1-128 letters, digits, '_', '.', ':' or '-'")
	}
	if in.Type == "" {
		v.Add(field+"type", "is required")
	} else if !hookd.ValidID(in.Type) {
		v.Add(field+"type", "is not a valid event type name")
	}
	hookd.CheckChannels(&v, field+"channels", in.Channels)
	hasData, hasPayload := len(in.Data) > 0 && !isJSONNull(in.Data), len(in.Payload) > 0 && !isJSONNull(in.Payload)
	if hasData == hasPayload {
		v.Add(field+"data", "give exactly one of data (sent inside the standard envelope) or payload (sent as is)")
	} else if hasPayload && in.Payload[0] != '{' && in.Payload[0] != '[' {
		v.Add(field+"payload", "must be a JSON object or array: it is the whole request body")
	}
	if err := v.Err(); err != nil {
		return hookd.NewEvent{}, err
	}
	// Before any work on it: a body can be large, and normalising costs.
	if size := int64(len(in.Data) + len(in.Payload)); size > s.cfg.MaxPayloadBytes {
		return hookd.NewEvent{}, hookd.Errorf(hookd.ETOOLARGE, "%spayload is %d bytes, over the limit of %d", field, size, s.cfg.MaxPayloadBytes)
	}
	ev := hookd.NewEvent{ID: in.ID, IdempotencyKey: key, Type: in.Type, Channels: in.Channels, CreatedAt: now}
	if ev.ID == "" {
		ev.ID = ids.NewAt(ids.Event, now)
	}
	if hasPayload {
		ev.Payload = in.Payload
		ev.RequestHash = hookd.RequestHash(in.ID, in.Type, in.Channels, "payload", in.Payload)
	} else {
		data, err := jsonx.AppendNormalized(nil, in.Data)
		if err != nil {
			return hookd.NewEvent{}, hookd.Invalid(field+"data", "%v", err)
		}
		if err := s.checkData(ctx, in.Type, data, field+"data"); err != nil {
			return hookd.NewEvent{}, err
		}
		ev.Payload = service.Envelope(ev.ID, in.Type, now, data)
		ev.Data = data
		ev.RequestHash = hookd.RequestHash(in.ID, in.Type, in.Channels, "data", data)
	}
	if int64(len(ev.Payload)) > s.cfg.MaxPayloadBytes {
		return hookd.NewEvent{}, hookd.Errorf(hookd.ETOOLARGE, "%spayload is %d bytes, over the limit of %d", field, len(ev.Payload), s.cfg.MaxPayloadBytes)
	}
	return ev, nil
}

// parseEvent turns the body of a single publish into the event to store:
// every rule of a publish but the store's own (tenant, type, idempotency).
func (s *Server) parseEvent(ctx context.Context, body []byte, key string, now time.Time) (hookd.NewEvent, error) {
	var in eventInput
	if err := decodeBody(body, &in); err != nil {
		return hookd.NewEvent{}, err
	}
	return s.toNewEvent(ctx, &in, key, "", now)
}

func (s *Server) publishEvent(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, s.cfg.MaxPayloadBytes+64<<10)
	if err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	ev, err := s.parseEvent(r.Context(), body, key, time.Now())
	if err != nil {
		return err
	}
	ctx, span, traceParent := startPublish(r)
	ev.TraceParent = traceParent
	results, err := s.Publish(ctx, r.PathValue("tenant"), []hookd.NewEvent{ev})
	endSpan(span, err)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, results[0])
	return nil
}

// Publish stores events, handing what the node's dispatcher can take
// straight to it (hookd.HandOff), and wakes the claim for the rest. The
// native and the Svix-compatible API publish through it.
func (s *Server) Publish(ctx context.Context, tenantID string, events []hookd.NewEvent) ([]hookd.PublishResult, error) {
	h, _ := s.notifier.(HandOffer)
	var offer *hookd.HandOff
	if h != nil {
		offer = h.Offer()
	}
	results, err := s.store.PublishEvents(ctx, tenantID, events, offer)
	if h != nil {
		h.Hand(offer)
	}
	if err != nil {
		return nil, err
	}
	if hookd.LeftForClaim(results, offer) {
		s.notify()
	}
	return results, nil
}

type batchInput struct {
	Events []eventInput `json:"events"`
}

func (s *Server) publishBatch(w http.ResponseWriter, r *http.Request) error {
	var in batchInput
	if err := decode(w, r, &in, s.cfg.MaxBatchBodyBytes); err != nil {
		return err
	}
	if len(in.Events) == 0 {
		return hookd.Invalid("events", "must hold at least one event")
	}
	if len(in.Events) > s.cfg.MaxBatchEvents {
		return hookd.Invalid("events", "at most %d events per batch, got %d", s.cfg.MaxBatchEvents, len(in.Events))
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	now := time.Now()
	events := make([]hookd.NewEvent, len(in.Events))
	for i := range in.Events {
		// One header key covers the batch: each event gets its own derived
		// key, so retrying the same batch creates nothing new.
		eventKey := ""
		if key != "" {
			eventKey = key + "#" + strconv.Itoa(i)
		}
		ev, err := s.toNewEvent(r.Context(), &in.Events[i], eventKey, fmt.Sprintf("events[%d].", i), now)
		if err != nil {
			return err
		}
		events[i] = ev
	}
	ctx, span, traceParent := startPublish(r)
	for i := range events {
		events[i].TraceParent = traceParent
	}
	results, err := s.Publish(ctx, r.PathValue("tenant"), events)
	endSpan(span, err)
	if len(events) == 1 {
		err = hookd.RenameField(err, "type", "events[0].type") // the store names a lone event's field plainly
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, batchResult{Data: results})
	return nil
}

type batchResult struct {
	Data []hookd.PublishResult `json:"data"`
}

func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	var v hookd.Validation
	hookd.CheckIdempotencyKey(&v, "Idempotency-Key", key)
	return key, v.Err()
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.store.Event(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ev)
	return nil
}

// listEvents pages a tenant's events, newest first, narrowed by type and
// creation time.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var v hookd.Validation
	f := hookd.CheckEventFilter(&v, q.Get("type"), q.Get("since"), q.Get("until"))
	if err := v.Err(); err != nil {
		return err
	}
	tenant := r.PathValue("tenant")
	if _, err := s.store.Tenant(r.Context(), tenant); err != nil {
		return err
	}
	evs, err := s.store.Events(r.Context(), tenant, f, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paged(evs, p, func(ev *hookd.Event) string { return ev.ID }))
	return nil
}

// listEventDeliveries pages the event's deliveries: one per endpoint it
// went to (and its test deliveries, for a test event).
func (s *Server) listEventDeliveries(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	tenant, id := r.PathValue("tenant"), r.PathValue("id")
	if _, err := s.store.Event(r.Context(), tenant, id); err != nil {
		return err
	}
	ds, err := s.store.Deliveries(r.Context(), hookd.DeliveryFilter{TenantID: tenant, EventID: id}, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paged(ds, p, func(d *hookd.Delivery) string { return d.ID }))
	return nil
}

type testInput struct {
	EventType string `json:"event_type"`
}

// testEndpoint sends a sample event of a type to one endpoint now, with the
// type's example as data. It goes even to a disabled endpoint.
func (s *Server) testEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in testInput
	if err := decode(w, r, &in, 4<<10); err != nil {
		return err
	}
	if in.EventType == "" {
		return hookd.Invalid("event_type", "is required")
	}
	if !hookd.ValidID(in.EventType) { // no such type can exist; the store is not asked
		return hookd.NotInCatalogue("event_type", in.EventType)
	}
	et, err := s.store.EventType(r.Context(), in.EventType)
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return hookd.NotInCatalogue("event_type", in.EventType)
	}
	if err != nil {
		return err
	}
	ev, err := service.TestEvent(et, time.Now())
	if err != nil {
		return err
	}
	d, err := s.store.PublishTestEvent(r.Context(), r.PathValue("tenant"), r.PathValue("id"), ev)
	if err != nil {
		return err
	}
	s.notify()
	writeJSON(w, http.StatusAccepted, detail(d))
	return nil
}
