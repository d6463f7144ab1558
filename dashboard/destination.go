package dashboard

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/hookd/hookd"
)

// destForm is the endpoint form's destination (docs/destinations.md): the
// type picker and each broker type's fields, as entered or, editing, as
// stored with its passwords masked (Destination.Masked); a password left
// masked keeps the stored one (Destination.KeepSecrets).
type destForm struct {
	Type                 string // hookd.DestinationWebhook or a broker's
	URL                  string // rabbitmq, redis, nats
	Exchange, RoutingKey string // rabbitmq
	Stream, MaxLen       string // redis
	Subject              string // nats
	Brokers, Topic, Key  string // kafka; brokers one a line
	KafkaTLS             bool
	SASL                 string
	Username, Password   string
}

// destType is one choice of the picker; Example is its URL's placeholder.
type destType struct{ Value, Label, Example string }

// destTypes are the picker's choices, the webhook (the default) first.
var destTypes = []destType{
	{hookd.DestinationWebhook, "Webhook (HTTPS)", ""},
	{hookd.DestinationRabbitMQ, "RabbitMQ", "amqp://mq.example.com:5672/vhost"},
	{hookd.DestinationRedis, "Redis Streams", "redis://redis.example.com:6379/0"},
	{hookd.DestinationNATS, "NATS JetStream", "nats://nats.example.com:4222"},
	{hookd.DestinationKafka, "Kafka", ""},
}

// Types are the picker's choices.
func (g *destForm) Types() []destType { return destTypes }

// SASLs are Kafka's login mechanisms.
func (g *destForm) SASLs() []string {
	return []string{hookd.KafkaSASLPlain, hookd.KafkaSASLScramSHA256, hookd.KafkaSASLScramSHA512}
}

// Example is the chosen type's URL placeholder.
func (g *destForm) Example() string {
	for _, t := range destTypes {
		if t.Value == g.Type && t.Example != "" {
			return t.Example
		}
	}
	return destTypes[1].Example
}

// destLabel names a destination type as the picker does.
func destLabel(typ string) string {
	for _, t := range destTypes {
		if t.Value == typ {
			return t.Label
		}
	}
	return typ
}

func newDestForm(e *hookd.Endpoint) destForm {
	g := destForm{Type: hookd.DestinationWebhook}
	if e == nil || e.Destination == nil {
		return g
	}
	d := e.Destination.Masked()
	g.Type = d.Type
	if c := d.Credentials; c != nil {
		g.Username, g.Password = c.Username, c.Password
	}
	switch d.Type {
	case hookd.DestinationRabbitMQ:
		c, _ := d.RabbitMQ()
		g.URL, g.Exchange, g.RoutingKey = c.URL, c.Exchange, c.RoutingKey
	case hookd.DestinationRedis:
		c, _ := d.Redis()
		g.URL, g.Stream = c.URL, c.Stream
		if c.MaxLen > 0 {
			g.MaxLen = strconv.FormatInt(c.MaxLen, 10)
		}
	case hookd.DestinationNATS:
		c, _ := d.NATS()
		g.URL, g.Subject = c.URL, c.Subject
	case hookd.DestinationKafka:
		c, _ := d.Kafka()
		g.Brokers, g.Topic, g.Key, g.KafkaTLS, g.SASL = strings.Join(c.Brokers, "\n"), c.Topic, c.Key, c.TLS, c.SASL
	}
	return g
}

// readDestination reads the chosen type's fields into u.Destination (its
// config the wire contract's object, built from the domain's config types)
// and reports whether a broker was chosen; the other types' fields and the
// webhook's are ignored, so hidden inputs may hold anything. Editing, the
// type is the endpoint's (CheckDestinationKept would refuse another) and
// masked passwords keep the stored ones. service.CheckEndpoint checks it.
func readDestination(r *http.Request, f *endpointForm, u *hookd.EndpointUpdate, v *hookd.Validation) bool {
	g := &f.Dest
	field := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	if f.Endpoint != nil {
		g.Type = f.Endpoint.Type()
	} else if t := field("type"); t != "" {
		g.Type = t
	}
	if g.Type == hookd.DestinationWebhook {
		return false
	}
	g.URL, g.Username, g.Password = field("config_url"), field("credentials_username"), r.PostFormValue("credentials_password")
	var config any // nil for an unknown type, which CheckDestination names
	switch g.Type {
	case hookd.DestinationRabbitMQ:
		g.Exchange, g.RoutingKey = field("config_exchange"), field("config_routing_key")
		config = hookd.RabbitMQConfig{URL: g.URL, Exchange: g.Exchange, RoutingKey: g.RoutingKey}
	case hookd.DestinationRedis:
		g.Stream, g.MaxLen = field("config_stream"), field("config_max_len")
		var maxLen int64
		if g.MaxLen != "" {
			var err error
			if maxLen, err = strconv.ParseInt(g.MaxLen, 10, 64); err != nil {
				v.Add("config.max_len", "must be a whole number (empty or 0: no trimming)")
			}
		}
		config = hookd.RedisConfig{URL: g.URL, Stream: g.Stream, MaxLen: maxLen}
	case hookd.DestinationNATS:
		g.Subject = field("config_subject")
		config = hookd.NATSConfig{URL: g.URL, Subject: g.Subject}
	case hookd.DestinationKafka:
		g.Brokers, g.Topic, g.Key = field("config_brokers"), field("config_topic"), field("config_key")
		g.KafkaTLS, g.SASL = r.PostFormValue("config_tls") != "", field("config_sasl")
		brokers := strings.FieldsFunc(g.Brokers, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
		config = hookd.KafkaConfig{Brokers: brokers, Topic: g.Topic, Key: g.Key, TLS: g.KafkaTLS, SASL: g.SASL}
	}
	d := &hookd.Destination{Type: g.Type}
	if config != nil {
		d.Config, _ = json.Marshal(config) // plain structs: cannot fail
	}
	if g.Username != "" || g.Password != "" {
		d.Credentials = &hookd.Credentials{Username: g.Username, Password: g.Password}
	}
	if f.Endpoint != nil {
		d.KeepSecrets(f.Endpoint.Destination)
	}
	u.Destination = d
	return true
}
