// Package rabbitmqtest gives tests a fresh exchange with a queue bound to
// it on the RabbitMQ server at HOOKD_TEST_RABBITMQ (default
// amqp://guest:guest@127.0.0.1:5672/; .ci/run starts one), skipping when
// none answers.
package rabbitmqtest

import (
	"fmt"
	"os"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// URL is the test server's AMQP URL.
func URL() string {
	if u := os.Getenv("HOOKD_TEST_RABBITMQ"); u != "" {
		return u
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}

// Queue declares an auto-deleted exchange of its own, a queue bound to it
// for every routing key, and returns the exchange's name and the queue's
// deliveries.
func Queue(t testing.TB) (exchange string, msgs <-chan amqp.Delivery) {
	t.Helper()
	conn, err := amqp.Dial(URL())
	if err != nil {
		t.Skipf("no RabbitMQ at %s: %v", URL(), err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	exchange = fmt.Sprintf("hookd-test-%d", time.Now().UnixNano())
	if err := ch.ExchangeDeclare(exchange, "topic", false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(q.Name, "#", exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	msgs, err = ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return exchange, msgs
}
