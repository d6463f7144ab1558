package hookd_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/hookd/hookd"
)

func TestDestinationValidate(t *testing.T) {
	good := `{"url":"amqp://mq.example.com:5672/","exchange":"events","routing_key":"hookd.{{event_type}}"}`
	cases := []struct {
		name, typ, config string
		creds             *hookd.Credentials
		field             string // "" when valid
	}{
		{"valid", "rabbitmq", good, nil, ""},
		{"valid with credentials", "rabbitmq", good, &hookd.Credentials{Username: "u", Password: "p"}, ""},
		{"unknown type", "carrier-pigeon", good, nil, "type"},
		{"no config", "rabbitmq", ``, nil, "config"},
		{"unknown key", "rabbitmq", `{"url":"amqp://h/","exchange":"e","routing_key":"k","queue":"q"}`, nil, "config"},
		{"missing url", "rabbitmq", `{"exchange":"e","routing_key":"k"}`, nil, "config.url"},
		{"http url", "rabbitmq", `{"url":"http://h/","exchange":"e","routing_key":"k"}`, nil, "config.url"},
		{"url without host", "rabbitmq", `{"url":"amqp:///vhost","exchange":"e","routing_key":"k"}`, nil, "config.url"},
		{"missing exchange", "rabbitmq", `{"url":"amqp://h/","routing_key":"k"}`, nil, "config.exchange"},
		{"bad exchange", "rabbitmq", `{"url":"amqp://h/","exchange":"a b","routing_key":"k"}`, nil, "config.exchange"},
		{"missing routing key", "rabbitmq", `{"url":"amqp://h/","exchange":"e"}`, nil, "config.routing_key"},
		{"unknown placeholder", "rabbitmq", `{"url":"amqp://h/","exchange":"e","routing_key":"{{tenant}}"}`, nil, "config.routing_key"},
		{"unpaired brace", "rabbitmq", `{"url":"amqp://h/","exchange":"e","routing_key":"{{event_type}"}`, nil, "config.routing_key"},
		{"redis valid", "redis", `{"url":"redis://cache.example.com:6379/0","stream":"hookd:{{event_type}}","max_len":1000}`, nil, ""},
		{"redis without max_len", "redis", `{"url":"rediss://cache.example.com/","stream":"events"}`, nil, ""},
		{"redis amqp url", "redis", `{"url":"amqp://h/","stream":"s"}`, nil, "config.url"},
		{"redis missing stream", "redis", `{"url":"redis://h/"}`, nil, "config.stream"},
		{"redis bad template", "redis", `{"url":"redis://h/","stream":"{{type}}"}`, nil, "config.stream"},
		{"redis negative max_len", "redis", `{"url":"redis://h/","stream":"s","max_len":-1}`, nil, "config.max_len"},
		{"redis max_len not a number", "redis", `{"url":"redis://h/","stream":"s","max_len":"10"}`, nil, "config"},
		{"nats valid", "nats", `{"url":"nats://nats.example.com:4222","subject":"hookd.{{event_type}}"}`, nil, ""},
		{"nats http url", "nats", `{"url":"http://h:4222","subject":"s"}`, nil, "config.url"},
		{"nats missing subject", "nats", `{"url":"nats://h"}`, nil, "config.subject"},
		{"nats wildcard subject", "nats", `{"url":"nats://h","subject":"hookd.>"}`, nil, "config.subject"},
		{"nats empty token", "nats", `{"url":"nats://h","subject":"hookd..x"}`, nil, "config.subject"},
		{"kafka valid", "kafka", `{"brokers":["k1.example.com:9092","k2.example.com:9092"],"topic":"hookd.events","key":"{{event_type}}"}`, nil, ""},
		{"kafka default key", "kafka", `{"brokers":["k1:9092"],"topic":"events"}`, nil, ""},
		{"kafka no brokers", "kafka", `{"topic":"events"}`, nil, "config.brokers"},
		{"kafka broker without port", "kafka", `{"brokers":["k1"],"topic":"events"}`, nil, "config.brokers[0]"},
		{"kafka bad topic", "kafka", `{"brokers":["k1:9092"],"topic":"a/b"}`, nil, "config.topic"},
		{"kafka bad key", "kafka", `{"brokers":["k1:9092"],"topic":"t","key":"{{x}}"}`, nil, "config.key"},
		{"credentials without username", "rabbitmq", good, &hookd.Credentials{Password: "p"}, "credentials.username"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := hookd.Destination{Type: c.typ, Config: json.RawMessage(c.config), Credentials: c.creds}
			err := d.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var he *hookd.Error
			if !errors.As(err, &he) || he.Code != hookd.EINVALID || he.Fields[0].Field != c.field {
				t.Fatalf("Validate = %v, want EINVALID on %s", err, c.field)
			}
		})
	}
}

func TestRenderTemplate(t *testing.T) {
	got := hookd.RenderTemplate("hookd.{{event_type}}.{{event_id}}", "invoice.paid", "evt_1")
	if got != "hookd.invoice.paid.evt_1" {
		t.Fatalf("RenderTemplate = %q", got)
	}
}

func TestPoolKeySeparatesLogins(t *testing.T) {
	var none *hookd.Credentials
	a, b := &hookd.Credentials{Username: "a", Password: "x"}, &hookd.Credentials{Username: "a", Password: "y"}
	if none.PoolKey("amqp://h") != "amqp://h" || a.PoolKey("amqp://h") == b.PoolKey("amqp://h") || a.PoolKey("amqp://h") == none.PoolKey("amqp://h") {
		t.Errorf("pool keys: %q %q %q", none.PoolKey("amqp://h"), a.PoolKey("amqp://h"), b.PoolKey("amqp://h"))
	}
}
