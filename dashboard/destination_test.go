package dashboard

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

// destinationForm is an add-endpoint form choosing typ, with fields.
func destinationForm(csrf, typ string, fields url.Values) url.Values {
	f := url.Values{"csrf": {csrf}, "name": {typ + " hook"}, "type": {typ}, "subscribe": {"all"}}
	for k, v := range fields {
		f[k] = v
	}
	return f
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	must(t, json.Unmarshal(got, &g))
	must(t, json.Unmarshal([]byte(want), &w))
	return reflect.DeepEqual(g, w)
}

// TestEndpointFormDestinations: the picker's types are stored with their
// config as the wire contract's object and their credentials, the URL
// derived from the broker; a webhook's fields left in the form (hidden by
// the script) are ignored, not refused.
func TestEndpointFormDestinations(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedIn("a", hookd.RoleAdmin)
	csrf := u.csrf("/dashboard/t/a/endpoints/new")
	webhookLeftovers := url.Values{"url": {"https://typed.example.com/first"}, "auth_type": {hookd.AuthBasic},
		"auth_username": {"u"}, "proxy_url": {"http://proxy.example.com:3128"}}
	for _, c := range []struct {
		typ         string
		fields      url.Values
		config, url string
		creds       *hookd.Credentials
	}{
		{hookd.DestinationRabbitMQ, url.Values{"config_url": {"amqp://mq.example.com:5672/v"}, "config_exchange": {"events"},
			"config_routing_key": {"hookd.{{event_type}}"}},
			`{"url":"amqp://mq.example.com:5672/v","exchange":"events","routing_key":"hookd.{{event_type}}"}`,
			"amqp://mq.example.com:5672/v#events/hookd.{{event_type}}", nil},
		{hookd.DestinationRedis, url.Values{"config_url": {" redis://10.0.0.7:6379/0 "}, "config_stream": {"hookd:{{event_type}}"},
			"config_max_len": {"1000"}, "credentials_username": {"hookd"}, "credentials_password": {"s3cret"}},
			`{"url":"redis://10.0.0.7:6379/0","stream":"hookd:{{event_type}}","max_len":1000}`,
			"redis://10.0.0.7:6379/0#hookd:{{event_type}}", &hookd.Credentials{Username: "hookd", Password: "s3cret"}},
		{hookd.DestinationNATS, url.Values{"config_url": {"nats://nats.example.com:4222"}, "config_subject": {"hookd.{{event_type}}"}},
			`{"url":"nats://nats.example.com:4222","subject":"hookd.{{event_type}}"}`,
			"nats://nats.example.com:4222#hookd.{{event_type}}", nil},
		{hookd.DestinationKafka, url.Values{"config_brokers": {"k1:9092, k2:9092\r\nk3:9092\r\n"}, "config_topic": {"hookd.events"},
			"config_tls": {"1"}, "config_sasl": {hookd.KafkaSASLScramSHA256}, "credentials_username": {"kuser"}, "credentials_password": {"kpass"},
			"config_url": {"redis://left.over:6379"}},
			`{"brokers":["k1:9092","k2:9092","k3:9092"],"topic":"hookd.events","key":"","tls":true,"sasl":"scram-sha-256"}`,
			"kafka://k1:9092,k2:9092,k3:9092#hookd.events", &hookd.Credentials{Username: "kuser", Password: "kpass"}},
	} {
		fields := c.fields
		for k, v := range webhookLeftovers {
			fields[k] = v
		}
		p := u.post("/dashboard/t/a/endpoints", destinationForm(csrf, c.typ, fields))
		if p.status != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%s", c.typ, p.status, p.body)
		}
		loc := p.header.Get("Location")
		ep, err := e.store.Endpoint(t.Context(), "a", loc[strings.LastIndex(loc, "/")+1:])
		must(t, err)
		d := ep.Destination
		if d == nil || d.Type != c.typ || !sameJSON(t, d.Config, c.config) || !reflect.DeepEqual(d.Credentials, c.creds) {
			t.Errorf("%s: stored %+v (config %s)", c.typ, d, d.Config)
		}
		if ep.URL != c.url || !ep.Egress.IsZero() {
			t.Errorf("%s: URL %q, egress %+v; want %q and none", c.typ, ep.URL, ep.Egress, c.url)
		}
	}
}

