// Package rabbitmq publishes deliveries to RabbitMQ exchanges (AMQP 0-9-1)
// with publisher confirms: a delivery succeeds when the broker acks it.
package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
)

// Publisher pools one connection, with one confirm-mode channel, per
// destination (URL and login). A broken one is dropped and the next publish
// reopens it; a destination that cannot be reached costs only its own
// publishes their timeout, never another destination's.
type Publisher struct {
	dialer *egress.Dialer

	mu    sync.Mutex
	pools map[string]*pool
}

// New returns a publisher dialing through dialer.
func New(dialer *egress.Dialer) *Publisher {
	return &Publisher{dialer: dialer, pools: map[string]*pool{}}
}

var _ hookd.Publisher = (*Publisher)(nil)

// pool is one destination's connection; open serialises opening it.
type pool struct {
	open egress.Lock
	conn *amqp.Connection
	ch   *link
}

// link is a confirm-mode channel and why the broker closed it, if it did:
// a channel closed by the broker (no such exchange, say) nacks what was in
// flight, and the reason is the error to show.
type link struct {
	*amqp.Channel
	conn   *amqp.Connection
	closes chan *amqp.Error

	mu     sync.Mutex
	reason *amqp.Error
}

// closedBy returns the broker's reason for closing the channel, nil while open.
func (l *link) closedBy() *amqp.Error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reason == nil {
		select {
		case l.reason = <-l.closes:
		default:
		}
	}
	return l.reason
}

// Publish sends m to the destination's exchange with its routing key and
// waits for the broker's confirm within ctx.
func (p *Publisher) Publish(ctx context.Context, d *hookd.Destination, m *hookd.Message) error {
	cfg, err := d.RabbitMQ()
	if err != nil {
		return err
	}
	pl := p.pool(cfg.URL, d.Credentials)
	ch, err := pl.channel(ctx, p.dialer, cfg.URL, d.Credentials)
	if err != nil {
		return err
	}
	headers := make(amqp.Table, len(m.Headers))
	for k, v := range m.Headers {
		headers[k] = v
	}
	msg := amqp.Publishing{
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		MessageId:    m.EventID,
		Type:         m.EventType,
		Timestamp:    time.Now(),
		Headers:      headers,
		Body:         m.Body,
	}
	key := hookd.RenderTemplate(cfg.RoutingKey, m.EventType, m.EventID)
	confirm, err := ch.PublishWithDeferredConfirmWithContext(ctx, cfg.Exchange, key, false, false, msg)
	if err != nil {
		drop(ch)
		return fmt.Errorf("rabbitmq: publish: %w", err)
	}
	acked, err := confirm.WaitContext(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		// A confirm that never comes: the connection may be dead without
		// having noticed; the next publish opens a fresh one.
		drop(ch)
		return fmt.Errorf("rabbitmq: no confirm from the broker: %w", ctx.Err())
	case err != nil:
		drop(ch)
		return fmt.Errorf("rabbitmq: waiting for the confirm: %w", err)
	case !acked:
		if reason := ch.closedBy(); reason != nil {
			drop(ch)
			return fmt.Errorf("rabbitmq: the broker closed the channel: %w", reason)
		}
		return errors.New("rabbitmq: the broker refused the message (nack)")
	}
	return nil
}

// Close closes every pooled connection (at shutdown).
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for k, pl := range p.pools {
		if pl.open.Lock(context.Background()) == nil {
			if pl.conn != nil && !pl.conn.IsClosed() {
				errs = append(errs, pl.conn.Close())
			}
			pl.open.Unlock()
		}
		delete(p.pools, k)
	}
	return errors.Join(errs...)
}

func (p *Publisher) pool(rawURL string, creds *hookd.Credentials) *pool {
	key := creds.PoolKey(rawURL)
	p.mu.Lock()
	defer p.mu.Unlock()
	pl := p.pools[key]
	if pl == nil {
		pl = &pool{open: egress.NewLock()}
		p.pools[key] = pl
	}
	return pl
}

// channel returns the pool's open channel, opening the connection or the
// channel first if either is missing or closed.
func (pl *pool) channel(ctx context.Context, dialer *egress.Dialer, rawURL string, creds *hookd.Credentials) (*link, error) {
	if err := pl.open.Lock(ctx); err != nil {
		return nil, fmt.Errorf("rabbitmq: waiting for the connection being opened: %w", err)
	}
	defer pl.open.Unlock()
	if pl.ch != nil && !pl.ch.IsClosed() {
		return pl.ch, nil
	}
	if pl.conn == nil || pl.conn.IsClosed() {
		conn, err := dial(ctx, dialer, rawURL, creds)
		if err != nil {
			return nil, err
		}
		pl.conn = conn
	}
	ch, err := pl.conn.Channel()
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		pl.conn.Close()
		pl.conn = nil
		return nil, fmt.Errorf("rabbitmq: open a confirm channel: %w", err)
	}
	pl.ch = &link{Channel: ch, conn: pl.conn, closes: ch.NotifyClose(make(chan *amqp.Error, 1))}
	return pl.ch, nil
}

// drop closes the channel's connection: the next publish finds both
// closed and reopens them. It takes no lock, so it never waits on a dial.
func drop(ch *link) {
	ch.conn.Close()
}

// dial opens an AMQP connection bounded by ctx: the TCP dial and the AMQP
// handshake both end by its deadline.
func dial(ctx context.Context, dialer *egress.Dialer, rawURL string, creds *hookd.Credentials) (*amqp.Connection, error) {
	stop := func() bool { return false }
	cfg := amqp.Config{
		Heartbeat: 10 * time.Second,
		Locale:    "en_US",
		Dial: func(network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if dl, ok := ctx.Deadline(); ok {
				// Cleared by the library once the handshake is done.
				if err := c.SetDeadline(dl); err != nil {
					c.Close()
					return nil, err
				}
			}
			// A cancelled ctx (shutdown) ends the handshake too.
			stop = context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
			return c, nil
		},
	}
	if creds != nil {
		cfg.SASL = []amqp.Authentication{&amqp.PlainAuth{Username: creds.Username, Password: creds.Password}}
	}
	conn, err := amqp.DialConfig(rawURL, cfg)
	stop()
	if err != nil {
		return nil, fmt.Errorf("rabbitmq: connect to %s: %w", egress.Redacted(rawURL), err)
	}
	return conn, nil
}
