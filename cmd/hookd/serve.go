package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/api"
	"github.com/hookd/hookd/dashboard"
	"github.com/hookd/hookd/dispatch"
	"github.com/hookd/hookd/internal/buildinfo"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/internal/token"
	"github.com/hookd/hookd/listen"
	"github.com/hookd/hookd/maintenance"
	"github.com/hookd/hookd/opevents"
	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/signature"
	"github.com/hookd/hookd/svixapi"
	"github.com/hookd/hookd/tracing"
	"github.com/hookd/hookd/transform"
)

type serveCmd struct {
	Addr                     string        `default:":8080" env:"HOOKD_ADDR" help:"Address to listen on (host:port; port 0 picks a free one)."`
	Database                 string        `default:"hookd.db" env:"HOOKD_DATABASE" help:"SQLite database file (created if missing)."`
	AdminKey                 string        `secret:"true" env:"HOOKD_ADMIN_KEY" help:"An admin API key to accept (created if not stored). Without it, the first start creates one and prints it once."`
	EncryptionKey            string        `secret:"true" env:"HOOKD_ENCRYPTION_KEY" help:"32-byte base64 key that encrypts secrets at rest (openssl rand -base64 32). Default: a key file beside the database, created on first start."`
	RetrySchedule            string        `default:"1m,5m,30m,2h,6h,12h,24h" env:"HOOKD_RETRY_SCHEDULE" help:"Waits before each retry, for endpoints without their own."`
	RetryJitter              float64       `default:"0.1" env:"HOOKD_RETRY_JITTER" help:"Spread of each retry wait as a fraction, 0-0.5 (0.1: ±10%), so deliveries that failed together do not retry together. 0 for exact schedules."`
	Timeout                  time.Duration `default:"30s" env:"HOOKD_TIMEOUT" help:"Request timeout (1s-60s), for endpoints without their own."`
	TransformationTimeout    time.Duration `default:"50ms" env:"HOOKD_TRANSFORMATION_TIMEOUT" help:"Longest one run of an endpoint's transformation may take (1ms-1s); past it the run is stopped and the attempt fails."`
	AllowPrivateTargets      bool          `env:"HOOKD_ALLOW_PRIVATE_TARGETS" help:"Allow http:// and loopback/private targets. For development and tests only."`
	AllowDestinationHosts    []string      `env:"HOOKD_ALLOW_DESTINATION_HOSTS" help:"Broker hosts (as broker endpoints' URLs and brokers name them, comma-separated, e.g. mq.internal,10.0.0.7) that may be reached although they resolve to private or loopback addresses; other brokers follow the private-target rule like webhook URLs (docs/destinations.md)."`
	SignatureScheme          string        `default:"standard" enum:"standard,timestamped,body" env:"HOOKD_SIGNATURE_SCHEME" help:"Default signature scheme: standard (Standard Webhooks), timestamped (Stripe style) or body. Endpoints may override it."`
	HeaderPrefix             string        `default:"X-Hookd" env:"HOOKD_HEADER_PREFIX" help:"Prefix of hookd's own delivery headers (<prefix>-Event, -Delivery, -Attempt, -Signature)."`
	SignatureHeader          string        `env:"HOOKD_SIGNATURE_HEADER" help:"Signature header of the timestamped and body schemes (default <prefix>-Signature)."`
	SignatureLabel           string        `default:"v1" env:"HOOKD_SIGNATURE_LABEL" help:"Label of each signature in the timestamped scheme (t=...,<label>=...), e.g. v1 or s."`
	EventHeader              string        `env:"HOOKD_EVENT_HEADER" help:"Name of the event type header (default <prefix>-Event)."`
	DeliveryHeader           string        `env:"HOOKD_DELIVERY_HEADER" help:"Name of the delivery id header (default <prefix>-Delivery)."`
	AttemptHeader            string        `env:"HOOKD_ATTEMPT_HEADER" help:"Name of the attempt number header (default <prefix>-Attempt)."`
	AllowSecretReveal        bool          `env:"HOOKD_ALLOW_SECRET_REVEAL" help:"Let admin keys read an endpoint's current signing secret (GET .../secret)."`
	PublicURL                string        `env:"HOOKD_PUBLIC_URL" help:"URL users reach this server at, e.g. https://hooks.example.com: the base of portal links and, when https, of Secure dashboard cookies. Default: the scheme and host of each request."`
	BrandName                string        `env:"HOOKD_BRAND_NAME" help:"Your product's name on the dashboard and customer portal, in place of hookd (page titles, header, sign-in)."`
	BrandLogoURL             string        `env:"HOOKD_BRAND_LOGO_URL" help:"An https URL of the logo shown in the dashboard's header (and its favicon unless --brand-favicon-file)."`
	BrandLogoFile            string        `env:"HOOKD_BRAND_LOGO_FILE" help:"A logo image file (PNG, JPEG, GIF, WebP, ICO or SVG; at most 512 KiB), read at start and served by the dashboard itself."`
	BrandFaviconFile         string        `env:"HOOKD_BRAND_FAVICON_FILE" help:"A favicon image file. Default: the logo."`
	BrandColor               string        `env:"HOOKD_BRAND_COLOR" help:"Accent colour of the dashboard, e.g. #7b1fa2 (text on it is black or white, whichever contrasts more)."`
	FrameAncestors           string        `env:"HOOKD_FRAME_ANCESTORS" help:"Who may embed the dashboard in a frame (CSP frame-ancestors sources), e.g. https://app.example.com. Default: hookd itself only. The session cookie is SameSite=Lax, so embedding works only from the same site."`
	OperationalWebhookURL    string        `env:"HOOKD_OPERATIONAL_WEBHOOK_URL" help:"URL that receives hookd's operational events (endpoint.disabled, endpoint.enabled, delivery.failed), signed like any delivery."`
	OperationalWebhookSecret string        `secret:"true" env:"HOOKD_OPERATIONAL_WEBHOOK_SECRET" help:"Signing secret (whsec_...) of the operational webhook."`
	Retention                string        `default:"30d" env:"HOOKD_RETENTION" help:"How long delivered and failed deliveries, their attempts and events are kept (e.g. 30d, 72h; 0 keeps everything). Idempotency keys are remembered as long."`
	Workers                  int           `default:"256" env:"HOOKD_WORKERS" help:"Delivery requests in flight at once in this process."`
	TenantMaxInFlight        int           `env:"HOOKD_TENANT_MAX_IN_FLIGHT" help:"Most delivery requests of one tenant in flight at once, across every node, for tenants without their own max_in_flight. Default: half of --workers, so one tenant whose receivers never answer leaves the other half to everyone else."`
	MaxEndpointInFlight      int           `env:"HOOKD_MAX_ENDPOINT_IN_FLIGHT" help:"Largest max_in_flight an endpoint may set (1-1000). Default: a quarter of --workers."`
	NoWorkers                bool          `env:"HOOKD_NO_WORKERS" help:"Serve the API only; deliveries are left to other nodes (hookd worker or serve) on the same PostgreSQL database."`
	MaxPayloadSize           int64         `default:"1048576" env:"HOOKD_MAX_PAYLOAD_SIZE" help:"Largest event payload, in bytes."`
	MaxEndpointsPerTenant    int           `default:"100" env:"HOOKD_MAX_ENDPOINTS_PER_TENANT" help:"Most endpoints one tenant may have."`
	ShutdownTimeout          time.Duration `default:"30s" env:"HOOKD_SHUTDOWN_TIMEOUT" help:"On SIGTERM or SIGINT, how long to let in-flight deliveries finish (requests get at most 10s). The process exits 15s after it at the latest, whatever is still running (exit status 1; 0 after a clean stop); a second signal ends it at once."`
	DBTimeout                time.Duration `default:"5s" env:"HOOKD_DB_TIMEOUT" help:"Longest a database call may take (a query, or a transaction as a whole; maintenance batches and deleting a tenant or endpoint get 12 times as long). Beyond it the call fails: the API answers 503, deliveries are retried."`
	LeaseGrace               time.Duration `default:"30s" env:"HOOKD_LEASE_GRACE" help:"How long past its endpoint's timeout a claimed delivery stays leased to its node. On PostgreSQL, a killed node's in-flight deliveries go to other nodes after timeout plus this."`
	LogFormat                string        `default:"text" enum:"text,json" env:"HOOKD_LOG_FORMAT" help:"Log format: text or json."`
	LogLevel                 string        `default:"info" enum:"debug,info,warn,error" env:"HOOKD_LOG_LEVEL" help:"Lowest log level written."`
	OtelEndpoint             string        `env:"OTEL_EXPORTER_OTLP_ENDPOINT" help:"Export traces (a span per publish, claim and delivery attempt) over OTLP/HTTP to this base URL, e.g. http://otel-collector:4318 (spans go to its /v1/traces). Off by default."`
	PropagateTrace           bool          `env:"HOOKD_PROPAGATE_TRACE" help:"Send each delivery attempt's W3C trace context (traceparent) to the receiver. Needs --otel-endpoint."`
	PprofAddr                string        `env:"HOOKD_PPROF_ADDR" help:"Serve Go runtime profiles (/debug/pprof/) on this address, e.g. 127.0.0.1:6060. Off by default; keep it on loopback."`
	ProxyURL                 string        `secret:"true" env:"HOOKD_PROXY_URL" help:"HTTP CONNECT proxy deliveries leave through (fixed egress addresses), e.g. http://user:pass@proxy.internal:3128; endpoints may name their own (proxy_url). It may be a private address; the destination's addresses are checked before each CONNECT, and the proxy should enforce the same rule (docs/endpoint-auth.md)."`

	// workerOnly serves only health, readiness and metrics (hookd worker).
	workerOnly bool
}

