// Package tracing wires OpenTelemetry's SDK: spans exported over OTLP/HTTP
// when an endpoint is configured, W3C trace context propagation. The rest of
// hookd uses only the otel API (otel.Tracer, the global propagator); when
// tracing is off those are otel's no-ops, which record nothing and cost a
// function call.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Config says where spans go.
type Config struct {
	// Endpoint is the OTLP/HTTP base URL (as OTEL_EXPORTER_OTLP_ENDPOINT:
	// traces go to its /v1/traces), e.g. http://otel-collector:4318.
	Endpoint string
	Version  string // service.version
	Logger   *slog.Logger
}

// Start installs the SDK as otel's global tracer provider and returns a
// function that flushes and stops it. An exporter that cannot reach its
// endpoint never slows the caller: spans are batched and exported in the
// background (a full queue drops spans), and export errors are logged once,
// then at most once a minute with the count in between.
func Start(ctx context.Context, cfg Config) (stop func(context.Context) error, err error) {
	if !strings.HasPrefix(cfg.Endpoint, "http://") && !strings.HasPrefix(cfg.Endpoint, "https://") {
		return nil, fmt.Errorf("--otel-endpoint %q must be an http:// or https:// URL", cfg.Endpoint)
	}
	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(strings.TrimSuffix(cfg.Endpoint, "/")+"/v1/traces"),
		otlptracehttp.WithTimeout(10*time.Second),
		// Give up on a batch within 15 s, so the first failure is logged soon
		// and the exporter is back to newer spans.
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true, InitialInterval: time.Second,
			MaxInterval: 5 * time.Second, MaxElapsedTime: 15 * time.Second}))
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "hookd"), attribute.String("service.version", cfg.Version))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetErrorHandler(&limitedLog{logger: cfg.Logger, every: time.Minute})
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return tp.Shutdown, nil
}

// limitedLog logs otel's errors (failed exports): the first at once, then
// at most one line per interval saying how many came in between.
type limitedLog struct {
	logger     *slog.Logger
	every      time.Duration
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (l *limitedLog) Handle(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.suppressed++
		return
	}
	l.logger.Warn("tracing: exporting spans failed; deliveries are unaffected", "err", err, "errors_since_last_report", l.suppressed)
	l.last, l.suppressed = now, 0
}
