package rabbitmq_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"code.dny.dev/ssrf"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
	"github.com/hookd/hookd/internal/tcpproxy"
	"github.com/hookd/hookd/rabbitmq"
	"github.com/hookd/hookd/rabbitmq/rabbitmqtest"
)

// destination addresses the test server through addr (host:port), with
// the test URL's login unless creds replace it.
func destination(t *testing.T, addr, exchange string, creds *hookd.Credentials) *hookd.Destination {
	t.Helper()
	u, err := url.Parse(rabbitmqtest.URL())
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	if creds != nil {
		u.User = nil
	}
	cfg, _ := json.Marshal(hookd.RabbitMQConfig{URL: u.String(), Exchange: exchange, RoutingKey: "hookd.{{event_type}}"})
	d := &hookd.Destination{Type: hookd.DestinationRabbitMQ, Config: cfg, Credentials: creds}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

func testAddr(t *testing.T) string {
	u, err := url.Parse(rabbitmqtest.URL())
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func message(i int) *hookd.Message {
	id := fmt.Sprintf("evt_%04d", i)
	return &hookd.Message{EventID: id, EventType: "invoice.paid", Body: []byte(`{"n":` + fmt.Sprint(i) + `}`),
		Headers: map[string]string{"webhook-id": id}}
}

func publish(p *rabbitmq.Publisher, d *hookd.Destination, m *hookd.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return p.Publish(ctx, d, m)
}

func TestPublishConfirmed(t *testing.T) {
	exchange, msgs := rabbitmqtest.Queue(t)
	p := rabbitmq.New(egress.New(true, nil))
	defer p.Close()
	if err := publish(p, destination(t, testAddr(t), exchange, nil), message(1)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	select {
	case m := <-msgs:
		if m.RoutingKey != "hookd.invoice.paid" || m.MessageId != "evt_0001" || m.Type != "invoice.paid" ||
			string(m.Body) != `{"n":1}` || m.Headers["webhook-id"] != "evt_0001" {
			t.Fatalf("message = key %q id %q type %q body %s headers %v", m.RoutingKey, m.MessageId, m.Type, m.Body, m.Headers)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no message on the bound queue")
	}
}

// TestPublishBrokerCut: the broker's port cut mid-load and back. Publishes
// fail while it is down, the pool reopens its connection after, and every
// acknowledged message is on the queue.
func TestPublishBrokerCut(t *testing.T) {
	exchange, msgs := rabbitmqtest.Queue(t)
	proxy := tcpproxy.New(t, testAddr(t))
	p := rabbitmq.New(egress.New(true, nil))
	defer p.Close()
	d := destination(t, proxy.Addr(), exchange, nil)

	acked := map[string]bool{}
	failed := 0
	for i := range 60 {
		switch i {
		case 20:
			proxy.Stop()
		case 40:
			proxy.Start()
		}
		m := message(i)
		err := publish(p, d, m)
		if err == nil {
			acked[m.EventID] = true
			continue
		}
		failed++
		if i < 20 || !strings.Contains(err.Error(), "rabbitmq:") {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if failed < 20 {
		t.Errorf("%d publishes failed, want the 20 while the broker was cut", failed)
	}
	if !acked["evt_0040"] {
		t.Errorf("the first publish after the broker came back failed; the pool did not reopen")
	}
	for len(acked) > 0 {
		select {
		case m := <-msgs:
			delete(acked, m.MessageId)
		case <-time.After(10 * time.Second):
			t.Fatalf("acknowledged but never arrived: %v", acked)
		}
	}
}

// TestPublishDeadBrokerIsolated: a broker that accepts connections and
// never answers holds up only its own destination's publishes, and those
// queued behind its dial give up when their context ends.
func TestPublishDeadBrokerIsolated(t *testing.T) {
	exchange, msgs := rabbitmqtest.Queue(t)
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			accepted <- c // held open, never answered
		}
	}()
	p := rabbitmq.New(egress.New(true, nil))
	defer p.Close()
	dead := destination(t, hole.Addr().String(), exchange, nil)

	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 3)
	for i := range 3 {
		go func() { errs <- p.Publish(ctx, dead, message(i)) }()
	}
	held := <-accepted // one publish is dialing the dead broker, holding its destination's lock
	defer held.Close()
	if err := publish(p, destination(t, testAddr(t), exchange, nil), message(9)); err != nil {
		t.Fatalf("publish to a live broker while another is dead: %v", err)
	}
	if m := <-msgs; m.MessageId != "evt_0009" {
		t.Fatalf("got %s", m.MessageId)
	}
	cancel()
	for range 3 {
		if err := <-errs; err == nil {
			t.Fatal("a publish to the dead broker succeeded")
		}
	}
}

func TestPublishFailures(t *testing.T) {
	exchange, _ := rabbitmqtest.Queue(t)
	cases := map[string]struct {
		dialer *egress.Dialer
		dest   *hookd.Destination
		want   string
	}{
		"refused credentials": {egress.New(true, nil),
			destination(t, testAddr(t), exchange, &hookd.Credentials{Username: "nobody", Password: "wrong"}), "403"},
		"no such exchange": {egress.New(true, nil), destination(t, testAddr(t), exchange+"-missing", nil), "NOT_FOUND"},
		"private target":   {egress.New(false, nil), destination(t, testAddr(t), exchange, nil), ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := rabbitmq.New(c.dialer)
			defer p.Close()
			err := publish(p, c.dest, message(1))
			if err == nil {
				t.Fatal("Publish succeeded")
			}
			if c.want == "" {
				if !errors.Is(err, ssrf.ErrProhibitedIP) {
					t.Fatalf("Publish = %v, want the private-target refusal", err)
				}
			} else if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Publish = %v, want %s", err, c.want)
			}
			// The failure leaves the pool usable: a second try fails the same way.
			if err2 := publish(p, c.dest, message(2)); err2 == nil {
				t.Fatal("second Publish succeeded")
			}
		})
	}
}
