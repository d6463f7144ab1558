package kafka_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"code.dny.dev/ssrf"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
	"github.com/hookd/hookd/kafka"
)

// No Kafka server runs on this machine: the tests use franz-go's
// in-process cluster (kfake), which speaks the real wire protocol.
func cluster(t *testing.T) *kfake.Cluster {
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(3, "hookd.events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func destination(t *testing.T, brokers []string, topic, key string) *hookd.Destination {
	t.Helper()
	cfg, _ := json.Marshal(hookd.KafkaConfig{Brokers: brokers, Topic: topic, Key: key})
	d := &hookd.Destination{Type: hookd.DestinationKafka, Config: cfg}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

func publish(p *kafka.Publisher, d *hookd.Destination, m *hookd.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return p.Publish(ctx, d, m)
}

func TestPublishProduced(t *testing.T) {
	c := cluster(t)
	p := kafka.New(egress.New(true, nil))
	defer p.Close()
	m := &hookd.Message{EventID: "evt_1", EventType: "invoice.paid", Body: []byte(`{"n":1}`),
		Headers: map[string]string{"webhook-id": "evt_1", "webhook-signature": "v1,abc"}}
	if err := publish(p, destination(t, c.ListenAddrs(), "hookd.events", ""), m); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	consumer, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("hookd.events"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fetches := consumer.PollRecords(ctx, 1)
	if err := fetches.Err(); err != nil {
		t.Fatal(err)
	}
	recs := fetches.Records()
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	headers := map[string]string{}
	for _, h := range r.Headers {
		headers[h.Key] = string(h.Value)
	}
	if string(r.Key) != "evt_1" || string(r.Value) != `{"n":1}` || headers["webhook-signature"] != "v1,abc" {
		t.Fatalf("record key %q value %s headers %v", r.Key, r.Value, headers)
	}
}

func TestPublishFailures(t *testing.T) {
	c := cluster(t)
	guarded := kafka.New(egress.New(false, nil))
	defer guarded.Close()
	m := &hookd.Message{EventID: "evt_1", EventType: "invoice.paid", Body: []byte(`{}`)}
	err := publish(guarded, destination(t, c.ListenAddrs(), "hookd.events", ""), m)
	if err == nil || !strings.HasPrefix(err.Error(), "kafka: produce to hookd.events") {
		t.Fatalf("private target: %v", err)
	}
	if !errors.Is(err, ssrf.ErrProhibitedIP) {
		t.Fatalf("private target: %v, want the refusal named", err)
	}
}
