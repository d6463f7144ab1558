package hookd

import (
	"slices"
	"testing"
	"time"
)

func TestPlanPublish(t *testing.T) {
	subs := []Subscriber{{ID: "ep_a", Enabled: true, EventTypes: []string{"x"}}, {ID: "ep_b", EventTypes: []string{AllEventTypes}}}
	read := func() *PublishRead {
		return &PublishRead{Subscribers: subs, KnownTypes: map[string]bool{"x": true},
			ByKey: map[string]StoredEvent{"k1": {ID: "ev_1", Deliveries: 2, RequestHash: "h1"}},
			ByID:  map[string]StoredEvent{"ev_1": {ID: "ev_1", Deliveries: 2, RequestHash: "h1"}}}
	}
	now := time.Now()
	plans, err := PlanPublish([]NewEvent{
		{Type: "x", RequestHash: "h", CreatedAt: now},
		{Type: "x", IdempotencyKey: "k1", RequestHash: "h1", CreatedAt: now},
		{Type: "x", IdempotencyKey: "k2", RequestHash: "h2", CreatedAt: now},
		{Type: "x", IdempotencyKey: "k2", RequestHash: "h2", CreatedAt: now}, // the batch repeats itself
	}, read())
	if err != nil {
		t.Fatal(err)
	}
	if p := plans[0]; !p.New || len(p.Deliveries) != 2 || p.Deliveries[0].Status != StatusPending || p.Deliveries[1].Status != StatusPaused ||
		p.Key != "id:"+p.Result.ID {
		t.Errorf("new event planned %+v", p)
	}
	if p := plans[1]; p.New || !p.Result.Duplicate || p.Result.ID != "ev_1" {
		t.Errorf("repeated key planned %+v", p)
	}
	if p := plans[3]; p.New || !p.Result.Duplicate || p.Result.ID != plans[2].Result.ID || plans[2].Key != "key:k2" {
		t.Errorf("key repeated within the batch planned %+v after %+v", p, plans[2])
	}
	for name, evs := range map[string][]NewEvent{
		"key for another request":    {{Type: "x", IdempotencyKey: "k1", RequestHash: "other"}},
		"id for another request":     {{Type: "x", ID: "ev_1", RequestHash: "other"}},
		"id under another key":       {{Type: "x", ID: "ev_1", IdempotencyKey: "k9", RequestHash: "h1"}},
		"in-batch id, other request": {{Type: "x", ID: "ev_n", RequestHash: "a"}, {Type: "x", ID: "ev_n", RequestHash: "b"}},
	} {
		if _, err := PlanPublish(evs, read()); ErrorCode(err) != ECONFLICT {
			t.Errorf("%s: err %v, want ECONFLICT", name, err)
		}
	}
	_, err = PlanPublish([]NewEvent{{Type: "x"}, {Type: "nope"}}, read())
	if e, ok := err.(*Error); !ok || e.Code != EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "events[1].type" {
		t.Errorf("unknown type: %v", err)
	}
}

func TestMatchingByTypeAndChannel(t *testing.T) {
	subs := []Subscriber{
		{ID: "any", EventTypes: []string{AllEventTypes}},
		{ID: "eu", EventTypes: []string{AllEventTypes}, Channels: []string{"eu"}},
		{ID: "eu-or-us-of-y", EventTypes: []string{"y"}, Channels: []string{"eu", "us"}},
	}
	for _, c := range []struct {
		eventType string
		channels  []string
		want      []string
	}{
		{"x", nil, []string{"any"}},
		{"x", []string{"eu"}, []string{"any", "eu"}},
		{"y", []string{"us", "asia"}, []string{"any", "eu-or-us-of-y"}},
		{"y", []string{"eu"}, []string{"any", "eu", "eu-or-us-of-y"}},
		{"x", []string{"asia"}, []string{"any"}},
	} {
		var got []string
		for _, s := range Matching(subs, c.eventType, c.channels) {
			got = append(got, s.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Matching(%s on %v) = %v, want %v", c.eventType, c.channels, got, c.want)
		}
	}
}

func TestRequestHashCoversChannels(t *testing.T) {
	base := RequestHash("id", "x", nil, "data", []byte(`{}`))
	if RequestHash("id", "x", []string{}, "data", []byte(`{}`)) != base {
		t.Error("no channels and an empty list hash differently")
	}
	if RequestHash("id", "x", []string{"eu"}, "data", []byte(`{}`)) == base {
		t.Error("channels do not change the request hash: a retry with other channels would pass as a duplicate")
	}
}
