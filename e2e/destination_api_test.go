package e2e

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd/client"
	svix "github.com/svix/svix-webhooks/go"
)

// brokerConfig returns the fixture's configs: a server that refuses
// private targets but allows the brokers on this machine.
func brokerConfig(c config) config {
	c.strict = true
	c.extraArgs = append(c.extraArgs, "--allow-destination-hosts", "127.0.0.1")
	return c
}

// shownDestination is the destination part of an endpoint as read.
type shownDestination struct {
	URL         string            `json:"url"`
	Type        string            `json:"type"`
	Config      map[string]any    `json:"config"`
	Credentials map[string]string `json:"credentials"`
}

func (f *fixture) destination(ten, id string) shownDestination {
	f.t.Helper()
	var d shownDestination
	f.admin.must(f.t, 200, "GET", "/v1/tenants/"+ten+"/endpoints/"+id, nil, &d)
	return d
}

// TestRefusedDestinations sends, through the binary on both stores,
// endpoints and updates the destination rules refuse: each is a 422 naming
// the field, and nothing is stored (every endpoint as listed, the broker
// endpoint's masked credentials and config included, is unchanged).
func TestRefusedDestinations(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		f := newFixture(t, brokerConfig(c))
		ten := f.tenant()
		redisCfg := map[string]any{"url": "redis://127.0.0.1:6379/0", "stream": "hookd:{{event_type}}"}
		broker, _ := f.endpoint(ten, "", map[string]any{"type": "redis", "config": redisCfg,
			"credentials": map[string]string{"username": "hookd", "password": "s3cr3t"}})
		webhook, _ := f.endpoint(ten, "https://hooks.example.com/in", nil)
		endpoints := "/v1/tenants/" + ten + "/endpoints"
		brokerPath, webhookPath := endpoints+"/"+broker.ID, endpoints+"/"+webhook.ID
		create := func(typ string, config any, more ...any) map[string]any {
			b := map[string]any{"name": "x", "type": typ, "config": config}
			for i := 0; i < len(more); i += 2 {
				b[more[i].(string)] = more[i+1]
			}
			return b
		}
		cert, key := clientCert(t, time.Now().Add(time.Hour))
		rabbit := func(routingKey string) map[string]any {
			return map[string]any{"url": "amqp://127.0.0.1:5672/", "exchange": "amq.topic", "routing_key": routingKey}
		}
		cases := []refusal{
			{name: "unknown type", method: "POST", path: endpoints, body: create("sqs", redisCfg), field: "type"},
			{name: "empty type", method: "POST", path: endpoints, body: create("", redisCfg), field: "type"},
			{name: "config missing", method: "POST", path: endpoints, body: create("redis", nil), field: "config"},
			{name: "config missing a field", method: "POST", path: endpoints, body: create("redis", map[string]any{"url": "redis://127.0.0.1:6379/0"}), field: "config.stream"},
			{name: "config with an unknown key", method: "POST", path: endpoints, body: create("nats", map[string]any{"url": "nats://127.0.0.1:4222", "subject": "s", "stream": "x"}), field: "config"},
			{name: "config not an object", method: "POST", path: endpoints, body: create("redis", "redis://127.0.0.1:6379"), field: "config"},
			{name: "invalid URL", method: "POST", path: endpoints, body: create("redis", map[string]any{"url": "http://127.0.0.1:6379", "stream": "s"}), field: "config.url"},
			{name: "URL without a host", method: "POST", path: endpoints, body: create("rabbitmq", map[string]any{"url": "amqp:///vhost", "exchange": "e", "routing_key": "k"}), field: "config.url"},
			{name: "bad template", method: "POST", path: endpoints, body: create("rabbitmq", rabbit("hookd.{{event}}")), field: "config.routing_key"},
			{name: "unpaired brace", method: "POST", path: endpoints, body: create("rabbitmq", rabbit("hookd.{{event_type}")), field: "config.routing_key"},
			{name: "wildcard subject", method: "POST", path: endpoints, body: create("nats", map[string]any{"url": "nats://127.0.0.1:4222", "subject": "hookd.>"}), field: "config.subject"},
			{name: "bad Kafka topic", method: "POST", path: endpoints, body: create("kafka", map[string]any{"brokers": []string{"127.0.0.1:9092"}, "topic": "bad topic!"}), field: "config.topic"},
			{name: "Kafka broker without a port", method: "POST", path: endpoints, body: create("kafka", map[string]any{"brokers": []string{"127.0.0.1"}, "topic": "t"}), field: "config.brokers[0]"},
			{name: "Kafka SASL without credentials", method: "POST", path: endpoints, body: create("kafka", map[string]any{"brokers": []string{"127.0.0.1:9092"}, "topic": "t", "sasl": "plain"}), field: "credentials"},
			{name: "credentials a string", method: "POST", path: endpoints, body: create("redis", redisCfg, "credentials", "hookd:s3cr3t"), field: "credentials"},
			{name: "credentials missing username", method: "POST", path: endpoints, body: create("redis", redisCfg, "credentials", map[string]string{"password": "p"}), field: "credentials.username"},
			{name: "credentials with an unknown key", method: "POST", path: endpoints, body: create("redis", redisCfg, "credentials", map[string]string{"username": "u", "token": "t"}), field: "credentials"},
			{name: "url with a broker type", method: "POST", path: endpoints, body: create("redis", redisCfg, "url", "https://hooks.example.com/in"), field: "url"},
			{name: "auth with a broker type", method: "POST", path: endpoints, body: create("redis", redisCfg, "auth", map[string]any{"type": "basic", "username": "u", "password": "p"}), field: "auth"},
			{name: "proxy_url with a broker type", method: "POST", path: endpoints, body: create("redis", redisCfg, "proxy_url", "http://proxy.example.com:3128"), field: "proxy_url"},
			{name: "client certificate with a broker type", method: "POST", path: endpoints,
				body: create("redis", redisCfg, "tls_client_certificate", map[string]string{"certificate": cert, "private_key": key}), field: "tls_client_certificate"},
			{name: "config on a webhook", method: "POST", path: endpoints, body: map[string]any{"name": "x", "url": "https://hooks.example.com/in", "config": redisCfg}, field: "config"},
			{name: "credentials on a webhook", method: "POST", path: endpoints,
				body: map[string]any{"name": "x", "type": "webhook", "url": "https://hooks.example.com/in", "credentials": map[string]string{"username": "u"}}, field: "credentials"},

			{name: "type change on update", method: "PATCH", path: brokerPath, body: map[string]any{"type": "nats", "config": map[string]any{"url": "nats://127.0.0.1:4222", "subject": "s"}}, field: "type"},
			{name: "broker made a webhook", method: "PATCH", path: brokerPath, body: map[string]any{"type": "webhook", "url": "https://hooks.example.com/in"}, field: "type"},
			{name: "webhook made a broker", method: "PATCH", path: webhookPath, body: map[string]any{"type": "redis", "config": redisCfg}, field: "type"},
			{name: "config on a webhook update", method: "PATCH", path: webhookPath, body: map[string]any{"config": redisCfg}, field: "config"},
			{name: "credentials on a webhook update", method: "PATCH", path: webhookPath, body: map[string]any{"credentials": nil}, field: "credentials"},
			{name: "url on a broker update", method: "PATCH", path: brokerPath, body: map[string]any{"url": "https://hooks.example.com/in"}, field: "url"},
			{name: "auth on a broker update", method: "PATCH", path: brokerPath, body: map[string]any{"auth": map[string]any{"type": "basic", "username": "u"}}, field: "auth"},
			{name: "proxy_url on a broker update", method: "PATCH", path: brokerPath, body: map[string]any{"proxy_url": "http://proxy.example.com:3128"}, field: "proxy_url"},
			{name: "config missing a field on update", method: "PATCH", path: brokerPath, body: map[string]any{"config": map[string]any{"url": "redis://127.0.0.1:6379/1"}, "name": "moved"}, field: "config.stream"},
			{name: "bad template on update", method: "PATCH", path: brokerPath, body: map[string]any{"config": map[string]any{"url": "redis://127.0.0.1:6379/1", "stream": "{{tenant}}"}}, field: "config.stream"},
			{name: "credentials a string on update", method: "PATCH", path: brokerPath, body: map[string]any{"credentials": "hookd"}, field: "credentials"},
			{name: "masked password for another username", method: "PATCH", path: brokerPath, body: map[string]any{"credentials": map[string]string{"username": "other", "password": "********"}}, field: "credentials.password"},
			{name: "masked password on create", method: "POST", path: endpoints, body: create("redis", redisCfg, "credentials", map[string]string{"username": "u", "password": "********"}), field: "credentials.password"},
			{name: "credentials missing username on update", method: "PATCH", path: brokerPath, body: map[string]any{"credentials": map[string]string{"password": "p"}}, field: "credentials.username"},
		}
		refuseAll(t, f, ten, cases)
		// What the list compared is masked: the password itself is kept too.
		if d := f.destination(ten, broker.ID); d.Credentials["password"] != "********" || d.URL != "redis://127.0.0.1:6379/0#hookd:{{event_type}}" {
			t.Errorf("the broker endpoint after the refusals: %+v", d)
		}
	})
}