// TestEndpointFormDestinationErrors: a bad broker config is shown on the
// input at fault and saves nothing.
func TestEndpointFormDestinationErrors(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedIn("a", hookd.RoleAdmin)
	csrf := u.csrf("/dashboard/t/a/endpoints/new")
	for _, c := range []struct {
		typ          string
		fields       url.Values
		field, words string
	}{
		{hookd.DestinationRedis, url.Values{"config_url": {"http://127.0.0.1:6379"}, "config_stream": {"s"}}, "config.url", "must use redis or rediss"},
		{hookd.DestinationRedis, url.Values{"config_url": {"redis://r:6379"}, "config_stream": {"s"}, "config_max_len": {"lots"}}, "config.max_len", "must be a whole number"},
		{hookd.DestinationRabbitMQ, url.Values{"config_url": {"amqp://mq:5672"}, "config_exchange": {"events"}, "config_routing_key": {"x.{{event}}"}},
			"config.routing_key", "unknown placeholder {{event}}"},
		{hookd.DestinationNATS, url.Values{"config_url": {"nats://n:4222"}, "config_subject": {"hookd.*"}}, "config.subject", "without spaces or the wildcards"},
		{hookd.DestinationKafka, url.Values{"config_brokers": {"k1:9092,nohost"}, "config_topic": {"t"}}, "config.brokers", "must be host:port"},
		{hookd.DestinationKafka, url.Values{"config_brokers": {"k1:9092"}, "config_topic": {"t"}, "config_sasl": {hookd.KafkaSASLPlain}}, "credentials", "are required with config.sasl"},
		{hookd.DestinationKafka, url.Values{"config_brokers": {"k1:9092"}, "config_topic": {"t"}, "credentials_password": {"p"}}, "credentials", "is required with credentials"},
		{hookd.DestinationRedis, url.Values{"config_url": {"redis://r:6379"}, "config_stream": {"s"}, "credentials_username": {"u"},
			"credentials_password": {hookd.MaskedSecret}}, "credentials.password", "stands for the stored password"},
		{"smtp", nil, "type", "unknown destination type"},
	} {
		p := u.post("/dashboard/t/a/endpoints", destinationForm(csrf, c.typ, c.fields))
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("%s %s: %d, want 422", c.typ, c.field, p.status)
		}
		// The message is on its input (the error paragraph its
		// aria-describedby names), linked from the summary.
		shown := regexp.MustCompile(`id="f-` + regexp.QuoteMeta(c.field) + `[^"]*-error">([^<]*)<`).FindStringSubmatch(p.body)
		if shown == nil || !strings.Contains(shown[1], c.words) || !strings.Contains(p.body, `href="#f-`+c.field) {
			t.Errorf("%s %s: the field error is %q; want %q on the input", c.typ, c.field, shown, c.words)
		}
		if !strings.Contains(p.body, `<option value="`+c.typ+`" data-example=`) && c.typ != "smtp" {
			t.Errorf("%s: the picker lost the type", c.typ)
		}
	}
	if n, _ := e.store.CountEndpoints(t.Context(), "a"); n != 1 {
		t.Errorf("refused forms left %d endpoints, want the 1 there was", n)
	}
}

