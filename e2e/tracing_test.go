package e2e

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver on 127.0.0.1: it decodes
// each protobuf ExportTraceServiceRequest and keeps its spans.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

func newOTLPReceiver(t testing.TB) *otlpReceiver {
	o := &otlpReceiver{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, &req) != nil {
			t.Errorf("OTLP receiver got %s %s (%s), not a protobuf export", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		o.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				o.spans = append(o.spans, ss.Spans...)
			}
		}
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(o.Close)
	return o
}

// named returns the spans received so far with that name.
func (o *otlpReceiver) named(name string) []*tracepb.Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range o.spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// TestTracing publishes with a traceparent to a hookd exporting to a real
// OTLP/HTTP receiver: the publish span continues the publisher's trace, and
// each attempt span is its child in the same trace: the first, handed off
// at publish, says so; the retry links to the claim that leased it. With
// --propagate-trace the webhook receiver gets each attempt's traceparent.
func TestTracing(t *testing.T) {
	onStores(t, func(t *testing.T, c config) {
		otlp := newOTLPReceiver(t)
		c.extraArgs = append(c.extraArgs, "--otel-endpoint", otlp.URL, "--propagate-trace")
		f := newFixture(t, c)
		rcv := newReceiver(t, 500)
		ten := f.tenant()
		f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{"1s"}})
		const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
		var pub publishResult
		f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events", map[string]any{"type": typeCreated, "data": rawJSON(`{}`)},
			&pub, "traceparent", "00-"+traceID+"-"+parentID+"-01")
		rcv.waitRequests(t, 1)
		rcv.status.Store(200)
		got := rcv.waitRequests(t, 2)

		var publish *tracepb.Span
		attempts := map[string]*tracepb.Span{} // by attempt number
		eventually(t, 30*time.Second, func() (bool, string) {
			for _, s := range otlp.named("hookd.publish") {
				publish = s
			}
			for _, s := range otlp.named("hookd.attempt") {
				for _, a := range s.Attributes {
					if a.Key == "hookd.attempt" {
						attempts[fmt.Sprint(a.Value.GetIntValue())] = s
					}
				}
			}
			return publish != nil && len(attempts) == 2, fmt.Sprintf("publish span %v, %d attempt spans", publish != nil, len(attempts))
		})
		if id := hex.EncodeToString(publish.TraceId); id != traceID {
			t.Errorf("publish span's trace %s, want the incoming traceparent's %s", id, traceID)
		}
		if id := hex.EncodeToString(publish.ParentSpanId); id != parentID {
			t.Errorf("publish span's parent %s, want the incoming span %s", id, parentID)
		}
		claims := map[string]bool{}
		for _, s := range otlp.named("hookd.claim") {
			claims[string(s.SpanId)] = true
		}
		for n, attempt := range attempts {
			if hex.EncodeToString(attempt.TraceId) != traceID || string(attempt.ParentSpanId) != string(publish.SpanId) {
				t.Errorf("attempt %s span in trace %x under %x; want trace %s under the publish span %x",
					n, attempt.TraceId, attempt.ParentSpanId, traceID, publish.SpanId)
			}
			if !hasAttr(attempt, "hookd.event_id", pub.ID) {
				t.Errorf("attempt %s span attributes %v lack the event id", n, attempt.Attributes)
			}
		}
		if first := attempts["1"]; !hasAttr(first, "hookd.handed_off", "true") || len(first.Links) != 0 {
			t.Errorf("the first attempt, handed off at publish: attributes %v, links %v; want hookd.handed_off and no claim", first.Attributes, first.Links)
		}
		if retry := attempts["2"]; len(retry.Links) != 1 || !claims[string(retry.Links[0].SpanId)] || !hasAttr(retry, "http.response.status_code", "200") {
			t.Errorf("the retry's links %v, attributes %v; want one link to a received claim span and status 200", retry.Links, retry.Attributes)
		}
		for i, n := range []string{"1", "2"} {
			want := "00-" + traceID + "-" + hex.EncodeToString(attempts[n].SpanId) + "-01"
			if tp := got[i].header.Get("Traceparent"); tp != want {
				t.Errorf("receiver got traceparent %q on attempt %s, want the attempt's %q", tp, n, want)
			}
		}
	})
}

func hasAttr(s *tracepb.Span, key, value string) bool {
	for _, a := range s.Attributes {
		if a.Key == key {
			switch v := a.Value.Value.(type) {
			case *commonpb.AnyValue_BoolValue:
				return fmt.Sprint(v.BoolValue) == value
			case *commonpb.AnyValue_IntValue:
				return fmt.Sprint(v.IntValue) == value
			default:
				return a.Value.GetStringValue() == value
			}
		}
	}
	return false
}

// TestTracingUnreachableCollector: with the OTLP endpoint a closed port,
// deliveries go on as ever, and the export failure is logged once, not per
// span or per batch.
func TestTracingUnreachableCollector(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // its port now refuses connections
	f := newFixture(t, config{extraArgs: []string{"--otel-endpoint", closed.URL, "--propagate-trace"}})
	rcv := newReceiver(t, 200)
	ten := f.tenant()
	f.endpoint(ten, rcv.URL, nil)
	for range 20 {
		f.publish(ten, typeCreated, `{}`)
	}
	rcv.waitRequests(t, 20)
	const logged = "tracing: exporting spans failed"
	eventually(t, 60*time.Second, func() (bool, string) {
		return strings.Contains(f.h.stderr.String(), logged), "no export failure logged"
	})
	for range 20 {
		f.publish(ten, typeCreated, `{}`)
	}
	rcv.waitRequests(t, 40)
	if n := strings.Count(f.h.stderr.String(), logged); n != 1 {
		t.Errorf("export failure logged %d times, want once (then at most once a minute)", n)
	}
}

// TestTracingOffByDefault: without an OTLP endpoint nothing is traced or
// propagated, an incoming traceparent included; --propagate-trace alone and
// a malformed endpoint are refused at start; a custom traceparent header is
// refused (hookd sets it).
func TestTracingOffByDefault(t *testing.T) {
	f := newFixture(t, config{})
	rcv := newReceiver(t, 200)
	ten := f.tenant()
	f.endpoint(ten, rcv.URL, nil)
	f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events", map[string]any{"type": typeCreated, "data": rawJSON(`{}`)},
		nil, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if tp := rcv.waitRequests(t, 1)[0].header.Get("Traceparent"); tp != "" {
		t.Errorf("receiver got traceparent %q with tracing off", tp)
	}
	r := f.admin.do(t, "POST", "/v1/tenants/"+ten+"/endpoints", map[string]any{"name": "x", "url": rcv.URL,
		"headers": map[string]string{"traceparent": "00-x"}})
	if p := wantProblem(t, r, 422); !p.names("headers.traceparent") {
		t.Errorf("custom traceparent header refused without naming it: %+v", p)
	}
	if out := startFails(t, "--allow-private-targets", "--propagate-trace"); !strings.Contains(out, "--propagate-trace needs --otel-endpoint") {
		t.Errorf("--propagate-trace alone: %s", out)
	}
	if out := startFails(t, "--allow-private-targets", "--otel-endpoint", "collector:4318"); !strings.Contains(out, "must be an http:// or https:// URL") {
		t.Errorf("malformed --otel-endpoint: %s", out)
	}
}