// TestDestinationSecretsKept: through the binary on both stores, a
// RabbitMQ endpoint's credentials and a config URL's password are shown
// masked, in the endpoint and in the list, and an update sending the masks
// back keeps the passwords: RabbitMQ, which demands them, still takes the
// deliveries; a wrong password sent instead fails the next one, refused
// by RabbitMQ.
func TestDestinationSecretsKept(t *testing.T) {
	t.Parallel()
	if c, err := net.DialTimeout("tcp", "127.0.0.1:5672", time.Second); err != nil {
		t.Skipf("no RabbitMQ on 127.0.0.1:5672: %v", err)
	} else {
		c.Close()
	}
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		f := newFixture(t, brokerConfig(c))
		ten := f.tenant()
		config := func(url string) map[string]any {
			return map[string]any{"url": url, "exchange": "amq.topic", "routing_key": "hookd.{{event_type}}"}
		}
		withCreds, _ := f.endpoint(ten, "", map[string]any{"type": "rabbitmq", "config": config("amqp://127.0.0.1:5672/"),
			"credentials": map[string]string{"username": "guest", "password": "guest"}, "retry_schedule": []string{}})
		inURL, _ := f.endpoint(ten, "", map[string]any{"type": "rabbitmq", "config": config("amqp://guest:guest@127.0.0.1:5672/"),
			"retry_schedule": []string{}})

		shown := f.destination(ten, withCreds.ID)
		if shown.Type != "rabbitmq" || shown.URL != "amqp://127.0.0.1:5672/#amq.topic/hookd.{{event_type}}" ||
			shown.Credentials["username"] != "guest" || shown.Credentials["password"] != "********" {
			t.Errorf("the endpoint with credentials as read: %+v", shown)
		}
		shownURL := f.destination(ten, inURL.ID)
		if shownURL.Config["url"] != "amqp://guest:********@127.0.0.1:5672/" || shownURL.URL != "amqp://guest@127.0.0.1:5672/#amq.topic/hookd.{{event_type}}" {
			t.Errorf("the endpoint with a password in its URL as read: %+v", shownURL)
		}
		var listed struct{ Data []shownDestination }
		f.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/endpoints", nil, &listed)
		if len(listed.Data) != 2 || !slices.ContainsFunc(listed.Data, func(d shownDestination) bool { return d.Credentials["password"] == "********" }) ||
			!slices.ContainsFunc(listed.Data, func(d shownDestination) bool { return d.Config["url"] == shownURL.Config["url"] }) {
			t.Errorf("listed: %+v", listed.Data)
		}

		// Sent back as read: the passwords are kept, and RabbitMQ takes the deliveries.
		path := func(id string) string { return "/v1/tenants/" + ten + "/endpoints/" + id }
		f.admin.must(t, 200, "PATCH", path(withCreds.ID), map[string]any{"name": "renamed", "credentials": shown.Credentials}, nil)
		f.admin.must(t, 200, "PATCH", path(inURL.ID), map[string]any{"config": shownURL.Config}, nil)
		if again := f.destination(ten, withCreds.ID); again.Credentials["password"] != "********" {
			t.Errorf("credentials after sending the mask back: %+v", again.Credentials)
		}
		delivered := func(want string) []delivery {
			ev := f.publish(ten, typeCreated, `{}`)
			ds := f.deliveries(ten, "?event="+ev.ID)
			if len(ds) != 2 {
				t.Fatalf("event %s has %d deliveries, want 2", ev.ID, len(ds))
			}
			for i, d := range ds {
				ds[i] = f.waitStatus(ten, d.ID, want)
			}
			return ds
		}
		delivered("delivered")

		// A wrong password in its place: RabbitMQ refuses the login.
		f.admin.must(t, 200, "PATCH", path(withCreds.ID), map[string]any{"credentials": map[string]string{"username": "guest", "password": "wrong"}}, nil)
		shownURL.Config["url"] = "amqp://guest:wrong@127.0.0.1:5672/"
		f.admin.must(t, 200, "PATCH", path(inURL.ID), map[string]any{"config": shownURL.Config}, nil)
		for _, d := range delivered("failed") {
			if d = f.getDelivery(ten, d.ID); len(d.Attempts) != 1 || !strings.Contains(d.Attempts[0].Error, "403") {
				t.Errorf("the attempt with a wrong password: %+v", d.Attempts)
			}
		}
	})
}

