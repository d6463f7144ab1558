package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hookd/hookd/client"
	"github.com/hookd/hookd/internal/buildinfo"
	"github.com/hookd/hookd/signature"
)

type listenCmd struct {
	Server    string        `default:"http://localhost:8080" env:"HOOKD_SERVER" help:"The hookd server to connect to."`
	Key       string        `required:"" env:"HOOKD_KEY" help:"A CLI token from the dashboard's Develop locally page, or an admin API key (of the tenant, or deployment-wide)."`
	ForwardTo string        `required:"" help:"Local URL to forward deliveries to, e.g. http://localhost:3000/webhooks."`
	Tenant    string        `help:"Tenant to listen for (default: the key's own tenant)."`
	Events    []string      `help:"Event types to receive, comma-separated (default: all)."`
	Secret    string        `env:"HOOKD_LISTEN_SECRET" help:"Signing secret to sign with (default: one kept in your user config directory, the same on every run)."`
	Timeout   time.Duration `default:"30s" help:"How long the local receiver may take to answer."`
	Live      bool          `help:"Also receive the tenant's real (published) events. Without it only hookd trigger and \"Send test event\" reach this session."`
	// RetryFailed replays a delivery the local receiver failed at once,
	// rather than at the retry schedule's next step.
	RetryFailed bool `help:"When the local receiver fails a delivery (an error, or a status other than 2xx), have the server send it again at once, up to 3 times in a row."`
}

// maxLocalRetries bounds --retry-failed's replays of one delivery, so a
// receiver that always fails does not loop.
const maxLocalRetries = 3

func (c *listenCmd) Help() string {
	return "Opens a local session for the tenant on the server (a temporary endpoint, shown apart from the tenant's endpoints " +
		"and not counted toward its limit), receives its deliveries over this connection (no public URL, no tunnel), forwards " +
		"each to --forward-to with the real headers and signature, and reports the local answer back to the delivery log. " +
		"The session gets only the events sent to it with hookd trigger or \"Send test event\", unless --live. It is " +
		"removed when this command exits.\n\nThe dashboard's Develop locally page mints a CLI token (24 hours, revocable) " +
		"and shows the exact command line."
}

// listener is one running `hookd listen`.
type listener struct {
	cmd    *listenCmd
	api    *client.Client // the server's API
	local  *http.Client   // requests to the developer's receiver
	tenant string
	secret string
	out    io.Writer

	mu      sync.Mutex
	retries map[string]int // --retry-failed: replays so far, by delivery id
}

func (c *listenCmd) Run() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if _, err := url.ParseRequestURI(c.ForwardTo); err != nil || !strings.HasPrefix(c.ForwardTo, "http") {
		return &exitCodeError{exitBadInput, fmt.Errorf("--forward-to %q must be an http(s) URL", c.ForwardTo)}
	}
	// No client timeout: the stream is long-lived; reports have their own.
	api, err := client.New(c.Server, client.WithAPIKey(c.Key), client.WithHTTPClient(&http.Client{}),
		client.WithUserAgent(buildinfo.UserAgent()))
	if err != nil {
		return &exitCodeError{exitBadInput, fmt.Errorf("--server: %w", err)}
	}
	l := &listener{
		cmd:     c,
		api:     api,
		local:   &http.Client{Timeout: c.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		out:     os.Stdout,
		retries: map[string]int{},
	}
	if l.secret, err = c.stableSecret(); err != nil {
		return err
	}
	if l.tenant, err = resolveTenant(ctx, api, c.Tenant); err != nil {
		return err
	}
	return l.run(ctx)
}

