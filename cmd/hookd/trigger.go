package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hookd/hookd/client"
	"github.com/hookd/hookd/internal/buildinfo"
)

type triggerCmd struct {
	EventType string `arg:"" name:"event-type" help:"The event type to send (one of the catalogue's)."`
	Data      string `placeholder:"JSON|@FILE" help:"The event's data: JSON, or @file to read it from a file (default: the type's example)."`
	Server    string `default:"http://localhost:8080" env:"HOOKD_SERVER" help:"The hookd server to connect to."`
	Key       string `required:"" env:"HOOKD_KEY" help:"The CLI token (or admin API key) hookd listen runs with."`
	Tenant    string `help:"Tenant of the session (default: the key's own tenant)."`
	Session   string `help:"The local session to send to, as hookd listen prints it (default: the tenant's only one)."`
}

func (c *triggerCmd) Help() string {
	return "Sends a test event to one hookd listen session only: nobody else's endpoint receives it. It is signed, " +
		"delivered and logged like any delivery, marked as a test."
}

// maxDataFile bounds what --data @file reads; the server has its own limit.
const maxDataFile = 16 << 20

func (c *triggerCmd) Run() error {
	data, err := c.data()
	if err != nil {
		return &exitCodeError{exitBadInput, fmt.Errorf("--data: %w", err)}
	}
	api, err := client.New(c.Server, client.WithAPIKey(c.Key), client.WithUserAgent(buildinfo.UserAgent()))
	if err != nil {
		return &exitCodeError{exitBadInput, fmt.Errorf("--server: %w", err)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tenant, err := resolveTenant(ctx, api, c.Tenant)
	if err != nil {
		return err
	}
	session := c.Session
	if session == "" {
		if session, err = onlySession(ctx, api, tenant); err != nil {
			return err
		}
	}
	d, err := api.Trigger(ctx, tenant, session, client.TriggerInput{Type: c.EventType, Data: data})
	var refused *client.Error
	if errors.As(err, &refused) {
		return fmt.Errorf("the server refused: %s", problemText(refused))
	}
	if err != nil {
		return fmt.Errorf("reach the server: %w", err)
	}
	fmt.Printf("Sent %s to session %s: delivery %s\n", c.EventType, session, d.ID)
	return nil
}

// data reads --data: nil for the type's example.
func (c *triggerCmd) data() (json.RawMessage, error) {
	if c.Data == "" {
		return nil, nil
	}
	b := []byte(c.Data)
	if name, ok := strings.CutPrefix(c.Data, "@"); ok {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if b, err = io.ReadAll(io.LimitReader(f, maxDataFile+1)); err != nil {
			return nil, err
		}
		if len(b) > maxDataFile {
			return nil, fmt.Errorf("%s is larger than %d MiB", name, maxDataFile>>20)
		}
	}
	if !json.Valid(b) {
		return nil, errors.New("is not valid JSON")
	}
	return b, nil
}

// onlySession picks the tenant's one local session.
func onlySession(ctx context.Context, api *client.Client, tenant string) (string, error) {
	sessions, err := api.LocalSessions(ctx, tenant)
	var refused *client.Error
	switch {
	case errors.As(err, &refused):
		return "", fmt.Errorf("list local sessions: %s", problemText(refused))
	case err != nil:
		return "", fmt.Errorf("reach the server: %w", err)
	case len(sessions) == 0:
		return "", &exitCodeError{exitBadInput, fmt.Errorf("tenant %s has no hookd listen session; start one first", tenant)}
	case len(sessions) > 1:
		ids := make([]string, len(sessions))
		for i, s := range sessions {
			ids[i] = s.ID + " (" + s.Name + ")"
		}
		return "", &exitCodeError{exitBadInput, fmt.Errorf("tenant %s has several hookd listen sessions; pass --session, one of: %s", tenant, strings.Join(ids, ", "))}
	}
	return sessions[0].ID, nil
}
