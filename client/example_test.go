package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/api"
	"github.com/hookd/hookd/client"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/sqlite"
)

// The examples run against hookd's API in this process over real HTTP,
// on a real SQLite file (no delivery workers: events wait as pending).
var (
	hookdURL string
	apiKey   = "hk_example_admin_key_0123456789"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hookd-client-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	key, err := secretbox.ParseKey(secretbox.NewKey())
	if err != nil {
		log.Fatal(err)
	}
	box, err := secretbox.New(key)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "hookd.db"), box)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if err := store.CreateAPIKey(ctx, &hookd.APIKey{Name: "example", Role: hookd.RoleAdmin, Prefix: service.DisplayPrefix(apiKey), Hash: service.HashKey(apiKey)}); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(api.New(store, nil, api.Config{AllowPrivateTargets: true}, nil))
	defer srv.Close()
	hookdURL = srv.URL
	return m.Run()
}

func Example() {
	ctx := context.Background()
	c, err := client.New(hookdURL, client.WithAPIKey(apiKey))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.CreateEventType(ctx, client.EventTypeCreate{Name: "invoice.paid"}); err != nil && !errors.Is(err, client.ErrConflict) {
		log.Fatal(err)
	}
	if _, err := c.CreateTenant(ctx, client.TenantCreate{ID: "acme", Name: "Acme"}); err != nil && !errors.Is(err, client.ErrConflict) {
		log.Fatal(err)
	}
	ep, err := c.CreateEndpoint(ctx, "acme", client.EndpointCreate{Name: "billing", URL: "http://127.0.0.1:3000/hooks", EventTypes: []string{"invoice.paid"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("secret:", ep.SigningSecret[:6]+"...")

	// Retries of this call reuse one idempotency key: one event, whatever happens.
	res, err := c.Publish(ctx, "acme", client.EventInput{Type: "invoice.paid", Data: map[string]any{"invoice": "in_1", "cents": 1200}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deliveries:", res.Deliveries)

	for d, err := range c.AllDeliveries(ctx, "acme", client.DeliveryQuery{Event: res.ID}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(d.EventType, d.Status)
	}
	// Output:
	// secret: whsec_...
	// deliveries: 1
	// invoice.paid pending
}

func ExampleError() {
	c, err := client.New(hookdURL, client.WithAPIKey(apiKey))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.CreateTenant(context.Background(), client.TenantCreate{ID: "-no", Name: "Bad id"})
	var e *client.Error
	if errors.As(err, &e) && errors.Is(err, client.ErrInvalid) {
		fmt.Println(e.Status, e.Code)
		for _, f := range e.Fields {
			fmt.Println(f.Field)
		}
	}
	_, err = c.Tenant(context.Background(), "nobody")
	fmt.Println(errors.Is(err, client.ErrNotFound))
	// Output:
	// 422 invalid
	// id
	// true
}
