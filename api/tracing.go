package api

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

var tracer = otel.Tracer("github.com/hookd/hookd/api")

// startPublish starts the span of a publish request, continuing the
// publisher's trace when the request carries a traceparent, and returns the
// span's W3C trace context for the events to keep ("" when tracing is off:
// otel's default propagator and tracer are no-ops).
func startPublish(r *http.Request) (context.Context, trace.Span, string) {
	ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := tracer.Start(ctx, "hookd.publish", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("hookd.tenant", r.PathValue("tenant"))))
	if !span.SpanContext().IsSampled() {
		return ctx, span, ""
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	return ctx, span, carrier.Get("traceparent")
}

// endSpan records err on span and ends it.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