// run keeps a stream open, reconnecting after the server restarts.
func (l *listener) run(ctx context.Context) error {
	backoff := time.Second
	for {
		connected, err := l.stream(ctx)
		if ctx.Err() != nil {
			fmt.Fprintln(l.out, "Stopped; the temporary endpoint is removed.")
			return nil
		}
		var coded *exitCodeError
		if errors.As(err, &coded) {
			return err
		}
		if connected {
			backoff = time.Second
		}
		fmt.Fprintf(l.out, "Connection lost (%v); reconnecting in %s...\n", err, backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// stream holds one listen connection until it ends; connected reports
// whether the server accepted it.
func (l *listener) stream(ctx context.Context) (connected bool, err error) {
	s, err := l.api.Listen(ctx, l.tenant, client.ListenInput{EventTypes: l.cmd.Events, Secret: l.secret, Name: "hookd listen (" + hostname() + ")", Live: l.cmd.Live})
	if err != nil {
		var refused *client.Error
		if errors.As(err, &refused) {
			err = fmt.Errorf("the server refused to listen: %s", problemText(refused))
			if refused.Status < 500 && refused.Status != http.StatusTooManyRequests {
				return false, &exitCodeError{1, err}
			}
		}
		return false, err // a restart or a proxy in between: try again
	}
	defer s.Close()
	endpoint := ""
	for {
		ev, err := s.Next()
		if err != nil {
			return true, err
		}
		switch {
		case ev.Ready != nil:
			endpoint = ev.Ready.EndpointID
			fmt.Fprintf(l.out, "Ready. Forwarding %s deliveries for tenant %s to %s\nSession: %s\nSigning secret: %s\n(the same on every run; verify with it in your receiver)\n",
				eventsLabel(ev.Ready.EventTypes), l.tenant, l.cmd.ForwardTo, endpoint, ev.Ready.SigningSecret)
			if !ev.Ready.Live {
				fmt.Fprintln(l.out, "Only events sent to this session reach it (--live for the tenant's real events too):")
			}
			fmt.Fprintf(l.out, "  hookd trigger <event-type> --tenant %s --session %s\n\n", l.tenant, endpoint)
		case ev.Delivery != nil:
			go l.forward(ctx, endpoint, ev.Delivery)
		}
	}
}

// forward sends one delivery to the local receiver and reports its answer.
func (l *listener) forward(ctx context.Context, endpoint string, dr *client.ListenDelivery) {
	res := client.ListenResult{Token: dr.Token}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.cmd.ForwardTo, strings.NewReader(dr.Body))
	if err == nil {
		for k, v := range dr.Headers {
			req.Header.Set(k, v)
		}
		var resp *http.Response
		if resp, err = l.local.Do(req); err == nil {
			excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			res.StatusCode, res.Body = resp.StatusCode, string(excerpt)
		}
	}
	outcome := ""
	if err != nil {
		res.Error = err.Error()
		outcome = "error: " + res.Error
	} else {
		outcome = fmt.Sprintf("%d %s", res.StatusCode, http.StatusText(res.StatusCode))
	}
	fmt.Fprintf(l.out, "%s  %-24s %s  attempt %s  -> %s (%d ms)\n", time.Now().Format("15:04:05"),
		header(dr.Headers, "X-Hookd-Event"), header(dr.Headers, "Webhook-Id"), header(dr.Headers, "X-Hookd-Attempt"),
		outcome, time.Since(start).Milliseconds())
	// The stream has no timeout (it is long-lived); reporting a result does.
	reportCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_ = l.api.ReportListenResult(reportCtx, l.tenant, dr.Session, res) // a lost report: the attempt times out server-side
	if l.cmd.RetryFailed && dr.Delivery != "" {
		l.retryFailed(reportCtx, endpoint, dr.Delivery, err == nil && res.StatusCode/100 == 2)
	}
}

// retryFailed has a delivery the local receiver failed sent again at once,
// at most maxLocalRetries times in a row; a success resets its count.
func (l *listener) retryFailed(ctx context.Context, endpoint, delivery string, ok bool) {
	l.mu.Lock()
	n := l.retries[delivery]
	if ok || n >= maxLocalRetries {
		delete(l.retries, delivery)
	} else {
		l.retries[delivery] = n + 1
	}
	l.mu.Unlock()
	if ok {
		return
	}
	if n >= maxLocalRetries {
		fmt.Fprintf(l.out, "%s failed %d times in a row here; left to the retry schedule\n", delivery, n+1)
		return
	}
	// The server records the failed attempt just after our report; until
	// then the delivery is in flight and a replay is refused with 409.
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		_, err := l.api.ReplayLocal(ctx, l.tenant, endpoint, delivery)
		var refused *client.Error
		switch {
		case err == nil:
			fmt.Fprintf(l.out, "retrying %s now (%d of %d)\n", delivery, n+1, maxLocalRetries)
			return
		case errors.As(err, &refused) && refused.Status == http.StatusConflict:
		case errors.As(err, &refused):
			fmt.Fprintf(l.out, "could not retry %s: %s\n", delivery, problemText(refused))
			return
		default:
			fmt.Fprintf(l.out, "could not retry %s: %v\n", delivery, err)
			return
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			fmt.Fprintf(l.out, "could not retry %s: it stayed in flight\n", delivery)
			return
		}
	}
}

func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return "-"
}

// resolveTenant uses --tenant, or the only tenant the key can see.
func resolveTenant(ctx context.Context, api *client.Client, tenant string) (string, error) {
	if tenant != "" {
		return tenant, nil
	}
	page, err := api.ListTenants(ctx, client.ListOptions{Limit: 2})
	var refused *client.Error
	switch {
	case errors.As(err, &refused) && refused.Status == http.StatusForbidden:
		return "", &exitCodeError{exitBadInput, errors.New("this key cannot list tenants (a CLI token): pass --tenant")}
	case errors.As(err, &refused):
		return "", fmt.Errorf("list tenants: %s", problemText(refused))
	case err != nil:
		return "", fmt.Errorf("reach the server: %w", err)
	}
	if len(page.Data) != 1 {
		return "", &exitCodeError{exitBadInput, errors.New("this key sees several tenants (or none): pass --tenant")}
	}
	return page.Data[0].ID, nil
}

// stableSecret returns --secret, or the one kept in the user config
// directory (created on first use), so the receiver's configuration does not
// change between runs.
func (c *listenCmd) stableSecret() (string, error) {
	if c.Secret != "" {
		if err := signature.ValidateSecret(c.Secret); err != nil {
			return "", &exitCodeError{exitBadInput, fmt.Errorf("--secret: %w", err)}
		}
		return c.Secret, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find a config directory for the listen secret (or pass --secret): %w", err)
	}
	path := filepath.Join(dir, "hookd", "listen-secret")
	if b, err := os.ReadFile(path); err == nil {
		secret := strings.TrimSpace(string(b))
		if signature.ValidateSecret(secret) == nil {
			return secret, nil
		}
	}
	secret, err := signature.NewSecret()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("save the listen secret: %w", err)
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save the listen secret: %w", err)
	}
	return secret, nil
}

// problemText is a refusal as the command prints it: "404: no such tenant".
func problemText(e *client.Error) string {
	return fmt.Sprintf("%d: %s", e.Status, e.Detail)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown host"
	}
	return h
}

func eventsLabel(types []string) string {
	if len(types) == 1 && types[0] == "*" {
		return "all"
	}
	return strings.Join(types, ", ")
}
