// Package nats delivers to NATS JetStream: a delivery succeeds when the
// stream capturing its subject acknowledged it.
package nats

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
)

// Publisher keeps one connection per destination (URL and login). The
// client reconnects a broken one by itself; while it is down, publishes
// fail at once rather than wait in a buffer.
type Publisher struct {
	dialer *egress.Dialer

	mu    sync.Mutex
	conns map[string]*conn
}

// conn is one destination's connection; open serialises (re)connecting,
// so a server that does not answer holds up only its own publishes.
type conn struct {
	open egress.Lock
	nc   *natsgo.Conn
	js   jetstream.JetStream
}

// New returns a publisher dialing through dialer.
func New(dialer *egress.Dialer) *Publisher {
	return &Publisher{dialer: dialer, conns: map[string]*conn{}}
}

var _ hookd.Publisher = (*Publisher)(nil)

// Publish sends m to the destination's subject and waits for JetStream's ack.
func (p *Publisher) Publish(ctx context.Context, d *hookd.Destination, m *hookd.Message) error {
	cfg, err := d.NATS()
	if err != nil {
		return err
	}
	js, err := p.conn(cfg.URL, d.Credentials).jetStream(ctx, p.dialer, cfg.URL, d.Credentials)
	if err != nil {
		return err
	}
	msg := natsgo.NewMsg(hookd.RenderTemplate(cfg.Subject, m.EventType, m.EventID))
	msg.Data = m.Body
	for k, v := range m.Headers {
		msg.Header.Set(k, v)
	}
	// JetStream drops a second message with the same id inside its
	// duplicate window: a retry after a lost ack is not stored twice.
	if m.DeliveryID != "" {
		msg.Header.Set(jetstream.MsgIDHeader, m.DeliveryID)
	}
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("nats: publish to %s at %s: %w", msg.Subject, egress.Redacted(cfg.URL), err)
	}
	return nil
}

// Close closes every connection (at shutdown).
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.conns {
		if c.open.Lock(context.Background()) == nil {
			if c.nc != nil {
				c.nc.Close()
			}
			c.open.Unlock()
		}
		delete(p.conns, k)
	}
	return nil
}

// conn returns the destination's entry.
func (p *Publisher) conn(rawURL string, creds *hookd.Credentials) *conn {
	key := creds.PoolKey(rawURL)
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.conns[key]
	if c == nil {
		c = &conn{open: egress.NewLock()}
		p.conns[key] = c
	}
	return c
}

// jetStream returns the connection's JetStream, connecting (again) when it
// has none or the client gave it up.
func (c *conn) jetStream(ctx context.Context, dialer *egress.Dialer, rawURL string, creds *hookd.Credentials) (jetstream.JetStream, error) {
	if err := c.open.Lock(ctx); err != nil {
		return nil, fmt.Errorf("nats: waiting for the connection being opened: %w", err)
	}
	defer c.open.Unlock()
	if c.nc != nil && !c.nc.IsClosed() {
		return c.js, nil
	}
	opts := []natsgo.Option{
		natsgo.SetCustomDialer(ctxDialer{ctx: ctx, d: dialer}),
		natsgo.MaxReconnects(-1),
		natsgo.ReconnectWait(250 * time.Millisecond),
		natsgo.ReconnectBufSize(-1),
	}
	if dl, ok := ctx.Deadline(); ok {
		opts = append(opts, natsgo.Timeout(time.Until(dl)))
	}
	if creds != nil {
		opts = append(opts, natsgo.UserInfo(creds.Username, creds.Password))
	}
	nc, err := natsgo.Connect(rawURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("nats: connect to %s: %w", egress.Redacted(rawURL), err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: JetStream at %s: %w", egress.Redacted(rawURL), err)
	}
	c.nc, c.js = nc, js
	return js, nil
}

// ctxDialer adapts the egress dialer to the client's dialer. The first
// connect is bounded by the publish that opened it; reconnects, later, by
// the dialer's own timeout.
type ctxDialer struct {
	ctx context.Context
	d   *egress.Dialer
}

func (c ctxDialer) Dial(network, addr string) (net.Conn, error) {
	ctx := c.ctx
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	return c.d.DialContext(ctx, network, addr)
}
