// Package kafka delivers to Kafka topics with acks=all: a delivery succeeds
// when every in-sync replica has the record.
package kafka

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
)

// Publisher keeps one client per destination (brokers and login); the
// client pools its broker connections and reconnects by itself.
type Publisher struct {
	dialer *egress.Dialer

	mu      sync.Mutex
	clients map[string]*client
}

// client is a destination's client and its last failure to connect: the
// client retries dials by itself until the attempt's timeout, which would
// otherwise be the only error shown.
type client struct {
	*kgo.Client
	dialErr atomic.Pointer[error]
}

// OnBrokerConnect is the kgo hook recording connection failures.
func (c *client) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		c.dialErr.Store(&err)
	} else {
		c.dialErr.Store(nil)
	}
}

// New returns a publisher dialing through dialer.
func New(dialer *egress.Dialer) *Publisher {
	return &Publisher{dialer: dialer, clients: map[string]*client{}}
}

var _ hookd.Publisher = (*Publisher)(nil)

// Publish produces m to the destination's topic, keyed by its key
// template (default the event id), and waits for the produce ack.
func (p *Publisher) Publish(ctx context.Context, d *hookd.Destination, m *hookd.Message) error {
	cfg, err := d.Kafka()
	if err != nil {
		return err
	}
	client, err := p.client(cfg, d.Credentials)
	if err != nil {
		return err
	}
	key := cfg.Key
	if key == "" {
		key = "{{event_id}}"
	}
	rec := &kgo.Record{Topic: cfg.Topic, Key: []byte(hookd.RenderTemplate(key, m.EventType, m.EventID)), Value: m.Body}
	for k, v := range m.Headers {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	if err := produce(ctx, client.Client, rec); err != nil {
		if dialErr := client.dialErr.Load(); dialErr != nil {
			return fmt.Errorf("kafka: produce to %s: %w (last connection attempt: %w)", cfg.Topic, err, *dialErr)
		}
		return fmt.Errorf("kafka: produce to %s: %w", cfg.Topic, err)
	}
	return nil
}

// produce sends rec and waits for its acknowledgement, or for ctx. kgo
// checks a record's context only before it is written: once a request
// holding it is in flight, a broker that keeps dropping connections has
// kgo retry it for as long as its delivery timeout (abandonedRecords), so
// ProduceSync would hold the attempt far past the endpoint's timeout.
// Given up on, the record may still be stored later: at least once, as a
// webhook whose answer timed out.
func produce(ctx context.Context, client *kgo.Client, rec *kgo.Record) error {
	acked := make(chan error, 1)
	client.Produce(ctx, rec, func(_ *kgo.Record, err error) { acked <- err })
	select {
	case err := <-acked:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// abandonedRecords bounds how long kgo keeps retrying a record whose
// attempt gave up (produce), so that an outage cannot fill the client's
// buffer with them: past any endpoint's timeout.
const abandonedRecords = 2 * hookd.MaxTimeout

// Close closes every client (at shutdown).
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.clients {
		c.Close()
		delete(p.clients, k)
	}
	return nil
}

func (p *Publisher) client(cfg hookd.KafkaConfig, creds *hookd.Credentials) (*client, error) {
	brokers := cfg.Brokers
	key := creds.PoolKey(fmt.Sprintf("%s\x00%t\x00%s", strings.Join(brokers, ","), cfg.TLS, cfg.SASL))
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.clients[key]; c != nil {
		return c, nil
	}
	cl := &client{}
	opts := []kgo.Opt{
		kgo.WithHooks(cl),
		kgo.SeedBrokers(brokers...),
		kgo.Dialer(p.dial(cfg.TLS)),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		// One record at a time, acknowledged before the attempt ends.
		kgo.ProducerLinger(0),
		kgo.RecordDeliveryTimeout(abandonedRecords),
	}
	if creds != nil {
		opts = append(opts, kgo.SASL(mechanism(cfg.SASL, creds)))
	}
	c, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: client for %s: %w", strings.Join(brokers, ","), err)
	}
	cl.Client = c
	p.clients[key] = cl
	return cl, nil
}

// mechanism is the SASL mechanism name logs in with creds.
func mechanism(name string, creds *hookd.Credentials) sasl.Mechanism {
	switch name {
	case hookd.KafkaSASLScramSHA256:
		return scram.Auth{User: creds.Username, Pass: creds.Password}.AsSha256Mechanism()
	case hookd.KafkaSASLScramSHA512:
		return scram.Auth{User: creds.Username, Pass: creds.Password}.AsSha512Mechanism()
	default:
		return plain.Auth{User: creds.Username, Pass: creds.Password}.AsMechanism()
	}
}

// dial dials a broker under the private-target rule and, with useTLS,
// completes a TLS handshake verifying the broker's name (kgo's own TLS
// option cannot be combined with a dialer of ours).
func (p *Publisher) dial(useTLS bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if !useTLS {
		return p.dialer.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := p.dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		host, _, _ := net.SplitHostPort(addr)
		tc := tls.Client(conn, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
		}
		return tc, nil
	}
}
