package dispatch

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
	"github.com/hookd/hookd/internal/tcpproxy"
	"github.com/hookd/hookd/rabbitmq"
	"github.com/hookd/hookd/rabbitmq/rabbitmqtest"
	"github.com/hookd/hookd/signature"
)

const brokerSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestPublishToRabbitMQ: a delivery to a rabbitmq destination whose broker
// is cut fails with the broker's error and is scheduled again; once the
// broker is back the next attempt is acknowledged, and the message on the
// queue verifies with the official Standard Webhooks library from its
// headers, as a webhook request would.
func TestPublishToRabbitMQ(t *testing.T) {
	exchange, msgs := rabbitmqtest.Queue(t)
	u, err := url.Parse(rabbitmqtest.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := tcpproxy.New(t, u.Host)
	u.Host = proxy.Addr()
	cfg, _ := json.Marshal(hookd.RabbitMQConfig{URL: u.String(), Exchange: exchange, RoutingKey: "{{event_type}}"})
	pub := rabbitmq.New(egress.New(true, nil))
	defer pub.Close()
	d := New(nil, Config{
		Schedule: hookd.Schedule{time.Minute}, Signer: signature.Signer{Scheme: signature.Standard},
		Publishers: map[string]hookd.Publisher{hookd.DestinationRabbitMQ: pub},
	})
	job := &hookd.Job{
		DeliveryID: "dlv_1", EventID: "evt_1", EventType: "invoice.paid", Attempt: 1, RunAttempt: 1,
		Payload: []byte(`{"type":"invoice.paid","data":{"amount":42}}`), Secrets: []string{brokerSecret},
		Timeout:     2 * time.Second,
		Destination: &hookd.Destination{Type: hookd.DestinationRabbitMQ, Config: cfg},
	}

	proxy.Stop()
	res, ok := d.send(context.Background(), job)
	if !ok || res.Outcome.Success || !strings.HasPrefix(res.Attempt.Error, "rabbitmq: connect to ") || res.NextAttemptAt.IsZero() {
		t.Fatalf("attempt to a cut broker: ok %v, outcome %+v, error %q, next %v", ok, res.Outcome, res.Attempt.Error, res.NextAttemptAt)
	}
	if res.Attempt.RequestHeaders["Webhook-Signature"] == "" {
		t.Errorf("attempt log lacks the signature header: %v", res.Attempt.RequestHeaders)
	}

	proxy.Start()
	job.Attempt, job.RunAttempt = 2, 2
	res, ok = d.send(context.Background(), job)
	if !ok || !res.Outcome.Success || res.Attempt.Error != "" || !res.NextAttemptAt.IsZero() {
		t.Fatalf("attempt after the broker came back: ok %v, outcome %+v, error %q", ok, res.Outcome, res.Attempt.Error)
	}
	select {
	case m := <-msgs:
		h := http.Header{}
		for k, v := range m.Headers {
			h.Set(k, v.(string))
		}
		wh, err := standardwebhooks.NewWebhook(brokerSecret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(m.Body, h); err != nil {
			t.Errorf("official library rejects the message: %v\nheaders: %v", err, h)
		}
		if h.Get("X-Hookd-Attempt") != "2" || h.Get("X-Hookd-Delivery") != "dlv_1" || h.Get("X-Hookd-Event") != "invoice.paid" {
			t.Errorf("message headers %v lack the delivery's attempt, id or type", h)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("acknowledged message never arrived")
	}
}

func TestPublishUnsupportedType(t *testing.T) {
	d := New(nil, Config{Schedule: hookd.Schedule{time.Minute}, Signer: signature.Signer{Scheme: signature.Standard}})
	job := &hookd.Job{EventID: "evt_1", Attempt: 1, RunAttempt: 1, Secrets: []string{brokerSecret},
		Destination: &hookd.Destination{Type: hookd.DestinationRabbitMQ}}
	res, ok := d.send(context.Background(), job)
	if !ok || res.Outcome.Success || !strings.Contains(res.Attempt.Error, "not supported") || res.NextAttemptAt.IsZero() {
		t.Fatalf("ok %v, outcome %+v, error %q", ok, res.Outcome, res.Attempt.Error)
	}
}