// settings are the flags' values parsed and checked.
type settings struct {
	schedule            hookd.Schedule
	names               dispatch.HeaderNames
	signer              signature.Signer
	tenantInFlight      int
	maxEndpointInFlight int
	retention           time.Duration
	brand               dashboard.Brand
	proxy               *url.URL // --proxy-url; nil: none
}

// Validate checks every value before anything starts (kong calls it after
// parsing, so a bad flag, variable or --config key exits with status 2).
func (c *serveCmd) Validate() error {
	_, err := c.settings()
	return err
}

func (c *serveCmd) settings() (settings, error) {
	var s settings
	var err error
	if s.schedule, err = hookd.ParseSchedule(c.RetrySchedule); err != nil {
		return s, fmt.Errorf("--retry-schedule: %w", err)
	}
	if c.LeaseGrace < time.Second {
		// The grace covers recording a result after its request timed out.
		return s, fmt.Errorf("--lease-grace must be at least 1s, got %s", c.LeaseGrace)
	}
	if c.DBTimeout < 100*time.Millisecond {
		return s, fmt.Errorf("--db-timeout must be at least 100ms, got %s", c.DBTimeout)
	}
	if c.RetryJitter < 0 || c.RetryJitter > 0.5 {
		return s, fmt.Errorf("--retry-jitter must be between 0 and 0.5, got %g", c.RetryJitter)
	}
	if c.Timeout < hookd.MinTimeout || c.Timeout > hookd.MaxTimeout {
		return s, fmt.Errorf("--timeout must be between 1s and 60s, got %s", c.Timeout)
	}
	if c.TransformationTimeout < time.Millisecond || c.TransformationTimeout > time.Second {
		return s, fmt.Errorf("--transformation-timeout must be between 1ms and 1s, got %s", c.TransformationTimeout)
	}
	if c.AdminKey != "" && len(c.AdminKey) < 16 {
		return s, errors.New("--admin-key must be at least 16 characters")
	}
	if c.EncryptionKey != "" {
		if _, err := secretbox.ParseKey(c.EncryptionKey); err != nil {
			return s, fmt.Errorf("--encryption-key: %w", err)
		}
	}
	if s.names, s.signer, err = c.wireFormat(); err != nil {
		return s, err
	}
	if s.tenantInFlight, s.maxEndpointInFlight, err = c.inFlightLimits(); err != nil {
		return s, err
	}
	if s.retention, err = parseRetention(c.Retention); err != nil {
		return s, err
	}
	if s.brand, err = dashboard.LoadBrand(c.BrandName, c.BrandLogoURL, c.BrandLogoFile, c.BrandFaviconFile, c.BrandColor); err != nil {
		return s, err
	}
	if err := checkDestinationHosts(c.AllowDestinationHosts); err != nil {
		return s, err
	}
	if c.ProxyURL != "" {
		var v hookd.Validation
		hookd.CheckProxyURL(&v, "--proxy-url", c.ProxyURL, true) // the operator's own: may be private
		if err := v.Err(); err != nil {
			return s, err
		}
		s.proxy, _ = url.Parse(c.ProxyURL)
	}
	return s, nil
}

