// Package kafkatest reads what tests produced to a Kafka topic (franz-go's
// in-process cluster, kfake, in this repository's tests).
package kafkatest

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Records consumes topic from its start until it has n records or 30 s
// have passed, and returns what it read; opts add to the consumer's
// options (TLS, SASL). A fetch error fails the test.
func Records(t testing.TB, brokers []string, topic string, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	return RecordsUntil(t, brokers, topic, func(got []*kgo.Record) bool { return len(got) >= n }, opts...)
}

// RecordsUntil is Records reading until done says what it read is enough:
// a topic may hold more than the records a test looks for (a publish that
// failed from the client's side may still have been written), and the
// fetches come partition by partition.
func RecordsUntil(t testing.TB, brokers []string, topic string, done func([]*kgo.Record) bool, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for !done(out) {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		if err := fetches.Err(); err != nil {
			t.Fatalf("consume %s: %v", topic, err)
		}
		out = append(out, fetches.Records()...)
	}
	return out
}
