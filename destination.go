package hookd

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Destination types: where an endpoint's deliveries go. A webhook endpoint
// is today's HTTP receiver at its URL; the others publish to a broker.
const (
	DestinationWebhook  = "webhook"
	DestinationRabbitMQ = "rabbitmq"
	DestinationRedis    = "redis"
	DestinationNATS     = "nats"
	DestinationKafka    = "kafka"
)

// Destination is a non-HTTP target of an endpoint: its type, its validated
// config (keys fixed per type, see RabbitMQConfig) and its write-only
// credentials, encrypted at rest like headers.
type Destination struct {
	Type        string          `json:"type"`
	Config      json.RawMessage `json:"config"`
	Credentials *Credentials    `json:"credentials,omitempty"`
}

// IsZero reports a webhook's (nil) destination, which stores as nothing.
func (d *Destination) IsZero() bool { return d == nil }

// Credentials log in to a broker whose URL holds none.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// PoolKey names the pooled connection of a broker at target (its URL or
// brokers) logged in with c, which may be nil: one connection per address
// and login, shared by every endpoint that names both.
func (c *Credentials) PoolKey(target string) string {
	if c == nil {
		return target
	}
	return target + "\x00" + c.Username + "\x00" + c.Password
}

// RabbitMQConfig is a rabbitmq destination's config: an AMQP 0-9-1 URL, the
// exchange published to and the routing key, a template over the event.
type RabbitMQConfig struct {
	URL        string `json:"url"`
	Exchange   string `json:"exchange"`
	RoutingKey string `json:"routing_key"`
}

// RedisConfig is a redis destination's config: the server's URL, the
// stream XADDed to (a template over the event) and, when above 0, the
// approximate MAXLEN the stream is trimmed to.
type RedisConfig struct {
	URL    string `json:"url"`
	Stream string `json:"stream"`
	MaxLen int64  `json:"max_len"`
}

// NATSConfig is a nats destination's config: the server's URL and the
// JetStream subject published to (a template over the event); a stream
// must capture the subject, or every publish fails unacknowledged.
type NATSConfig struct {
	URL     string `json:"url"`
	Subject string `json:"subject"`
}

// KafkaConfig is a kafka destination's config: seed brokers (host:port),
// the topic, and the record key, a template over the event (default the
// event id, so one event's retries share a partition). TLS connects with
// TLS (system roots; SSL_CERT_FILE for a private CA); SASL is the
// mechanism the credentials log in with, KafkaSASLPlain by default.
type KafkaConfig struct {
	Brokers []string `json:"brokers"`
	Topic   string   `json:"topic"`
	Key     string   `json:"key"`
	TLS     bool     `json:"tls,omitempty"`
	SASL    string   `json:"sasl,omitempty"`
}

// Kafka SASL mechanisms (KafkaConfig.SASL).
const (
	KafkaSASLPlain       = "plain"
	KafkaSASLScramSHA256 = "scram-sha-256"
	KafkaSASLScramSHA512 = "scram-sha-512"
)

// Message is one delivery as a broker carries it: the delivered body and,
// as headers, what a webhook request would carry (event id, type,
// timestamp, delivery id, attempt, the signature headers), so a consumer
// verifies it as a webhook receiver would.
type Message struct {
	DeliveryID string
	EventID    string
	EventType  string
	Body       []byte
	Headers    map[string]string
}

// Publisher delivers messages to one type of broker. Publish returns once the
// broker acknowledged the message, or with the reason it did not, within
// ctx (the endpoint's timeout). Connections are the publisher's to pool.
type Publisher interface {
	Publish(ctx context.Context, d *Destination, m *Message) error
}

// maxNameBytes bounds exchange names and rendered routing keys (AMQP's
// short strings).
const maxNameBytes = 255

var (
	placeholder  = regexp.MustCompile(`\{\{[^{}]*\}\}`)
	exchangeName = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
)

// RenderTemplate fills a destination template's {{event_type}} and
// {{event_id}}; CheckTemplate has refused any other placeholder.
func RenderTemplate(tmpl, eventType, eventID string) string {
	return strings.NewReplacer("{{event_type}}", eventType, "{{event_id}}", eventID).Replace(tmpl)
}