func (c *serveCmd) Run() error {
	logger := c.logger()
	set, err := c.settings()
	if err != nil {
		return err
	}
	schedule, names, signer := set.schedule, set.names, set.signer
	tenantInFlight, maxEndpointInFlight := set.tenantInFlight, set.maxEndpointInFlight
	if c.AllowPrivateTargets {
		logger.Warn("--allow-private-targets is on: endpoints may use http:// and reach loopback and private addresses; never use this in production")
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if c.OtelEndpoint != "" {
		stopTracing, err := tracing.Start(ctx, tracing.Config{Endpoint: c.OtelEndpoint, Version: buildinfo.Get().Version, Logger: logger})
		if err != nil {
			return err
		}
		defer func() { // flush what is batched, briefly: an unreachable collector must not hold the exit
			flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = stopTracing(flushCtx)
		}()
	} else if c.PropagateTrace {
		return errors.New("--propagate-trace needs --otel-endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT)")
	}

	box, err := c.secretBox(logger)
	if err != nil {
		return err
	}
	store, obs, err := c.openStore(ctx, box, opevents.ForURL(c.OperationalWebhookURL))
	if err != nil {
		return err
	}
	defer store.Close()
	if rd, ok := store.(hookd.Readier); ok {
		if err := rd.Ready(ctx); err != nil {
			// E.g. a full disk: serve what can be served, /readyz says why not all.
			logger.Warn("starting while the database is not ready", "err", err)
		}
	}
	if err := c.bootstrapAdminKey(ctx, store); err != nil {
		return err
	}
	// Listen sessions end with the process; a killed one leaves its
	// temporary endpoints behind. Only a SQLite node knows they are all
	// stale (it owns the file); nodes sharing PostgreSQL cannot tell
	// another node's live sessions from dead ones (docs/scaling.md).
	if !postgres.IsURL(c.Database) {
		if n, err := store.DeleteEndpointsByURLPrefix(ctx, listen.Scheme+"://"); err != nil {
			return err
		} else if n > 0 {
			logger.Info("removed endpoints of listen sessions that ended with the previous run", "endpoints", n)
		}
	}

	if err := opevents.Setup(ctx, store, c.OperationalWebhookURL, c.OperationalWebhookSecret, c.AllowPrivateTargets); err != nil {
		return fmt.Errorf("operational webhook: %w", err)
	}

	hub := listen.NewHub(names.Delivery)
	brokers := newPublishers(c.AllowPrivateTargets, c.AllowDestinationHosts)
	defer func() {
		if err := brokers.Close(); err != nil {
			logger.Warn("closing broker connections", "err", err)
		}
	}()
	transform.Timeout = c.TransformationTimeout
	dispatcher := dispatch.New(store, dispatch.Config{
		Workers:         c.Workers,
		TenantInFlight:  tenantInFlight,
		Schedule:        schedule,
		Jitter:          c.RetryJitter,
		Timeout:         c.Timeout,
		ShutdownTimeout: c.ShutdownTimeout,
		LeaseGrace:      c.LeaseGrace,
		AllowPrivate:    c.AllowPrivateTargets,
		Signer:          signer,
		Headers:         names,
		Logger:          logger,
		Protocols:       map[string]http.RoundTripper{listen.Scheme: hub},
		PropagateTrace:  c.PropagateTrace,
		ProxyURL:        set.proxy,
		Publishers:      brokers,
	})
	runner := maintenance.New(store, dispatcher, maintenance.Config{Retention: set.retention, Logger: logger})
	server := api.New(store, dispatcher, api.Config{
		AllowPrivateTargets:    c.AllowPrivateTargets,
		MaxPayloadBytes:        c.MaxPayloadSize,
		MaxEndpointsPerTenant:  c.MaxEndpointsPerTenant,
		MaxEndpointInFlight:    maxEndpointInFlight,
		TenantMaxInFlight:      tenantInFlight,
		ReservedHeaderPrefixes: reservedHeaderPrefixes(names, signer),
		DefaultSchedule:        schedule,
		DefaultTimeout:         c.Timeout,
		SignatureScheme:        signer.Scheme,
		AllowSecretReveal:      c.AllowSecretReveal,
		ListenHub:              c.listenHub(hub),
		Metrics:                obs.Handler(),
		PortalKey:              box.DeriveKey(token.PortalKeyLabel),
		PublicURL:              c.PublicURL,
		Maintenance:            runner,
	}, logger)
	dash, err := dashboard.New(store, dispatcher, dashboard.Config{
		API:            server.Config(),
		SessionKey:     box.DeriveKey(token.SessionKeyLabel),
		FrameAncestors: c.FrameAncestors,
		Brand:          set.brand,
	}, logger)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	ln = api.ProblemListener(ln) // Go's own refusals (431, 400) as problem+json
	httpServer := &http.Server{
		Handler:           api.RequestLog(obs.Instrument(dash.Mount(svixapi.New(server, store, dispatcher, logger).Mount(server))), logger),
		MaxHeaderBytes:    api.MaxHeaderBytes,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if c.PprofAddr != "" {
		stopPprof, err := startPprof(c.PprofAddr, logger)
		if err != nil {
			return err
		}
		defer stopPprof()
	}
	// Listen streams never end by themselves; shutting down ends them.
	httpServer.RegisterOnShutdown(hub.Shutdown)
	if c.workerOnly {
		httpServer.Handler = api.RequestLog(obs.Instrument(server.Ops()), logger)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpServer.Serve(ln) }()
	dispatched := make(chan error, 1)
	go func() {
		if c.NoWorkers {
			// An API-only node: other nodes deliver. It listens all the
			// same, since its API key cache serves only while it hears of
			// other nodes' key changes (postgres.DB.APIKeyByHash); the
			// wake-ups themselves are not its business.
			if w, ok := store.(hookd.Waker); ok {
				for range w.Wakeups(ctx) {
				}
			}
			dispatched <- nil
			return
		}
		dispatched <- dispatcher.Run(ctx)
	}()
	go runner.Run(ctx)
	logger.Info("hookd started", "addr", ln.Addr().String(), "database", redactDatabase(c.Database), "version", buildinfo.Get().Version, "commit", buildinfo.Get().Commit)

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stop()
		return fmt.Errorf("serve: %w", err)
	}
	stop() // from now on a second SIGINT or SIGTERM ends the process at once
	// Whatever a request or the store is doing, the process ends: a stuck
	// handler or database call must not keep it alive (exit status 1).
	forced := time.AfterFunc(c.ShutdownTimeout+shutdownGrace, func() {
		logger.Error("shutdown did not finish in time; exiting", "after", c.ShutdownTimeout+shutdownGrace)
		os.Exit(1)
	})
	defer forced.Stop()
	logger.Info("shutting down: finishing in-flight deliveries", "timeout", c.ShutdownTimeout)
	// Requests get up to 10 s (at most the shutdown timeout) to finish; then
	// their connections are closed.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), min(10*time.Second, c.ShutdownTimeout))
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			logger.Warn("http shutdown", "err", err)
		}
		_ = httpServer.Close()
	}
	if err := <-dispatched; err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// shutdownGrace is how long past --shutdown-timeout the process may take to