// TestEndpointFormDestinationEdit: the edit form shows the broker type
// fixed and its config with passwords masked; saved with the masks, the
// stored passwords are kept, and a type posted anyway changes nothing.
// The endpoint page and the list show the type, the derived URL and the
// masked config.
func TestEndpointFormDestinationEdit(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedIn("a", hookd.RoleAdmin)
	csrf := u.csrf("/dashboard/t/a/endpoints/new")
	p := u.post("/dashboard/t/a/endpoints", destinationForm(csrf, hookd.DestinationRedis, url.Values{
		"config_url": {"redis://:url-pw@10.0.0.7:6379/0"}, "config_stream": {"hookd:{{event_type}}"},
		"credentials_username": {"hookd"}, "credentials_password": {"s3cret-pw"}}))
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", p.status, p.body)
	}
	loc := p.header.Get("Location")
	id := loc[strings.LastIndex(loc, "/")+1:]

	edit := u.get(loc + "/edit")
	for _, want := range []string{`<select id="f-type" name="type" aria-describedby="f-type-hint" disabled>`,
		`<option value="redis" data-example="redis://redis.example.com:6379/0" selected>`,
		`value="redis://:********@10.0.0.7:6379/0"`, `value="hookd:{{event_type}}"`, `name="credentials_username" value="hookd"`,
		`name="credentials_password" type="password" value="********"`} {
		if !strings.Contains(edit.body, want) {
			t.Errorf("the edit form lacks %s", want)
		}
	}
	for _, secret := range []string{"url-pw", "s3cret-pw"} {
		if strings.Contains(edit.body, secret) {
			t.Errorf("the edit form shows %q", secret)
		}
	}

	// The mask keeps the password of its username only.
	if p := u.post(loc+"/edit", destinationForm(csrf, hookd.DestinationRedis, url.Values{"config_url": {"redis://10.0.0.7:6379/0"},
		"config_stream": {"s"}, "credentials_username": {"other"}, "credentials_password": {hookd.MaskedSecret}})); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, `id="f-credentials.password-error">"********" stands for the stored password`) {
		t.Errorf("a masked password for another username: %d", p.status)
	}
	saved := u.post(loc+"/edit", destinationForm(csrf, hookd.DestinationWebhook, url.Values{"name": {"renamed"},
		"url": {"https://example.com/now-a-webhook"}, "config_url": {"redis://:********@10.0.0.7:6379/0"},
		"config_stream": {"hookd:events"}, "config_max_len": {"500"}, "credentials_username": {"hookd"}, "credentials_password": {"********"}}))
	if saved.status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", saved.status, saved.body)
	}
	ep, err := e.store.Endpoint(t.Context(), "a", id)
	must(t, err)
	if d := ep.Destination; d == nil || d.Type != hookd.DestinationRedis ||
		!sameJSON(t, d.Config, `{"url":"redis://:url-pw@10.0.0.7:6379/0","stream":"hookd:events","max_len":500}`) ||
		*d.Credentials != (hookd.Credentials{Username: "hookd", Password: "s3cret-pw"}) {
		t.Fatalf("after saving the masks: %+v (config %s)", d, d.Config)
	}
	if ep.Name != "renamed" || ep.URL != "redis://10.0.0.7:6379/0#hookd:events" {
		t.Errorf("after the edit: name %q, URL %q", ep.Name, ep.URL)
	}

	page := u.get(loc)
	for _, want := range []string{"<dt>Destination</dt><dd>Redis Streams</dd>", ep.URL, `"url": "redis://:********@10.0.0.7:6379/0"`,
		"Login: <code>hookd</code> / <code>********</code>"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the endpoint page lacks %s", want)
		}
	}
	list := u.get("/dashboard/t/a")
	for _, want := range []string{"<dt>Destination</dt><dd>Redis Streams</dd>", "<dt>Destination</dt><dd>Webhook (HTTPS)</dd>"} {
		if !strings.Contains(list.body, want) {
			t.Errorf("the endpoint list lacks %s", want)
		}
	}
	for _, secret := range []string{"url-pw", "s3cret-pw"} {
		if strings.Contains(page.body, secret) || strings.Contains(list.body, secret) {
			t.Errorf("a page shows %q", secret)
		}
	}
}
