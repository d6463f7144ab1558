package dispatch

import (
	"context"
	"strconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookd/hookd"
)

// Spans of claims and attempts, through the otel API: no-ops unless the
// process installed an SDK (package tracing).
var tracer = otel.Tracer("github.com/hookd/hookd/dispatch")

// startAttempt starts an attempt's span in the trace of the event's publish
// (the context the event kept, Job.TraceParent), linked to the claim that
// leased it; a delivery handed off at publish has no claim (invalid claim)
// and says so instead. Without a stored context it starts a trace of its own.
func startAttempt(ctx context.Context, job *hookd.Job, claim trace.SpanContext) (context.Context, trace.Span) {
	if job.TraceParent != "" {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": job.TraceParent})
	}
	ctx, span := tracer.Start(ctx, "hookd.attempt", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithLinks(trace.Link{SpanContext: claim}))
	if span.IsRecording() { // tracing off: no attributes built
		span.SetAttributes(attribute.String("hookd.delivery_id", job.DeliveryID), attribute.String("hookd.event_id", job.EventID),
			attribute.String("hookd.endpoint_id", job.EndpointID), attribute.Int("hookd.attempt", job.Attempt),
			attribute.Bool("hookd.handed_off", !claim.IsValid()))
	}
	return ctx, span
}

// endAttempt records the attempt's answer on its span and ends it.
func endAttempt(span trace.Span, res *hookd.AttemptResult) {
	if !span.IsRecording() {
		return
	}
	if res.Attempt.StatusCode != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", res.Attempt.StatusCode))
	}
	if !res.Outcome.Success {
		msg := res.Attempt.Error
		if msg == "" {
			msg = "status " + strconv.Itoa(res.Attempt.StatusCode)
		}
		span.SetStatus(codes.Error, msg)
	}
	span.End()
}

// startClaim starts a claim's span.
func startClaim(ctx context.Context, limit int) (context.Context, trace.Span) {
	ctx, span := tracer.Start(ctx, "hookd.claim")
	if span.IsRecording() {
		span.SetAttributes(attribute.Int("hookd.claim.limit", limit))
	}
	return ctx, span
}

// endClaim ends a claim's span with what it leased.
func endClaim(span trace.Span, jobs int, err error) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(attribute.Int("hookd.claim.leased", jobs))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
