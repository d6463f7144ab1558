package dispatch

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
	"github.com/hookd/hookd/kafka"
	"github.com/hookd/hookd/nats"
	"github.com/hookd/hookd/nats/natstest"
	"github.com/hookd/hookd/rabbitmq"
	"github.com/hookd/hookd/rabbitmq/rabbitmqtest"
	"github.com/hookd/hookd/redis"
	"github.com/hookd/hookd/redis/redistest"
	"github.com/hookd/hookd/signature"
)

// countedStore counts the successful attempts recorded, so a benchmark
// knows when every delivery was acknowledged without polling the store.
type countedStore struct {
	hookd.Store
	delivered atomic.Int64
	all       chan struct{}
	want      int64
}

func (s *countedStore) RecordAttempts(ctx context.Context, results []hookd.AttemptResult) ([]string, error) {
	disabled, err := s.Store.RecordAttempts(ctx, results)
	if err == nil {
		for _, r := range results {
			if r.Outcome.Success && s.delivered.Add(1) == s.want {
				close(s.all)
			}
		}
	}
	return disabled, err
}

// benchDestinations gives each destination type of BenchmarkDestinations a
// target on this machine's servers: what sets an endpoint up to use it.
func benchDestinations(b *testing.B) map[string]func(ep *hookd.Endpoint) {
	webhook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	b.Cleanup(webhook.Close)
	exchange, _ := rabbitmqtest.Queue(b)
	redisAddr, stream, _ := redistest.Stream(b)
	natsAddr, subject, _ := natstest.Stream(b)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "hookd.bench"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cluster.Close)

	broker := func(typ string, config any) func(*hookd.Endpoint) {
		raw, _ := json.Marshal(config)
		d := &hookd.Destination{Type: typ, Config: raw}
		if err := d.Validate(); err != nil {
			b.Fatal(err)
		}
		return func(ep *hookd.Endpoint) { ep.Destination, ep.URL = d, d.DisplayURL() }
	}
	return map[string]func(*hookd.Endpoint){
		"webhook":  func(ep *hookd.Endpoint) { ep.URL = webhook.URL },
		"rabbitmq": broker(hookd.DestinationRabbitMQ, hookd.RabbitMQConfig{URL: rabbitmqtest.URL(), Exchange: exchange, RoutingKey: "{{event_type}}"}),
		"redis":    broker(hookd.DestinationRedis, hookd.RedisConfig{URL: "redis://" + redisAddr, Stream: stream, MaxLen: 100000}),
		"nats":     broker(hookd.DestinationNATS, hookd.NATSConfig{URL: "nats://" + natsAddr, Subject: subject + ".{{event_type}}"}),
		"kafka":    broker(hookd.DestinationKafka, hookd.KafkaConfig{Brokers: cluster.ListenAddrs(), Topic: "hookd.bench"}),
	}
}

// BenchmarkDestinations measures deliveries per second to one endpoint of
// each destination type, through the whole engine on a SQLite store: n
// events published, claimed, signed, sent (or published, acknowledged by
// the broker) and recorded. The endpoint may have 64 in flight. The CPU
// is this process's: the engine and the store, plus the webhook receiver
// and Kafka, which run in it (franz-go's in-process cluster, kfake); the
// other brokers are servers of their own.
func BenchmarkDestinations(b *testing.B) {
	const n = 2000
	targets := benchDestinations(b)
	dialer := egress.New(true, nil)
	pubs := map[string]hookd.Publisher{
		hookd.DestinationRabbitMQ: rabbitmq.New(dialer), hookd.DestinationRedis: redis.New(dialer),
		hookd.DestinationNATS: nats.New(dialer), hookd.DestinationKafka: kafka.New(dialer),
	}
	b.Cleanup(func() {
		for _, p := range pubs {
			p.(io.Closer).Close()
		}
	})
	for _, typ := range []string{"webhook", "rabbitmq", "redis", "nats", "kafka"} {
		b.Run(typ, func(b *testing.B) {
			var perSecond, cpuPer float64
			for b.Loop() {
				e := newEngineStore(b)
				store := &countedStore{Store: e.store, all: make(chan struct{}), want: n}
				secret, _ := signature.NewSecret()
				ep := &hookd.Endpoint{TenantID: e.tenant, Name: typ, EventTypes: []string{"*"}, Enabled: true, MaxInFlight: 64}
				targets[typ](ep)
				if err := e.store.CreateEndpoint(b.Context(), ep, secret); err != nil {
					b.Fatal(err)
				}
				d := New(store, Config{AllowPrivate: true, PollInterval: 50 * time.Millisecond, ShutdownTimeout: time.Second,
					Signer: signature.Signer{Scheme: signature.Standard}, Publishers: pubs,
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				ctx, cancel := context.WithCancel(context.Background())
				stopped := make(chan struct{})
				go func() { _ = d.Run(ctx); close(stopped) }()
				start, cpu := time.Now(), processCPU()
				for left := n; left > 0; left -= 500 {
					e.publish(b, min(left, 500))
				}
				select {
				case <-store.all:
				case <-time.After(2 * time.Minute):
					b.Fatalf("%d of %d delivered to %s in 2 minutes", store.delivered.Load(), n, typ)
				}
				perSecond += n / time.Since(start).Seconds()
				cpuPer += float64(processCPU()-cpu) / float64(time.Microsecond) / n
				cancel()
				<-stopped
			}
			b.ReportMetric(perSecond/float64(b.N), "deliveries/s")
			b.ReportMetric(cpuPer/float64(b.N), "cpu_µs/delivery")
		})
	}
}