// CheckTemplate validates a template on field: only {{event_type}} and
// {{event_id}} are placeholders, and no brace is left unpaired.
func CheckTemplate(v *Validation, field, tmpl string) {
	for _, p := range placeholder.FindAllString(tmpl, -1) {
		if p != "{{event_type}}" && p != "{{event_id}}" {
			v.Add(field, "unknown placeholder %s (use {{event_type}} or {{event_id}})", p)
			return
		}
	}
	if rest := placeholder.ReplaceAllString(tmpl, ""); strings.ContainsAny(rest, "{}") {
		v.Add(field, "unpaired brace; placeholders are {{event_type}} and {{event_id}}")
	}
}

// Validate checks the destination's type, config and credentials, naming
// the offending field (config.url, credentials.username, ...).
func (d *Destination) Validate() error {
	var v Validation
	CheckDestination(&v, d)
	return v.Err()
}

// CheckDestination adds to v what is wrong with d's type, config and
// credentials, under the native API's field names.
func CheckDestination(v *Validation, d *Destination) {
	var c interface{ check(*Validation) }
	switch d.Type {
	case DestinationRabbitMQ:
		c = &RabbitMQConfig{}
	case DestinationRedis:
		c = &RedisConfig{}
	case DestinationNATS:
		c = &NATSConfig{}
	case DestinationKafka:
		c = &KafkaConfig{}
	default:
		v.Add("type", "unknown destination type %q (one of %s, %s, %s, %s, %s)", d.Type,
			DestinationWebhook, DestinationRabbitMQ, DestinationRedis, DestinationNATS, DestinationKafka)
		return
	}
	if !decodeStrict(v, "config", d.Config, c) {
		return
	}
	c.check(v)
	if d.Credentials != nil && d.Credentials.Username == "" {
		v.Add("credentials.username", "is required with credentials")
	}
	if d.Credentials != nil && d.Credentials.Password == MaskedSecret {
		// Still masked after KeepSecrets (a new endpoint, another username):
		// nothing to keep, and the mask is no password.
		v.Add("credentials.password", "%q stands for the stored password, kept only for the same username: give the real one", MaskedSecret)
	}
	if k, ok := c.(*KafkaConfig); ok && k.SASL != "" && d.Credentials == nil {
		v.Add("credentials", "are required with config.sasl (the login SASL %s sends)", k.SASL)
	}
}

// CheckDestinationKept refuses an update that changes what an endpoint is
// (a webhook or a broker of one type: its deliveries, attempt log and
// consumers were made for that; create a new endpoint for another), or
// gives a broker endpoint what only a webhook has: its own URL (a broker's
// is its config's) or egress settings.
func CheckDestinationKept(e *Endpoint, u EndpointUpdate) error {
	if u.Destination != nil && (e.Destination == nil || e.Destination.Type != u.Destination.Type) {
		return Invalid("type", "cannot change once the endpoint exists (it is %s): create a new endpoint of the type wanted", e.Type())
	}
	if e.Destination == nil {
		return nil
	}
	var v Validation
	if u.URL != nil && u.Destination == nil {
		v.Add("url", "a %s endpoint's URL is its config's: change config instead", e.Destination.Type)
	}
	checkNoEgress(&v, u, e.Destination.Type)
	return v.Err()
}

// CheckBrokerEndpoint adds to v what is wrong with u, an endpoint being
// created or changed with a broker destination, and sets its URL to the
// broker's (DisplayURL). A URL given, or egress settings (HTTP's), are
// refused: the config names the broker.
func CheckBrokerEndpoint(v *Validation, u *EndpointUpdate) {
	d, before := u.Destination, len(v.fields)
	CheckDestination(v, d)
	if u.URL != nil && *u.URL != "" {
		v.Add("url", "is not used by a %s endpoint: config names the broker", d.Type)
	}
	checkNoEgress(v, *u, d.Type)
	if len(v.fields) == before {
		shown := d.DisplayURL()
		u.URL = &shown
	}
}

