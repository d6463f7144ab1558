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
		{"masked URL password", "rabbitmq", `{"url":"amqp://u:********@h/","exchange":"e","routing_key":"k"}`, nil, "config.url"},
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
		{"kafka tls and scram", "kafka", `{"brokers":["k1:9093"],"topic":"t","tls":true,"sasl":"scram-sha-512"}`, &hookd.Credentials{Username: "u", Password: "p"}, ""},
		{"kafka unknown sasl", "kafka", `{"brokers":["k1:9093"],"topic":"t","sasl":"gssapi"}`, &hookd.Credentials{Username: "u"}, "config.sasl"},
		{"kafka sasl without credentials", "kafka", `{"brokers":["k1:9093"],"topic":"t","sasl":"plain"}`, nil, "credentials"},
		{"kafka tls not a bool", "kafka", `{"brokers":["k1:9093"],"topic":"t","tls":"yes"}`, nil, "config"},
		{"credentials without username", "rabbitmq", good, &hookd.Credentials{Password: "p"}, "credentials.username"},
		{"password left masked (nothing kept)", "rabbitmq", good, &hookd.Credentials{Username: "u", Password: hookd.MaskedSecret}, "credentials.password"},
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

func TestDestinationDisplayURL(t *testing.T) {
	cases := []struct{ typ, config, want string }{
		{hookd.DestinationRabbitMQ, `{"url":"amqp://guest:guest@mq:5672/vh","exchange":"events","routing_key":"hookd.{{event_type}}"}`,
			"amqp://guest@mq:5672/vh#events/hookd.{{event_type}}"},
		{hookd.DestinationRedis, `{"url":"redis://:pw@r:6379/0","stream":"s"}`, "redis://r:6379/0#s"},
		{hookd.DestinationNATS, `{"url":"nats://n:4222","subject":"a.b"}`, "nats://n:4222#a.b"},
		{hookd.DestinationKafka, `{"brokers":["k1:9092","k2:9092"],"topic":"t"}`, "kafka://k1:9092,k2:9092#t"},
	}
	for _, c := range cases {
		d := hookd.Destination{Type: c.typ, Config: json.RawMessage(c.config)}
		if got := d.DisplayURL(); got != c.want {
			t.Errorf("%s DisplayURL = %q, want %q", c.typ, got, c.want)
		}
	}
}

func TestDestinationSecretsMaskedAndKept(t *testing.T) {
	stored := &hookd.Destination{Type: hookd.DestinationRedis, Config: json.RawMessage(`{"max_len":5,"stream":"s","url":"redis://u:pw@r:6379/0"}`),
		Credentials: &hookd.Credentials{Username: "hookd", Password: "s3cr3t"}}
	m := stored.Masked()
	if m.Credentials.Password != hookd.MaskedSecret || m.Credentials.Username != "hookd" {
		t.Errorf("masked credentials = %+v", m.Credentials)
	}
	if want := `{"max_len":5,"stream":"s","url":"redis://u:********@r:6379/0"}`; string(m.Config) != want {
		t.Errorf("masked config = %s, want %s", m.Config, want)
	}
	if stored.Credentials.Password != "s3cr3t" || string(stored.Config) == string(m.Config) {
		t.Fatal("Masked changed the stored destination")
	}
	back := *m
	back.Credentials = &hookd.Credentials{Username: "hookd", Password: hookd.MaskedSecret}
	back.KeepSecrets(stored)
	if back.Credentials.Password != "s3cr3t" || string(back.Config) != `{"max_len":5,"stream":"s","url":"redis://u:pw@r:6379/0"}` {
		t.Errorf("kept = %+v %s", back.Credentials, back.Config)
	}
	// Another user or host gets no stored password.
	other := hookd.Destination{Type: hookd.DestinationRedis, Config: json.RawMessage(`{"stream":"s","url":"redis://u:********@elsewhere:6379/0"}`),
		Credentials: &hookd.Credentials{Username: "other", Password: hookd.MaskedSecret}}
	other.KeepSecrets(stored)
	if other.Credentials.Password != hookd.MaskedSecret || string(other.Config) != `{"stream":"s","url":"redis://u:********@elsewhere:6379/0"}` {
		t.Errorf("secrets given to another login: %+v %s", other.Credentials, other.Config)
	}
}

func TestCheckBrokerEndpoint(t *testing.T) {
	d := &hookd.Destination{Type: hookd.DestinationNATS, Config: json.RawMessage(`{"url":"nats://n:4222","subject":"a"}`)}
	u := hookd.EndpointUpdate{Destination: d}
	var v hookd.Validation
	hookd.CheckBrokerEndpoint(&v, &u)
	if err := v.Err(); err != nil || u.URL == nil || *u.URL != "nats://n:4222#a" {
		t.Fatalf("valid broker endpoint: err %v, url %v", err, u.URL)
	}
	url, proxy := "https://example.com", "http://p:3128"
	u = hookd.EndpointUpdate{Destination: d, URL: &url, ProxyURL: &proxy, Auth: &hookd.EndpointAuth{Type: hookd.AuthBasic}}
	v = hookd.Validation{}
	hookd.CheckBrokerEndpoint(&v, &u)
	var de *hookd.Error
	if !errors.As(v.Err(), &de) || len(de.Fields) != 3 || de.Fields[0].Field != "url" || de.Fields[1].Field != "auth" || de.Fields[2].Field != "proxy_url" {
		t.Errorf("webhook fields on a broker: %v", v.Err())
	}
	if *u.URL != url {
		t.Errorf("refused endpoint's URL replaced by %q", *u.URL)
	}
}
