package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	goredis "github.com/redis/go-redis/v9"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/hookd/hookd/internal/tcpproxy"
	"github.com/hookd/hookd/kafka/kafkatest"
	"github.com/hookd/hookd/nats/natstest"
	"github.com/hookd/hookd/rabbitmq/rabbitmqtest"
	"github.com/hookd/hookd/redis/redistest"
)

// brokerMessage is one message as a consumer read it off a broker: its
// body and the headers (properties, fields) hookd set.
type brokerMessage struct {
	body    []byte
	headers http.Header
}

// verify checks a broker message as a webhook receiver would, with the
// official Standard Webhooks library and the endpoint's secret.
func (m brokerMessage) verify(t *testing.T, secret string) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(m.body, m.headers); err != nil {
		t.Errorf("message %s does not verify: %v (headers %v)", m.headers.Get("webhook-id"), err, m.headers)
	}
}

// redisMessages reads the stream's entries, by webhook-id.
func redisMessages(t *testing.T, rdb *goredis.Client, stream string) map[string]brokerMessage {
	t.Helper()
	entries, err := rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]brokerMessage{}
	for _, e := range entries {
		m := brokerMessage{headers: http.Header{}}
		for k, v := range e.Values {
			if k == "body" {
				m.body = []byte(v.(string))
			} else {
				m.headers.Set(k, v.(string))
			}
		}
		out[m.headers.Get("webhook-id")] = m
	}
	return out
}

// natsMessages reads every message of the stream, by webhook-id.
func natsMessages(t *testing.T, stream jetstream.Stream) map[string]brokerMessage {
	t.Helper()
	ctx := context.Background()
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]brokerMessage{}
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		// NATS keeps header names as sent (lower case): http.Header's
		// canonical lookups need them set through it.
		h := http.Header{}
		for k, vs := range m.Header {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
		out[h.Get("webhook-id")] = brokerMessage{body: m.Data, headers: h}
	}
	return out
}

// kafkaCluster is franz-go's in-process Kafka cluster (no Kafka server runs
// on this machine), listening on 127.0.0.1 for the hookd process.
func kafkaCluster(t *testing.T, topic string) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// kafkaMessages consumes n records of the topic, by webhook-id.
func kafkaMessages(t *testing.T, brokers []string, topic string, n int) map[string]brokerMessage {
	t.Helper()
	out := map[string]brokerMessage{}
	for _, r := range kafkatest.Records(t, brokers, topic, n) {
		m := kafkaMessage(r)
		out[m.headers.Get("webhook-id")] = m
	}
	return out
}

// kafkaMessage is a record as a consumer reads it: its value the body, its
// headers the headers.
func kafkaMessage(r *kgo.Record) brokerMessage {
	m := brokerMessage{body: r.Value, headers: http.Header{}}
	for _, h := range r.Headers {
		m.headers.Set(h.Key, string(h.Value))
	}
	return m
}

// brokerEndpoint creates an endpoint of type typ with config; every
// broker's failures retry each second.
func (f *fixture) brokerEndpoint(tenantID, typ string, config map[string]any) (endpoint, string) {
	f.t.Helper()
	var out struct {
		Endpoint      endpoint `json:"endpoint"`
		SigningSecret string   `json:"signing_secret"`
	}
	f.admin.must(f.t, 201, "POST", "/v1/tenants/"+tenantID+"/endpoints", map[string]any{
		"name": typ, "type": typ, "config": config, "retry_schedule": []string{"1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s"},
	}, &out)
	return out.Endpoint, out.SigningSecret
}

