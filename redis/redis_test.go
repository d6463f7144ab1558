package redis_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"code.dny.dev/ssrf"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/egress"
	"github.com/hookd/hookd/internal/tcpproxy"
	"github.com/hookd/hookd/redis"
	"github.com/hookd/hookd/redis/redistest"
)

// server is redistest's server.
func server(t *testing.T) (addr string, rdb *goredis.Client) { return redistest.Server(t) }

func destination(t *testing.T, addr, stream string, maxLen int64, creds *hookd.Credentials) *hookd.Destination {
	t.Helper()
	cfg, _ := json.Marshal(hookd.RedisConfig{URL: "redis://" + addr + "/0", Stream: stream, MaxLen: maxLen})
	d := &hookd.Destination{Type: hookd.DestinationRedis, Config: cfg, Credentials: creds}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

func streamPrefix(t *testing.T, rdb *goredis.Client) string {
	prefix := fmt.Sprintf("hookd-test-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return prefix
}

func message(i int) *hookd.Message {
	id := fmt.Sprintf("evt_%04d", i)
	return &hookd.Message{EventID: id, EventType: "invoice.paid", Body: []byte(fmt.Sprintf(`{"n":%d}`, i)),
		Headers: map[string]string{"webhook-id": id}}
}

func publish(p *redis.Publisher, d *hookd.Destination, m *hookd.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return p.Publish(ctx, d, m)
}

func TestPublishXAdd(t *testing.T) {
	addr, rdb := server(t)
	prefix := streamPrefix(t, rdb)
	p := redis.New(egress.New(true, nil))
	defer p.Close()
	d := destination(t, addr, prefix+":{{event_type}}", 5, nil)
	const n = 300 // approximate trimming drops whole nodes of 100 entries
	for i := range n {
		if err := publish(p, d, message(i)); err != nil {
			t.Fatalf("Publish %d: %v", i, err)
		}
	}
	entries, err := rdb.XRange(context.Background(), prefix+":invoice.paid", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	// MAXLEN ~ trims whole nodes only: fewer than published, at least max_len.
	if len(entries) < 5 || len(entries) >= n {
		t.Fatalf("%d entries in the stream, want trimmed to about 5", len(entries))
	}
	last := entries[len(entries)-1].Values
	if last[redis.BodyField] != `{"n":299}` || last["webhook-id"] != "evt_0299" {
		t.Fatalf("last entry = %v", last)
	}
}

// TestPublishBrokerCut: Redis's port cut mid-load and back. Publishes fail
// while it is down and succeed again after (go-redis redials a failed pool
// in the background, about once a second, so the first few after may still
// fail: the dispatcher's retry covers them), and every acknowledged one is
// in the stream.
func TestPublishBrokerCut(t *testing.T) {
	addr, rdb := server(t)
	prefix := streamPrefix(t, rdb)
	proxy := tcpproxy.New(t, addr)
	p := redis.New(egress.New(true, nil))
	defer p.Close()
	d := destination(t, proxy.Addr(), prefix, 0, nil)
	acked := proxy.CutMidLoad(t, "redis: XADD to ", func(i int) (string, error) {
		m := message(i)
		return m.EventID, publish(p, d, m)
	})
	entries, err := rdb.XRange(context.Background(), prefix, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		delete(acked, e.Values["webhook-id"].(string))
	}
	if len(acked) > 0 {
		t.Fatalf("acknowledged but not in the stream: %v", acked)
	}
}

func TestPublishFailures(t *testing.T) {
	addr, rdb := server(t)
	prefix := streamPrefix(t, rdb)
	bad := redis.New(egress.New(true, nil))
	defer bad.Close()
	err := publish(bad, destination(t, addr, prefix, 0, &hookd.Credentials{Username: "nobody", Password: "wrong"}), message(1))
	if err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("refused login: %v, want WRONGPASS", err)
	}
	guarded := redis.New(egress.New(false, nil))
	defer guarded.Close()
	if err := publish(guarded, destination(t, addr, prefix, 0, nil), message(1)); !errors.Is(err, ssrf.ErrProhibitedIP) {
		t.Errorf("private target: %v, want the private-target refusal", err)
	}
}
