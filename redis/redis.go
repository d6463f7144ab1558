// Package redis delivers to Redis Streams: one XADD per delivery, a
// success once Redis answered with the entry's id.
package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
)

// BodyField is the stream entry's field holding the delivered body; the
// others are the message's headers, by their lower-case names.
const BodyField = "body"

// Publisher keeps one client (a connection pool, which drops broken
// connections and dials anew) per destination: URL and login.
type Publisher struct {
	dialer *egress.Dialer

	mu      sync.Mutex
	clients map[string]*goredis.Client
}

// New returns a publisher dialing through dialer.
func New(dialer *egress.Dialer) *Publisher {
	return &Publisher{dialer: dialer, clients: map[string]*goredis.Client{}}
}

var _ hookd.Publisher = (*Publisher)(nil)

// Publish XADDs m to the destination's stream, trimmed to about max_len
// entries when set.
func (p *Publisher) Publish(ctx context.Context, d *hookd.Destination, m *hookd.Message) error {
	cfg, err := d.Redis()
	if err != nil {
		return err
	}
	client, err := p.client(cfg.URL, d.Credentials)
	if err != nil {
		return err
	}
	values := make([]any, 0, 2+2*len(m.Headers))
	values = append(values, BodyField, m.Body)
	for k, v := range m.Headers {
		values = append(values, k, v)
	}
	stream := hookd.RenderTemplate(cfg.Stream, m.EventType, m.EventID)
	args := &goredis.XAddArgs{Stream: stream, Values: values}
	if cfg.MaxLen > 0 {
		args.MaxLen, args.Approx = cfg.MaxLen, true
	}
	if err := client.XAdd(ctx, args).Err(); err != nil {
		return fmt.Errorf("redis: XADD to %s at %s: %w", stream, egress.Redacted(cfg.URL), err)
	}
	return nil
}

// Close closes every client (at shutdown).
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for k, c := range p.clients {
		errs = append(errs, c.Close())
		delete(p.clients, k)
	}
	return errors.Join(errs...)
}

func (p *Publisher) client(rawURL string, creds *hookd.Credentials) (*goredis.Client, error) {
	key := creds.PoolKey(rawURL)
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.clients[key]; c != nil {
		return c, nil
	}
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis: %s: %w", egress.Redacted(rawURL), err)
	}
	opts.Dialer = p.dialer.DialContext
	// The dispatcher retries on its schedule, and says so in the log; a
	// silent retry here would only spend the attempt's timeout.
	opts.MaxRetries = -1
	if creds != nil {
		opts.Username, opts.Password = creds.Username, creds.Password
	}
	c := goredis.NewClient(opts)
	p.clients[key] = c
	return c, nil
}