// stop: the dispatcher records the results of the last attempts (up to 10 s)
// and closes the store.
const shutdownGrace = 15 * time.Second

// parseRetention reads a duration that may also be whole days ("30d").
func parseRetention(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n >= 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("--retention %q must be a duration such as 30d, 72h or 0", s)
	}
	return d, nil
}

// listenHub is the hub hookd listen sessions attach to: only nodes that
// deliver can carry their deliveries.
func (c *serveCmd) listenHub(hub *listen.Hub) *listen.Hub {
	if c.NoWorkers {
		return nil
	}
	return hub
}

func (c *serveCmd) logger() *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: durationText}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// durationText writes durations as Go duration strings ("1.5s"): the JSON
// handler would print nanoseconds.
func durationText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}

// secretBox loads the encryption key: from configuration, or from a key file
// beside the SQLite database, created on first start. PostgreSQL nodes share
// one database, so they must be given the key.
func (c *serveCmd) secretBox(logger *slog.Logger) (*secretbox.Box, error) {
	if c.EncryptionKey != "" {
		key, err := secretbox.ParseKey(c.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("--encryption-key: %w", err)
		}
		return secretbox.New(key)
	}
	if postgres.IsURL(c.Database) {
		return nil, errSharedKey
	}
	path := c.Database + ".key"
	key, created, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, err
	}
	if created {
		logger.Warn("no --encryption-key given: generated a key file; back it up with the database, since without it stored secrets cannot be read", "path", path)
	}
	return secretbox.New(key)
}

