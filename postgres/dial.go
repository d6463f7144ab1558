package postgres

import (
	"net"
	"time"
)

// A connection whose peer goes silent (packets dropped, no reset) is found
// dead by the kernel, not only when a call's deadline passes: keepalive
// probes on idle connections (the pool's, the LISTEN one), and a bound on
// how long sent data may stay unacknowledged (TCP_USER_TIMEOUT, Linux),
// after which the kernel closes the connection and pgx sees an error.
const (
	keepAliveIdle     = 15 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
	userTimeout       = 30 * time.Second
)

// dialer connects to PostgreSQL with keepalives and the user timeout.
func dialer(connectTimeout time.Duration) *net.Dialer {
	return &net.Dialer{
		Timeout: connectTimeout,
		KeepAliveConfig: net.KeepAliveConfig{Enable: true,
			Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount},
		Control: setUserTimeout,
	}
}