// brokerClientWalk drives a broker endpoint through the Go client:
// created with credentials, read and listed masked, updated with the mask
// sent back (kept) and without credentials (removed), and refused a type
// change and a config on a webhook.
func brokerClientWalk(t *testing.T, ctx context.Context, c *client.Client) {
	mustReturn[*client.Tenant](t, "create tenant")(c.CreateTenant(ctx, client.TenantCreate{ID: "brokers", Name: "Brokers"}))
	created := mustReturn[*client.CreatedEndpoint](t, "create broker endpoint")(c.CreateEndpoint(ctx, "brokers", client.EndpointCreate{
		Name: "stream", Type: "redis", Config: json.RawMessage(`{"url":"redis://:pw@127.0.0.1:6379/0","stream":"hookd:{{event_type}}","max_len":1000}`),
		Credentials: &client.Credentials{Username: "hookd", Password: "s3cr3t"},
	}))
	ep := created.Endpoint
	if ep.Credentials == nil || ep.Type != "redis" || ep.URL != "redis://127.0.0.1:6379/0#hookd:{{event_type}}" ||
		*ep.Credentials != (client.Credentials{Username: "hookd", Password: client.MaskedSecret}) || !strings.Contains(string(ep.Config), `:********@`) {
		t.Errorf("created broker endpoint %+v", ep)
	}
	got := mustReturn[*client.Endpoint](t, "read broker endpoint")(c.Endpoint(ctx, "brokers", ep.ID))
	if got.Credentials == nil || got.Type != ep.Type || string(got.Config) != string(ep.Config) || *got.Credentials != *ep.Credentials {
		t.Errorf("broker endpoint read %+v, created %+v", got, ep)
	}
	page := mustReturn[*client.Page[client.Endpoint]](t, "list broker endpoints")(c.ListEndpoints(ctx, "brokers", client.ListOptions{}))
	if len(page.Data) != 1 || page.Data[0].Credentials == nil || page.Data[0].URL != ep.URL || *page.Data[0].Credentials != *ep.Credentials {
		t.Errorf("listed %+v", page.Data)
	}
	name := "renamed"
	kept := mustReturn[*client.Endpoint](t, "update sending the masks back")(c.UpdateEndpoint(ctx, "brokers", ep.ID, client.EndpointUpdate{
		Name: &name, Config: got.Config, Credentials: got.Credentials}))
	if kept.Credentials == nil || kept.Name != name || *kept.Credentials != *ep.Credentials || string(kept.Config) != string(ep.Config) {
		t.Errorf("after sending the masks back %+v", kept)
	}
	removed := mustReturn[*client.Endpoint](t, "update removing the credentials")(c.UpdateEndpoint(ctx, "brokers", ep.ID, client.EndpointUpdate{
		Config: json.RawMessage(`{"url":"redis://127.0.0.1:6379/1","stream":"events"}`), RemoveCredentials: true}))
	if removed.Credentials != nil || removed.URL != "redis://127.0.0.1:6379/1#events" {
		t.Errorf("after removing the credentials %+v", removed)
	}
	_, err := c.UpdateEndpoint(ctx, "brokers", ep.ID, client.EndpointUpdate{URL: new("https://hooks.example.com/in")})
	if e := wantKind(t, "url on a broker endpoint", err, 422, client.ErrInvalid); !slices.Contains(fieldNames(e), "url") {
		t.Errorf("422 fields %v, want url", fieldNames(e))
	}
	_, err = c.CreateEndpoint(ctx, "brokers", client.EndpointCreate{Name: "x", Type: "sqs", Config: json.RawMessage(`{}`)})
	if e := wantKind(t, "unknown type", err, 422, client.ErrInvalid); !slices.Contains(fieldNames(e), "type") {
		t.Errorf("422 fields %v, want type", fieldNames(e))
	}
	_, err = c.CreateEndpoint(ctx, "brokers", client.EndpointCreate{Name: "x", URL: "https://hooks.example.com/in", Config: json.RawMessage(`{}`)})
	if e := wantKind(t, "config on a webhook", err, 422, client.ErrInvalid); !slices.Contains(fieldNames(e), "config") {
		t.Errorf("422 fields %v, want config", fieldNames(e))
	}
}

