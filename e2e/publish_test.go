package e2e

import (
	"fmt"
	"testing"
	"time"
)

func TestIdempotency(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	f.endpoint(ten, rcv.URL, nil)
	events := "/v1/tenants/" + ten + "/events"

	t.Run("same Idempotency-Key and body", func(t *testing.T) {
		f := f.in(t)
		body := map[string]any{"type": typeCreated, "data": map[string]any{"k": "same-key"}}
		var first, second publishResult
		f.admin.must(t, 202, "POST", events, body, &first, "Idempotency-Key", "key-1")
		f.admin.must(t, 202, "POST", events, body, &second, "Idempotency-Key", "key-1")
		if first.ID == "" || second.ID != first.ID || second.Deliveries != first.Deliveries || first.Deliveries != 1 {
			t.Errorf("first %+v, second %+v: want the same id and 1 delivery", first, second)
		}
		eventually(t, 20*time.Second, func() (bool, string) {
			return len(rcv.byID(first.ID)) > 0, "the event did not arrive"
		})
		quiet(1500 * time.Millisecond)
		if n := len(rcv.byID(first.ID)); n != 1 {
			t.Errorf("receiver got the event %d times, want 1", n)
		}
		if n := len(f.deliveries(ten, "?event="+first.ID)); n != 1 {
			t.Errorf("%d deliveries for the event, want 1", n)
		}

		t.Run("same key, different body", func(t *testing.T) {
			f := f.in(t)
			other := map[string]any{"type": typeCreated, "data": map[string]any{"k": "another body"}}
			wantProblem(t, f.admin.do(t, "POST", events, other, "Idempotency-Key", "key-1"), 409)
		})
	})

	t.Run("same id twice", func(t *testing.T) {
		f := f.in(t)
		body := map[string]any{"id": "order-77", "type": typeCreated, "data": map[string]any{"order": 77}}
		var first, second publishResult
		f.admin.must(t, 202, "POST", events, body, &first)
		f.admin.must(t, 202, "POST", events, body, &second)
		if first.ID != "order-77" || second.ID != "order-77" {
			t.Errorf("ids %q, %q; want order-77 twice", first.ID, second.ID)
		}
		other := map[string]any{"id": "order-77", "type": typeCreated, "data": map[string]any{"order": 78}}
		wantProblem(t, f.admin.do(t, "POST", events, other), 409)
		f.waitStatus(ten, f.deliveryOf(ten, "order-77").ID, "delivered")
		quiet(1 * time.Second)
		if n := len(rcv.byID("order-77")); n != 1 {
			t.Errorf("receiver got order-77 %d times, want 1", n)
		}
	})

	t.Run("batch", func(t *testing.T) {
		f := f.in(t)
		batch := map[string]any{"events": []map[string]any{
			{"id": "batch-1", "type": typeCreated, "data": map[string]any{"n": 1}},
			{"id": "batch-2", "type": typeFailed, "data": map[string]any{"n": 2}},
			{"id": "batch-3", "type": typeCreated, "payload": map[string]any{"n": 3}},
		}}
		var res list[publishResult]
		f.admin.must(t, 202, "POST", events+"/batch", batch, &res)
		if len(res.Data) != 3 {
			t.Fatalf("batch answer holds %d results, want 3: %+v", len(res.Data), res)
		}
		for i, r := range res.Data {
			if want := fmt.Sprintf("batch-%d", i+1); r.ID != want || r.Deliveries != 1 {
				t.Errorf("result %d = %+v, want id %s with 1 delivery", i, r, want)
			}
		}
		for _, r := range res.Data {
			f.waitStatus(ten, f.deliveryOf(ten, r.ID).ID, "delivered")
		}
		// The same batch again: idempotent per event id.
		var again list[publishResult]
		f.admin.must(t, 202, "POST", events+"/batch", batch, &again)
		if len(again.Data) != 3 || again.Data[0].ID != "batch-1" || again.Data[2].ID != "batch-3" {
			t.Errorf("the same batch again answered %+v, want the same ids", again.Data)
		}
		quiet(1 * time.Second)
		for _, id := range []string{"batch-1", "batch-2", "batch-3"} {
			if n := len(rcv.byID(id)); n != 1 {
				t.Errorf("receiver got %s %d times, want 1", id, n)
			}
			if n := len(f.deliveries(ten, "?event="+id)); n != 1 {
				t.Errorf("%s has %d deliveries, want 1", id, n)
			}
		}
	})

	t.Run("batch with an unknown type stores nothing", func(t *testing.T) {
		f := f.in(t)
		batch := map[string]any{"events": []map[string]any{
			{"id": "bad-batch-1", "type": typeCreated, "data": map[string]any{}},
			{"id": "bad-batch-2", "type": "no.such.type", "data": map[string]any{}},
			{"id": "bad-batch-3", "type": typeCreated, "data": map[string]any{}},
		}}
		p := wantProblem(t, f.admin.do(t, "POST", events+"/batch", batch), 422)
		if !p.names("events[1].type") {
			t.Errorf("problem names %v, want events[1].type", p.fields())
		}
		for _, id := range []string{"bad-batch-1", "bad-batch-2", "bad-batch-3"} {
			wantProblem(t, f.admin.do(t, "GET", events+"/"+id, nil), 404)
			if n := len(f.deliveries(ten, "?event="+id)); n != 0 {
				t.Errorf("%s has %d deliveries, want none", id, n)
			}
		}
	})

	t.Run("batch over 1000 events", func(t *testing.T) {
		f := f.in(t)
		evs := make([]map[string]any, 1001)
		for i := range evs {
			evs[i] = map[string]any{"id": fmt.Sprintf("big-%d", i), "type": typeCreated, "data": map[string]any{}}
		}
		wantProblem(t, f.admin.do(t, "POST", events+"/batch", map[string]any{"events": evs}), 422)
		wantProblem(t, f.admin.do(t, "GET", events+"/big-0", nil), 404)
	})
}