// TestBrokerDestinations: events published to hookd arrive on a RabbitMQ
// queue bound to the endpoint's exchange, a JetStream stream, a Redis
// stream and a Kafka topic, each verifying with the official Standard
// Webhooks library from its headers; each delivery is logged as delivered
// with its broker as the attempt's URL. The brokers are on 127.0.0.1: the
// deployment allows that host (--allow-destination-hosts), not private
// targets in general.
func TestBrokerDestinations(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		exchange, amqpMsgs := rabbitmqtest.Queue(t)
		natsAddr, subject, jsStream := natstest.Stream(t)
		redisAddr, stream, rdb := redistest.Stream(t)
		const topic = "hookd.events"
		kafkaBrokers := kafkaCluster(t, topic)

		c.strict = true
		c.extraArgs = append(c.extraArgs, "--allow-destination-hosts", "127.0.0.1")
		f := newFixture(t, c)
		ten := f.tenant()
		type target struct {
			ep     endpoint
			secret string
			read   func() map[string]brokerMessage
		}
		const events = 10
		targets := map[string]*target{}
		add := func(typ string, config map[string]any, read func() map[string]brokerMessage) {
			ep, secret := f.brokerEndpoint(ten, typ, config)
			targets[typ] = &target{ep, secret, read}
		}
		add("rabbitmq", map[string]any{"url": strings.Replace(rabbitmqtest.URL(), "localhost", "127.0.0.1", 1), "exchange": exchange,
			"routing_key": "hookd.{{event_type}}"}, func() map[string]brokerMessage {
			out := map[string]brokerMessage{}
			timeout := time.After(30 * time.Second)
			for len(out) < events {
				select {
				case d := <-amqpMsgs:
					m := brokerMessage{body: d.Body, headers: http.Header{}}
					for k, v := range d.Headers {
						m.headers.Set(k, fmt.Sprint(v))
					}
					if d.RoutingKey != "hookd."+typeCreated {
						t.Errorf("routing key %q, want hookd.%s", d.RoutingKey, typeCreated)
					}
					out[d.MessageId] = m
				case <-timeout:
					return out
				}
			}
			return out
		})
		add("nats", map[string]any{"url": "nats://" + natsAddr, "subject": subject + ".{{event_type}}"},
			func() map[string]brokerMessage { return natsMessages(t, jsStream) })
		add("redis", map[string]any{"url": "redis://" + redisAddr + "/0", "stream": stream},
			func() map[string]brokerMessage { return redisMessages(t, rdb, stream) })
		add("kafka", map[string]any{"brokers": kafkaBrokers, "topic": topic},
			func() map[string]brokerMessage { return kafkaMessages(t, kafkaBrokers, topic, events) })

		published := map[string]bool{}
		for i := range events {
			r := f.publish(ten, typeCreated, fmt.Sprintf(`{"n":%d}`, i))
			if r.Deliveries != len(targets) {
				t.Fatalf("publish made %d deliveries, want %d", r.Deliveries, len(targets))
			}
			published[r.ID] = true
		}
		for typ, tg := range targets {
			eventually(t, 30*time.Second, func() (bool, string) {
				ds := f.deliveries(ten, "?endpoint="+tg.ep.ID+"&status=delivered")
				return len(ds) == events, fmt.Sprintf("%s: %d of %d delivered", typ, len(ds), events)
			})
			got := tg.read()
			if len(got) != events {
				t.Errorf("%s: %d messages on the broker, want %d", typ, len(got), events)
			}
			for id, m := range got {
				if !published[id] {
					t.Errorf("%s: message for unknown event %q", typ, id)
				}
				m.verify(t, tg.secret)
				if m.headers.Get("x-hookd-event") != typeCreated {
					t.Errorf("%s: x-hookd-event = %q", typ, m.headers.Get("x-hookd-event"))
				}
			}
			d := f.getDelivery(ten, f.deliveries(ten, "?endpoint="+tg.ep.ID)[0].ID)
			if len(d.Attempts) != 1 || d.Attempts[0].URL != tg.ep.URL || d.Attempts[0].Error != "" {
				t.Errorf("%s: attempts %+v, want one without error at %s", typ, d.Attempts, tg.ep.URL)
			}
		}
	})
}

// TestDestinationHostsAllowList: a broker on a private address that
// --allow-destination-hosts does not name is refused when dialed: the
// attempt fails with the rule's text and is retried like any failure.
func TestDestinationHostsAllowList(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		addr, stream, rdb := redistest.Stream(t)
		c.strict = true
		c.extraArgs = append(c.extraArgs, "--allow-destination-hosts", "redis.internal")
		f := newFixture(t, c)
		ten := f.tenant()
		ep, _ := f.brokerEndpoint(ten, "redis", map[string]any{"url": "redis://" + addr, "stream": stream})
		ev := f.publish(ten, typeCreated, `{}`)
		eventually(t, 15*time.Second, func() (bool, string) {
			d := f.getDelivery(ten, f.deliveryOf(ten, ev.ID).ID)
			ok := len(d.Attempts) > 0 && strings.Contains(d.Attempts[0].Error, "refused: the broker resolves to a private or local address")
			return ok, fmt.Sprintf("delivery %+v", d)
		})
		if n, _ := rdb.XLen(context.Background(), stream).Result(); n != 0 {
			t.Errorf("%d entries reached the refused broker", n)
		}
		if d := f.deliveryOf(ten, ev.ID); d.Status != "retrying" || d.EndpointID != ep.ID {
			t.Errorf("delivery %+v, want retrying", d)
		}
	})
}