// checkNoEgress refuses HTTP's egress settings for a broker endpoint.
func checkNoEgress(v *Validation, u EndpointUpdate, typ string) {
	if u.Auth != nil && u.Auth.Type != "" {
		v.Add("auth", "applies to webhook endpoints only, not %s (broker logins go in credentials)", typ)
	}
	if u.TLSClientCertificate != nil && *u.TLSClientCertificate != (TLSClientCertificate{}) {
		v.Add("tls_client_certificate", "applies to webhook endpoints only, not %s", typ)
	}
	if u.ProxyURL != nil && *u.ProxyURL != "" {
		v.Add("proxy_url", "applies to webhook endpoints only, not %s", typ)
	}
}

// Type is the endpoint's destination type: DestinationWebhook or a broker's.
func (e *Endpoint) Type() string {
	if e.Destination == nil {
		return DestinationWebhook
	}
	return e.Destination.Type
}

// DisplayURL names the broker in lists and the attempt log, where a
// webhook shows its URL: the broker's URL without its password, and the
// exchange, stream, subject or topic as the fragment (a template
// unrendered), e.g. amqp://mq:5672/#events/hookd.{{event_type}}.
// Validate has checked the config.
func (d *Destination) DisplayURL() string {
	var base, target string
	switch d.Type {
	case DestinationRabbitMQ:
		c, _ := d.RabbitMQ()
		base, target = c.URL, c.Exchange+"/"+c.RoutingKey
	case DestinationRedis:
		c, _ := d.Redis()
		base, target = c.URL, c.Stream
	case DestinationNATS:
		c, _ := d.NATS()
		base, target = c.URL, c.Subject
	case DestinationKafka:
		c, _ := d.Kafka()
		base, target = "kafka://"+strings.Join(c.Brokers, ","), c.Topic
	}
	if u, err := url.Parse(base); err == nil {
		u.User = userWithoutPassword(u.User)
		u.Fragment = ""
		base = u.String()
	}
	return base + "#" + target
}

// Masked returns d as the API and the dashboard show it: the password of
// its credentials and of its config's URL replaced by MaskedSecret.
func (d *Destination) Masked() *Destination {
	m := *d
	if d.Credentials != nil {
		c := *d.Credentials
		if c.Password != "" {
			c.Password = MaskedSecret
		}
		m.Credentials = &c
	}
	m.Config = mapConfigURL(d.Config, maskURLPassword)
	return &m
}

// KeepSecrets gives d the stored destination's secrets where d, sent back
// from what Masked showed, holds the mask: the credentials' password (same
// username) and the config URL's password (same host and user).
func (d *Destination) KeepSecrets(stored *Destination) {
	if stored == nil || stored.Type != d.Type {
		return
	}
	if c, old := d.Credentials, stored.Credentials; c != nil && old != nil && c.Password == MaskedSecret && c.Username == old.Username {
		c.Password = old.Password
	}
	var oldURL struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(stored.Config, &oldURL) == nil {
		d.Config = mapConfigURL(d.Config, func(u string) string { return keepURLPassword(u, oldURL.URL) })
	}
}

// mapConfigURL returns config with its "url" key passed through f, the
// other keys byte for byte; a config without one is returned as it is.
func mapConfigURL(config json.RawMessage, f func(string) string) json.RawMessage {
	var keys map[string]json.RawMessage
	var u string
	if json.Unmarshal(config, &keys) != nil || json.Unmarshal(keys["url"], &u) != nil {
		return config
	}
	mapped := f(u)
	if mapped == u {
		return config
	}
	keys["url"], _ = json.Marshal(mapped)
	out, err := json.Marshal(keys)
	if err != nil {
		return config
	}
	return out
}

// RabbitMQ decodes a rabbitmq destination's config; Validate has checked it.
func (d *Destination) RabbitMQ() (RabbitMQConfig, error) {
	var c RabbitMQConfig
	return c, d.decode(&c)
}

// Redis decodes a redis destination's config; Validate has checked it.
func (d *Destination) Redis() (RedisConfig, error) {
	var c RedisConfig
	return c, d.decode(&c)
}

// NATS decodes a nats destination's config; Validate has checked it.
func (d *Destination) NATS() (NATSConfig, error) {
	var c NATSConfig
	return c, d.decode(&c)
}

// Kafka decodes a kafka destination's config; Validate has checked it.
func (d *Destination) Kafka() (KafkaConfig, error) {
	var c KafkaConfig
	return c, d.decode(&c)
}

func (d *Destination) decode(dst any) error {
	var v Validation
	decodeStrict(&v, "config", d.Config, dst)
	return v.Err()
}