// svixBrokers: a broker endpoint, made with the native API, shows its
// derived url through the Svix-compatible API, listed and read; a Svix
// update (PUT or PATCH) giving another url is a 422 in Svix's shape that
// changes nothing, a PUT repeating the url as read (Svix requires one)
// changes the rest; and Svix creates webhooks only.
func svixBrokers(t *testing.T, f *fixture, sx *svix.Svix) {
	ctx := t.Context()
	app := must(sx.Application.Create(ctx, &svix.ApplicationIn{Name: "Brokers", Uid: svix.String("svix-brokers")})).get(t)
	var created struct{ Endpoint endpoint }
	f.admin.must(t, 201, "POST", "/v1/tenants/"+app.Id+"/endpoints", map[string]any{"name": "stream", "type": "redis",
		"config": map[string]any{"url": "redis://127.0.0.1:6379/0", "stream": "hookd:{{event_type}}"}}, &created)
	id := created.Endpoint.ID
	const derived = "redis://127.0.0.1:6379/0#hookd:{{event_type}}"
	if listed := must(sx.Endpoint.List(ctx, app.Id, nil)).get(t); len(listed.Data) != 1 || listed.Data[0].Url != derived {
		t.Errorf("listed through Svix: %+v, want one endpoint at %s", listed.Data, derived)
	}
	if got := must(sx.Endpoint.Get(ctx, app.Id, id)).get(t); got.Url != derived {
		t.Errorf("read through Svix: url %s, want %s", got.Url, derived)
	}
	before := f.admin.must(t, 200, "GET", "/v1/tenants/"+app.Id+"/endpoints/"+id, nil, nil).body
	_, err := sx.Endpoint.Update(ctx, app.Id, id, &svix.EndpointUpdate{Url: "https://hooks.example.com/in"})
	wantSvixValidation(t, err, "body", "url")
	_, err = sx.Endpoint.Patch(ctx, app.Id, id, &svix.EndpointPatch{Url: svix.String("https://hooks.example.com/in"), Description: svix.String("x")})
	wantSvixValidation(t, err, "body", "url")
	if after := f.admin.must(t, 200, "GET", "/v1/tenants/"+app.Id+"/endpoints/"+id, nil, nil).body; string(after) != string(before) {
		t.Errorf("refused Svix updates changed the endpoint:\nbefore %s\n after %s", before, after)
	}
	updated := must(sx.Endpoint.Update(ctx, app.Id, id, &svix.EndpointUpdate{Url: derived, Description: svix.String("on the bus")})).get(t)
	if d := f.destination(app.Id, id); updated.Url != derived || updated.Description != "on the bus" || d.Type != "redis" || d.Config["stream"] != "hookd:{{event_type}}" {
		t.Errorf("after a Svix PUT repeating the url: %+v, natively %+v", updated, d)
	}

	// Svix's endpoints have no type: one given is not Svix's, and ignored.
	var webhook struct{ ID string }
	f.admin.must(t, 201, "POST", "/api/v1/app/"+app.Id+"/endpoint", map[string]any{"url": "https://hooks.example.com/in",
		"type": "redis", "config": map[string]any{"url": "redis://127.0.0.1:6379/0", "stream": "s"}}, &webhook)
	if d := f.destination(app.Id, webhook.ID); d.Type != "webhook" || d.URL != "https://hooks.example.com/in" || d.Config != nil {
		t.Errorf("made through Svix: %+v, want a webhook", d)
	}
}