// TestBrokerCutThroughBinary: the Redis broker's port cut by a proxy while
// hookd delivers, then back: attempts made while it was cut are logged as
// failed, retried, and every acknowledged event arrives once.
func TestBrokerCutThroughBinary(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		addr, stream, rdb := redistest.Stream(t)
		proxy := tcpproxy.New(t, addr)
		c.strict = true
		c.extraArgs = append(c.extraArgs, "--allow-destination-hosts", "127.0.0.1", "--timeout", "2s")
		f := newFixture(t, c)
		ten := f.tenant()
		ep, secret := f.brokerEndpoint(ten, "redis", map[string]any{"url": "redis://" + proxy.Addr(), "stream": stream})

		const events = 30
		published := map[string]bool{}
		for i := range events {
			if i == events/3 {
				eventually(t, 15*time.Second, func() (bool, string) {
					n := len(f.deliveries(ten, "?endpoint="+ep.ID+"&status=delivered"))
					return n == events/3, fmt.Sprintf("%d delivered before the cut", n)
				})
				proxy.Stop()
			}
			published[f.publish(ten, typeCreated, fmt.Sprintf(`{"n":%d}`, i)).ID] = true
		}
		eventually(t, 15*time.Second, func() (bool, string) {
			n := len(f.deliveries(ten, "?endpoint="+ep.ID+"&status=retrying"))
			return n > 0, "no delivery failed while the broker was cut"
		})
		proxy.Start()
		eventually(t, 60*time.Second, func() (bool, string) {
			n := len(f.deliveries(ten, "?endpoint="+ep.ID+"&status=delivered&limit=100"))
			return n == events, fmt.Sprintf("%d of %d delivered after the broker came back", n, events)
		})
		got := redisMessages(t, rdb, stream)
		if len(got) != events {
			t.Errorf("%d distinct events in the stream, want %d", len(got), events)
		}
		for id, m := range got {
			if !published[id] {
				t.Errorf("entry for unknown event %q", id)
			}
			m.verify(t, secret)
		}
		failedThenDelivered := 0
		for _, d := range f.deliveries(ten, "?endpoint="+ep.ID+"&limit=100") {
			var failedAt, deliveredAt time.Time
			for _, a := range f.getDelivery(ten, d.ID).Attempts {
				if a.Error == "" {
					deliveredAt = a.At
				} else if failedAt.IsZero() || a.At.Before(failedAt) {
					failedAt = a.At
				}
			}
			if !failedAt.IsZero() && deliveredAt.After(failedAt) {
				failedThenDelivered++
			}
		}
		if failedThenDelivered == 0 {
			t.Error("no delivery's attempt log shows a failure, then the delivery")
		}
	})
}

// TestKafkaTLSAndSCRAMThroughBinary: a kafka endpoint with "tls": true and
// SCRAM-SHA-512 credentials delivers to a broker whose certificate a
// private CA signed, trusted through SSL_CERT_FILE as an operator would;
// the read-back endpoint shows the password masked.
func TestKafkaTLSAndSCRAMThroughBinary(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		ca, roots := trustedCA(t)
		serverTLS, err := ca.ServerTLS("kafka", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		const topic = "hookd.secure"
		cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic), kfake.EnableSASL(),
			kfake.Superuser("SCRAM-SHA-512", "hookd", "s3cr3t"),
			kfake.TLS(serverTLS))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cluster.Close)

		c.strict = true
		c.extraArgs = append(c.extraArgs, "--allow-destination-hosts", "127.0.0.1")
		c.env = []string{"SSL_CERT_FILE=" + roots}
		f := newFixture(t, c)
		ten := f.tenant()
		var out struct {
			Endpoint struct {
				ID          string            `json:"id"`
				Credentials map[string]string `json:"credentials"`
			} `json:"endpoint"`
			SigningSecret string `json:"signing_secret"`
		}
		f.admin.must(t, 201, "POST", "/v1/tenants/"+ten+"/endpoints", map[string]any{
			"name": "secure kafka", "type": "kafka",
			"config":      map[string]any{"brokers": cluster.ListenAddrs(), "topic": topic, "tls": true, "sasl": "scram-sha-512"},
			"credentials": map[string]string{"username": "hookd", "password": "s3cr3t"},
		}, &out)
		if out.Endpoint.Credentials["password"] != "********" || out.Endpoint.Credentials["username"] != "hookd" {
			t.Errorf("credentials read back as %v, want the password masked", out.Endpoint.Credentials)
		}
		ev := f.publish(ten, typeCreated, `{"secure":true}`)
		f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "delivered")

		recs := kafkatest.Records(t, cluster.ListenAddrs(), topic, 1, kgo.DialTLSConfig(&tls.Config{RootCAs: rootPool(t, ca.PEM)}),
			kgo.SASL(scram.Auth{User: "hookd", Pass: "s3cr3t"}.AsSha512Mechanism()))
		if len(recs) != 1 {
			t.Fatalf("%d records on the topic, want 1", len(recs))
		}
		m := kafkaMessage(recs[0])
		if m.headers.Get("webhook-id") != ev.ID {
			t.Errorf("record of event %q, want %q", m.headers.Get("webhook-id"), ev.ID)
		}
		m.verify(t, out.SigningSecret)
	})
}

func rootPool(t *testing.T, pemCA []byte) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCA) {
		t.Fatal("CA PEM does not parse")
	}
	return pool
}