func (c *RabbitMQConfig) check(v *Validation) {
	checkBrokerURL(v, "config.url", c.URL, "amqp", "amqps")
	switch {
	case c.Exchange == "":
		v.Add("config.exchange", "is required")
	case len(c.Exchange) > maxNameBytes || !exchangeName.MatchString(c.Exchange):
		v.Add("config.exchange", "must be 1 to %d letters, digits, '-', '_', '.' or ':'", maxNameBytes)
	}
	checkName(v, "config.routing_key", c.RoutingKey)
}

func (c *RedisConfig) check(v *Validation) {
	checkBrokerURL(v, "config.url", c.URL, "redis", "rediss")
	checkName(v, "config.stream", c.Stream)
	if c.MaxLen < 0 {
		v.Add("config.max_len", "must be 0 (no trimming) or more")
	}
}

func (c *NATSConfig) check(v *Validation) {
	checkBrokerURL(v, "config.url", c.URL, "nats", "tls")
	checkName(v, "config.subject", c.Subject)
	// A published subject names one subject: no wildcards, no empty tokens.
	if strings.ContainsAny(c.Subject, "*> \t\r\n") || strings.HasPrefix(c.Subject, ".") ||
		strings.HasSuffix(c.Subject, ".") || strings.Contains(c.Subject, "..") {
		v.Add("config.subject", "must be dot-separated tokens without spaces or the wildcards * and >")
	}
}

// kafkaTopic is Kafka's own rule for topic names.
var kafkaTopic = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

func (c *KafkaConfig) check(v *Validation) {
	if len(c.Brokers) == 0 {
		v.Add("config.brokers", "is required: one or more host:port")
	}
	for i, b := range c.Brokers {
		if host, port, err := net.SplitHostPort(b); err != nil || host == "" || port == "" {
			v.Add(fmt.Sprintf("config.brokers[%d]", i), "must be host:port")
		}
	}
	if !kafkaTopic.MatchString(c.Topic) || c.Topic == "." || c.Topic == ".." {
		v.Add("config.topic", "must be 1 to 249 letters, digits, '.', '_' or '-'")
	}
	if c.Key != "" {
		CheckTemplate(v, "config.key", c.Key)
	}
	switch c.SASL {
	case "", KafkaSASLPlain, KafkaSASLScramSHA256, KafkaSASLScramSHA512:
	default:
		v.Add("config.sasl", "must be %s, %s or %s", KafkaSASLPlain, KafkaSASLScramSHA256, KafkaSASLScramSHA512)
	}
}

// checkName validates a required name template (routing key, stream).
func checkName(v *Validation, field, tmpl string) {
	switch {
	case tmpl == "":
		v.Add(field, "is required (a template such as events.{{event_type}})")
	case len(tmpl) > maxNameBytes:
		v.Add(field, "must be at most %d bytes", maxNameBytes)
	default:
		CheckTemplate(v, field, tmpl)
	}
}

// checkBrokerURL validates a broker URL's form. Whether its host may be
// reached (the private-target rule and --allow-destination-hosts) is the
// dialer's to enforce, on the address actually dialed.
func checkBrokerURL(v *Validation, field, raw string, schemes ...string) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		v.Add(field, "is required")
	case err != nil:
		v.Add(field, "is not a valid URL")
	case !slices.Contains(schemes, u.Scheme):
		v.Add(field, "must use %s", strings.Join(schemes, " or "))
	case u.Hostname() == "":
		v.Add(field, "must name a host")
	case hasMaskedPassword(u):
		// Sent back as read for another host or user: nothing to keep.
		v.Add(field, "holds the masked password %s: give the password (it is kept only for the same host and user)", MaskedSecret)
	}
}

func hasMaskedPassword(u *url.URL) bool {
	pw, _ := u.User.Password()
	return pw == MaskedSecret
}

// decodeStrict decodes raw into dst, refusing unknown keys so a misspelt
// key is an error, not a silent default.
func decodeStrict(v *Validation, field string, raw json.RawMessage, dst any) bool {
	if len(raw) == 0 {
		v.Add(field, "is required")
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		v.Add(field, "invalid: %s", strings.TrimPrefix(err.Error(), "json: "))
		return false
	}
	return true
}
