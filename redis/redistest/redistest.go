// Package redistest gives tests the Redis server at HOOKD_TEST_REDIS
// (default 127.0.0.1:6379; .ci/run starts one), skipping when none answers.
package redistest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Server returns the server's host:port and a client of it, closed with
// the test.
func Server(t testing.TB) (addr string, rdb *goredis.Client) {
	t.Helper()
	if addr = os.Getenv("HOOKD_TEST_REDIS"); addr == "" {
		addr = "127.0.0.1:6379"
	}
	rdb = goredis.NewClient(&goredis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Skipf("no Redis at %s: %v", addr, err)
	}
	return addr, rdb
}

// Stream is Server and the name of a stream of the test's own, deleted
// after it.
func Stream(t testing.TB) (addr, stream string, rdb *goredis.Client) {
	t.Helper()
	addr, rdb = Server(t)
	stream = fmt.Sprintf("hookd-test-%d", time.Now().UnixNano())
	t.Cleanup(func() { rdb.Del(context.Background(), stream) })
	return addr, stream, rdb
}