// bootstrapAdminKey makes sure someone can log in: the configured admin key
// is stored if it is not yet, and a store without any key gets a new admin
// key, printed once.
func (c *serveCmd) bootstrapAdminKey(ctx context.Context, store hookd.Store) error {
	if c.AdminKey != "" {
		_, err := store.APIKeyByHash(ctx, service.HashKey(c.AdminKey))
		if hookd.ErrorCode(err) != hookd.ENOTFOUND {
			return err
		}
		return store.CreateAPIKey(ctx, &hookd.APIKey{Name: "admin (from --admin-key)", Role: hookd.RoleAdmin,
			Prefix: service.DisplayPrefix(c.AdminKey), Hash: service.HashKey(c.AdminKey)})
	}
	n, err := store.CountAPIKeys(ctx)
	if err != nil || n > 0 {
		return err
	}
	key, hash := service.NewKey()
	if err := store.CreateAPIKey(ctx, &hookd.APIKey{Name: "admin (first start)", Role: hookd.RoleAdmin,
		Prefix: service.DisplayPrefix(key), Hash: hash}); err != nil {
		return err
	}
	fmt.Printf("\nCreated an admin API key. It is shown this once; store it now:\n\n    %s\n\n", key)
	return nil
}

// wireFormat reads the header names and signature settings.
func (c *serveCmd) wireFormat() (dispatch.HeaderNames, signature.Signer, error) {
	names := dispatch.DefaultHeaderNames(c.HeaderPrefix)
	signer := signature.Signer{Header: c.HeaderPrefix + "-Signature", Label: c.SignatureLabel}
	scheme, err := signature.ParseScheme(c.SignatureScheme)
	if err != nil {
		return names, signer, fmt.Errorf("--signature-scheme: %w", err)
	}
	signer.Scheme = scheme
	for _, h := range []struct {
		flag  string
		value string
		dst   *string
	}{
		{"--header-prefix", c.HeaderPrefix, nil},
		{"--signature-header", c.SignatureHeader, &signer.Header},
		{"--event-header", c.EventHeader, &names.Event},
		{"--delivery-header", c.DeliveryHeader, &names.Delivery},
		{"--attempt-header", c.AttemptHeader, &names.Attempt},
	} {
		if h.value == "" && h.dst != nil {
			continue
		}
		if !validHeaderName(h.value) {
			return names, signer, fmt.Errorf("%s %q must be a header name such as X-Acme-Signature", h.flag, h.value)
		}
		if h.dst != nil {
			*h.dst = h.value
		}
	}
	if !validHeaderName(c.SignatureLabel) || strings.ContainsAny(c.SignatureLabel, "=,") {
		return names, signer, fmt.Errorf("--signature-label %q must be a short token such as v1 or s", c.SignatureLabel)
	}
	return names, signer, nil
}

// reservedHeaderPrefixes are the header names custom endpoint headers must
// not use, because hookd sets them itself.
func reservedHeaderPrefixes(names dispatch.HeaderNames, signer signature.Signer) []string {
	out := []string{"webhook-"}
	for _, h := range []string{names.Event, names.Delivery, names.Attempt, signer.Header} {
		out = append(out, strings.ToLower(h))
	}
	return out
}

func validHeaderName(p string) bool {
	if p == "" || len(p) > 64 {
		return false
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
