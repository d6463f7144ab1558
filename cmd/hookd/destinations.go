package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
	"github.com/hookd/hookd/kafka"
	"github.com/hookd/hookd/nats"
	"github.com/hookd/hookd/rabbitmq"
	"github.com/hookd/hookd/redis"
)

// checkDestinationHosts validates --allow-destination-hosts: host names or
// IP addresses as broker URLs spell them, without scheme or port.
func checkDestinationHosts(hosts []string) error {
	for _, h := range hosts {
		switch {
		case h == "":
			return errors.New("--allow-destination-hosts: an empty host (write hosts separated by commas)")
		case strings.ContainsAny(h, "/:@ \t") && net.ParseIP(h) == nil:
			return fmt.Errorf("--allow-destination-hosts: %q is not a host name or IP address (no scheme, port or path)", h)
		}
	}
	return nil
}

// publishers are the broker destinations' publishers, by destination type.
// They dial under the private-target rule, lifted by
// --allow-private-targets for every host and by --allow-destination-hosts
// for the hosts it names (brokers mostly live on private networks).
type publishers map[string]hookd.Publisher

func newPublishers(allowPrivate bool, allowHosts []string) publishers {
	dialer := egress.New(allowPrivate, allowHosts)
	return publishers{
		hookd.DestinationRabbitMQ: rabbitmq.New(dialer),
		hookd.DestinationRedis:    redis.New(dialer),
		hookd.DestinationNATS:     nats.New(dialer),
		hookd.DestinationKafka:    kafka.New(dialer),
	}
}

// Close closes every publisher's pooled connections, once the dispatcher
// has stopped publishing.
func (p publishers) Close() error {
	var errs []error
	for typ, pub := range p {
		if c, ok := pub.(io.Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close %s connections: %w", typ, err))
			}
		}
	}
	return errors.Join(errs...)
}
