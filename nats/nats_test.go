package nats_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"code.dny.dev/ssrf"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
	"github.com/hookd/hookd/internal/tcpproxy"
	"github.com/hookd/hookd/nats"
	"github.com/hookd/hookd/nats/natstest"
)

// server is natstest's stream of the test's own.
func server(t *testing.T) (addr, subject string, stream jetstream.Stream) { return natstest.Stream(t) }

func destination(t *testing.T, addr, subject string) *hookd.Destination {
	t.Helper()
	cfg, _ := json.Marshal(hookd.NATSConfig{URL: "nats://" + addr, Subject: subject})
	d := &hookd.Destination{Type: hookd.DestinationNATS, Config: cfg}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

func message(i int) *hookd.Message {
	id := fmt.Sprintf("evt_%04d", i)
	return &hookd.Message{DeliveryID: fmt.Sprintf("dlv_%04d", i), EventID: id, EventType: "invoice.paid",
		Body: []byte(fmt.Sprintf(`{"n":%d}`, i)), Headers: map[string]string{"webhook-id": id}}
}

func publish(p *nats.Publisher, d *hookd.Destination, m *hookd.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return p.Publish(ctx, d, m)
}

// stored reads every message of the stream, by webhook-id.
func stored(t *testing.T, stream jetstream.Stream) map[string]*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*jetstream.RawStreamMsg{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		out[m.Header.Get("webhook-id")] = m
	}
	return out
}

func TestPublishAcked(t *testing.T) {
	addr, subject, stream := server(t)
	p := nats.New(egress.New(true, nil))
	defer p.Close()
	d := destination(t, addr, subject+".{{event_type}}")
	m := message(1)
	if err := publish(p, d, m); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := publish(p, d, m); err != nil { // a retry of the same delivery
		t.Fatalf("Publish again: %v", err)
	}
	got := stored(t, stream)
	if len(got) != 1 || got["evt_0001"] == nil {
		t.Fatalf("stream holds %v, want evt_0001 once", got)
	}
	if s := got["evt_0001"]; s.Subject != subject+".invoice.paid" || string(s.Data) != `{"n":1}` {
		t.Fatalf("stored %s %s", s.Subject, s.Data)
	}
	info, _ := stream.Info(context.Background())
	if info.State.Msgs != 1 {
		t.Errorf("%d messages stored, want the retry de-duplicated", info.State.Msgs)
	}
}

// TestPublishBrokerCut: the server's port cut mid-load and back. Publishes
// fail at once while it is down; the client reconnects by itself, and every
// acknowledged message is in the stream.
func TestPublishBrokerCut(t *testing.T) {
	addr, subject, stream := server(t)
	proxy := tcpproxy.New(t, addr)
	p := nats.New(egress.New(true, nil))
	defer p.Close()
	d := destination(t, proxy.Addr(), subject+".x")
	acked := proxy.CutMidLoad(t, "nats: publish to ", func(i int) (string, error) {
		m := message(i)
		return m.EventID, publish(p, d, m)
	})
	got := stored(t, stream)
	for id := range acked {
		if got[id] == nil {
			t.Errorf("acknowledged but not in the stream: %s", id)
		}
	}
}

func TestPublishFailures(t *testing.T) {
	addr, subject, _ := server(t)
	p := nats.New(egress.New(true, nil))
	defer p.Close()
	err := publish(p, destination(t, addr, "nostream"+subject), message(1))
	if !errors.Is(err, jetstream.ErrNoStreamResponse) {
		t.Errorf("subject no stream captures: %v, want no stream response", err)
	}
	guarded := nats.New(egress.New(false, nil))
	defer guarded.Close()
	if err := publish(guarded, destination(t, addr, subject+".x"), message(1)); !errors.Is(err, ssrf.ErrProhibitedIP) {
		t.Errorf("private target: %v, want the private-target refusal", err)
	}
}
