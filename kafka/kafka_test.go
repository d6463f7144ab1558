package kafka_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"code.dny.dev/ssrf"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
	"github.com/hookd/hookd/internal/testcert"
	"github.com/hookd/hookd/kafka"
	"github.com/hookd/hookd/kafka/kafkatest"
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
	recs := kafkatest.Records(t, c.ListenAddrs(), "hookd.events", 1)
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

// testCA is the CA of the TLS tests' brokers, trusted by this process
// through SSL_CERT_FILE, as an operator trusts a private CA (TestMain).
var testCA *testcert.CA

func TestMain(m *testing.M) { os.Exit(testcert.Main(m, &testCA)) }

// tlsCluster is a kfake cluster serving TLS with a certificate of ca for
// 127.0.0.1, requiring SASL logins when users are given (mechanism, user,
// password triples).
func tlsCluster(t *testing.T, ca *testcert.CA, users ...[3]string) *kfake.Cluster {
	t.Helper()
	serverTLS, err := ca.ServerTLS("kafka", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(1, "hookd.events"), kfake.TLS(serverTLS)}
	if len(users) > 0 {
		opts = append(opts, kfake.EnableSASL())
		for _, u := range users {
			opts = append(opts, kfake.Superuser(u[0], u[1], u[2]))
		}
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func tlsDestination(t *testing.T, brokers []string, mechanism string, creds *hookd.Credentials) *hookd.Destination {
	t.Helper()
	cfg, _ := json.Marshal(hookd.KafkaConfig{Brokers: brokers, Topic: "hookd.events", TLS: true, SASL: mechanism})
	d := &hookd.Destination{Type: hookd.DestinationKafka, Config: cfg, Credentials: creds}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPublishTLSAndSASL: over TLS to a broker whose certificate the
// trusted CA signed, logging in with each SASL mechanism, a produce is
// acknowledged; a wrong password, or a broker certificate of an unknown
// CA, is a failed attempt naming why.
func TestPublishTLSAndSASL(t *testing.T) {
	p := kafka.New(egress.New(true, nil))
	defer p.Close()
	m := &hookd.Message{EventID: "evt_1", EventType: "invoice.paid", Body: []byte(`{}`)}
	login := &hookd.Credentials{Username: "hookd", Password: "s3cr3t"}
	c := tlsCluster(t, testCA, [3]string{"PLAIN", "hookd", "s3cr3t"}, [3]string{"SCRAM-SHA-256", "hookd", "s3cr3t"},
		[3]string{"SCRAM-SHA-512", "hookd", "s3cr3t"})
	for _, mech := range []string{"", hookd.KafkaSASLPlain, hookd.KafkaSASLScramSHA256, hookd.KafkaSASLScramSHA512} {
		if err := publish(p, tlsDestination(t, c.ListenAddrs(), mech, login), m); err != nil {
			t.Errorf("TLS, SASL %q: %v", mech, err)
		}
	}
	// kfake closes the connection on a refused login (EOF), so the
	// attempt ends at its timeout naming the last connection failure.
	wrong := &hookd.Credentials{Username: "hookd", Password: "wrong"}
	if err := publish(p, tlsDestination(t, c.ListenAddrs(), hookd.KafkaSASLScramSHA256, wrong), m); err == nil ||
		!strings.Contains(err.Error(), "last connection attempt: EOF") {
		t.Errorf("wrong password: %v, want the refused connection named", err)
	}

	other, err := testcert.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	untrusted := tlsCluster(t, other)
	err = publish(p, tlsDestination(t, untrusted.ListenAddrs(), "", nil), m)
	if err == nil || !strings.Contains(err.Error(), "tls handshake") || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("untrusted broker certificate: %v, want the TLS failure named", err)
	}
}

// TestPublishBrokerOutage: while the cluster drops every connection (down,
// as a broker that went away), publishes fail with the client's error
// within their timeout; once it answers again the publisher reconnects by
// itself, and every publish it acknowledged is on the topic.
func TestPublishBrokerOutage(t *testing.T) {
	c := cluster(t)
	var down atomic.Bool
	c.Control(func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if down.Load() {
			return nil, errors.New("broker down"), true // closes the connection
		}
		return nil, nil, false
	})
	p := kafka.New(egress.New(true, nil))
	defer p.Close()
	d := destination(t, c.ListenAddrs(), "hookd.events", "")
	send := func(i int) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		id := fmt.Sprintf("evt_%02d", i)
		return p.Publish(ctx, d, &hookd.Message{EventID: id, EventType: "invoice.paid", Body: []byte(`{}`),
			Headers: map[string]string{"webhook-id": id}})
	}
	acked := map[string]bool{}
	for i := range 20 {
		switch i {
		case 5:
			down.Store(true)
		case 10:
			down.Store(false)
		}
		err := send(i)
		for back := time.Now().Add(time.Minute); i >= 10 && err != nil && time.Now().Before(back); {
			err = send(i) // the client reconnects in the background
		}
		switch {
		case i >= 5 && i < 10:
			if err == nil || !strings.HasPrefix(err.Error(), "kafka: produce to hookd.events") {
				t.Errorf("publish %d while down: %v, want a produce failure", i, err)
			}
		case err != nil:
			t.Fatalf("publish %d: %v", i, err)
		default:
			acked[fmt.Sprintf("evt_%02d", i)] = true
		}
	}
	// The topic may also hold publishes of the outage whose answer was lost
	// (at least once): read until every acknowledged one is there.
	stored := map[string]bool{}
	records := kafkatest.RecordsUntil(t, c.ListenAddrs(), "hookd.events", func(got []*kgo.Record) bool {
		for _, r := range got {
			stored[string(r.Key)] = true
		}
		for id := range acked {
			if !stored[id] {
				return false
			}
		}
		return true
	})
	for id := range acked {
		if !stored[id] {
			t.Errorf("acknowledged %s is not among the topic's %d records", id, len(records))
		}
	}
	if len(acked) != 15 {
		t.Errorf("%d publishes acknowledged, want the 15 outside the outage", len(acked))
	}
}
