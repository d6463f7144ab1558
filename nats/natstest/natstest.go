// Package natstest gives tests a JetStream stream of their own on the NATS
// server at HOOKD_TEST_NATS (default nats://127.0.0.1:4222; .ci/run starts
// one), skipping when none answers.
package natstest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Stream creates a stream capturing subject.>, removed with the test, and
// returns the server's host:port, the subject and the stream.
func Stream(t testing.TB) (addr, subject string, stream jetstream.Stream) {
	t.Helper()
	raw := os.Getenv("HOOKD_TEST_NATS")
	if raw == "" {
		raw = "nats://127.0.0.1:4222"
	}
	nc, err := natsgo.Connect(raw)
	if err != nil {
		t.Skipf("no NATS at %s: %v", raw, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	subject = fmt.Sprintf("hookdtest%d", time.Now().UnixNano())
	stream, err = js.CreateStream(context.Background(), jetstream.StreamConfig{Name: subject, Subjects: []string{subject + ".>"}})
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	t.Cleanup(func() { js.DeleteStream(context.Background(), subject) })
	u, _ := url.Parse(raw)
	return u.Host, subject, stream
}
